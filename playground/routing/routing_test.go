package routing

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
)

func TestAsk(t *testing.T) {
	tests := []struct {
		method, target string
		wantStatus     int
		wantRoute      string
		wantParams     string // name=value, comma separated
		wantAllow      string
		wantServer     string // the app's server span
		wantChain      []string
	}{
		{"GET", "/flights/42", 200, "/flights/:id", "id=42", "", "GET /flights/:id", []string{"logging", "recover", "handler showFlight"}},
		{"GET", "/flights/abc", 404, "/flights/:id", "id=abc", "", "GET /flights/:id", []string{"logging", "recover", "handler showFlight"}},
		{"GET", "/flights/42/seats/12A", 200, "/flights/:id/seats/:seat", "id=42,seat=12A", "", "GET /flights/:id/seats/:seat", []string{"logging", "recover", "handler showSeat"}},
		{"POST", "/flights/42", 405, "/flights/:id", "", "OPTIONS, GET", "POST /flights/:id", []string{"logging", "recover"}},
		{"OPTIONS", "/flights/42", 204, "/flights/:id", "", "OPTIONS, GET", "OPTIONS /flights/:id", []string{"logging", "recover"}},
		{"GET", "/nope", 404, "", "", "", "GET (no route)", []string{"logging", "recover"}},
		{"GET", "/files/logos/airline.svg", 200, "/files/*", "*=logos/airline.svg", "", "GET /files/*", []string{"logging", "recover", "handler serveFile"}},
		{"DELETE", "/bookings/7", 401, "/bookings/:id", "id=7", "", "DELETE /bookings/:id", []string{"logging", "recover", "auth"}},
		{"GET", "/flights/a%2Fb", 404, "/flights/:id", "id=a%2Fb", "", "GET /flights/:id", []string{"logging", "recover", "handler showFlight"}},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			app, _, rec := newApp(t)
			res, err := app.Ask(t.Context(), tt.method, tt.target)
			if err != nil {
				t.Fatal(err)
			}
			if res.Exchange.Status != tt.wantStatus || res.Route != tt.wantRoute {
				t.Errorf("status %d, route %q; want %d, %q", res.Exchange.Status, res.Route, tt.wantStatus, tt.wantRoute)
			}
			var params []string
			for _, p := range res.Params {
				params = append(params, p.Name+"="+p.Value)
			}
			if got := strings.Join(params, ","); got != tt.wantParams {
				t.Errorf("params %q, want %q", got, tt.wantParams)
			}
			if got := res.Exchange.Header.Get("Allow"); got != tt.wantAllow {
				t.Errorf("Allow %q, want %q", got, tt.wantAllow)
			}
			var chain []string
			for _, s := range res.Chain {
				chain = append(chain, s.Layer)
			}
			if !slices.Equal(chain, tt.wantChain) {
				t.Errorf("chain %v, want %v", chain, tt.wantChain)
			}
			if len(res.Routes) != len(Routes()) {
				t.Errorf("%d routes listed, want %d", len(res.Routes), len(Routes()))
			}
			by := spans(rec)
			server := by[tt.wantServer]
			if len(server) != 1 || attr(server[0], "http.route") != tt.wantRoute || attr(server[0], "http.response.status_code") != fmt.Sprint(tt.wantStatus) {
				t.Errorf("server span %q: %d found, want one with route %q and status %d", tt.wantServer, len(server), tt.wantRoute, tt.wantStatus)
			}
			if len(res.Log) != 1 || !strings.Contains(res.Log[0], fmt.Sprintf("status=%d", tt.wantStatus)) || !strings.Contains(res.Log[0], "id="+res.Exchange.Header.Get("X-Request-Id")) {
				t.Errorf("log %q, want one line with the status and the request id", res.Log)
			}
		})
	}
}

func TestBook(t *testing.T) {
	app, clk, rec := newApp(t)
	tests := []struct {
		token      string
		advance    time.Duration // before the booking
		wantStatus int
		wantLeft   string
		wantRetry  string
		wantWalk   string // layer:state, outside in
	}{
		{TokenNone, 0, 401, "", "", "logging:ran recover:ran auth:stopped rate limit:skipped handler createBooking:skipped"},
		{TokenWrong, 0, 401, "", "", "logging:ran recover:ran auth:stopped rate limit:skipped handler createBooking:skipped"},
		{TokenValid, 0, 201, "2", "", "logging:ran recover:ran auth:ran rate limit:ran handler createBooking:ran"},
		{TokenValid, 0, 201, "1", "", "logging:ran recover:ran auth:ran rate limit:ran handler createBooking:ran"},
		{TokenValid, 0, 201, "0", "", "logging:ran recover:ran auth:ran rate limit:ran handler createBooking:ran"},
		{TokenValid, 0, 429, "0", "10", "logging:ran recover:ran auth:ran rate limit:stopped handler createBooking:skipped"},
		{TokenValid, 4 * time.Second, 429, "0", "6", "logging:ran recover:ran auth:ran rate limit:stopped handler createBooking:skipped"},
		{TokenValid, 6 * time.Second, 201, "0", "", "logging:ran recover:ran auth:ran rate limit:ran handler createBooking:ran"},
	}
	for i, tt := range tests {
		t.Run(fmt.Sprintf("%d %s", i+1, tt.token), func(t *testing.T) {
			clk.advance(tt.advance)
			res, err := app.Book(t.Context(), "visitor-1", tt.token)
			if err != nil {
				t.Fatal(err)
			}
			h := res.Exchange.Header
			if res.Exchange.Status != tt.wantStatus || h.Get("X-Ratelimit-Remaining") != tt.wantLeft || h.Get("Retry-After") != tt.wantRetry {
				t.Errorf("status %d, remaining %q, Retry-After %q; want %d, %q, %q: %s", res.Exchange.Status,
					h.Get("X-Ratelimit-Remaining"), h.Get("Retry-After"), tt.wantStatus, tt.wantLeft, tt.wantRetry, res.Exchange.Body)
			}
			var walk []string
			for _, l := range res.Walk("/bookings", http.MethodPost) {
				walk = append(walk, l.Layer+":"+l.State)
			}
			if got := strings.Join(walk, " "); got != tt.wantWalk {
				t.Errorf("walk %q, want %q", got, tt.wantWalk)
			}
		})
	}
	t.Run("a visitor of their own", func(t *testing.T) {
		res, err := app.Book(t.Context(), "visitor-2", TokenValid)
		if err != nil || res.Exchange.Status != http.StatusCreated {
			t.Errorf("status %d (%v), want 201: each caller has a bucket", res.Exchange.Status, err)
		}
	})
	for _, s := range spans(rec)["rate limit"] {
		if s.Status().Code == codes.Error && attr(s, "engineroom.ratelimit.retry_after_s") == "" {
			t.Errorf("refusing rate limit span without retry_after_s: %v", s.Attributes())
		}
		if attr(s, "engineroom.ratelimit.burst") != "3" {
			t.Errorf("rate limit span burst %q, want 3", attr(s, "engineroom.ratelimit.burst"))
		}
	}
}

func TestBearerToken(t *testing.T) {
	app, _, _ := newApp(t)
	tok := app.BearerToken("visitor-1")
	caller, _, _ := strings.Cut(tok, ".")
	tests := []struct {
		token string
		want  bool
	}{
		{tok, true},
		{caller + ".forged-signature", false},
		{"." + strings.SplitN(tok, ".", 2)[1], false},
		{caller, false},
		{New(Options{Secret: []byte("another")}).BearerToken("visitor-1"), false},
	}
	for _, tt := range tests {
		if got, ok := app.callerOf(tt.token); ok != tt.want || (ok && got != caller) {
			t.Errorf("callerOf(%q) = %q, %v; want %v", tt.token, got, ok, tt.want)
		}
	}
}

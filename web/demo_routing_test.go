package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/engineroom/engineroom/web"
)

const routingPage = "/lessons/routing-and-middleware"

// routingOut is the JSON twin of a routing demo run.
type routingOut struct {
	Route  string `json:"matched_route"`
	Params []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"path_params"`
	Chain []struct {
		Layer   string `json:"layer"`
		Outcome string `json:"outcome"`
	} `json:"chain"`
	Log      []string `json:"log"`
	Panic    string   `json:"panic"`
	Exchange struct {
		Target  string              `json:"target"`
		Status  int                 `json:"status"`
		Header  map[string][]string `json:"response_headers"`
		Body    string              `json:"response_body"`
		Dropped string              `json:"dropped"`
	} `json:"exchange"`
	AnsweredMS    float64 `json:"answered_ms"`
	HandlerDoneMS float64 `json:"handler_done_ms"`
}

// routingRun runs a routing demo's JSON twin as c and decodes it.
func routingRun(t *testing.T, c *client, id string, params map[string]any) (routingOut, demoRunJSON) {
	t.Helper()
	body, _ := json.Marshal(params)
	_, got := demoAPIRunAs(t, c, id, string(body))
	var out routingOut
	if err := json.Unmarshal(got.Output, &out); err != nil {
		t.Fatal(err)
	}
	return out, got
}

// spanNamed finds a span of the trace by name.
func spanNamed(tr apiTrace, name string) (apiSpan, bool) {
	i := slices.IndexFunc(tr.Spans, func(s apiSpan) bool { return s.Name == name })
	if i < 0 {
		return apiSpan{}, false
	}
	return tr.Spans[i], true
}

func TestRoutingRouteTable(t *testing.T) {
	srv := newServer(t, web.Config{})
	tests := []struct {
		method, path string
		wantStatus   int
		wantRoute    string
		wantParams   string // name=value, comma separated
		wantAllow    string
		wantTarget   string
	}{
		{method: "GET", path: "/flights/42", wantStatus: 200, wantRoute: "/flights/:id", wantParams: "id=42"},
		{method: "GET", path: "/flights/abc", wantStatus: 404, wantRoute: "/flights/:id", wantParams: "id=abc"},
		{method: "GET", path: "/flights/42/seats/12A", wantStatus: 200, wantRoute: "/flights/:id/seats/:seat", wantParams: "id=42,seat=12A"},
		{method: "POST", path: "/flights/42", wantStatus: 405, wantRoute: "/flights/:id", wantAllow: "OPTIONS, GET"},
		{method: "GET", path: "/nope", wantStatus: 404},
		{method: "GET", path: "/files/logos/airline.svg", wantStatus: 200, wantRoute: "/files/*", wantParams: "*=logos/airline.svg"},
		{method: "DELETE", path: "/bookings/7", wantStatus: 401, wantRoute: "/bookings/:id", wantParams: "id=7"},
		// Hostile paths: bounded, encoded as a browser would, shown escaped.
		{method: "GET", path: "/flights/../bookings", wantStatus: 404},
		{method: "GET", path: "/flights/a%2Fb", wantStatus: 404, wantRoute: "/flights/:id", wantParams: "id=a%2Fb"},
		{method: "GET", path: "/flights/ü 1", wantStatus: 404, wantRoute: "/flights/:id", wantParams: "id=ü 1", wantTarget: "/flights/%C3%BC%201"},
		{method: "GET", path: "/flights/\x1b[2J\r\nX-Evil: 1", wantStatus: 404, wantRoute: "/flights/:id", wantParams: "id=%1B[2J%0D%0AX-Evil:%201", wantTarget: "/flights/%1B[2J%0D%0AX-Evil:%201"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+strconv.Quote(tt.path), func(t *testing.T) {
			out, got := routingRun(t, newClient(t, srv), "route-table", map[string]any{"method": tt.method, "path": tt.path})
			if out.Exchange.Status != tt.wantStatus || out.Route != tt.wantRoute {
				t.Errorf("status %d, route %q; want %d, %q", out.Exchange.Status, out.Route, tt.wantStatus, tt.wantRoute)
			}
			var params []string
			for _, p := range out.Params {
				params = append(params, p.Name+"="+p.Value)
			}
			if strings.Join(params, ",") != tt.wantParams {
				t.Errorf("params %v, want %s", params, tt.wantParams)
			}
			if allow := strings.Join(out.Exchange.Header["Allow"], ","); allow != tt.wantAllow {
				t.Errorf("Allow %q, want %q", allow, tt.wantAllow)
			}
			if tt.wantTarget != "" && out.Exchange.Target != tt.wantTarget {
				t.Errorf("target %q, want %q", out.Exchange.Target, tt.wantTarget)
			}
			byKind := assertSpans(t, got.Trace)
			wantHandlers := 2
			if tt.wantStatus == 405 || tt.wantRoute == "" || tt.wantStatus == 401 {
				wantHandlers = 1
			}
			if len(byKind["server"]) != 2 || len(byKind["handler"]) != wantHandlers {
				t.Errorf("%d server spans, %d handler spans; want 2 and %d", len(byKind["server"]), len(byKind["handler"]), wantHandlers)
			}
			if len(out.Log) != 1 || !strings.Contains(out.Log[0], "status="+strconv.Itoa(tt.wantStatus)) {
				t.Errorf("log %q, want one line with the status", out.Log)
			}
		})
	}
	t.Run("panel", func(t *testing.T) {
		r, doc := panelAs(t, newClient(t, srv), routingPage, "route-table", map[string]string{"method": "POST", "path": "/flights/42"})
		if r.StatusCode != http.StatusOK {
			t.Fatalf("status %d", r.StatusCode)
		}
		if got := doc.Find(".pane-front tr.is-path-only td").Eq(1).Text(); got != "/flights/:id" {
			t.Errorf("path-only row %q, want /flights/:id", got)
		}
		if doc.Find(".pane-front tr.is-matched").Length() != 0 {
			t.Error("a 405 marks a matched route")
		}
		if h := doc.Find(".pane-front .routing-headline").Text(); !strings.Contains(h, "405 Method Not Allowed") || !strings.Contains(h, "Allow: OPTIONS, GET") {
			t.Errorf("headline %q", h)
		}
	})
	t.Run("hostile panel", func(t *testing.T) {
		_, doc := panelAs(t, newClient(t, srv), routingPage, "route-table", map[string]string{"path": "/flights/\x1b<b>x</b>"})
		if typed := doc.Find(".pane-front .routing-typed code").Text(); !strings.Contains(typed, `\x1b<b>x</b>`) || !strings.Contains(typed, "%1B%3Cb%3Ex%3C/b%3E") {
			t.Errorf("typed %q, want the escape spelled out and the encoded target", typed)
		}
		if doc.Find(".pane-front b").Length() != 0 || strings.ContainsRune(doc.Find(".pane-front").Text(), 0x1b) {
			t.Error("the typed path reached the page as markup or raw control characters")
		}
	})
	for name, path := range map[string]string{"too long": "/" + strings.Repeat("a", 200), "no slash": "flights", "NUL": "/a\x00b"} {
		t.Run(name, func(t *testing.T) {
			body, _ := json.Marshal(map[string]any{"path": path})
			if r := newClient(t, srv).postJSON("/api/v1/demos/route-table", string(body), nil); r.StatusCode != http.StatusBadRequest {
				t.Errorf("status %d, want 400", r.StatusCode)
			}
		})
	}
}

func TestRoutingMiddlewareChain(t *testing.T) {
	srv := newServer(t, web.Config{})
	c := newClient(t, srv)
	tests := []struct {
		token      string
		wantStatus int
		ran        []string // layers in the chain, in order
		notSpans   []string
	}{
		{token: "none", wantStatus: 401, ran: []string{"logging", "recover", "auth"}, notSpans: []string{"rate limit", "handler createBooking"}},
		{token: "wrong", wantStatus: 401, ran: []string{"logging", "recover", "auth"}, notSpans: []string{"rate limit", "handler createBooking"}},
		{token: "valid", wantStatus: 201, ran: []string{"logging", "recover", "auth", "rate limit", "handler createBooking"}},
		{token: "valid", wantStatus: 201, ran: []string{"logging", "recover", "auth", "rate limit", "handler createBooking"}},
		{token: "valid", wantStatus: 201, ran: []string{"logging", "recover", "auth", "rate limit", "handler createBooking"}},
		{token: "valid", wantStatus: 429, ran: []string{"logging", "recover", "auth", "rate limit"}, notSpans: []string{"handler createBooking"}},
	}
	for i, tt := range tests {
		t.Run(fmt.Sprintf("%d %s", i+1, tt.token), func(t *testing.T) {
			out, got := routingRun(t, c, "middleware-chain", map[string]any{"token": tt.token})
			if out.Exchange.Status != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", out.Exchange.Status, tt.wantStatus, out.Exchange.Body)
			}
			var ran []string
			for _, s := range out.Chain {
				ran = append(ran, s.Layer)
			}
			if !slices.Equal(ran, tt.ran) {
				t.Errorf("chain %v, want %v", ran, tt.ran)
			}
			for _, name := range tt.ran {
				if _, ok := spanNamed(got.Trace, name); !ok {
					t.Errorf("no span %q", name)
				}
			}
			for _, name := range tt.notSpans {
				if _, ok := spanNamed(got.Trace, name); ok {
					t.Errorf("span %q, want none: it never ran", name)
				}
			}
			id := out.Exchange.Header["X-Request-Id"]
			if len(out.Log) != 1 || len(id) != 1 || !strings.Contains(out.Log[0], "id="+id[0]) || !strings.Contains(out.Log[0], "status="+strconv.Itoa(tt.wantStatus)) {
				t.Errorf("log %q, want one line with id %v and the status", out.Log, id)
			}
			retry := out.Exchange.Header["Retry-After"]
			if tt.wantStatus == 429 {
				if n, err := strconv.Atoi(strings.Join(retry, "")); err != nil || n < 1 || n > 10 {
					t.Errorf("Retry-After %v, want 1–10 s", retry)
				}
			} else if len(retry) != 0 {
				t.Errorf("Retry-After %v on a %d", retry, tt.wantStatus)
			}
		})
	}
	t.Run("panel shows where it stopped", func(t *testing.T) {
		_, doc := panelAs(t, newClient(t, srv), routingPage, "middleware-chain", map[string]string{"token": "none"})
		var states []string
		doc.Find(".pane-front .routing-step").Each(func(_ int, s *goquery.Selection) {
			states = append(states, s.Find("strong").Text()+":"+strings.TrimPrefix(s.AttrOr("class", ""), "routing-step is-"))
		})
		want := []string{"logging:ran", "recover:ran", "auth:stopped", "rate limit:skipped", "handler createBooking:skipped"}
		if !slices.Equal(states, want) {
			t.Errorf("steps %v, want %v", states, want)
		}
		if log := doc.Find(".pane-front pre.routing-log").Text(); !strings.Contains(log, "status=401") {
			t.Errorf("log %q", log)
		}
	})
}

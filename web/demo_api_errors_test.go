package web_test

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/engineroom/engineroom/web"
)

// TestAPIErrorsDemo sends each prepared mistake through the real router
// and checks the statuses, the problem document and what the panel says.
func TestAPIErrorsDemo(t *testing.T) {
	srv := newServer(t, web.Config{})
	sqlReady(t, srv)
	const (
		malformed = "/api#problem-malformed-json"
		badBody   = "/api#problem-invalid-body"
		badParams = "/api#problem-invalid-parameters"
		noStock   = "/api#problem-out-of-stock"
		reused    = "/api#problem-idempotency-key-reused"
	)
	tests := []struct {
		mistake      string
		wantCalls    []string // method, target and status of each request
		wantType     string
		wantTitle    string
		wantErrors   []string // field and message, as the panel lists them
		wantHandlers int      // API handler spans: 0 when the router or a middleware answered
		wantSQL      bool
		wantHeader   [2]string // a response header the last answer carries
		wantCurl     string    // in the curl commands
	}{
		{mistake: "malformed JSON", wantCalls: []string{"POST /api/v1/orders 400"}, wantType: malformed, wantTitle: "Malformed JSON",
			wantErrors: []string{"(the body) the JSON ends too soon"}, wantHandlers: 1,
			wantCurl: `-d '{"customer_id": 1, "items": [{"product_id": 5, "quantity": 2}]'`},
		{mistake: "unknown field", wantCalls: []string{"POST /api/v1/bookings 422"}, wantType: badBody, wantTitle: "Invalid body",
			wantErrors: []string{"seat is not a field of this object (it takes member_id, flight_id)"}, wantHandlers: 1,
			wantCurl: `-d '{"member_id":1,"flight_id":42,"seat":"12A"}'`},
		{mistake: "wrong type", wantCalls: []string{"POST /api/v1/bookings 422"}, wantType: badBody, wantTitle: "Invalid body",
			wantErrors: []string{"member_id must be a whole number, not a string"}, wantHandlers: 1},
		{mistake: "negative quantity", wantCalls: []string{"POST /api/v1/orders 422"}, wantType: badBody, wantTitle: "Invalid body",
			wantErrors: []string{"items[0].quantity must be from 1 to 100, not -2"}, wantHandlers: 1},
		{mistake: "huge number", wantCalls: []string{"POST /api/v1/orders 422"}, wantType: badBody, wantTitle: "Invalid body",
			wantErrors: []string{"items[0].quantity must be from 1 to 100, not 99999999999999999999"}, wantHandlers: 1,
			wantCurl: `"quantity":99999999999999999999`},
		{mistake: "not enough stock", wantCalls: []string{"POST /api/v1/orders 409"}, wantType: noStock, wantTitle: "Out of stock",
			wantErrors: []string{"items[0].quantity Only 1 of Coastal Tent (large) (OUT-1014) left; the line asks for 3."}, wantHandlers: 1, wantSQL: true},
		{mistake: "bad cursor", wantCalls: []string{"GET /api/v1/flights?origin=LHR&cursor=cGFnZS0y 400"}, wantType: badParams, wantTitle: "Invalid parameters",
			wantErrors: []string{"cursor is not a cursor this list handed out: pass next_cursor back as it is"}, wantHandlers: 1},
		{mistake: "unknown query parameter", wantCalls: []string{"GET /api/v1/flights?orign=LHR 400"}, wantType: badParams, wantTitle: "Invalid parameters",
			wantErrors: []string{"orign is not a parameter of this endpoint (it takes origin, destination, date, max_miles, limit, cursor)"}, wantHandlers: 1},
		{mistake: "unknown id", wantCalls: []string{"GET /api/v1/flights/999999 404"}, wantType: "about:blank", wantTitle: "Not Found",
			wantHandlers: 1, wantSQL: true},
		{mistake: "wrong method", wantCalls: []string{"PUT /api/v1/flights/42 405"}, wantType: "about:blank", wantTitle: "Method Not Allowed",
			wantHeader: [2]string{"Allow", "OPTIONS, GET"}},
		{mistake: "missing Content-Type", wantCalls: []string{"POST /api/v1/bookings 415"}, wantType: "about:blank", wantTitle: "Unsupported Media Type",
			wantCurl: "-H 'Content-Type:' \\\n  -d '{\"member_id\":1,\"flight_id\":42}'"},
		{mistake: "Idempotency-Key reused", wantCalls: []string{"POST /api/v1/orders 201", "POST /api/v1/orders 201", "POST /api/v1/orders 422"},
			wantType: reused, wantTitle: "Idempotency-Key reused", wantErrors: []string{"Idempotency-Key was used for another request"},
			wantHandlers: 1, wantSQL: true, wantCurl: "-H 'Idempotency-Key: demo-"},
	}
	t.Run("the list", func(t *testing.T) {
		doc := parseHTML(t, newClient(t, srv).get("/lessons/status-codes-and-errors", nil).text)
		var got, want []string
		doc.Find("#demo-api-errors select[name=mistake] option").Each(func(_ int, o *goquery.Selection) { got = append(got, o.AttrOr("value", "")) })
		for _, tt := range tests {
			want = append(want, tt.mistake)
		}
		if !slices.Equal(got, want) || doc.Find("#demo-api-errors select[name=mistake] option[selected]").Text() != "malformed JSON" {
			t.Errorf("mistakes = %q, want %q with the first selected", got, want)
		}
	})
	for _, tt := range tests {
		t.Run(tt.mistake, func(t *testing.T) {
			r, got := demoAPIRun(t, srv, "api-errors", map[string]any{"mistake": tt.mistake})
			if r.StatusCode != http.StatusOK {
				t.Fatalf("status = %d; body:\n%.1000s", r.StatusCode, r.text)
			}
			out := decodeAPICalls(t, got)
			last := out.Calls[len(out.Calls)-1]
			if out.Mistake != tt.mistake || out.Endpoint != "" || !strings.HasPrefix(out.Why, strconv.Itoa(last.Status)+": ") {
				t.Errorf("mistake %q, endpoint %q, why %q: want the mistake and a why that starts with its status", out.Mistake, out.Endpoint, out.Why)
			}
			var calls []string
			keys := map[string]bool{}
			for _, c := range out.Calls {
				calls = append(calls, fmt.Sprintf("%s %s %d", c.Method, c.Target, c.Status))
				ct := c.RequestHeaders.Get("Content-Type")
				if (ct == "application/json") != (c.RequestBody != "" && tt.mistake != "missing Content-Type") || c.RequestHeaders.Get("Cookie") != "er_visitor=••••••••" {
					t.Errorf("%s %s sent Content-Type %q with a body of %d bytes, Cookie %q", c.Method, c.Target, ct, len(c.RequestBody), c.RequestHeaders.Get("Cookie"))
				}
				keys[c.RequestHeaders.Get("Idempotency-Key")] = true
			}
			if !slices.Equal(calls, tt.wantCalls) {
				t.Errorf("calls %q, want %q", calls, tt.wantCalls)
			}
			if tt.mistake == "Idempotency-Key reused" {
				if len(keys) != 1 || keys[""] || out.Calls[1].ResponseHeaders.Get("Idempotent-Replayed") != "true" ||
					out.Calls[0].ResponseHeaders.Get("Location") != out.Calls[1].ResponseHeaders.Get("Location") {
					t.Errorf("keys %v; the retry's headers %v: want one key, and the retry a replay of the first", keys, out.Calls[1].ResponseHeaders)
				}
			} else if !keys[""] || len(keys) != 1 {
				t.Errorf("Idempotency-Keys sent: %v, want none", keys)
			}
			if h := tt.wantHeader; h[0] != "" && last.ResponseHeaders.Get(h[0]) != h[1] {
				t.Errorf("%s: %q, want %q", h[0], last.ResponseHeaders.Get(h[0]), h[1])
			}
			if n := strings.Count(out.Curl, "curl -s -i -c jar.txt -b jar.txt"); n != len(out.Calls) || !strings.Contains(out.Curl, tt.wantCurl) {
				t.Errorf("curl (%d commands):\n%s\nwant %d, with %q", n, out.Curl, len(out.Calls), tt.wantCurl)
			}
			byKind := assertSpans(t, got.Trace)
			if n := len(byKind["handler"]) - 1; n != tt.wantHandlers || byKind["handler"][0].Name != "handler api-errors" {
				t.Errorf("%d API handler spans, want %d", n, tt.wantHandlers)
			}
			if len(byKind["http"]) != len(tt.wantCalls) || len(byKind["server"]) != 1+len(tt.wantCalls) || (len(byKind["sql"]) > 0) != tt.wantSQL {
				t.Errorf("%d client, %d server and %d SQL spans", len(byKind["http"]), len(byKind["server"]), len(byKind["sql"]))
			}

			r, doc := demoPanelRun(t, srv, "/lessons/status-codes-and-errors", "api-errors", map[string]string{"mistake": tt.mistake})
			if r.StatusCode != http.StatusOK {
				t.Fatalf("panel status = %d", r.StatusCode)
			}
			o := doc.Find(".pane-front .output")
			headline := strings.Join(strings.Fields(o.Find(".api-status").Text()), " ")
			want := fmt.Sprintf("%d %s · %s · ", last.Status, http.StatusText(last.Status), tt.wantTitle)
			if tt.wantTitle == http.StatusText(last.Status) {
				want = fmt.Sprintf("%d %s · ", last.Status, tt.wantTitle)
			}
			if !strings.HasPrefix(headline, want) || strings.Count(headline, tt.wantTitle) != 1 {
				t.Errorf("headline %q, want it to start %q", headline, want)
			}
			if why := strings.Join(strings.Fields(o.Find(".api-why").Text()), " "); why != "Why this status? "+out.Why {
				t.Errorf("why = %q", why)
			}
			if o.Find(".api-lead").Text() == "" || o.Find("li.api-call").Length() != len(tt.wantCalls) || doc.Find(".pane-front .notice-error").Length() != 0 {
				t.Errorf("lead %q, %d calls shown, %d error notices", o.Find(".api-lead").Text(), o.Find("li.api-call").Length(), doc.Find(".pane-front .notice-error").Length())
			}
			checkProblemTable(t, o, tt.wantType, tt.wantTitle, strconv.Itoa(last.Status), tt.wantErrors)
		})
	}
}

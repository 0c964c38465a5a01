package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/engineroom/engineroom/content"
	"github.com/engineroom/engineroom/web"
)

// TestDemos runs every demo the lessons place, and checks what each
// database demo is there to show.
func TestDemos(t *testing.T) {
	srv := newDemoServer(t)
	sqlReady(t, srv)
	tests := []struct {
		name string
		run  func(t *testing.T, srv *web.Server)
	}{
		{name: "EveryLessonDemo", run: testDemosEveryLessonDemo},
		{name: "NPlusOne", run: testDemosNPlusOne},
		{name: "IndexPlan", run: testDemosIndexPlan},
		{name: "DoubleBooking", run: testDemosDoubleBooking},
		{name: "SQLInjection", run: testDemosSQLInjection},
		{name: "CacheAside", run: testDemosCacheAside},
		{name: "Stampede", run: testDemosStampede},
		{name: "CacheFill", run: testDemosCacheFill},
		{name: "BadParams", run: testDemosBadParams},
		{name: "VisitorChangedTheData", run: testDemosVisitorChangedTheData},
		{name: "HTTPCache", run: testDemosHTTPCache},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, srv) })
	}
}

// demoRunJSON is the body of POST /api/v1/demos/{id}.
type demoRunJSON struct {
	ID     string          `json:"id"`
	Output json.RawMessage `json:"output"`
	Trace  apiTrace        `json:"trace"`
}

// demoFormValues is what a browser submits for a form as it stands: text
// fields and textareas, the selected option, and only checked checkboxes.
func demoFormValues(form *goquery.Selection) url.Values {
	v := url.Values{}
	form.Find("input, select, textarea").Each(func(_ int, s *goquery.Selection) {
		name := s.AttrOr("name", "")
		if name == "" {
			return
		}
		switch goquery.NodeName(s) {
		case "textarea":
			v.Add(name, s.Text())
		case "select":
			opt := s.Find("option[selected]")
			if opt.Length() == 0 {
				opt = s.Find("option").First()
			}
			v.Add(name, opt.AttrOr("value", opt.Text()))
		default:
			if typ := s.AttrOr("type", "text"); typ == "checkbox" || typ == "radio" {
				if _, on := s.Attr("checked"); on {
					v.Add(name, s.AttrOr("value", "on"))
				}
				return
			}
			v.Add(name, s.AttrOr("value", ""))
		}
	})
	return v
}

// demoPanelRun opens page with a new visitor, submits the demo's panel as
// it stands with extra values set, as a partial update, and returns the
// fragment.
func demoPanelRun(t *testing.T, srv *web.Server, page, id string, set map[string]string) (reply, *goquery.Document) {
	t.Helper()
	return panelAs(t, newClient(t, srv), page, id, set)
}

// demoAPIRun runs a demo's JSON twin for a new visitor.
func demoAPIRun(t *testing.T, srv *web.Server, id string, params map[string]any) (reply, demoRunJSON) {
	t.Helper()
	body, err := json.Marshal(params)
	if err != nil {
		t.Fatal(err)
	}
	r := newClient(t, srv).postJSON("/api/v1/demos/"+id, string(body), nil)
	var got demoRunJSON
	if r.StatusCode == http.StatusOK {
		decodeJSON(t, r, &got)
	}
	return r, got
}

func testDemosEveryLessonDemo(t *testing.T, srv *web.Server) {
	lib, err := content.Load(content.Lessons)
	if err != nil {
		t.Fatal(err)
	}
	// What each demo's default run shows. Every demo a lesson places needs
	// an entry: a new demo is reviewed here before it ships.
	type demoWant struct {
		id        string
		wantSQL   bool   // its trace has SQL spans
		wantError string // a designed .notice-error in the front end pane; "" for none
		wantText  string // in the front end pane's output
		// innerRequests counts the requests the demo sends to this server
		// itself: each adds a server span and a handler span to its trace.
		innerRequests int
		// prerendered counts those answered with a prerendered page (a
		// lesson): they add a server span but no handler span.
		prerendered int
		// refused counts those a middleware refuses (a CSRF check, say):
		// they too add a server span but no handler span.
		refused int
	}
	tests := []demoWant{
		{id: "backend-tour", wantSQL: true, wantText: "This request used 6 of 6 parts"},
		{id: "request-echo", wantText: "Hello, server!"},
		{id: "slow-step", wantText: "Ada Lovelace"},
		{id: "route-table", wantText: "Matched GET /flights/:id → showFlight, which answered 200 OK.", innerRequests: 1},
		{id: "middleware-chain", wantText: "201 Created: every layer handed on", innerRequests: 1},
		{id: "handler-panic", wantError: "500 Internal Server Error, request id", wantText: "no panic value, no stack", innerRequests: 1},
		{id: "handler-timeout", wantText: "200 OK after", innerRequests: 1},
		{id: "sql", wantSQL: true, wantText: "flight_no"},
		{id: "sql-select", wantSQL: true, wantText: "departs_at"},
		{id: "sql-write", wantSQL: true, wantError: "SQLITE_CONSTRAINT_CHECK CHECK constraint failed: miles >= 0", wantText: "Grace Hopper"},
		{id: "index-plan", wantSQL: true, wantText: "faster with the index"},
		{id: "n-plus-one", wantSQL: true, wantText: "21 queries"},
		{id: "double-booking", wantSQL: true, wantError: "Lost update.", wantText: "Final balance"},
		{id: "sql-injection", wantSQL: true, wantText: "Logged in as alice"},
		{id: "docs-read", wantSQL: true, wantText: "Booking 19987, read two ways"},
		{id: "docs-filter", wantSQL: true, wantText: "faster with an index on the expression"},
		{id: "docs-update", wantSQL: true, wantText: "1 row changed"},
		{id: "http-cache", wantSQL: true, wantText: "304 Not Modified", innerRequests: 2},
		{id: "api-explorer", wantSQL: true, wantText: "3 flights on this page", innerRequests: 1},
		{id: "api-errors", wantText: "the JSON ends too soon", innerRequests: 1},
		{id: "api-contract", wantSQL: true, wantText: "Matches the document", innerRequests: 1},
		{id: "cache-aside", wantSQL: true, wantText: "Miss. From the database"},
		{id: "cache-invalidation", wantSQL: true, wantError: "Stale! The page shows $49.99; the database says $39.99.", wantText: "In the database: $39.99"},
		{id: "cache-stampede", wantSQL: true, wantText: "Stampede. All 10 searches missed"},
		{id: "cache-fill", wantSQL: true, wantText: "Evicted. Reading product:1 again is a miss"},
		{id: "take-payment", wantText: "Your payments at the gateway: 1"},
		{id: "fault-switches", wantText: "All off."},
		{id: "circuit-breaker", wantText: "The payment gateway is paused."},
		{id: "load-balance", wantText: "12 requests, round-robin: app-1 4 · app-2 4 · app-3 4."},
		{id: "lb-health-check", wantText: "app-2 taken out at +"},
		{id: "forwarded-headers", wantText: "The instance believes 192.0.2.1"},
		{id: "sticky-sessions", wantText: "(a new, empty session: the cart was lost)"},
		{id: "event-fanout", wantSQL: true, wantText: "is confirmed. The page answered at once; event #"},
		{id: "event-retries", wantSQL: true, wantText: "fault: fails twice, then works"},
		{id: "event-idempotency", wantSQL: true, wantText: "fault: crashes after its work, before the ack"},
		{id: "read-replica", wantSQL: true, wantError: "Stale! You earned 500 miles, but the replica still says", wantText: "Alice Martin (member 1) before"},
		{id: "sharding", wantSQL: true, wantText: "lives on shard-1 (7 % 2 = 1): one query on one shard; shard-0 was not touched."},
		{id: "back-pressure", wantSQL: true, wantText: "12 queries at once, 2 slots and a queue of 4:"},
		{id: "realtime-feed", wantText: "Polling every 250 ms:"},
		{id: "realtime-compare", wantText: "The same 6 changes, four ways: polling every 250 ms sent"},
		{id: "webhook-delivery", wantText: "Accepted. The signature matched"},
		{id: "jwt-login", wantSQL: true, wantText: "Logged in. The server checked alice's password, signed a token"},
		{id: "email-job", wantText: "Confirmation email queued as job #"},
		{id: "password-hashing", wantSQL: true, wantText: "Account grace created"},
		{id: "session-login", wantSQL: true, wantText: "Logged in as alice."},
		{id: "security-headers", wantText: "nosniff", innerRequests: 1, prerendered: 1},
		{id: "field-encryption", wantSQL: true, wantText: "C01X00T47 decrypted from member 1's row"},
		{id: "xss-review", wantSQL: true, wantText: "Stored as typed, shown as text."},
		{id: "signup-form", wantText: "Your browser let this through"},
		{id: "signup-json", wantText: "Refused with 422: 2 fields are not right", innerRequests: 1},
		{id: "brute-force", wantSQL: true, wantText: "5 × 401 Unauthorized · 6 × 429 Too Many Requests", innerRequests: 11},
		{id: "idor-booking", wantSQL: true, wantError: "Leaked. You are alice, and you just read Bob Nguyen's booking 5435.", wantText: "Bob Nguyen (member 2)"},
		{id: "trip-login", wantSQL: true, wantText: "Welcome back, Alice Martin."},
		{id: "trip-miles", wantText: "Nobody is logged in: run step 1 first."},
		{id: "trip-search", wantSQL: true, wantText: "ER181"},
		{id: "trip-book", wantText: "Nobody is logged in: run step 1 first."},
		{id: "trip-email", wantText: "No booking yet: book a flight in step 4 first."},
		{id: "shop-catalog", wantSQL: true, wantText: "Brass Fountain Pen (large)"},
		{id: "shop-cart", wantSQL: true, wantText: "$99.98"},
		{id: "shop-checkout", wantText: "Your cart is empty"},
		{id: "shop-email", wantText: "No order yet: check out in step 3 first."},
		{id: "csrf-forgery", wantSQL: true, wantText: "Blocked. All 3 forged requests were refused", innerRequests: 4, refused: 3},
		{id: "handler-test", wantSQL: true, wantText: "PASS. All 3 cases pass", innerRequests: 3},
		{id: "slow-query-hunt", wantSQL: true, wantText: "to load this page: 3 queries"},
		{id: "build-info", wantText: "Beside the release build"},
		{id: "running-config", wantText: "Process id"},
		// GET /healthz answers from a constant, with no handler span: it
		// counts as prerendered here.
		{id: "health-check", wantText: "Ready live: 200", innerRequests: 2, prerendered: 1},
		{id: "server-logs", wantText: "Your request wrote line #"},
		{id: "server-metrics", wantText: "in flight, yours among them"},
	}
	pageOf := map[string]string{"sql": "/sql"}
	var placed []string
	for _, l := range lib.All() {
		var blocks []string
		for _, b := range l.Blocks {
			if b.DemoID != "" {
				blocks = append(blocks, b.DemoID)
			}
		}
		if !slices.Equal(blocks, l.Demos) {
			t.Errorf("lesson %s places %v but lists %v", l.Slug, blocks, l.Demos)
		}
		page := "/lessons/" + l.Slug
		doc := parseHTML(t, newClient(t, srv).get(page, nil).text)
		var panels []string
		doc.Find("section.demo").Each(func(_ int, s *goquery.Selection) {
			panels = append(panels, strings.TrimPrefix(s.AttrOr("id", ""), "demo-"))
		})
		if !slices.Equal(panels, blocks) {
			t.Errorf("%s shows panels %v, want %v", page, panels, blocks)
		}
		for _, id := range blocks {
			pageOf[id] = page
			placed = append(placed, id)
		}
	}
	if len(placed) == 0 {
		t.Fatal("the lessons place no demos")
	}
	// Every demo the API lists is placed somewhere, so this test runs it.
	var listed struct {
		Demos []apiDemo `json:"demos"`
	}
	decodeJSON(t, newClient(t, srv).get("/api/v1/demos", nil), &listed)
	for _, d := range listed.Demos {
		if p, ok := pageOf[d.ID]; !ok || p != d.Lesson {
			t.Errorf("demo %s lives on %s, but no lesson places it there (placed on %q)", d.ID, d.Lesson, p)
		}
	}
	for id := range pageOf {
		if !slices.ContainsFunc(tests, func(tt demoWant) bool { return tt.id == id }) {
			t.Errorf("demo %s has no expectations in this test", id)
		}
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			page, ok := pageOf[tt.id]
			if !ok {
				t.Fatalf("no lesson places demo %s", tt.id)
			}
			t.Run("panel", func(t *testing.T) {
				r, doc := demoPanelRun(t, srv, page, tt.id, nil)
				if r.StatusCode != http.StatusOK {
					t.Fatalf("status = %d; body:\n%.2000s", r.StatusCode, r.text)
				}
				out := doc.Find(".pane-front .output")
				text := strings.Join(strings.Fields(out.Text()), " ")
				if text == "" {
					t.Fatal("the front end pane's output is empty")
				}
				if !strings.Contains(text, tt.wantText) {
					t.Errorf("output = %.500q, want %q in it", text, tt.wantText)
				}
				errs := doc.Find(".pane-front .notice-error")
				switch {
				case tt.wantError == "" && errs.Length() != 0:
					t.Errorf("the default run shows an error: %q", strings.Join(strings.Fields(errs.Text()), " "))
				case tt.wantError != "" && !strings.Contains(strings.Join(strings.Fields(errs.Text()), " "), tt.wantError):
					t.Errorf(".notice-error = %q, want %q in it", errs.Text(), tt.wantError)
				}
				rows := doc.Find(".pane-back ol.waterfall li.span")
				if rows.Length() == 0 || !rows.First().HasClass("kind-server") {
					t.Fatalf("waterfall: %d rows, the first %q; want the server span first", rows.Length(), rows.First().AttrOr("class", ""))
				}
				if h := rows.Filter(".kind-handler"); h.Length() != 1+tt.innerRequests-tt.prerendered-tt.refused || h.First().Find(".span-name").Text() != "handler "+tt.id {
					t.Errorf("handler rows = %d, the first named %q; want %d, the first named handler %s", h.Length(), h.First().Find(".span-name").Text(), 1+tt.innerRequests-tt.prerendered-tt.refused, tt.id)
				}
				if n := rows.Filter(".kind-server").Length(); n != 1+tt.innerRequests {
					t.Errorf("%d server rows, want %d", n, 1+tt.innerRequests)
				}
				if n := rows.Filter(".kind-sql").Length(); (n > 0) != tt.wantSQL {
					t.Errorf("%d SQL rows, want some = %v", n, tt.wantSQL)
				}
				if got := doc.Find(".pane-front .badge").Text(); got != "200 OK" {
					t.Errorf("exchange status = %q, want 200 OK", got)
				}
			})
			t.Run("api", func(t *testing.T) {
				r, got := demoAPIRun(t, srv, tt.id, map[string]any{})
				if r.StatusCode != http.StatusOK {
					t.Fatalf("status = %d; body:\n%.2000s", r.StatusCode, r.text)
				}
				if got.ID != tt.id {
					t.Errorf("id = %q, want %q", got.ID, tt.id)
				}
				if o := strings.TrimSpace(string(got.Output)); o == "" || o == "null" || o == "{}" {
					t.Errorf("output = %q, want the demo's data", o)
				}
				byKind := assertSpans(t, got.Trace)
				if want := 1 + tt.innerRequests; len(byKind["server"]) != want || len(byKind["handler"]) != want-tt.prerendered-tt.refused || byKind["handler"][0].Name != "handler "+tt.id {
					t.Errorf("server spans %d, handler spans %+v; want %d each, the first handler named handler %s", len(byKind["server"]), byKind["handler"], want, tt.id)
				}
				if got.Trace.TraceID != traceIDOf(t, r) {
					t.Errorf("trace_id = %q, want the traceresponse one", got.Trace.TraceID)
				}
				if n := len(byKind["sql"]); (n > 0) != tt.wantSQL {
					t.Errorf("%d SQL spans, want some = %v", n, tt.wantSQL)
				}
				for _, s := range byKind["sql"] {
					if s.Attributes["db.system"] != "sqlite" || s.Attributes["db.query.text"] == "" {
						t.Errorf("SQL span %q: attributes %v", s.Name, s.Attributes)
					}
				}
			})
		})
	}
}

func testDemosNPlusOne(t *testing.T, srv *web.Server) {
	tests := []struct {
		strategy    string
		limit       int
		wantQueries int
	}{
		{strategy: "n+1", limit: 20, wantQueries: 21},
		{strategy: "join", limit: 20, wantQueries: 1},
		{strategy: "n+1", limit: 5, wantQueries: 6},
	}
	type line struct {
		ID       int64  `json:"id"`
		BookedAt string `json:"booked_at"`
		Member   string `json:"member"`
	}
	pages := map[int][]line{}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s limit %d", tt.strategy, tt.limit), func(t *testing.T) {
			r, got := demoAPIRun(t, srv, "n-plus-one", map[string]any{"strategy": tt.strategy, "limit": tt.limit})
			if r.StatusCode != http.StatusOK {
				t.Fatalf("status = %d; body:\n%.1000s", r.StatusCode, r.text)
			}
			var out struct {
				Strategy  string  `json:"strategy"`
				Bookings  []line  `json:"bookings"`
				Queries   int     `json:"queries"`
				ElapsedMS float64 `json:"elapsed_ms"`
			}
			if err := json.Unmarshal(got.Output, &out); err != nil {
				t.Fatal(err)
			}
			if out.Strategy != tt.strategy || out.Queries != tt.wantQueries || len(out.Bookings) != tt.limit || out.ElapsedMS < 0 {
				t.Errorf("output = %s %d queries, %d bookings, %v ms; want %s %d queries, %d bookings",
					out.Strategy, out.Queries, len(out.Bookings), out.ElapsedMS, tt.strategy, tt.wantQueries, tt.limit)
			}
			for _, b := range out.Bookings {
				if b.ID <= 0 || b.BookedAt == "" || b.Member == "" {
					t.Errorf("incomplete booking line %+v", b)
				}
			}
			if prev, ok := pages[tt.limit]; ok && !slices.Equal(prev, out.Bookings) {
				t.Errorf("the two strategies load different pages:\n%v\n%v", prev, out.Bookings)
			}
			pages[tt.limit] = out.Bookings
			spans := sqlSpansOf(got.Trace)
			if len(spans) != tt.wantQueries {
				t.Fatalf("%d SQL spans, want %d", len(spans), tt.wantQueries)
			}
			params := map[string]bool{}
			for i, s := range spans[1:] {
				if q := s.Attributes["db.query.text"]; q != "SELECT name FROM members WHERE id = ?" {
					t.Errorf("query %d = %q, want the per-booking member lookup", i+2, q)
				}
				params[s.Attributes["db.query.parameter.0"]] = true
			}
			if tt.strategy == "n+1" && (len(params) < 2 || params[""]) {
				t.Errorf("the member lookups bind %v, want the members' ids", params)
			}
			if q := spans[0].Attributes["db.query.text"]; strings.Contains(q, "JOIN") != (tt.strategy == "join") {
				t.Errorf("first query = %q", q)
			}

			_, doc := demoPanelRun(t, srv, "/lessons/joins-and-n-plus-one", "n-plus-one",
				map[string]string{"strategy": tt.strategy, "limit": fmt.Sprint(tt.limit)})
			if n := doc.Find(".pane-back li.span.kind-sql").Length(); n != tt.wantQueries {
				t.Errorf("the waterfall has %d SQL rows, want %d", n, tt.wantQueries)
			}
			if got := strings.Fields(doc.Find(".pane-front .big-number").Text()); len(got) < 2 || got[0] != fmt.Sprint(tt.wantQueries) {
				t.Errorf("big number = %q, want %d queries", got, tt.wantQueries)
			}
			if n := doc.Find(".pane-front table.data tbody tr").Length(); n != tt.limit {
				t.Errorf("%d rows in the page, want %d", n, tt.limit)
			}
		})
	}
}

func testDemosIndexPlan(t *testing.T, srv *web.Server) {
	tests := []struct {
		question   string
		value      string
		wantValue  any
		wantBefore string
		wantAfter  string
		wantCreate string
	}{
		{question: "bookings of one member", value: "42", wantValue: float64(42),
			wantBefore: "SCAN bookings", wantAfter: "SEARCH bookings USING INDEX bookings_member_id (member_id=?)",
			wantCreate: "CREATE INDEX bookings_member_id ON bookings(member_id)"},
		{question: "flights from one airport", value: "LHR", wantValue: "LHR",
			wantBefore: "SCAN flights", wantAfter: "SEARCH flights USING INDEX flights_origin (origin=?)",
			wantCreate: "CREATE INDEX flights_origin ON flights(origin)"},
	}
	for _, tt := range tests {
		t.Run(tt.question, func(t *testing.T) {
			c := newClient(t, srv)
			body, err := json.Marshal(map[string]string{"question": tt.question, "value": tt.value})
			if err != nil {
				t.Fatal(err)
			}
			_, got := demoAPIRunAs(t, c, "index-plan", string(body))
			type side struct {
				Plan   []string  `json:"plan"`
				Answer []string  `json:"answer"`
				Runs   int       `json:"runs"`
				AvgMS  float64   `json:"avg_ms"`
				Times  []float64 `json:"times_ms"`
			}
			var out struct {
				Query    string  `json:"query"`
				Value    any     `json:"value"`
				Create   string  `json:"create_index"`
				Before   side    `json:"before"`
				After    side    `json:"after"`
				CreateMS float64 `json:"create_index_ms"`
				Speedup  float64 `json:"speedup"`
			}
			if err := json.Unmarshal(got.Output, &out); err != nil {
				t.Fatal(err)
			}
			// The demo drops its index again: the visitor's tables are as before.
			if n := sqlScalar(t, c, "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND tbl_name IN ('bookings', 'flights')"); n != "0" {
				t.Errorf("the demo left %s indexes behind", n)
			}
			if out.Value != tt.wantValue || out.Create != tt.wantCreate || !strings.Contains(out.Query, "?") || out.CreateMS < 0 || out.Speedup < 0 {
				t.Errorf("value %#v, create %q, query %q, create_ms %v, speedup %v", out.Value, out.Create, out.Query, out.CreateMS, out.Speedup)
			}
			if !slices.Contains(out.Before.Plan, tt.wantBefore) || slices.ContainsFunc(out.Before.Plan, func(p string) bool { return strings.Contains(p, "INDEX") }) {
				t.Errorf("plan before = %q, want %q and no index", out.Before.Plan, tt.wantBefore)
			}
			if !slices.Contains(out.After.Plan, tt.wantAfter) || slices.ContainsFunc(out.After.Plan, func(p string) bool { return strings.HasPrefix(p, "SCAN") }) {
				t.Errorf("plan after = %q, want %q and no scan", out.After.Plan, tt.wantAfter)
			}
			if len(out.Before.Answer) == 0 || !slices.Equal(out.Before.Answer, out.After.Answer) {
				t.Errorf("answers %q before and %q after, want the same", out.Before.Answer, out.After.Answer)
			}
			for name, s := range map[string]side{"before": out.Before, "after": out.After} {
				if s.Runs != 5 || len(s.Times) != 5 || s.AvgMS < 0 {
					t.Errorf("%s: %d runs, %d times, avg %v ms; want 5 timed runs", name, s.Runs, len(s.Times), s.AvgMS)
				}
			}

			_, doc := demoPanelRun(t, srv, "/lessons/indexes-and-query-plans", "index-plan",
				map[string]string{"question": tt.question, "value": tt.value})
			sides := doc.Find(".pane-front .compare-side")
			if sides.Length() != 2 {
				t.Fatalf("%d sides, want 2", sides.Length())
			}
			before, after := sides.Eq(0).Find("ul.plan-tree li"), sides.Eq(1).Find("ul.plan-tree li")
			if !strings.Contains(before.Text(), "SCAN") || before.Filter(".is-scan").Length() == 0 {
				t.Errorf("plan shown before = %q, want a SCAN marked is-scan", before.Text())
			}
			if !strings.Contains(after.Text(), "USING INDEX") || after.Filter(".is-scan").Length() != 0 {
				t.Errorf("plan shown after = %q, want USING INDEX and no scan", after.Text())
			}
		})
	}
}

// demoAPIRunAs runs a demo's JSON twin as the visitor c.
func demoAPIRunAs(t *testing.T, c *client, id, body string) (reply, demoRunJSON) {
	t.Helper()
	r := c.postJSON("/api/v1/demos/"+id, body, nil)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("POST /api/v1/demos/%s: status %d; body:\n%.1000s", id, r.StatusCode, r.text)
	}
	var got demoRunJSON
	decodeJSON(t, r, &got)
	return r, got
}

func testDemosDoubleBooking(t *testing.T, srv *web.Server) {
	tests := []struct {
		mode         string
		wantTx       bool
		wantBookings int
		wantLost     bool
		wantSel      string
		wantText     string
	}{
		{mode: "without a transaction", wantBookings: 2, wantLost: true, wantSel: ".notice-error", wantText: "Lost update."},
		{mode: "with a transaction", wantTx: true, wantBookings: 1, wantSel: ".notice-ok", wantText: "Correct. 1 booking"},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			r, got := demoAPIRun(t, srv, "double-booking", map[string]any{"mode": tt.mode})
			if r.StatusCode != http.StatusOK {
				t.Fatalf("status = %d; body:\n%.1000s", r.StatusCode, r.text)
			}
			var out struct {
				Transaction bool   `json:"transaction"`
				MemberID    int64  `json:"member_id"`
				FlightNo    string `json:"flight_no"`
				Price       int64  `json:"price_miles"`
				StartMiles  int64  `json:"start_miles"`
				Attempts    []struct {
					Conn     string  `json:"connection"`
					SawMiles int64   `json:"saw_miles"`
					Booked   bool    `json:"booked"`
					Reason   string  `json:"reason"`
					WaitedMS float64 `json:"waited_for_lock_ms"`
				} `json:"attempts"`
				Bookings      int   `json:"bookings_made"`
				FinalMiles    int64 `json:"final_miles"`
				ExpectedMiles int64 `json:"expected_miles"`
				LostMiles     int64 `json:"lost_miles"`
			}
			if err := json.Unmarshal(got.Output, &out); err != nil {
				t.Fatal(err)
			}
			if out.Transaction != tt.wantTx || out.MemberID != 7 || out.FlightNo == "" || out.Price <= 0 || out.StartMiles < out.Price {
				t.Errorf("transaction %v, member %d, flight %q, price %d, start %d", out.Transaction, out.MemberID, out.FlightNo, out.Price, out.StartMiles)
			}
			if out.Bookings != tt.wantBookings {
				t.Errorf("%d bookings, want %d", out.Bookings, tt.wantBookings)
			}
			if out.FinalMiles != out.StartMiles-out.Price {
				t.Errorf("final balance %d, want %d (charged once)", out.FinalMiles, out.StartMiles-out.Price)
			}
			if out.ExpectedMiles != out.StartMiles-int64(out.Bookings)*out.Price || out.LostMiles != out.FinalMiles-out.ExpectedMiles {
				t.Errorf("expected %d, lost %d: inconsistent", out.ExpectedMiles, out.LostMiles)
			}
			if (out.LostMiles != 0) != tt.wantLost || (tt.wantLost && out.LostMiles != out.Price) {
				t.Errorf("lost %d miles, want a lost update = %v (of %d)", out.LostMiles, tt.wantLost, out.Price)
			}
			if len(out.Attempts) != 2 || out.Attempts[0].Conn != "A" || out.Attempts[1].Conn != "B" {
				t.Fatalf("attempts = %+v, want A and B", out.Attempts)
			}
			for _, a := range out.Attempts {
				switch {
				case !tt.wantTx && (!a.Booked || a.SawMiles != out.StartMiles || a.Reason != ""):
					t.Errorf("attempt %+v: without a transaction both read the full balance and book", a)
				case tt.wantTx && !a.Booked && !strings.HasPrefix(a.Reason, "not enough miles"):
					t.Errorf("attempt %+v: refused for the wrong reason", a)
				}
			}

			_, doc := demoPanelRun(t, srv, "/lessons/transactions-and-concurrency", "double-booking", map[string]string{"mode": tt.mode})
			if got := strings.Join(strings.Fields(doc.Find(".pane-front "+tt.wantSel).Text()), " "); !strings.Contains(got, tt.wantText) {
				t.Errorf("%s = %q, want %q in it", tt.wantSel, got, tt.wantText)
			}
			if n := doc.Find(".pane-front table.data tbody tr").Length(); n != 2 {
				t.Errorf("%d attempts shown, want 2", n)
			}
		})
	}
}

func testDemosSQLInjection(t *testing.T, srv *web.Server) {
	const unsafe, safe = "concatenated (unsafe)", "parameterised (safe)"
	tests := []struct {
		name         string
		username     string
		password     string
		query        string
		wantLoggedIn bool
		wantUser     string
		wantRole     string
		wantError    string // a broken query's error
		wantSel      string
		wantText     string
	}{
		{name: "injection, concatenated", username: "admin' --", password: "wrong", query: unsafe,
			wantLoggedIn: true, wantUser: "admin", wantRole: "admin", wantSel: ".notice-ok", wantText: "Logged in as admin (admin)."},
		{name: "injection, parameterised", username: "admin' --", password: "wrong", query: safe,
			wantSel: ".notice-warn", wantText: "Refused. Wrong username or password."},
		{name: "alice, concatenated", username: "alice", password: "alice-demo", query: unsafe,
			wantLoggedIn: true, wantUser: "alice", wantRole: "member", wantSel: ".notice-ok", wantText: "Logged in as alice (member)."},
		{name: "alice, parameterised", username: "alice", password: "alice-demo", query: safe,
			wantLoggedIn: true, wantUser: "alice", wantRole: "member", wantSel: ".notice-ok", wantText: "Logged in as alice (member)."},
		{name: "wrong password, parameterised", username: "alice", password: "nope", query: safe,
			wantSel: ".notice-warn", wantText: "Refused."},
		{name: "a quote breaks the concatenated query", username: "o'brien", password: "x", query: unsafe,
			wantError: "SQLITE_ERROR", wantSel: ".notice-error", wantText: "The query broke. SQLITE_ERROR"},
		{name: "a quote is only text when parameterised", username: "o'brien", password: "x", query: safe,
			wantSel: ".notice-warn", wantText: "Refused."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, got := demoAPIRun(t, srv, "sql-injection", map[string]any{"username": tt.username, "password": tt.password, "query": tt.query})
			if r.StatusCode != http.StatusOK {
				t.Fatalf("status = %d; body:\n%.1000s", r.StatusCode, r.text)
			}
			var out struct {
				Parameterised bool     `json:"parameterised"`
				SQL           string   `json:"sql"`
				Params        []string `json:"params"`
				LoggedIn      bool     `json:"logged_in"`
				UserID        int64    `json:"user_id"`
				Username      string   `json:"username"`
				Role          string   `json:"role"`
				Rows          int      `json:"rows"`
				Error         string   `json:"error"`
			}
			if err := json.Unmarshal(got.Output, &out); err != nil {
				t.Fatal(err)
			}
			param := tt.query == safe
			if out.Parameterised != param || out.LoggedIn != tt.wantLoggedIn || out.Username != tt.wantUser || out.Role != tt.wantRole ||
				(out.UserID > 0) != tt.wantLoggedIn || (out.Rows > 0) != tt.wantLoggedIn {
				t.Errorf("output = %+v, want parameterised %v, logged in %v as %q (%q)", out, param, tt.wantLoggedIn, tt.wantUser, tt.wantRole)
			}
			if !strings.HasPrefix(out.Error, tt.wantError) || (tt.wantError == "") != (out.Error == "") {
				t.Errorf("error = %q, want %q", out.Error, tt.wantError)
			}
			injected := strings.Contains(out.SQL, tt.username)
			if injected == param || (param && (len(out.Params) != 2 || out.Params[0] != tt.username)) {
				t.Errorf("sql %q with params %q: the username is in the SQL = %v, want %v", out.SQL, out.Params, injected, !param)
			}
			var spans []apiSpan
			for _, s := range sqlSpansOf(got.Trace) {
				if strings.Contains(s.Attributes["db.query.text"], "FROM users") {
					spans = append(spans, s)
				}
			}
			if len(spans) != 1 {
				t.Fatalf("%d login SQL spans, want 1", len(spans))
			}
			a := spans[0].Attributes
			if a["db.query.text"] != out.SQL {
				t.Errorf("db.query.text = %q, want the SQL shown, %q", a["db.query.text"], out.SQL)
			}
			if strings.Contains(a["db.query.text"], tt.username) == param {
				t.Errorf("db.query.text %q holds the username = %v, want %v", a["db.query.text"], !param, !param)
			}
			if param && a["db.query.parameter.0"] != tt.username {
				t.Errorf("db.query.parameter.0 = %q, want the username", a["db.query.parameter.0"])
			}
			if wantStatus := map[bool]string{true: "error", false: "ok"}[tt.wantError != ""]; spans[0].Status != wantStatus {
				t.Errorf("login span status %q, want %q", spans[0].Status, wantStatus)
			}

			_, doc := demoPanelRun(t, srv, "/lessons/sql-injection", "sql-injection",
				map[string]string{"username": tt.username, "password": tt.password, "query": tt.query})
			if got := strings.Join(strings.Fields(doc.Find(".pane-front "+tt.wantSel).Text()), " "); !strings.Contains(got, tt.wantText) {
				t.Errorf("%s = %q, want %q in it", tt.wantSel, got, tt.wantText)
			}
			if got := doc.Find(".pane-front pre.sql-sent").Text(); got != out.SQL {
				t.Errorf("SQL shown = %q, want %q", got, out.SQL)
			}
			var waterfallSQL []string
			doc.Find(".pane-back li.span.kind-sql dd").Each(func(_ int, s *goquery.Selection) { waterfallSQL = append(waterfallSQL, s.Text()) })
			if !slices.Contains(waterfallSQL, out.SQL) {
				t.Errorf("the waterfall's SQL attributes %q do not hold the SQL sent", waterfallSQL)
			}
		})
	}
}

func testDemosBadParams(t *testing.T, srv *web.Server) {
	tests := []struct {
		name     string
		id       string
		params   map[string]string
		wantText string
	}{
		{name: "airport code abc", id: "index-plan", params: map[string]string{"question": "flights from one airport", "value": "abc"},
			wantText: "value: an airport code is three capital letters, such as LHR"},
		{name: "airport code in lower case", id: "index-plan", params: map[string]string{"question": "flights from one airport", "value": "lhr"},
			wantText: "value: an airport code is three capital letters, such as LHR"},
		{name: "member id abc", id: "index-plan", params: map[string]string{"question": "bookings of one member", "value": "abc"},
			wantText: "value: a member id is a whole number from 1 to 2000"},
		{name: "member id out of range", id: "index-plan", params: map[string]string{"question": "bookings of one member", "value": "2001"},
			wantText: "value: a member id is a whole number from 1 to 2000"},
		{name: "unknown question", id: "index-plan", params: map[string]string{"question": "everything"},
			wantText: "question: must be one of bookings of one member, flights from one airport"},
		{name: "limit 0", id: "n-plus-one", params: map[string]string{"limit": "0"}, wantText: "limit: must be between 1 and 100"},
		{name: "unknown strategy", id: "n-plus-one", params: map[string]string{"strategy": "n+2"}, wantText: "strategy: must be one of n+1, join"},
		{name: "unknown mode", id: "double-booking", params: map[string]string{"mode": "maybe"}, wantText: "mode: must be one of"},
		{name: "username too long", id: "sql-injection", params: map[string]string{"username": strings.Repeat("a", 201)}, wantText: "username: at most 200 characters"},
		{name: "plan not a checkbox value", id: "sql-select", params: map[string]string{"plan": "maybe"}, wantText: "plan: must be on or off"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, err := json.Marshal(tt.params)
			if err != nil {
				t.Fatal(err)
			}
			r := newClient(t, srv).postJSON("/api/v1/demos/"+tt.id, string(body), nil)
			if r.StatusCode != http.StatusBadRequest {
				t.Fatalf("API status = %d, want 400; body:\n%.500s", r.StatusCode, r.text)
			}
			e := decodeProblem(t, r)
			if e.Status != http.StatusBadRequest || !strings.Contains(e.Detail, tt.wantText) {
				t.Errorf("API error = %+v, want %q", e, tt.wantText)
			}

			c := primed(t, srv)
			form := url.Values{"_csrf": {c.cookie(csrfCookie)}}
			for k, v := range tt.params {
				form.Set(k, v)
			}
			pr := c.postForm("/demos/"+tt.id, form, hdr("HX-Request", "true"))
			if pr.StatusCode != http.StatusBadRequest {
				t.Fatalf("panel status = %d, want 400", pr.StatusCode)
			}
			doc := parseHTML(t, pr.text)
			if got := strings.Join(strings.Fields(doc.Find(".pane-front .notice-error").Text()), " "); !strings.Contains(got, tt.wantText) {
				t.Errorf("panel notice = %q, want %q in it", got, tt.wantText)
			}
			if n := doc.Find(".pane-back li.span.kind-sql").Length(); n != 0 {
				t.Errorf("%d SQL spans: refused input reached the database", n)
			}
		})
	}
}

// testDemosVisitorChangedTheData runs the database demos on a sandbox the
// visitor has changed in the console, as the lessons invite them to. Their
// own data is theirs to break: a demo that cannot run on it says so (409),
// never answers as if the server failed (5xx), and works again after a
// reset.
func testDemosVisitorChangedTheData(t *testing.T, srv *web.Server) {
	tests := []struct {
		name     string
		change   string
		id       string
		page     string
		wantText string // in the API error and the panel's notice
	}{
		{name: "bookings dropped, N+1", change: "DROP TABLE bookings", id: "n-plus-one",
			page: "/lessons/joins-and-n-plus-one", wantText: "no such table: bookings"},
		{name: "bookings dropped, index", change: "DROP TABLE bookings", id: "index-plan",
			page: "/lessons/indexes-and-query-plans", wantText: "no such table: bookings"},
		{name: "no flight in the price range", change: "UPDATE flights SET miles_price = 1", id: "double-booking",
			page: "/lessons/transactions-and-concurrency", wantText: "no flight"},
		{name: "a trigger refuses the booking", change: "CREATE TRIGGER no_miles BEFORE UPDATE ON members BEGIN SELECT RAISE(ABORT, 'no miles today'); END",
			id: "double-booking", page: "/lessons/transactions-and-concurrency", wantText: "no miles today"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, srv)
			p := c.get(tt.page, nil)
			if p.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: status %d", tt.page, p.StatusCode)
			}
			if st := sqlPost(t, c, tt.change, false).Statements[0]; st.Error != nil {
				t.Fatalf("%q: %+v", tt.change, *st.Error)
			}
			r := c.postJSON("/api/v1/demos/"+tt.id, "{}", nil)
			if r.StatusCode != http.StatusConflict {
				t.Errorf("API: status %d for the visitor's own data, want 409: %.300s", r.StatusCode, r.text)
			}
			e := decodeProblem(t, r)
			if !strings.Contains(e.Detail, tt.wantText) || !strings.Contains(e.Detail, "Reset my database") {
				t.Errorf("API error = %q, want %q and the way out (Reset my database) in it", e.Detail, tt.wantText)
			}
			pr := c.postForm("/demos/"+tt.id, url.Values{"_csrf": {c.cookie(csrfCookie)}}, hdr("HX-Request", "true"))
			if pr.StatusCode != http.StatusConflict {
				t.Errorf("panel: status %d for the visitor's own data, want 409", pr.StatusCode)
			}
			if got := strings.Join(strings.Fields(parseHTML(t, pr.text).Find(".pane-front .notice-error").Text()), " "); !strings.Contains(got, tt.wantText) {
				t.Errorf("panel notice = %q, want %q in it", got, tt.wantText)
			}
			reset := c.postForm("/sql/reset", url.Values{"_csrf": {c.cookie(csrfCookie)}}, hdr("HX-Request", "true"))
			if reset.StatusCode != http.StatusOK {
				t.Fatalf("reset: status %d", reset.StatusCode)
			}
			if again := c.postJSON("/api/v1/demos/"+tt.id, "{}", nil); again.StatusCode != http.StatusOK {
				t.Errorf("after a reset: status %d; body:\n%.300s", again.StatusCode, again.text)
			}
		})
	}
}

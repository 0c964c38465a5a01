package web_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/engineroom/engineroom/web"
)

// apiCallsOut is the JSON twin's output of the API explorer and the API
// errors demo.
type apiCallsOut struct {
	Endpoint string `json:"endpoint"`
	Mistake  string `json:"mistake"`
	Why      string `json:"why"`
	Calls    []struct {
		Method          string          `json:"method"`
		Target          string          `json:"target"`
		RequestHeaders  http.Header     `json:"request_headers"`
		RequestBody     string          `json:"request_body"`
		Status          int             `json:"status"`
		ResponseHeaders http.Header     `json:"response_headers"`
		ResponseBody    json.RawMessage `json:"response_body"`
		BodyBytes       int             `json:"body_bytes"`
		TookMS          float64         `json:"took_ms"`
	} `json:"calls"`
	Curl string `json:"curl"`
}

// decodeAPICalls reads a run's output, refusing members it does not know.
func decodeAPICalls(t *testing.T, got demoRunJSON) apiCallsOut {
	t.Helper()
	var out apiCallsOut
	dec := json.NewDecoder(bytes.NewReader(got.Output))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("decoding the output: %v\n%s", err, got.Output)
	}
	return out
}

const explorerPage = "/lessons/rest-and-json"

// TestAPIExplorer runs the explorer through the real router: what it
// sends for each kind of operation, what it shows, the curl it offers,
// and the inputs it refuses.
func TestAPIExplorer(t *testing.T) {
	srv := newServer(t, web.Config{})
	sqlReady(t, srv)
	t.Run("endpoints", func(t *testing.T) { testExplorerEndpoints(t, srv) })
	t.Run("sends", func(t *testing.T) { testExplorerSends(t, srv) })
	t.Run("refuses", func(t *testing.T) { testExplorerRefuses(t, srv) })
	t.Run("replay", func(t *testing.T) { testExplorerReplay(t, srv) })
	t.Run("panel", func(t *testing.T) { testExplorerPanel(t, srv) })
	t.Run("base URL", func(t *testing.T) {
		srv := newServer(t, web.Config{BaseURL: "https://engineroom.example/"})
		sqlReady(t, srv)
		r, got := demoAPIRun(t, srv, "api-explorer", map[string]any{})
		if r.StatusCode != http.StatusOK {
			t.Fatalf("status = %d; body:\n%.1000s", r.StatusCode, r.text)
		}
		if want := "curl -s -i -c jar.txt -b jar.txt \\\n  'https://engineroom.example/api/v1/flights?origin=LHR&limit=3'"; decodeAPICalls(t, got).Curl != want {
			t.Errorf("curl = %q, want %q", decodeAPICalls(t, got).Curl, want)
		}
	})
}

// testExplorerEndpoints: the list is every operation of the document but
// the one that runs demos, and the form has the four fields.
func testExplorerEndpoints(t *testing.T, srv *web.Server) {
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal([]byte(newClient(t, srv).get("/api/v1/openapi.json", nil).text), &doc); err != nil {
		t.Fatal(err)
	}
	var want []string
	for path, item := range doc.Paths {
		for m := range item {
			if op := strings.ToUpper(m) + " " + path; op != "POST /api/v1/demos/{id}" {
				want = append(want, op)
			}
		}
	}
	page := parseHTML(t, newClient(t, srv).get(explorerPage, nil).text)
	form := page.Find("#demo-api-explorer form.demo-form")
	var got []string
	form.Find("select[name=endpoint] option").Each(func(_ int, o *goquery.Selection) { got = append(got, o.AttrOr("value", "")) })
	if sel := form.Find("select[name=endpoint] option[selected]").AttrOr("value", ""); sel != "GET /api/v1/flights" {
		t.Errorf("selected endpoint = %q, want GET /api/v1/flights", sel)
	}
	if len(got) == 0 || got[0] != "GET /api/v1/flights" {
		t.Errorf("the list starts %v, want GET /api/v1/flights first (the document's first tag)", got[:min(len(got), 1)])
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) || len(want) != 21 {
		t.Errorf("endpoints = %v, want the document's %d operations but POST /api/v1/demos/{id}: %v", got, len(want), want)
	}
	for name, want := range map[string]string{"path": "/api/v1/flights?origin=LHR&limit=3", "idempotency_key": ""} {
		if v, ok := form.Find("input[name=" + name + "]").Attr("value"); !ok || v != want {
			t.Errorf("field %s = %q (present %v), want %q", name, v, ok, want)
		}
	}
	if n := form.Find("textarea[name=body]").Length(); n != 1 {
		t.Errorf("%d body textareas, want 1", n)
	}
}

// testExplorerSends checks what the explorer sends for each kind of
// operation and what it got back, as the JSON twin reports it.
func testExplorerSends(t *testing.T, srv *web.Server) {
	tests := []struct {
		name        string
		params      map[string]any
		wantMethod  string
		wantTarget  string
		wantStatus  int
		wantSent    map[string]string // request headers, besides Accept and Cookie
		wantBody    string            // the request body sent
		wantHeaders []string          // response headers the answer shows
		wantInBody  string
		wantCurl    string
	}{
		{name: "default", params: map[string]any{},
			wantMethod: "GET", wantTarget: "/api/v1/flights?origin=LHR&limit=3", wantStatus: 200,
			wantHeaders: []string{"Cache-Control", "Content-Length", "Content-Type", "Etag", "Link"}, wantInBody: `"next_cursor"`,
			wantCurl: "curl -s -i -c jar.txt -b jar.txt \\\n  'http://example.com/api/v1/flights?origin=LHR&limit=3'"},
		{name: "empty path: the example", params: map[string]any{"endpoint": "GET /api/v1/flights/{id}", "path": " "},
			wantMethod: "GET", wantTarget: "/api/v1/flights/42", wantStatus: 200,
			wantHeaders: []string{"Cache-Control", "Content-Length", "Content-Type", "Etag"}, wantInBody: `"flight_no":"ER106"`,
			wantCurl: "curl -s -i -c jar.txt -b jar.txt \\\n  'http://example.com/api/v1/flights/42'"},
		{name: "create with a key", params: map[string]any{"endpoint": "POST /api/v1/bookings", "path": "/api/v1/bookings",
			"body": "{\n  \"member_id\": 1,\n  \"flight_id\": 42\n}", "idempotency_key": "it's-1"},
			wantMethod: "POST", wantTarget: "/api/v1/bookings", wantStatus: 201,
			wantSent:    map[string]string{"Content-Type": "application/json", "Content-Length": "39", "Idempotency-Key": "it's-1"},
			wantBody:    "{\n  \"member_id\": 1,\n  \"flight_id\": 42\n}",
			wantHeaders: []string{"Content-Length", "Content-Type", "Location"}, wantInBody: `"status":"confirmed"`,
			wantCurl: "curl -s -i -c jar.txt -b jar.txt -X POST \\\n  -H 'Content-Type: application/json' \\\n  -H 'Idempotency-Key: it'\\''s-1' \\\n" +
				"  -d '{\"member_id\":1,\"flight_id\":42}' \\\n  'http://example.com/api/v1/bookings'"},
		{name: "the API refuses: a result, not a failure", params: map[string]any{"endpoint": "POST /api/v1/orders", "path": "/api/v1/orders",
			"body": `{"customer_id": 1, "items": [{"product_id": 5, "quantity": 0}]}`},
			wantMethod: "POST", wantTarget: "/api/v1/orders", wantStatus: 422,
			wantSent:    map[string]string{"Content-Type": "application/json", "Content-Length": "63"},
			wantBody:    `{"customer_id": 1, "items": [{"product_id": 5, "quantity": 0}]}`,
			wantHeaders: []string{"Content-Length", "Content-Type"}, wantInBody: `"field":"items[0].quantity"`,
			wantCurl: "curl -s -i -c jar.txt -b jar.txt -X POST \\\n  -H 'Content-Type: application/json' \\\n" +
				"  -d '{\"customer_id\":1,\"items\":[{\"product_id\":5,\"quantity\":0}]}' \\\n  'http://example.com/api/v1/orders'"},
		{name: "malformed JSON goes as typed", params: map[string]any{"endpoint": "POST /api/v1/orders", "path": "/api/v1/orders", "body": `@{"customer_id": 1`},
			wantMethod: "POST", wantTarget: "/api/v1/orders", wantStatus: 400,
			wantSent: map[string]string{"Content-Type": "application/json", "Content-Length": "18"}, wantBody: `@{"customer_id": 1`,
			wantHeaders: []string{"Content-Length", "Content-Type"}, wantInBody: `"title":"Malformed JSON"`,
			wantCurl: "curl -s -i -c jar.txt -b jar.txt -X POST \\\n  -H 'Content-Type: application/json' \\\n" +
				"  --data-raw '@{\"customer_id\": 1' \\\n  'http://example.com/api/v1/orders'"},
		{name: "delete: no body sent", params: map[string]any{"endpoint": "DELETE /api/v1/bookings/{id}", "path": "/api/v1/bookings/3842", "body": `{"ignored": true}`},
			wantMethod: "DELETE", wantTarget: "/api/v1/bookings/3842", wantStatus: 200,
			wantHeaders: []string{"Content-Length", "Content-Type"}, wantInBody: `"status":"cancelled"`,
			wantCurl: "curl -s -i -c jar.txt -b jar.txt -X DELETE \\\n  'http://example.com/api/v1/bookings/3842'"},
		{name: "a 404", params: map[string]any{"endpoint": "GET /api/v1/members/{id}", "path": "/api/v1/members/999999"},
			wantMethod: "GET", wantTarget: "/api/v1/members/999999", wantStatus: 404,
			wantHeaders: []string{"Content-Length", "Content-Type"}, wantInBody: `"status":404`,
			wantCurl: "curl -s -i -c jar.txt -b jar.txt \\\n  'http://example.com/api/v1/members/999999'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, got := demoAPIRun(t, srv, "api-explorer", tt.params)
			if r.StatusCode != http.StatusOK {
				t.Fatalf("status = %d; body:\n%.1000s", r.StatusCode, r.text)
			}
			out := decodeAPICalls(t, got)
			wantEndpoint := "GET /api/v1/flights"
			if e, ok := tt.params["endpoint"].(string); ok {
				wantEndpoint = e
			}
			if out.Endpoint != wantEndpoint || out.Mistake != "" || out.Why != "" || len(out.Calls) != 1 {
				t.Fatalf("run = endpoint %q, mistake %q, why %q, %d calls; want %s and one call", out.Endpoint, out.Mistake, out.Why, len(out.Calls), wantEndpoint)
			}
			call := out.Calls[0]
			if call.Method != tt.wantMethod || call.Target != tt.wantTarget || call.Status != tt.wantStatus {
				t.Errorf("call = %s %s → %d, want %s %s → %d", call.Method, call.Target, call.Status, tt.wantMethod, tt.wantTarget, tt.wantStatus)
			}
			sent := call.RequestHeaders.Clone()
			if sent.Get("Accept") != "application/json" || sent.Get("Cookie") != "er_visitor=••••••••" {
				t.Errorf("sent Accept %q, Cookie %q: want application/json and the cookie masked", sent.Get("Accept"), sent.Get("Cookie"))
			}
			sent.Del("Accept")
			sent.Del("Cookie")
			if len(sent) != len(tt.wantSent) {
				t.Errorf("sent headers %v, want %v", sent, tt.wantSent)
			}
			for k, v := range tt.wantSent {
				if sent.Get(k) != v {
					t.Errorf("sent %s: %q, want %q", k, sent.Get(k), v)
				}
			}
			if call.RequestBody != tt.wantBody {
				t.Errorf("request body = %q, want %q", call.RequestBody, tt.wantBody)
			}
			var names []string
			for k := range call.ResponseHeaders {
				names = append(names, k)
			}
			slices.Sort(names)
			if !slices.Equal(names, tt.wantHeaders) {
				t.Errorf("response headers %v, want %v", names, tt.wantHeaders)
			}
			if loc := call.ResponseHeaders.Get("Location"); tt.wantStatus == 201 && !strings.HasPrefix(loc, "/api/v1/bookings/") {
				t.Errorf("Location = %q", loc)
			}
			var compact bytes.Buffer
			if err := json.Compact(&compact, call.ResponseBody); err != nil || !strings.Contains(compact.String(), tt.wantInBody) {
				t.Errorf("response body %.300s, want %s in it", call.ResponseBody, tt.wantInBody)
			}
			if call.BodyBytes != compact.Len() || call.TookMS <= 0 {
				t.Errorf("body_bytes %d (the body has %d), took_ms %v", call.BodyBytes, compact.Len(), call.TookMS)
			}
			if out.Curl != tt.wantCurl {
				t.Errorf("curl =\n%s\nwant\n%s", out.Curl, tt.wantCurl)
			}
			byKind := assertSpans(t, got.Trace)
			if len(byKind["http"]) != 1 || byKind["http"][0].Name != tt.wantMethod+" "+strings.Split(tt.wantTarget, "?")[0] ||
				byKind["http"][0].Attributes["http.response.status_code"] != strconv.Itoa(tt.wantStatus) {
				t.Errorf("client spans %+v, want one named %s %s with status %d", byKind["http"], tt.wantMethod, tt.wantTarget, tt.wantStatus)
			}
			if len(byKind["server"]) != 2 {
				t.Errorf("%d server spans, want 2: the demo's and the API's", len(byKind["server"]))
			}
		})
	}
}

// testExplorerRefuses: inputs the explorer does not send are a 400 that
// says what to change, in the panel and in the JSON twin.
func testExplorerRefuses(t *testing.T, srv *web.Server) {
	tests := []struct {
		name       string
		params     map[string]string
		wantDetail string
	}{
		{name: "path of another endpoint", params: map[string]string{"endpoint": "GET /api/v1/flights/{id}", "path": "/api/v1/flights?origin=LHR"},
			wantDetail: "path: /api/v1/flights does not fit GET /api/v1/flights/{id}; it takes paths like /api/v1/flights/42"},
		{name: "one segment too many", params: map[string]string{"endpoint": "GET /api/v1/members/{id}", "path": "/api/v1/members/42/bookings"},
			wantDetail: "path: /api/v1/members/42/bookings does not fit GET /api/v1/members/{id}; it takes paths like /api/v1/members/42"},
		{name: "empty id", params: map[string]string{"endpoint": "GET /api/v1/members/{id}", "path": "/api/v1/members/"},
			wantDetail: "path: /api/v1/members/ does not fit GET /api/v1/members/{id}"},
		{name: "outside the API", params: map[string]string{"path": "/sql"},
			wantDetail: `path: must start with /api/v1/ (this panel calls the API), not "/sql"`},
		{name: "a space", params: map[string]string{"path": "/api/v1/flights?origin=L HR"},
			wantDetail: "path: no spaces or control characters; write a space in a query as %20"},
		{name: "a fragment", params: map[string]string{"path": "/api/v1/flights#top"},
			wantDetail: "path: a fragment (#…) never leaves the browser; leave it out"},
		{name: "path too long", params: map[string]string{"path": "/api/v1/flights?origin=" + strings.Repeat("a", 2000)},
			wantDetail: "path: at most 2000 characters"},
		{name: "body too large", params: map[string]string{"endpoint": "POST /api/v1/orders", "path": "/api/v1/orders", "body": `{"a": "` + strings.Repeat("é", 8190) + `"}`},
			wantDetail: "body: at most 16 KiB (16384 bytes), not 16389 bytes"},
		{name: "the demos endpoint", params: map[string]string{"endpoint": "POST /api/v1/demos/{id}", "path": "/api/v1/demos/api-explorer"},
			wantDetail: "endpoint: must be one of GET /api/v1/flights, "},
		{name: "a line break in the key", params: map[string]string{"idempotency_key": "a\r\nX-Evil: 1"},
			wantDetail: "idempotency_key: a header value cannot hold control characters such as a line break"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			params := map[string]any{}
			for k, v := range tt.params {
				params[k] = v
			}
			r, _ := demoAPIRun(t, srv, "api-explorer", params)
			if r.StatusCode != http.StatusBadRequest {
				t.Fatalf("API status = %d, want 400; body:\n%.500s", r.StatusCode, r.text)
			}
			if e := decodeProblem(t, r); !strings.Contains(e.Detail, tt.wantDetail) {
				t.Errorf("detail = %q, want %q in it", e.Detail, tt.wantDetail)
			}
			r, doc := demoPanelRun(t, srv, explorerPage, "api-explorer", tt.params)
			if r.StatusCode != http.StatusBadRequest {
				t.Fatalf("panel status = %d, want 400", r.StatusCode)
			}
			if msg := doc.Find(".pane-front .notice-error").Text(); !strings.Contains(msg, tt.wantDetail) {
				t.Errorf("the panel says %q, want %q in it", msg, tt.wantDetail)
			}
			if n := doc.Find(".pane-back li.span.kind-http").Length(); n != 0 {
				t.Errorf("%d requests were sent, want none", n)
			}
		})
	}
}

// testExplorerReplay sends one booking twice with the same key: the second
// answer is the first one again, marked, and nothing ran for it.
func testExplorerReplay(t *testing.T, srv *web.Server) {
	c := newClient(t, srv)
	set := map[string]string{"endpoint": "POST /api/v1/bookings", "path": "/api/v1/bookings", "body": `{"member_id": 1, "flight_id": 42}`, "idempotency_key": "replay-1"}
	var locations []string
	for i := range 2 {
		r, doc := panelAs(t, c, explorerPage, "api-explorer", set)
		if r.StatusCode != http.StatusOK {
			t.Fatalf("run %d: status %d", i+1, r.StatusCode)
		}
		res := doc.Find(".pane-front pre.http-response").First().Text()
		loc := regexpFind(`Location: (/api/v1/bookings/\d+)`, res)
		locations = append(locations, loc)
		replayed := strings.Contains(res, "Idempotent-Replayed: true")
		notes := strings.Join(strings.Fields(doc.Find(".pane-front .api-note").Text()), " ")
		sql := doc.Find(".pane-back li.span.kind-sql").Length()
		if got := doc.Find(".pane-front .api-call .visit-status").Text(); got != "201 Created" {
			t.Errorf("run %d: status %q, want 201 Created", i+1, got)
		}
		if replayed != (i == 1) || strings.Contains(notes, "A replay") != (i == 1) || (sql == 0) != (i == 1) {
			t.Errorf("run %d: replayed %v, notes %q, %d SQL spans; want a replay, its note and no SQL on the second run only", i+1, replayed, notes, sql)
		}
	}
	if locations[0] == "" || locations[0] != locations[1] {
		t.Errorf("Locations %q, want the same booking twice", locations)
	}
}

// testExplorerPanel checks what the front end pane shows: the exchange as
// it travelled, the body indented and highlighted, the curl to copy, and
// the problem document when the API refuses.
func testExplorerPanel(t *testing.T, srv *web.Server) {
	t.Run("default", func(t *testing.T) {
		r, doc := demoPanelRun(t, srv, explorerPage, "api-explorer", nil)
		if r.StatusCode != http.StatusOK {
			t.Fatalf("status = %d; body:\n%.1000s", r.StatusCode, r.text)
		}
		out := doc.Find(".pane-front .output")
		if h := strings.Join(strings.Fields(out.Find(".api-status").Text()), " "); regexpFind(`^200 OK · [\d,]+ bytes of JSON · [\d.]+ (µs|ms)$`, h) == "" {
			t.Errorf("headline = %q", h)
		}
		if lead := out.Find(".api-lead").Text(); lead != "3 flights on this page. There are more: the Link header (and next_cursor) is the next page's address." {
			t.Errorf("lead = %q", lead)
		}
		calls := out.Find("li.api-call")
		if calls.Length() != 1 || calls.Find(".visit-status").Text() != "200 OK" || calls.Find(".visit-head strong").Text() != "The request" {
			t.Fatalf("%d calls, status %q", calls.Length(), calls.Find(".visit-status").Text())
		}
		req, res := calls.Find("pre.http").Eq(0).Text(), calls.Find("pre.http-response").Text()
		for _, want := range []string{"GET /api/v1/flights?origin=LHR&limit=3 HTTP/1.1\n", "Host: example.com\n", "Accept: application/json\n", "Cookie: er_visitor=••••••••"} {
			if !strings.Contains(req, want) {
				t.Errorf("request %q, want %q in it", req, want)
			}
		}
		for _, want := range []string{"HTTP/1.1 200 OK\n", "Cache-Control: private, no-cache", `Etag: "`, "Link: </api/v1/flights?cursor=", "Content-Type: application/json"} {
			if !strings.Contains(res, want) {
				t.Errorf("response %q, want %q in it", res, want)
			}
		}
		if strings.Contains(res, "Content-Security-Policy") || !strings.Contains(calls.Find(".visit-more").Text(), "more response headers (security, tracing)") {
			t.Errorf("response %q, more %q: want the security headers counted, not listed", res, calls.Find(".visit-more").Text())
		}
		body := calls.Find(".api-response-body pre.chroma")
		if body.Length() != 1 || body.Find("span").Length() < 20 || !strings.Contains(body.Text(), "{\n  \"flights\": [\n    {\n      \"id\": ") {
			t.Errorf("response body (%d highlighted spans):\n%.300s", body.Find("span").Length(), body.Text())
		}
		if calls.Find(".api-request-body").Length() != 0 || out.Find(".api-problem").Length() != 0 {
			t.Error("a GET shows a request body, or a 200 a problem document")
		}
		curl := out.Find("details.api-curl code#demo-api-explorer-request-curl").Text()
		if curl != "curl -s -i -c jar.txt -b jar.txt \\\n  'http://example.com/api/v1/flights?origin=LHR&limit=3'" ||
			out.Find("details.api-curl button.btn-copy").AttrOr("data-copy", "") != "#demo-api-explorer-request-curl" {
			t.Errorf("curl = %q, copy button %q", curl, out.Find("details.api-curl button.btn-copy").AttrOr("data-copy", ""))
		}
		if n := doc.Find(".pane-back li.span.kind-http").FilterFunction(func(_ int, s *goquery.Selection) bool {
			return s.Find(".span-name").Text() == "GET /api/v1/flights"
		}).Length(); n != 1 {
			t.Errorf("%d client spans named GET /api/v1/flights, want 1", n)
		}
	})
	t.Run("a long body is cut", func(t *testing.T) {
		_, doc := demoPanelRun(t, srv, explorerPage, "api-explorer", map[string]string{"endpoint": "GET /api/v1/openapi.json", "path": ""})
		note := doc.Find(".pane-front .api-call p.note").Text()
		shown := doc.Find(".pane-front .api-response-body").Text()
		if regexpFind(`^The body is [\d,]+ bytes as sent; the first 160 of \d+ lines are shown\. curl shows it all\.$`, note) == "" || !strings.HasSuffix(shown, "…") {
			t.Errorf("note %q; shown body ends %q", note, shown[max(0, len(shown)-20):])
		}
	})
	t.Run("the API refuses", func(t *testing.T) {
		_, doc := demoPanelRun(t, srv, explorerPage, "api-explorer", map[string]string{"endpoint": "POST /api/v1/orders", "path": "/api/v1/orders",
			"body": `{"customer_id": 1, "items": [{"product_id": 5, "quantity": 0}]}`})
		out := doc.Find(".pane-front .output")
		if got := out.Find(".api-call .visit-status").Text(); got != "422 Unprocessable Entity" {
			t.Errorf("status %q", got)
		}
		if out.Find(".api-request-body pre.chroma").Length() != 1 || !strings.Contains(out.Find("pre.http").First().Text(), "Content-Type: application/json") {
			t.Error("the request's body or Content-Type is not shown")
		}
		checkProblemTable(t, out, "/api#problem-invalid-body", "Invalid body", "422", []string{"items[0].quantity must be from 1 to 100, not 0"})
		if lead := out.Find(".api-lead").Text(); lead != `Invalid body: The field "items[0].quantity" is not valid.` {
			t.Errorf("lead = %q", lead)
		}
	})
}

// checkProblemTable checks the problem document a panel shows, member by
// member.
func checkProblemTable(t *testing.T, out *goquery.Selection, typ, title, status string, errs []string) {
	t.Helper()
	values := map[string]*goquery.Selection{}
	out.Find("dl.api-problem > dt").Each(func(_ int, dt *goquery.Selection) { values[dt.Text()] = dt.Next() })
	for member, want := range map[string]string{"type": typ, "title": title, "status": status} {
		if dd, ok := values[member]; !ok || dd.Find(".api-problem-value").Text() != want || dd.Find(".note").Text() == "" {
			t.Errorf("problem %s = %q, want %q and what the member is for", member, values[member].Find(".api-problem-value").Text(), want)
		}
	}
	if href := values["type"].Find("a").AttrOr("href", ""); strings.HasPrefix(typ, "/api#") != (href == typ) {
		t.Errorf("type links to %q", href)
	}
	if values["detail"] == nil || values["detail"].Find(".api-problem-value").Text() == "" ||
		!strings.HasPrefix(values["instance"].Find("a").AttrOr("href", ""), "/api/v1/traces/") {
		t.Error("the problem has no detail, or its instance does not link to the trace")
	}
	var got []string
	out.Find("ul.api-problem-errors li").Each(func(_ int, li *goquery.Selection) { got = append(got, li.Text()) })
	if !slices.Equal(got, errs) || (len(errs) > 0) != (values["errors"] != nil) {
		t.Errorf("errors %q, want %q", got, errs)
	}
	if len(values) != 5+min(len(errs), 1) {
		t.Errorf("members %d, want type, title, status, detail, instance and errors when there are any", len(values))
	}
}

// regexpFind is the first submatch of pattern in s (the match when the
// pattern has no group), or "".
func regexpFind(pattern, s string) string {
	m := regexp.MustCompile(pattern).FindStringSubmatch(s)
	switch {
	case m == nil:
		return ""
	case len(m) > 1:
		return m[1]
	}
	return m[0]
}

package web_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/engineroom/engineroom/web"
)

// decodeJSON checks a JSON response and decodes its body into v.
func decodeJSON(t *testing.T, r reply, v any) {
	t.Helper()
	if mt, _ := mediaType(t, r); mt != "application/json" {
		t.Fatalf("Content-Type = %q, want application/json; body:\n%s", r.Header.Get("Content-Type"), r.text)
	}
	dec := json.NewDecoder(strings.NewReader(r.text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decoding %s: %v", r.text, err)
	}
}

type apiDemo struct {
	ID     string     `json:"id"`
	Title  string     `json:"title"`
	Lesson string     `json:"lesson"`
	Run    string     `json:"run"`
	Params []apiParam `json:"params"`
}

type apiParam struct {
	Name    string   `json:"name"`
	Kind    string   `json:"kind"`
	Default string   `json:"default"`
	Hint    string   `json:"hint"`
	Options []string `json:"options"`
	Min     *int     `json:"min"`
	Max     *int     `json:"max"`
}

type apiSpan struct {
	SpanID     string            `json:"span_id"`
	ParentID   string            `json:"parent_id"`
	Name       string            `json:"name"`
	Kind       string            `json:"kind"`
	Concept    string            `json:"concept"`
	StartMS    *float64          `json:"start_ms"`
	DurationMS *float64          `json:"duration_ms"`
	Attributes map[string]string `json:"attributes"`
	Status     string            `json:"status"`
	Open       bool              `json:"open"`
}

type apiTrace struct {
	TraceID string    `json:"trace_id"`
	Spans   []apiSpan `json:"spans"`
}

// assertSpans checks every span has the whole shape, and returns them by kind.
func assertSpans(t *testing.T, tr apiTrace) map[string][]apiSpan {
	t.Helper()
	byKind := map[string][]apiSpan{}
	for _, s := range tr.Spans {
		if len(s.SpanID) != 16 || s.Name == "" || s.Kind == "" || s.StartMS == nil || s.DurationMS == nil ||
			s.Attributes == nil || (s.Status != "ok" && s.Status != "error") {
			t.Errorf("incomplete span: %+v", s)
			continue
		}
		if *s.StartMS < 0 || *s.DurationMS < 0 {
			t.Errorf("span %q: start %v ms, duration %v ms", s.Name, *s.StartMS, *s.DurationMS)
		}
		byKind[s.Kind] = append(byKind[s.Kind], s)
	}
	return byKind
}

func TestAPIListDemos(t *testing.T) {
	srv := newServer(t, web.Config{})
	r := newClient(t, srv).get("/api/v1/demos", nil)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("status = %d; body:\n%s", r.StatusCode, r.text)
	}
	assertSecurityHeaders(t, r, false)
	var got struct {
		Demos []apiDemo `json:"demos"`
	}
	decodeJSON(t, r, &got)
	tests := []struct {
		id          string
		wantTitle   string
		wantParam   string
		wantKind    string
		wantDefault string
		wantRange   []int // min, max; nil when the parameter is not a number
	}{
		{id: "request-echo", wantTitle: "Send a request", wantParam: "message", wantKind: "text", wantDefault: "Hello, server!"},
		{id: "slow-step", wantTitle: "Find the slow step", wantParam: "delay_ms", wantKind: "number", wantDefault: "400", wantRange: []int{0, 2000}},
	}
	// Every listed demo's page exists and holds its panel.
	for _, d := range got.Demos {
		page := newClient(t, srv).get(d.Lesson, nil)
		if page.StatusCode != http.StatusOK || !strings.Contains(page.text, `id="demo-`+d.ID+`"`) {
			t.Errorf("demo %q: GET %s: status %d, panel present: %v", d.ID, d.Lesson, page.StatusCode, strings.Contains(page.text, `id="demo-`+d.ID+`"`))
		}
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			i := slices.IndexFunc(got.Demos, func(d apiDemo) bool {
				return d.ID == tt.id
			})
			if i < 0 {
				t.Fatalf("demo %q not listed", tt.id)
			}
			d := got.Demos[i]
			if d.Title != tt.wantTitle {
				t.Errorf("title = %q, want %q", d.Title, tt.wantTitle)
			}
			if d.Lesson != lessonPath {
				t.Errorf("lesson = %q, want %q", d.Lesson, lessonPath)
			}
			if d.Run != "POST /api/v1/demos/"+tt.id {
				t.Errorf("run = %q", d.Run)
			}
			if len(d.Params) != 1 {
				t.Fatalf("params = %+v, want one", d.Params)
			}
			p := d.Params[0]
			if p.Name != tt.wantParam || p.Kind != tt.wantKind || p.Default != tt.wantDefault || p.Hint == "" {
				t.Errorf("param = %+v, want %s (%s, default %q) with a hint", p, tt.wantParam, tt.wantKind, tt.wantDefault)
			}
			switch {
			case tt.wantRange == nil && (p.Min != nil || p.Max != nil):
				t.Errorf("a %s parameter has a range", p.Kind)
			case tt.wantRange != nil && (p.Min == nil || p.Max == nil || *p.Min != tt.wantRange[0] || *p.Max != tt.wantRange[1]):
				t.Errorf("range = %v..%v, want %v", p.Min, p.Max, tt.wantRange)
			}
			// The lesson it names exists.
			if l := newClient(t, srv).get(d.Lesson, nil); l.StatusCode != http.StatusOK {
				t.Errorf("GET %s: status %d", d.Lesson, l.StatusCode)
			}
		})
	}
}

func TestAPIRunDemoAndFetchTrace(t *testing.T) {
	srv := newServer(t, web.Config{})
	tests := []struct {
		id         string
		body       string
		wantOutput map[string]any // fields of output checked for equality
		wantSpans  []string       // span names besides the server and handler spans
	}{
		{id: "request-echo", body: `{"message":"hi"}`,
			wantOutput: map[string]any{"message": "hi", "method": "POST", "path": "/api/v1/demos/request-echo"},
			wantSpans:  []string{"read the request", "build the reply", "json only"}},
		{id: "slow-step", body: `{"delay_ms":0}`,
			wantOutput: map[string]any{"delay_ms": float64(0), "member": "Ada Lovelace · Gold · 48,210 miles"},
			wantSpans:  []string{"validate input", "GET loyalty service /members/M-1042", "format the reply"}},
		{id: "request-echo", body: ``,
			wantOutput: map[string]any{"message": "Hello, server!"},
			wantSpans:  []string{"read the request"}},
	}
	for _, tt := range tests {
		t.Run(tt.id+" "+tt.body, func(t *testing.T) {
			c := newClient(t, srv) // no cookies, no CSRF token
			r := c.postJSON("/api/v1/demos/"+tt.id, tt.body, nil)
			if r.StatusCode != http.StatusOK {
				t.Fatalf("status = %d; body:\n%s", r.StatusCode, r.text)
			}
			assertSecurityHeaders(t, r, false)
			var got struct {
				ID     string         `json:"id"`
				Output map[string]any `json:"output"`
				Trace  apiTrace       `json:"trace"`
			}
			decodeJSON(t, r, &got)
			if got.ID != tt.id {
				t.Errorf("id = %q, want %q", got.ID, tt.id)
			}
			for k, v := range tt.wantOutput {
				if got.Output[k] != v {
					t.Errorf("output.%s = %#v, want %#v", k, got.Output[k], v)
				}
			}
			traceID := traceIDOf(t, r)
			if got.Trace.TraceID != traceID {
				t.Errorf("trace_id = %q, want the traceresponse one %q", got.Trace.TraceID, traceID)
			}
			byKind := assertSpans(t, got.Trace)
			if len(byKind["server"]) != 1 || len(byKind["handler"]) != 1 {
				t.Fatalf("spans by kind = %v, want one server and one handler span", byKind)
			}
			server, handler := byKind["server"][0], byKind["handler"][0]
			if server.Name != "POST /api/v1/demos/:id" || server.ParentID != "" || !server.Open {
				t.Errorf("server span = %+v, want an open root named POST /api/v1/demos/:id", server)
			}
			if server.Attributes["http.request.method"] != "POST" || server.Attributes["url.path"] != "/api/v1/demos/"+tt.id {
				t.Errorf("server span attributes = %v", server.Attributes)
			}
			if handler.Name != "handler "+tt.id || handler.ParentID != server.SpanID || handler.Open || handler.Status != "ok" {
				t.Errorf("handler span = %+v, want a finished ok child of the server span", handler)
			}
			names := map[string]bool{}
			for _, s := range got.Trace.Spans {
				names[s.Name] = true
			}
			for _, n := range tt.wantSpans {
				if !names[n] {
					t.Errorf("no span %q in %v", n, names)
				}
			}

			// The stored trace: same id, and the server span has ended since.
			tr := c.get("/api/v1/traces/"+traceID, nil)
			if tr.StatusCode != http.StatusOK {
				t.Fatalf("GET /api/v1/traces/%s: status %d", traceID, tr.StatusCode)
			}
			var stored apiTrace
			decodeJSON(t, tr, &stored)
			if stored.TraceID != traceID {
				t.Errorf("stored trace_id = %q, want %q", stored.TraceID, traceID)
			}
			sk := assertSpans(t, stored)
			if len(sk["server"]) != 1 || sk["server"][0].Open || sk["server"][0].Attributes["http.response.status_code"] != "200" {
				t.Errorf("stored server span = %+v, want it finished with status 200", sk["server"])
			}
			if len(stored.Spans) < len(got.Trace.Spans) {
				t.Errorf("stored trace has %d spans, fewer than the %d in the reply", len(stored.Spans), len(got.Trace.Spans))
			}
		})
	}
}

func TestAPIErrors(t *testing.T) {
	srv := newServer(t, web.Config{})
	tests := []struct {
		name        string
		method      string
		path        string
		contentType string
		body        string
		header      http.Header
		wantStatus  int
		wantError   string
	}{
		{name: "unknown demo", method: "POST", path: "/api/v1/demos/nope", contentType: "application/json", body: `{}`,
			wantStatus: 404, wantError: `unknown demo "nope"`},
		{name: "unknown trace", method: "GET", path: "/api/v1/traces/0123456789abcdef0123456789abcdef",
			wantStatus: 404, wantError: "no stored trace"},
		{name: "malformed trace id", method: "GET", path: "/api/v1/traces/not-hex",
			wantStatus: 404, wantError: "no stored trace"},
		{name: "unknown API route", method: "GET", path: "/api/v1/nope",
			wantStatus: 404, wantError: "There is no API endpoint at this address: GET /api/v1/openapi.json lists them all."},
		{name: "wrong method", method: "PUT", path: "/api/v1/demos",
			wantStatus: 405, wantError: "the Allow header lists the ones it takes"},
		{name: "unclosed object", method: "POST", path: "/api/v1/demos/request-echo", contentType: "application/json", body: `{`,
			wantStatus: 400, wantError: "malformed JSON"},
		{name: "syntax error", method: "POST", path: "/api/v1/demos/request-echo", contentType: "application/json", body: `{"message" "hi"}`,
			wantStatus: 400, wantError: "malformed JSON at byte"},
		{name: "array", method: "POST", path: "/api/v1/demos/request-echo", contentType: "application/json", body: `[1]`,
			wantStatus: 400, wantError: "must be a JSON object of parameters, not array"},
		{name: "string", method: "POST", path: "/api/v1/demos/request-echo", contentType: "application/json", body: `"hi"`,
			wantStatus: 400, wantError: "must be a JSON object of parameters, not string"},
		{name: "object parameter", method: "POST", path: "/api/v1/demos/request-echo", contentType: "application/json", body: `{"message": {}}`,
			wantStatus: 400, wantError: `parameter "message" must be a string, number or boolean`},
		{name: "null parameter", method: "POST", path: "/api/v1/demos/request-echo", contentType: "application/json", body: `{"message": null}`,
			wantStatus: 400, wantError: `parameter "message" must be a string, number or boolean`},
		{name: "trailing garbage", method: "POST", path: "/api/v1/demos/request-echo", contentType: "application/json", body: `{"message":"hi"} x`,
			wantStatus: 400, wantError: "unexpected data after the object"},
		{name: "two objects", method: "POST", path: "/api/v1/demos/request-echo", contentType: "application/json", body: `{"message":"hi"}{}`,
			wantStatus: 400, wantError: "unexpected data after the object"},
		{name: "trailing brace", method: "POST", path: "/api/v1/demos/request-echo", contentType: "application/json", body: `{"message":"hi"}}`,
			wantStatus: 400, wantError: "malformed JSON"},
		{name: "trailing bracket", method: "POST", path: "/api/v1/demos/request-echo", contentType: "application/json", body: `{"message":"hi"}]`,
			wantStatus: 400, wantError: "malformed JSON"},
		{name: "unknown parameter", method: "POST", path: "/api/v1/demos/request-echo", contentType: "application/json", body: `{"mesage":"hi"}`,
			wantStatus: 400, wantError: `unknown parameter "mesage"`},
		{name: "delay out of range", method: "POST", path: "/api/v1/demos/slow-step", contentType: "application/json", body: `{"delay_ms":5000}`,
			wantStatus: 400, wantError: "delay_ms: must be between 0 and 2000"},
		{name: "delay not a number", method: "POST", path: "/api/v1/demos/slow-step", contentType: "application/json", body: `{"delay_ms":"abc"}`,
			wantStatus: 400, wantError: `delay_ms: "abc" is not a whole number`},
		{name: "text/plain", method: "POST", path: "/api/v1/demos/request-echo", contentType: "text/plain", body: `{"message":"hi"}`,
			wantStatus: 415, wantError: "Content-Type: application/json"},
		{name: "form encoded", method: "POST", path: "/api/v1/demos/request-echo", contentType: "application/x-www-form-urlencoded", body: `message=hi`,
			wantStatus: 415, wantError: "Content-Type: application/json"},
		{name: "multipart", method: "POST", path: "/api/v1/demos/request-echo", contentType: "multipart/form-data; boundary=x", body: "--x--\r\n",
			wantStatus: 415, wantError: "Content-Type: application/json"},
		{name: "no content type", method: "POST", path: "/api/v1/demos/request-echo", body: `{"message":"hi"}`,
			wantStatus: 415, wantError: "Content-Type: application/json"},
		{name: "cross-site POST", method: "POST", path: "/api/v1/demos/request-echo", contentType: "application/json", body: `{"message":"hi"}`,
			header: hdr("Sec-Fetch-Site", "cross-site"), wantStatus: 403, wantError: "cross-site requests to the API are refused"},
		{name: "cross-site GET", method: "GET", path: "/api/v1/demos",
			header: hdr("Sec-Fetch-Site", "cross-site"), wantStatus: 403, wantError: "cross-site requests to the API are refused"},
		{name: "body over 1 MB", method: "POST", path: "/api/v1/demos/request-echo", contentType: "application/json",
			body: `{"message":"` + strings.Repeat("a", 2<<20) + `"}`, wantStatus: 413, wantError: "too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.header.Clone()
			if h == nil {
				h = http.Header{}
			}
			if tt.contentType != "" {
				h.Set("Content-Type", tt.contentType)
			}
			r := newClient(t, srv).send(tt.method, tt.path, tt.body, h)
			if r.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body:\n%.1000s", r.StatusCode, tt.wantStatus, r.text)
			}
			assertSecurityHeaders(t, r, false)
			got := decodeProblem(t, r)
			if got.Type != "about:blank" || got.Title != http.StatusText(tt.wantStatus) {
				t.Errorf("type %q, title %q: want about:blank and %q", got.Type, got.Title, http.StatusText(tt.wantStatus))
			}
			if !strings.Contains(got.Detail, tt.wantError) {
				t.Errorf("detail = %q, want %q in it", got.Detail, tt.wantError)
			}
		})
	}
}

func TestAPIAcceptsSameOriginAndCharset(t *testing.T) {
	srv := newServer(t, web.Config{})
	tests := []struct {
		name        string
		contentType string
		header      http.Header
		wantStatus  int
	}{
		{name: "charset parameter", contentType: "application/json; charset=utf-8", wantStatus: http.StatusOK},
		{name: "upper case", contentType: "Application/JSON", wantStatus: http.StatusOK},
		{name: "same-origin browser", contentType: "application/json", header: hdr("Sec-Fetch-Site", "same-origin"), wantStatus: http.StatusOK},
		{name: "curl (no fetch metadata)", contentType: "application/json", header: hdr("User-Agent", "curl/8.0"), wantStatus: http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.header.Clone()
			if h == nil {
				h = http.Header{}
			}
			h.Set("Content-Type", tt.contentType)
			r := newClient(t, srv).send(http.MethodPost, "/api/v1/demos/request-echo", `{"message":"hi"}`, h)
			if r.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body:\n%s", r.StatusCode, tt.wantStatus, r.text)
			}
			if setCookie(r, visitorCookie) == nil {
				t.Error("a new API client got no visitor cookie")
			}
		})
	}
}

func TestAPITimeout(t *testing.T) {
	srv := newServer(t, web.Config{RequestTimeout: 100 * time.Millisecond})
	r := newClient(t, srv).postJSON("/api/v1/demos/slow-step", `{"delay_ms":2000}`, nil)
	if r.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("status = %d, want 503; body:\n%s", r.StatusCode, r.text)
	}
	got := decodeProblem(t, r)
	if got.Status != http.StatusServiceUnavailable || !strings.Contains(got.Detail, "did not answer in time") {
		t.Errorf("error = %+v", got)
	}
	if r.Header.Get("Retry-After") == "" {
		t.Error("a 503 without Retry-After")
	}
}

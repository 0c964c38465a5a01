package web_test

import (
	"net/http"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/engineroom/engineroom/web"
)

// ignoreServer ignores the goroutines the server starts on its own: those
// there when the test starts, and the database the lesson page clones for
// the visitor while they read (see sandbox.Manager.Warm).
func ignoreServer() []goleak.Option {
	return []goleak.Option{goleak.IgnoreCurrent(), goleak.IgnoreTopFunction("database/sql.(*DB).connectionOpener")}
}

func TestRoutingHandlerPanic(t *testing.T) {
	srv := newServer(t, web.Config{})
	ign := ignoreServer()
	tests := []struct {
		bug, wantPanic string
	}{
		{bug: "nil map", wantPanic: "assignment to entry in nil map"},
		{bug: "index out of range", wantPanic: "index out of range [5] with length 2"},
		{bug: "nil pointer", wantPanic: "invalid memory address or nil pointer dereference"},
	}
	for _, tt := range tests {
		t.Run("recovered "+tt.bug, func(t *testing.T) {
			out, got := routingRun(t, newClient(t, srv), "handler-panic", map[string]any{"bug": tt.bug})
			id := strings.Join(out.Exchange.Header["X-Request-Id"], "")
			if out.Exchange.Status != 500 || out.Exchange.Body != "Internal Server Error\nrequest id: "+id+"\n" || id == "" {
				t.Errorf("status %d, body %q; want a plain 500 naming request id %q", out.Exchange.Status, out.Exchange.Body, id)
			}
			if !strings.Contains(out.Panic, tt.wantPanic) {
				t.Errorf("panic %q, want %q", out.Panic, tt.wantPanic)
			}
			if len(out.Log) != 2 || !strings.Contains(out.Log[0], "panic recovered") || !strings.Contains(out.Log[1], "status=500") {
				t.Errorf("log %q, want the panic line then the request line", out.Log)
			}
			for _, l := range out.Log {
				if !strings.Contains(l, "id="+id) || strings.Contains(l, "routing/handlers.go") {
					t.Errorf("log line %q: want id %s and no stack", l, id)
				}
			}
			rec, ok := spanNamed(got.Trace, "recover")
			if !ok || rec.Status != "error" || !strings.Contains(rec.Attributes["exception.message"], tt.wantPanic) ||
				!strings.Contains(rec.Attributes["exception.stacktrace"], "routing/handlers.go") {
				t.Errorf("recover span %+v, want the panic and its stack", rec)
			}
			if h, ok := spanNamed(got.Trace, "handler brokenReport"); !ok || h.Status != "error" {
				t.Errorf("handler span %+v, want it marked as panicked", h)
			}
		})
	}
	t.Run("panel keeps the stack out of the browser's view", func(t *testing.T) {
		_, doc := panelAs(t, newClient(t, srv), routingPage, "handler-panic", nil)
		front := doc.Find(".pane-front .output").Text()
		for _, leak := range []string{"goroutine", "routing/handlers.go", "runtime/panic", "brokenReport("} {
			if strings.Contains(front, leak) {
				t.Errorf("the front end pane shows %q", leak)
			}
		}
		if !strings.Contains(doc.Find(".pane-back").Text(), "exception.stacktrace") {
			t.Error("the back end pane has no stack trace")
		}
	})
	t.Run("a form with the box unticked runs without recover", func(t *testing.T) {
		c := newClient(t, srv)
		form := parseHTML(t, c.get(routingPage, nil).text).Find("section.demo#demo-handler-panic form.demo-form")
		values := demoFormValues(form)
		if values.Get("recover") != "on" {
			t.Fatalf("the box is not ticked by default: %v", values)
		}
		values.Del("recover") // what a browser sends for an unticked box
		r := c.postForm(form.AttrOr("hx-post", ""), values, hdr("HX-Request", "true"))
		doc := parseHTML(t, r.text)
		if r.StatusCode != http.StatusOK || doc.Find(".pane-front .routing-dropped").Length() != 1 || doc.Find(".pane-back").Text() == "" ||
			!strings.Contains(doc.Find(".pane-front pre.routing-log").Text(), "http: panic serving 127.0.0.1:") {
			t.Errorf("status %d, front end pane %q: want the dropped connection and net/http's log line", r.StatusCode, doc.Find(".pane-front .output").Text())
		}
	})
	t.Run("without recover the connection drops", func(t *testing.T) {
		out, got := routingRun(t, newClient(t, srv), "handler-panic", map[string]any{"recover": "off"})
		if out.Exchange.Status != 0 || !strings.Contains(out.Exchange.Dropped, "EOF") {
			t.Errorf("status %d, dropped %q; want no response and EOF", out.Exchange.Status, out.Exchange.Dropped)
		}
		if len(out.Log) != 1 || !strings.HasPrefix(out.Log[0], "http: panic serving 127.0.0.1:") {
			t.Errorf("log %q, want net/http's line only", out.Log)
		}
		var server []apiSpan
		for _, s := range got.Trace.Spans {
			if s.Name == "GET /reports/broken" && s.Kind == "server" && s.Status == "error" {
				server = append(server, s)
			}
		}
		if len(server) != 1 {
			t.Errorf("%d app server spans in error, want 1: the trace crossed the connection", len(server))
		}
		if _, ok := spanNamed(got.Trace, "recover"); ok {
			t.Error("a recover span without recover")
		}
	})
	goleak.VerifyNone(t, ign...)
}

func TestRoutingHandlerTimeout(t *testing.T) {
	srv := newServer(t, web.Config{})
	ign := ignoreServer()
	tests := []struct {
		name              string
		work, timeout     int
		handler           string
		wantStatus        int
		wantAnsweredUnder float64
		wantDoneAtLeast   float64
		wantDoneUnder     float64
	}{
		{name: "in time", work: 50, timeout: 1000, handler: "watches the context", wantStatus: 200, wantAnsweredUnder: 900, wantDoneAtLeast: 50, wantDoneUnder: 900},
		{name: "watches", work: 1500, timeout: 100, handler: "watches the context", wantStatus: 503, wantAnsweredUnder: 1000, wantDoneAtLeast: 100, wantDoneUnder: 1000},
		{name: "ignores", work: 700, timeout: 100, handler: "ignores the context", wantStatus: 503, wantAnsweredUnder: 600, wantDoneAtLeast: 700, wantDoneUnder: 3000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, got := routingRun(t, newClient(t, srv), "handler-timeout", map[string]any{"work_ms": tt.work, "timeout_ms": tt.timeout, "handler": tt.handler})
			if out.Exchange.Status != tt.wantStatus {
				t.Fatalf("status %d, want %d", out.Exchange.Status, tt.wantStatus)
			}
			if out.AnsweredMS >= tt.wantAnsweredUnder || out.HandlerDoneMS < tt.wantDoneAtLeast || out.HandlerDoneMS >= tt.wantDoneUnder {
				t.Errorf("answered at %v ms, handler done at %v ms", out.AnsweredMS, out.HandlerDoneMS)
			}
			work, ok := spanNamed(got.Trace, "build the report")
			if !ok {
				t.Fatal("no span for the work")
			}
			var server apiSpan
			for _, s := range got.Trace.Spans {
				if s.Name == "GET /reports/slow" && s.Kind == "server" {
					server = s
				}
			}
			end := func(s apiSpan) float64 { return *s.StartMS + *s.DurationMS }
			switch tt.name {
			case "watches":
				if work.Status != "error" || end(work) > end(server)+50 {
					t.Errorf("work span %+v ends at %v, server at %v: want it stopped with the context", work, end(work), end(server))
				}
			case "ignores":
				if end(work) <= end(server) {
					t.Errorf("work ends at %v, server at %v: want it past the response", end(work), end(server))
				}
			}
		})
	}
	goleak.VerifyNone(t, ign...)
}

package routing

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
)

func TestPanic(t *testing.T) {
	tests := []struct {
		bug, wantPanic string
	}{
		{BugNilMap, "assignment to entry in nil map"},
		{BugIndex, "index out of range [5] with length 2"},
		{BugNilPointer, "invalid memory address or nil pointer dereference"},
	}
	for _, tt := range tests {
		t.Run("recovered "+tt.bug, func(t *testing.T) {
			app, _, rec := newApp(t)
			res, err := app.Panic(t.Context(), tt.bug, true)
			if err != nil {
				t.Fatal(err)
			}
			id := res.Exchange.Header.Get("X-Request-Id")
			if res.Exchange.Status != 500 || id == "" || res.Exchange.Body != "Internal Server Error\nrequest id: "+id+"\n" {
				t.Errorf("status %d, body %q; want a plain 500 naming request id %q", res.Exchange.Status, res.Exchange.Body, id)
			}
			if !strings.Contains(res.Panic, tt.wantPanic) {
				t.Errorf("panic %q, want %q", res.Panic, tt.wantPanic)
			}
			if len(res.Log) != 2 || !strings.Contains(res.Log[0], "panic recovered") || !strings.Contains(res.Log[1], "status=500") {
				t.Errorf("log %q, want the panic line then the request line", res.Log)
			}
			by := spans(rec)
			r := by["recover"]
			if len(r) != 1 || r[0].Status().Code != codes.Error || !strings.Contains(attr(r[0], "exception.message"), tt.wantPanic) ||
				!strings.Contains(attr(r[0], "exception.stacktrace"), "routing/handlers.go") || strings.Contains(attr(r[0], "exception.stacktrace"), " +0x") {
				t.Errorf("recover spans %v, want one with the panic and a trimmed stack", r)
			}
			if h := by["handler brokenReport"]; len(h) != 1 || h[0].Status().Description != "panicked" {
				t.Errorf("handler spans %v, want one marked as panicked", h)
			}
			var walk []string
			for _, l := range res.Walk("/reports/broken", "GET") {
				walk = append(walk, l.Layer+":"+l.State)
			}
			if got := strings.Join(walk, " "); got != "logging:ran recover:ran handler brokenReport:stopped" {
				t.Errorf("walk %q", got)
			}
		})
	}
	t.Run("not recovered", func(t *testing.T) {
		app, _, rec := newApp(t)
		res, err := app.Panic(t.Context(), BugNilMap, false)
		if err != nil {
			t.Fatal(err)
		}
		if res.Exchange.Status != 0 || !strings.Contains(res.Exchange.Dropped, "EOF") {
			t.Errorf("status %d, dropped %q; want no response and EOF", res.Exchange.Status, res.Exchange.Dropped)
		}
		if len(res.Log) != 1 || !strings.HasPrefix(res.Log[0], "http: panic serving 127.0.0.1:") {
			t.Errorf("log %q, want net/http's line only", res.Log)
		}
		by := spans(rec)
		if len(by["recover"]) != 0 {
			t.Error("a recover span without recover")
		}
		server := by["GET /reports/broken"]
		if len(server) != 2 {
			t.Fatalf("%d spans GET /reports/broken, want the client's and the app's", len(server))
		}
		if server[0].SpanContext().TraceID() != server[1].SpanContext().TraceID() {
			t.Error("the trace did not cross the connection")
		}
		for _, s := range server {
			if s.Status().Code != codes.Error {
				t.Errorf("span %s %v not in error", s.SpanKind(), s.Status())
			}
		}
	})
}

func TestSlow(t *testing.T) {
	tests := []struct {
		name               string
		work, timeout      time.Duration
		ignore             bool
		wantStatus         int
		wantAnsweredUnder  time.Duration
		wantDoneAtLeast    time.Duration
		wantDoneUnder      time.Duration
		wantWatches        string
		wantWorkStatus     codes.Code
		wantLoggedStatus   string
		wantStoppedAttrSet bool
	}{
		{"in time", 50 * time.Millisecond, time.Second, false, 200, 900 * time.Millisecond, 50 * time.Millisecond, 900 * time.Millisecond, "true", codes.Unset, "status=200", false},
		{"watches", 1500 * time.Millisecond, 100 * time.Millisecond, false, 503, time.Second, 100 * time.Millisecond, time.Second, "true", codes.Error, "status=503", true},
		{"ignores", 700 * time.Millisecond, 100 * time.Millisecond, true, 503, 600 * time.Millisecond, 700 * time.Millisecond, 3 * time.Second, "false", codes.Unset, "status=200", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app, _, rec := newApp(t)
			res, err := app.Slow(t.Context(), tt.work, tt.timeout, tt.ignore)
			if err != nil {
				t.Fatal(err)
			}
			if res.Exchange.Status != tt.wantStatus {
				t.Fatalf("status %d, want %d", res.Exchange.Status, tt.wantStatus)
			}
			if res.Answered >= tt.wantAnsweredUnder || res.HandlerDone < tt.wantDoneAtLeast || res.HandlerDone >= tt.wantDoneUnder {
				t.Errorf("answered at %v, handler done at %v", res.Answered, res.HandlerDone)
			}
			if res.AnsweredMS != roundMS(res.Answered) || res.HandlerDoneMS != roundMS(res.HandlerDone) {
				t.Errorf("ms %v/%v do not match %v/%v", res.AnsweredMS, res.HandlerDoneMS, res.Answered, res.HandlerDone)
			}
			if len(res.Log) != 1 || !strings.Contains(res.Log[0], tt.wantLoggedStatus) {
				t.Errorf("log %q, want %s", res.Log, tt.wantLoggedStatus)
			}
			work := spans(rec)["build the report"]
			if len(work) != 1 {
				t.Fatalf("%d work spans, want 1", len(work))
			}
			w := work[0]
			if attr(w, "engineroom.watches_context") != tt.wantWatches || attr(w, "engineroom.work_ms") != fmt.Sprint(tt.work.Milliseconds()) ||
				w.Status().Code != tt.wantWorkStatus || (attr(w, "engineroom.stopped_after_ms") != "") != tt.wantStoppedAttrSet {
				t.Errorf("work span %v %v", w.Status(), w.Attributes())
			}
			server := spans(rec)["GET /reports/slow"]
			if len(server) != 2 {
				t.Fatalf("%d spans GET /reports/slow, want 2", len(server))
			}
			// A handler that watches its context ends with the response,
			// give or take scheduling; one that ignores it ends long after.
			slack := 50 * time.Millisecond
			if past := w.EndTime().After(server[0].EndTime().Add(slack)) && w.EndTime().After(server[1].EndTime().Add(slack)); past != tt.ignore {
				t.Errorf("work ends past the response: %v, want %v", past, tt.ignore)
			}
		})
	}
}

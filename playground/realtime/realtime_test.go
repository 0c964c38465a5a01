package realtime

import (
	"slices"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// startLab starts a lab with a 10ms step and a span recorder, and closes
// it when the test ends.
func startLab(t *testing.T, opts Options) (*Lab, *tracetest.SpanRecorder) {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	opts.Tracer = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)).Tracer("test")
	if opts.Step == 0 {
		opts.Step = 10 * time.Millisecond
	}
	if opts.LongPollTimeout == 0 {
		opts.LongPollTimeout = 80 * time.Millisecond
	}
	if opts.Retain == 0 {
		opts.Retain = time.Second
	}
	l, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return l, rec
}

func newRun(t *testing.T, l *Lab) *Run {
	t.Helper()
	r, err := l.NewRun()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func seqs(us []Update) []int {
	out := make([]int, len(us))
	for i, u := range us {
		out[i] = u.Seq
	}
	return out
}

func TestEveryTransportDeliversEveryChangeInOrder(t *testing.T) {
	l, rec := startLab(t, Options{})
	tests := []struct {
		w            Watch
		minRequests  int
		maxRequests  int
		wantEmpty    bool // at least one response carried nothing new
		wantClosed   string
		wantMessages int // child spans, one per message
	}{
		{w: Watch{Transport: Polling, Every: 8 * time.Millisecond}, minRequests: 20, maxRequests: 60, wantEmpty: true},
		{w: Watch{Transport: LongPolling}, minRequests: 7, maxRequests: 9, wantEmpty: true},
		{w: Watch{Transport: SSE}, minRequests: 1, maxRequests: 1, wantClosed: "the server ended the response", wantMessages: 6},
		{w: Watch{Transport: WebSocket}, minRequests: 1, maxRequests: 1, wantClosed: "1000 normal closure: flight departed", wantMessages: 6},
	}
	for _, tt := range tests {
		t.Run(string(tt.w.Transport), func(t *testing.T) {
			t.Parallel()
			run := newRun(t, l)
			rep := run.Follow(t.Context(), tt.w)
			if rep.Err != "" {
				t.Fatalf("error: %s", rep.Err)
			}
			if got := seqs(rep.Updates); !slices.Equal(got, []int{1, 2, 3, 4, 5, 6}) {
				t.Errorf("saw versions %v, want 1 to 6 in order", got)
			}
			if rep.Messages != 6 || rep.Missed != 0 {
				t.Errorf("messages %d, missed %d; want 6 and 0", rep.Messages, rep.Missed)
			}
			if rep.Requests < tt.minRequests || rep.Requests > tt.maxRequests {
				t.Errorf("%d requests, want %d to %d", rep.Requests, tt.minRequests, tt.maxRequests)
			}
			if (rep.Empty > 0) != tt.wantEmpty {
				t.Errorf("%d empty responses, want some: %v", rep.Empty, tt.wantEmpty)
			}
			if rep.Closed != tt.wantClosed {
				t.Errorf("closed %q, want %q", rep.Closed, tt.wantClosed)
			}
			if rep.BytesSent == 0 || rep.BytesReceived == 0 || rep.Connections != 1 {
				t.Errorf("sent %d, received %d bytes on %d connections; want bytes both ways on 1", rep.BytesSent, rep.BytesReceived, rep.Connections)
			}
			for _, u := range rep.Updates {
				if u.Delay < 0 || u.SeenAt < u.PublishedAt {
					t.Errorf("update %d: seen at %v, published at %v", u.Seq, u.SeenAt, u.PublishedAt)
				}
			}
			var spans, messages int
			for _, s := range rec.Ended() {
				for _, a := range s.Attributes() {
					if a.Key == AttrTransport && a.Value.AsString() == string(tt.w.Transport) {
						spans++
					}
					if a.Key == AttrSeq && s.Parent().IsValid() && hasTransport(s, tt.w.Transport) {
						messages++
					}
				}
			}
			if spans < rep.Requests {
				t.Errorf("%d spans for %d requests", spans, rep.Requests)
			}
			if messages != tt.wantMessages {
				t.Errorf("%d message spans, want %d", messages, tt.wantMessages)
			}
		})
	}
}

func hasTransport(s sdktrace.ReadOnlySpan, tr Transport) bool {
	for _, a := range s.Attributes() {
		if a.Key == AttrTransport {
			return a.Value.AsString() == string(tr)
		}
	}
	return false
}

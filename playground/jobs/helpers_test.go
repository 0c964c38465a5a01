package jobs

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// fixture is a queue on a fresh database file with spans recorded in
// memory.
type fixture struct {
	q    *Queue
	opts Options
	tp   *sdktrace.TracerProvider
	exp  *tracetest.InMemoryExporter
}

// newFixture opens a queue with fast polling and a 50 ms backoff; edit
// may change the options first. The queue is closed at the end of the
// test.
func newFixture(t *testing.T, edit func(*Options)) *fixture {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	opts := Options{
		Path:         filepath.Join(t.TempDir(), "state.db"),
		Tracer:       tp.Tracer("jobs-test"),
		PollInterval: 20 * time.Millisecond,
		Backoff:      func(int) time.Duration { return 50 * time.Millisecond },
	}
	if edit != nil {
		edit(&opts)
	}
	f := &fixture{opts: opts, tp: tp, exp: exp}
	f.q = f.open(t)
	return f
}

// open opens another queue on the fixture's database file.
func (f *fixture) open(t *testing.T) *Queue {
	t.Helper()
	q, err := Open(context.Background(), f.opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := q.Close(context.Background()); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return q
}

func (f *fixture) start(t *testing.T, q *Queue) {
	t.Helper()
	if err := q.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
}

// spans returns the finished spans named name.
func (f *fixture) spans(name string) []tracetest.SpanStub {
	var out []tracetest.SpanStub
	for _, s := range f.exp.GetSpans() {
		if s.Name == name {
			out = append(out, s)
		}
	}
	return out
}

// waitFinished polls Get until job id is finished.
func waitFinished(t *testing.T, q *Queue, id int64) JobInfo {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		ji, err := q.Get(context.Background(), id)
		if err != nil {
			t.Fatalf("Get(%d): %v", id, err)
		}
		if ji.State.Finished() {
			return ji
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %d still %s after 5 s: %+v", id, ji.State, ji)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// attr returns the value of the span attribute key, or "".
func attr(s tracetest.SpanStub, key string) string {
	for _, kv := range s.Attributes {
		if string(kv.Key) == key {
			return kv.Value.Emit()
		}
	}
	return ""
}

type emailArgs struct {
	To      string `json:"to"`
	OrderID int    `json:"order_id"`
}

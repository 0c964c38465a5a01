package outbound

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// fakeTime is an injected clock whose Sleep returns at once, moving the
// clock on and remembering the wait.
type fakeTime struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newFakeTime() *fakeTime {
	return &fakeTime{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (f *fakeTime) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeTime) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sleeps = append(f.sleeps, d)
	f.now = f.now.Add(d)
	return nil
}

func (f *fakeTime) Sleeps() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.sleeps...)
}

// fixedRand is a jitter source that always says r.
func fixedRand(r float64) func() float64 { return func() float64 { return r } }

// testClient is a Client with a fake clock, a fixed jitter of one half
// and a span recorder, closed when the test ends.
type testClient struct {
	*Client
	time *fakeTime
	rec  *tracetest.SpanRecorder
}

func newTestClient(t *testing.T, opts Options) *testClient {
	t.Helper()
	tc := &testClient{time: newFakeTime(), rec: tracetest.NewSpanRecorder()}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tc.rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	if opts.Tracer == nil {
		opts.Tracer = tp.Tracer("outbound-test")
	}
	if opts.Now == nil {
		opts.Now = tc.time.Now
	}
	if opts.Sleep == nil {
		opts.Sleep = tc.time.Sleep
	}
	if opts.Rand == nil {
		opts.Rand = fixedRand(0.5)
	}
	tc.Client = New(opts)
	t.Cleanup(tc.Close)
	return tc
}

// spans returns the ended spans, in the order they ended.
func (tc *testClient) spans() []sdktrace.ReadOnlySpan { return tc.rec.Ended() }

// step is one scripted answer of a test server.
type step struct {
	status int
	header map[string]string
	body   string
	hang   bool // hold the request until the client goes away
}

// seen is a request as the test server got it.
type seen struct {
	method string
	header http.Header
	body   string
}

// script is a test server answering with its steps in order, the last
// one for every request after.
type script struct {
	mu    sync.Mutex
	steps []step
	reqs  []seen
	stop  chan struct{}
}

func (s *script) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.reqs = append(s.reqs, seen{method: r.Method, header: r.Header.Clone(), body: string(body)})
	st := s.steps[min(len(s.reqs), len(s.steps))-1]
	s.mu.Unlock()
	if st.hang {
		select {
		case <-r.Context().Done():
		case <-s.stop:
		}
		return
	}
	for k, v := range st.header {
		w.Header().Set(k, v)
	}
	if st.status == 0 {
		st.status = http.StatusOK
	}
	w.WriteHeader(st.status)
	_, _ = io.WriteString(w, st.body)
}

// set replaces the steps and forgets the requests.
func (s *script) set(steps ...step) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.steps, s.reqs = steps, nil
}

func (s *script) requests() []seen {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]seen(nil), s.reqs...)
}

// serve starts a loopback server answering with steps, closed when the
// test ends.
func serve(t *testing.T, steps ...step) (*httptest.Server, *script) {
	t.Helper()
	s := &script{steps: steps, stop: make(chan struct{})}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(s.stop) }) // runs first: ends hangs
	return srv, s
}

// asError returns err as an *Error, failing the test if it is not one.
func asError(t *testing.T, err error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v (%T), want an *Error", err, err)
	}
	return e
}

// attrs maps a span's attributes by key, as emitted strings.
func attrs(s sdktrace.ReadOnlySpan) map[string]string {
	m := make(map[string]string)
	for _, kv := range s.Attributes() {
		m[string(kv.Key)] = kv.Value.Emit()
	}
	return m
}

// attrValue returns one attribute of a span.
func attrValue(s sdktrace.ReadOnlySpan, key string) (attribute.Value, bool) {
	for _, kv := range s.Attributes() {
		if string(kv.Key) == key {
			return kv.Value, true
		}
	}
	return attribute.Value{}, false
}

// spanNamed returns the one ended span of that name.
func spanNamed(t *testing.T, spans []sdktrace.ReadOnlySpan, name string) sdktrace.ReadOnlySpan {
	t.Helper()
	var found sdktrace.ReadOnlySpan
	for _, s := range spans {
		if s.Name() == name {
			if found != nil {
				t.Fatalf("two spans named %q", name)
			}
			found = s
		}
	}
	if found == nil {
		names := make([]string, len(spans))
		for i, s := range spans {
			names[i] = s.Name()
		}
		t.Fatalf("no span named %q in %q", name, names)
	}
	return found
}

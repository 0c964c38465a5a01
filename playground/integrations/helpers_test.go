package integrations

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/goleak"

	"github.com/engineroom/engineroom/playground/outbound"
	"github.com/engineroom/engineroom/playground/upstream"
)

// TestMain checks that no test leaves a goroutine behind: the services,
// the webhook receiver, the clients' connections and the job queues are
// all closed by the tests' cleanups. River and SQLite need no exception:
// Queue.Close stops every goroutine they start.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// world is the three simulated services on loopback ports, a webhook
// endpoint that hands the gateway's deliveries to the App's Receiver,
// and an App calling the services with its spans recorded in memory.
type world struct {
	services *upstream.Services
	app      *App
	tracer   trace.Tracer
	rec      *tracetest.SpanRecorder
	hooks    *hookEndpoint
}

// newWorld starts the services and the App. edit, when not nil, may
// change the App's and its client's options (the URLs are set already).
// Everything is closed when the test ends.
func newWorld(t *testing.T, edit func(w *world, o *Options, c *outbound.Options)) *world {
	t.Helper()
	w := &world{rec: tracetest.NewSpanRecorder(), hooks: &hookEndpoint{}}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(w.rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	w.tracer = tp.Tracer("integrations-test")

	hookSrv := httptest.NewServer(w.hooks)
	t.Cleanup(hookSrv.Close) // after the services: the gateway waits for its deliveries
	var err error
	w.services, err = upstream.Start(upstream.Options{
		Seed:    7,
		Gateway: upstream.GatewayOptions{WebhookURL: hookSrv.URL, MaxHang: 5 * time.Second},
		Mailer:  upstream.MailerOptions{MaxHang: 5 * time.Second},
	})
	if err != nil {
		t.Fatalf("starting the services: %v", err)
	}
	t.Cleanup(func() {
		if err := w.services.Close(); err != nil {
			t.Errorf("closing the services: %v", err)
		}
	})

	opts := Options{
		GatewayURL:      w.services.Gateway.URL(),
		MailerURL:       w.services.Mailer.URL(),
		ReservationsURL: w.services.Reservations.URL(),
		Tracer:          w.tracer,
		WebhookSecret:   w.services.Gateway.WebhookSecret(),
	}
	copts := outbound.Options{Tracer: w.tracer}
	if edit != nil {
		edit(w, &opts, &copts)
	}
	client := outbound.New(copts)
	t.Cleanup(client.Close)
	opts.Client = client
	w.app = New(opts)
	w.hooks.app.Store(w.app)
	return w
}

// hookEndpoint is the app's webhook URL: it passes each delivery to the
// App's Receiver and answers 200, or 400 when the Receiver refuses it.
type hookEndpoint struct {
	app atomic.Pointer[App]

	mu   sync.Mutex
	seen []hookResult
}

// hookResult is one delivery as the endpoint answered it.
type hookResult struct {
	status   int
	delivery Delivery
	err      error
}

func (h *hookEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	d, err := h.app.Load().Webhooks().Receive(body, r.Header.Get(upstream.SignatureHeader))
	status := http.StatusOK
	if err != nil {
		status = http.StatusBadRequest
	}
	h.mu.Lock()
	h.seen = append(h.seen, hookResult{status: status, delivery: d, err: err})
	h.mu.Unlock()
	w.WriteHeader(status)
}

// results returns the deliveries answered so far, oldest first.
func (h *hookEndpoint) results() []hookResult {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]hookResult(nil), h.seen...)
}

// traced starts a span of the test's own, so that the spans of the calls
// made with ctx can be told apart from those of parallel tests.
func (w *world) traced(ctx context.Context, name string) (context.Context, trace.Span) {
	return w.tracer.Start(ctx, "test: "+name)
}

// spansOf returns the ended spans in root's trace, in the order they
// ended.
func (w *world) spansOf(root trace.Span) []sdktrace.ReadOnlySpan {
	id := root.SpanContext().TraceID()
	var out []sdktrace.ReadOnlySpan
	for _, s := range w.rec.Ended() {
		if s.SpanContext().TraceID() == id {
			out = append(out, s)
		}
	}
	return out
}

// named returns the spans called name.
func named(spans []sdktrace.ReadOnlySpan, name string) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range spans {
		if s.Name() == name {
			out = append(out, s)
		}
	}
	return out
}

// prefixed returns the spans whose names start with prefix.
func prefixed(spans []sdktrace.ReadOnlySpan, prefix string) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range spans {
		if strings.HasPrefix(s.Name(), prefix) {
			out = append(out, s)
		}
	}
	return out
}

// one returns the only span called name, failing the test otherwise.
func one(t *testing.T, spans []sdktrace.ReadOnlySpan, name string) sdktrace.ReadOnlySpan {
	t.Helper()
	found := named(spans, name)
	if len(found) != 1 {
		names := make([]string, len(spans))
		for i, s := range spans {
			names[i] = s.Name()
		}
		t.Fatalf("%d spans named %q, want 1, in %q", len(found), name, names)
	}
	return found[0]
}

// attrs maps a span's attributes by key, as emitted strings.
func attrs(s sdktrace.ReadOnlySpan) map[string]string {
	m := make(map[string]string)
	for _, kv := range s.Attributes() {
		m[string(kv.Key)] = kv.Value.Emit()
	}
	return m
}

// asError returns err as an *outbound.Error, failing the test if it is
// not one.
func asError(t *testing.T, err error) *outbound.Error {
	t.Helper()
	var e *outbound.Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v (%T), want an *outbound.Error", err, err)
	}
	return e
}

// eventually polls cond every 20 ms until it holds, failing the test
// after within.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(within)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("after %s: %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// setFaults switches a visitor's faults, failing the test on error.
func setFaults(t *testing.T, app *App, visitor, service string, f Faults) {
	t.Helper()
	if _, err := app.SetFaults(context.Background(), visitor, service, f); err != nil {
		t.Fatalf("SetFaults(%s, %s, %+v): %v", visitor, service, f, err)
	}
}

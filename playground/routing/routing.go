// Package routing is the small airline API of the routing lesson: a
// route table, a middleware chain (logging, recover, auth, a rate limit)
// with one span per layer, a handler that panics and one that works
// against a timeout.
//
// The API is built with Echo, like a real service would be, but it is a
// router of its own: every run builds a fresh copy wired to record what
// happened — the route the router picked, the path parameters, what each
// layer did, the log lines, a panic — so a visitor can watch a route
// match and each layer run without touching the chain that serves them.
//
// Requests reach it in process, through a real *http.Request and a
// response recorder, except when a panic must meet net/http's own last
// resort: then the run serves the app on a loopback listener of its own
// for one request and closes it before returning.
package routing

import (
	"crypto/rand"
	"net/http"
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Host is the name the app answers to.
const Host = "api.airline.test"

// The booking rate limit: a burst of three, then one more every ten
// seconds — small, so a few clicks trip it.
const (
	BookingBurst  = 3
	BookingRefill = 10 * time.Second
	// maxBuckets bounds the limiter's memory: a flood of new callers
	// pushes out the buckets that have refilled, then any.
	maxBuckets = 10000
	// MaxWorkMS bounds how long a report may take, even one that ignores
	// its context, so no goroutine outlives a run by more than this.
	MaxWorkMS = 3000
)

// Options configures New. Zero values mean the documented default.
type Options struct {
	// Tracer records the spans of every run. Default: a no-op tracer.
	Tracer trace.Tracer
	// Now is the clock of the rate limit and of booking numbers.
	// Default: time.Now.
	Now func() time.Time
	// Secret signs the bearer tokens. Default: 32 random bytes.
	Secret []byte
}

// App is the airline API. It is safe for concurrent use: the only state
// kept between runs is the rate limit's buckets.
type App struct {
	tracer  trace.Tracer
	now     func() time.Time
	limiter *tokenBuckets
	secret  []byte
}

// New returns the app.
func New(o Options) *App {
	if o.Tracer == nil {
		o.Tracer = noop.NewTracerProvider().Tracer("")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if len(o.Secret) == 0 {
		o.Secret = make([]byte, 32)
		_, _ = rand.Read(o.Secret)
	}
	return &App{tracer: o.Tracer, now: o.Now, secret: o.Secret, limiter: newTokenBuckets(BookingBurst, BookingRefill, maxBuckets, o.Now)}
}

// Route is one line of the app's route table: what a visitor sees is
// also what the app registers.
type Route struct {
	Method     string   `json:"method"`
	Path       string   `json:"path"`
	Handler    string   `json:"handler"`
	Middleware []string `json:"middleware"`
}

// GlobalLayers are the layers that run for every request, in this order,
// before the route's own; recover is left out of a run without recover.
func GlobalLayers() []string { return []string{"logging", "recover"} }

// Routes is the app's route table.
func Routes() []Route {
	auth := []string{"auth"}
	return []Route{
		{Method: http.MethodGet, Path: "/flights", Handler: "listFlights"},
		{Method: http.MethodGet, Path: "/flights/:id", Handler: "showFlight"},
		{Method: http.MethodGet, Path: "/flights/:id/seats/:seat", Handler: "showSeat"},
		{Method: http.MethodPost, Path: "/bookings", Handler: "createBooking", Middleware: []string{"auth", "rate limit"}},
		{Method: http.MethodGet, Path: "/bookings/:id", Handler: "showBooking", Middleware: auth},
		{Method: http.MethodDelete, Path: "/bookings/:id", Handler: "cancelBooking", Middleware: auth},
		{Method: http.MethodGet, Path: "/files/*", Handler: "serveFile"},
		{Method: http.MethodGet, Path: "/reports/broken", Handler: "brokenReport"},
		{Method: http.MethodGet, Path: "/reports/slow", Handler: "slowReport"},
	}
}

// HandlerOf names the handler of a route, or "?" when there is none.
func HandlerOf(route, method string) string {
	for _, rt := range Routes() {
		if rt.Path == route && rt.Method == method {
			return rt.Handler
		}
	}
	return "?"
}

// Layers lists every layer a route has, outside in, ending with its
// handler as "handler <name>".
func Layers(route, method string) []string {
	planned := GlobalLayers()
	for _, rt := range Routes() {
		if rt.Path == route && rt.Method == method {
			planned = append(append(planned, rt.Middleware...), "handler "+rt.Handler)
		}
	}
	return planned
}

// Param is one named part of the path the router captured.
type Param struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Step is what one layer did: handed on, answered, or was unwound.
type Step struct {
	Layer   string `json:"layer"`
	Outcome string `json:"outcome"`
}

// States of a layer in Walk.
const (
	Ran     = "ran"
	Stopped = "stopped"
	Skipped = "skipped"
)

// LayerState is a layer of the route with what it did in a run.
type LayerState struct {
	Layer   string
	Outcome string
	// State is Ran (it handed on, or it is the handler and answered),
	// Stopped (it answered by itself, or a panic unwound it) or Skipped
	// (it never ran).
	State string
}

// Walk lists every layer of the route, outside in, with what each did in
// the run — or that it never ran.
func (r Result) Walk(route, method string) []LayerState {
	planned := Layers(route, method)
	out := make([]LayerState, 0, len(planned))
	for _, layer := range planned {
		i := slices.IndexFunc(r.Chain, func(s Step) bool { return s.Layer == layer })
		switch {
		case i < 0:
			out = append(out, LayerState{Layer: layer, Outcome: "never ran", State: Skipped})
		case strings.HasPrefix(r.Chain[i].Outcome, "handed on"), strings.HasPrefix(layer, "handler ") && strings.HasPrefix(r.Chain[i].Outcome, "answered"):
			out = append(out, LayerState{Layer: layer, Outcome: r.Chain[i].Outcome, State: Ran})
		default:
			out = append(out, LayerState{Layer: layer, Outcome: r.Chain[i].Outcome, State: Stopped})
		}
	}
	return out
}

package web

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/trace"
)

// routingApp is the small airline API the routing lesson sends requests
// to. It is built with Echo like this server, but it is a router of its
// own with its own route table and middleware chain, so a visitor can
// watch a route match and each layer run — or panic, or time out — without
// touching the chain that serves them.
type routingApp struct {
	tracer  trace.Tracer
	limiter *tokenBuckets
	secret  []byte
}

func newRoutingApp(tracer trace.Tracer, now func() time.Time) *routingApp {
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	return &routingApp{tracer: tracer, secret: secret, limiter: newTokenBuckets(bookingBurst, bookingRefill, maxBuckets, now)}
}

// appRoute is one line of the app's route table: what the visitor sees
// is also what build registers.
type appRoute struct {
	Method     string   `json:"method"`
	Path       string   `json:"path"`
	Handler    string   `json:"handler"`
	Middleware []string `json:"middleware"`
}

// globalLayers run for every request, in this order, before the route's
// own; recover is left out when a run asks for no recover.
var globalLayers = [...]string{"logging", "recover"}

// appRoutes is the app's route table.
func appRoutes() []appRoute {
	auth := []string{"auth"}
	return []appRoute{
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

// appRun is what one request through the app left behind: which route
// the router picked, the layers that ran, the log lines and any panic.
// The app is built for each run, so nothing here is shared between
// visitors; the mutex covers handlers that outlive their response.
type appRun struct {
	recover bool
	mu      sync.Mutex
	log     bytes.Buffer
	route   string
	params  []pathParam
	steps   []chainStep
	panic   string
}

// pathParam is one named part of the path the router captured.
type pathParam struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// chainStep is what one layer did: handed on, answered, or was unwound.
type chainStep struct {
	Layer   string `json:"layer"`
	Outcome string `json:"outcome"`
}

func (r *appRun) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.log.Write(p)
}

func (r *appRun) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(r, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.String(slog.TimeKey, a.Value.Time().UTC().Format("15:04:05.000Z"))
		}
		return a
	}}))
}

// step records that a layer started and returns its index.
func (r *appRun) step(layer string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.steps = append(r.steps, chainStep{Layer: layer, Outcome: "handed on"})
	return len(r.steps) - 1
}

func (r *appRun) setOutcome(i int, outcome string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.steps[i].Outcome = outcome
}

// snapshot copies what the run recorded so far.
func (r *appRun) snapshot() (steps []chainStep, logLines []string, panicValue string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	lines := strings.Split(strings.TrimRight(r.log.String(), "\n"), "\n")
	if len(lines) == 1 && lines[0] == "" {
		lines = nil
	}
	return append([]chainStep(nil), r.steps...), lines, r.panic
}

// build makes a fresh copy of the app for one run: the same routes and
// layers every time, writing into run.
func (a *routingApp) build(run *appRun) *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = appErrorHandler
	log := run.logger()
	e.Use(a.layer(run, "logging", a.logging(run, log)))
	if run.recover {
		e.Use(a.layer(run, "recover", a.recoverPanics(run, log)))
	}
	handlers := a.handlers()
	for _, rt := range appRoutes() {
		var mws []echo.MiddlewareFunc
		for _, m := range rt.Middleware {
			switch m {
			case "auth":
				mws = append(mws, a.layer(run, m, a.authenticate))
			case "rate limit":
				mws = append(mws, a.layer(run, m, a.rateLimit))
			}
		}
		e.Add(rt.Method, rt.Path, a.handlerSpan(run, rt.Handler, handlers[rt.Handler]), mws...).Name = rt.Handler
	}
	return e
}

// appErrorHandler answers an error as a small JSON object, as most APIs
// do; a deadline becomes 503.
func appErrorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	code, msg := http.StatusInternalServerError, "internal error"
	var he *echo.HTTPError
	switch {
	case errors.As(err, &he):
		code, msg = he.Code, http.StatusText(he.Code)
		if s, ok := he.Message.(string); ok {
			msg = s
		}
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		code, msg = http.StatusServiceUnavailable, err.Error()
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(code)
		return
	}
	_ = c.JSON(code, map[string]string{"error": msg})
}

// bearerToken is the visitor's own API key for the demo app: a caller id
// and its signature, so the auth layer can check it without a database,
// and the rate limit can count each visitor apart even when a whole class
// shares one address.
func (a *routingApp) bearerToken(visitor string) string {
	sum := sha256.Sum256([]byte(visitor))
	caller := "v" + hex.EncodeToString(sum[:4])
	return caller + "." + a.sign(caller)
}

func (a *routingApp) sign(caller string) string {
	m := hmac.New(sha256.New, a.secret)
	m.Write([]byte(caller))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

// callerOf checks a token and returns the caller it names.
func (a *routingApp) callerOf(token string) (string, bool) {
	caller, sig, ok := strings.Cut(token, ".")
	if !ok || caller == "" {
		return "", false
	}
	return caller, hmac.Equal([]byte(sig), []byte(a.sign(caller)))
}

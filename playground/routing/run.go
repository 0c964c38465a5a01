package routing

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// Result is what one request through the app left behind; it is also the
// JSON twin of a run.
type Result struct {
	// Routes is the route table, when the run shows it.
	Routes []Route `json:"routes,omitempty"`
	// Route is the pattern the router picked, "" when none matched.
	Route  string  `json:"matched_route"`
	Params []Param `json:"path_params"`
	// Chain is every layer that started, outside in, with its outcome.
	Chain []Step `json:"chain"`
	// Log is the app's log lines, then net/http's first one, if any.
	Log []string `json:"log"`
	// Panic is the value the recover layer caught.
	Panic    string   `json:"panic,omitempty"`
	Exchange Exchange `json:"exchange"`
	// AnsweredMS and HandlerDoneMS time the timeout run from the send.
	AnsweredMS    float64 `json:"answered_ms,omitempty"`
	HandlerDoneMS float64 `json:"handler_done_ms,omitempty"`
	// Answered and HandlerDone are the same, unrounded.
	Answered    time.Duration `json:"-"`
	HandlerDone time.Duration `json:"-"`
}

// appRun records one request through the app: which route the router
// picked, the layers that ran, the log lines and any panic. The app is
// built for each run, so nothing here is shared between visitors; the
// mutex covers handlers that outlive their response.
type appRun struct {
	recover bool
	mu      sync.Mutex
	log     bytes.Buffer
	route   string
	params  []Param
	steps   []Step
	panic   string
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
	r.steps = append(r.steps, Step{Layer: layer, Outcome: "handed on"})
	return len(r.steps) - 1
}

func (r *appRun) setOutcome(i int, outcome string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.steps[i].Outcome = outcome
}

// lines returns the log so far, one entry a line.
func (r *appRun) lines() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	lines := strings.Split(strings.TrimRight(r.log.String(), "\n"), "\n")
	if len(lines) == 1 && lines[0] == "" {
		return nil
	}
	return lines
}

// result copies what the run recorded so far, with the exchange.
func (r *appRun) result(x Exchange) Result {
	lines := r.lines()
	r.mu.Lock()
	defer r.mu.Unlock()
	res := Result{Route: r.route, Params: slices.Clone(r.params), Chain: slices.Clone(r.steps), Log: lines, Panic: r.panic, Exchange: x}
	if res.Params == nil {
		res.Params = []Param{}
	}
	if res.Log == nil {
		res.Log = []string{}
	}
	return res
}

// build makes a fresh copy of the app for one run: the same routes and
// layers every time, writing into r.
func (a *App) build(r *appRun) *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = errorHandler
	log := r.logger()
	e.Use(a.layer(r, "logging", a.logging(r, log)))
	if r.recover {
		e.Use(a.layer(r, "recover", a.recoverPanics(r, log)))
	}
	handlers := a.handlers()
	for _, rt := range Routes() {
		var mws []echo.MiddlewareFunc
		for _, m := range rt.Middleware {
			switch m {
			case "auth":
				mws = append(mws, a.layer(r, m, a.authenticate))
			case "rate limit":
				mws = append(mws, a.layer(r, m, a.rateLimit))
			}
		}
		e.Add(rt.Method, rt.Path, a.handlerSpan(r, rt.Handler, handlers[rt.Handler]), mws...).Name = rt.Handler
	}
	return e
}

// errorHandler answers an error as a small JSON object, as most APIs
// do; a deadline becomes 503.
func errorHandler(err error, c echo.Context) {
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

// BearerToken is a visitor's own API key for the app: a caller id and its
// signature, so the auth layer can check it without a database, and the
// rate limit can count each visitor apart even when a whole class shares
// one address.
func (a *App) BearerToken(visitor string) string {
	sum := sha256.Sum256([]byte(visitor))
	caller := "v" + hex.EncodeToString(sum[:4])
	return caller + "." + a.sign(caller)
}

func (a *App) sign(caller string) string {
	m := hmac.New(sha256.New, a.secret)
	m.Write([]byte(caller))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

// callerOf checks a token and returns the caller it names.
func (a *App) callerOf(token string) (string, bool) {
	caller, sig, ok := strings.Cut(token, ".")
	if !ok || caller == "" {
		return "", false
	}
	return caller, hmac.Equal([]byte(sig), []byte(a.sign(caller)))
}

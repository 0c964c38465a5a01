package routing

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Tokens a booking can carry.
const (
	TokenValid = "valid" // the visitor's own token
	TokenNone  = "none"  // no Authorization header
	TokenWrong = "wrong" // the visitor's caller id with a forged signature
)

// Bugs brokenReport can set off.
const (
	BugNilMap     = "nil-map"
	BugIndex      = "index"
	BugNilPointer = "nil-pointer"
)

// Ask sends method and target (a request target, already encoded) to the
// app with every layer in place. The result lists the route table.
func (a *App) Ask(ctx context.Context, method, target string) (Result, error) {
	r := &appRun{recover: true}
	x, err := a.sendInProcess(ctx, a.serve(a.build(r)), request{Method: method, Target: target, Header: http.Header{"Accept": {"application/json"}}})
	if err != nil {
		return Result{}, fmt.Errorf("routing: asking for %s: %w", target, err)
	}
	res := r.result(x)
	res.Routes = Routes()
	return res, nil
}

// Book sends POST /bookings for visitor with a token of the given kind
// (TokenValid, TokenNone or TokenWrong). Each valid booking spends one of
// the visitor's BookingBurst tokens of the rate limit.
func (a *App) Book(ctx context.Context, visitor, token string) (Result, error) {
	h := http.Header{"Content-Type": {"application/json"}}
	switch t := a.BearerToken(visitor); token {
	case TokenValid:
		h.Set("Authorization", "Bearer "+t)
	case TokenWrong:
		caller, _, _ := strings.Cut(t, ".")
		h.Set("Authorization", "Bearer "+caller+".forged-signature")
	}
	r := &appRun{recover: true}
	x, err := a.sendInProcess(ctx, a.serve(a.build(r)), request{Method: http.MethodPost, Target: "/bookings", Header: h, Body: `{"flight":"ER042"}`})
	if err != nil {
		return Result{}, fmt.Errorf("routing: booking: %w", err)
	}
	return r.result(x), nil
}

// Panic asks for GET /reports/broken, which sets off bug. With recover
// the request stays in process; without it the app is served on a
// loopback listener for this one request, so the panic meets net/http's
// own last resort, and net/http's first log line ends the result's Log.
func (a *App) Panic(ctx context.Context, bug string, recover bool) (Result, error) {
	r := &appRun{recover: recover}
	req := request{Method: http.MethodGet, Target: "/reports/broken?kind=" + bug, Header: http.Header{"Accept": {"text/html"}}}
	h := a.serve(a.build(r))
	if recover {
		x, err := a.sendInProcess(ctx, h, req)
		if err != nil {
			return Result{}, fmt.Errorf("routing: asking for the broken report: %w", err)
		}
		return r.result(x), nil
	}
	x, httpLog, err := a.sendLoopback(ctx, h, req)
	if err != nil {
		return Result{}, fmt.Errorf("routing: asking for the broken report: %w", err)
	}
	res := r.result(x)
	if httpLog != "" {
		res.Log = append(res.Log, httpLog)
	}
	return res, nil
}

// Slow asks for GET /reports/slow, whose handler works for work (at most
// MaxWorkMS), behind a timeout layer (http.TimeoutHandler) outside the
// app that answers 503 after timeout. A handler that ignores its context
// works on after the answer; Slow waits for it, so nothing is left
// running, and reports both times.
func (a *App) Slow(ctx context.Context, work, timeout time.Duration, ignoreContext bool) (Result, error) {
	r := &appRun{recover: true}
	done := make(chan struct{})
	inner := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		defer close(done)
		a.build(r).ServeHTTP(w, req)
	})
	h := a.serve(http.TimeoutHandler(inner, timeout, "The report took too long.\n"))
	target := fmt.Sprintf("/reports/slow?ms=%d", work.Milliseconds())
	if ignoreContext {
		target += "&ctx=ignore"
	}
	start := time.Now()
	x, err := a.sendInProcess(ctx, h, request{Method: http.MethodGet, Target: target, Header: http.Header{"Accept": {"application/json"}}})
	answered := time.Since(start)
	if err != nil {
		// The request was never made, so the handler never started.
		return Result{}, fmt.Errorf("routing: asking for the slow report: %w", err)
	}
	// The handler may still be working: wait for it (it is bounded by
	// MaxWorkMS), so the trace shows where it ended and nothing is left
	// running after the run.
	<-done
	finished := time.Since(start)
	res := r.result(x)
	res.Answered, res.HandlerDone = answered, finished
	res.AnsweredMS, res.HandlerDoneMS = roundMS(answered), roundMS(finished)
	return res, nil
}

func roundMS(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

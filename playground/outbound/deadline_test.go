package outbound

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

// slack is how much later than its deadline a call may answer: generous,
// for loaded machines and the race detector.
const slack = 400 * time.Millisecond

func TestHangingServerAnswersWithinTheDeadline(t *testing.T) {
	tests := []struct {
		name     string
		method   string
		policy   Policy
		parent   time.Duration // a deadline of the caller's own, if any
		within   time.Duration
		kind     Kind
		attempts int
		why      string
	}{
		{name: "GET retried until the deadline", method: "GET",
			policy: Policy{Deadline: 400 * time.Millisecond, AttemptTimeout: 150 * time.Millisecond,
				MaxAttempts: 10, BaseDelay: 10 * time.Millisecond, MaxDelay: 20 * time.Millisecond},
			within: 400 * time.Millisecond, kind: KindTimeout, attempts: -1},
		{name: "GET: every attempt times out", method: "GET",
			policy: Policy{Deadline: 2 * time.Second, AttemptTimeout: 100 * time.Millisecond,
				MaxAttempts: 2, BaseDelay: 10 * time.Millisecond},
			within: 250 * time.Millisecond, kind: KindTimeout, attempts: 2, why: "all 2 attempts used"},
		{name: "POST without a key: one attempt", method: "POST",
			policy: Policy{Deadline: 2 * time.Second, AttemptTimeout: 100 * time.Millisecond},
			within: 100 * time.Millisecond, kind: KindTimeout, attempts: 1, why: "without an Idempotency-Key"},
		{name: "deadline shorter than the attempt timeout", method: "GET",
			policy: Policy{Deadline: 150 * time.Millisecond, AttemptTimeout: 5 * time.Second},
			within: 150 * time.Millisecond, kind: KindTimeout, attempts: 1, why: "no time left before the deadline"},
		{name: "the caller's deadline comes first", method: "GET", parent: 100 * time.Millisecond,
			policy: Policy{Deadline: 5 * time.Second, AttemptTimeout: 2 * time.Second},
			within: 100 * time.Millisecond, kind: KindTimeout, attempts: 1, why: "the caller's deadline passed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, s := serve(t, step{hang: true})
			c := New(Options{Policy: tt.policy})
			t.Cleanup(c.Close)
			ctx := context.Background()
			if tt.parent > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.parent)
				defer cancel()
			}
			start := time.Now()
			_, err := c.Do(ctx, Call{Service: "svc", Key: "v", Method: tt.method, URL: srv.URL})
			elapsed := time.Since(start)
			if elapsed > tt.within+slack {
				t.Errorf("answered after %v, want within %v (+%v slack)", elapsed, tt.within, slack)
			}
			e := asError(t, err)
			if e.Kind != tt.kind {
				t.Errorf("kind = %v, want %v (%v)", e.Kind, tt.kind, e)
			}
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("error %v does not wrap context.DeadlineExceeded", err)
			}
			if tt.attempts > 0 && e.Attempts != tt.attempts {
				t.Errorf("attempts = %d, want %d", e.Attempts, tt.attempts)
			}
			if tt.attempts < 0 && e.Attempts < 2 {
				t.Errorf("attempts = %d, want several", e.Attempts)
			}
			if got := len(s.requests()); got != e.Attempts {
				t.Errorf("server got %d requests, error says %d", got, e.Attempts)
			}
		})
	}
}

func TestNoRetryWhenTheDeadlineIsTooClose(t *testing.T) {
	srv, _ := serve(t, step{status: 503})
	c := newTestClient(t, Options{Policy: Policy{BaseDelay: time.Second, MaxDelay: time.Second}})
	c.opts.Rand = fixedRand(0.99)
	tests := []struct {
		name     string
		deadline time.Duration
		attempts int
		sleeps   int
		why      string
	}{
		// 990 ms of jitter, cut to fit 1 s - 20 ms.
		{name: "cut to fit", deadline: time.Second, attempts: 3, sleeps: 2, why: "all 3 attempts used"},
		{name: "no room at all", deadline: 15 * time.Millisecond, attempts: 1, why: "of the deadline is left"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(c.time.Sleeps())
			_, err := c.Do(context.Background(), Call{Service: "svc", Key: tt.name, URL: srv.URL, Policy: Policy{Deadline: tt.deadline}})
			e := asError(t, err)
			if e.Attempts != tt.attempts || len(c.time.Sleeps())-before != tt.sleeps {
				t.Errorf("attempts = %d, sleeps = %v", e.Attempts, c.time.Sleeps()[before:])
			}
			var total time.Duration
			for _, d := range c.time.Sleeps()[before:] {
				total += d
			}
			if total > tt.deadline {
				t.Errorf("slept %v in all, past the deadline of %v", total, tt.deadline)
			}
			spans := c.spans()
			call := spans[len(spans)-1]
			if got := attrs(call)["outbound.no_retry_reason"]; !strings.Contains(got, tt.why) {
				t.Errorf("no_retry_reason = %q, want %q", got, tt.why)
			}
		})
	}
}

func TestCanceledCaller(t *testing.T) {
	srv, s := serve(t, step{hang: true})
	c := newTestClient(t, Options{Breaker: BreakerSettings{Failures: 1}})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for len(s.requests()) == 0 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	_, err := c.Do(ctx, Call{Service: "svc", Key: "v", URL: srv.URL})
	e := asError(t, err)
	if e.Kind != KindCanceled || e.Attempts != 1 || !errors.Is(err, context.Canceled) {
		t.Errorf("error = %+v", e)
	}
	if st := c.State("svc", "v"); st.Mode != Closed || st.Failures != 0 {
		t.Errorf("a canceled call counted against the breaker: %+v", st)
	}
}

func TestCanceledDuringTheWait(t *testing.T) {
	srv, _ := serve(t, step{status: 503})
	ctx, cancel := context.WithCancel(context.Background())
	c := newTestClient(t, Options{Sleep: func(ctx context.Context, d time.Duration) error {
		cancel()
		return sleep(ctx, d)
	}})
	_, err := c.Do(ctx, Call{Service: "svc", URL: srv.URL})
	e := asError(t, err)
	if e.Kind != KindCanceled || e.Attempts != 1 || e.Status != 503 || !errors.Is(err, context.Canceled) {
		t.Errorf("error = %+v", e)
	}
	backoff := spanNamed(t, c.spans(), "backoff 50 ms before attempt 2")
	if backoff.Status().Description != "context canceled" {
		t.Errorf("backoff span status = %+v", backoff.Status())
	}
}

func TestNetworkErrorIsRetried(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there now
	c := newTestClient(t, Options{})
	_, err = c.Do(context.Background(), Call{Service: "svc", Key: "v", URL: url})
	e := asError(t, err)
	if e.Kind != KindUnavailable || e.Attempts != 3 || e.Status != 0 || e.Err == nil {
		t.Errorf("error = %+v", e)
	}
	if st := c.State("svc", "v"); st.Mode != Open {
		t.Errorf("breaker = %+v, want open after 3 network errors", st)
	}
	spans := c.spans()
	first := spanNamed(t, spans, "GET / (attempt 1 of 3)")
	if got := attrs(first)["error.type"]; got != "unavailable" {
		t.Errorf("error.type = %q", got)
	}
	if !strings.HasPrefix(first.Status().Description, "network error: ") {
		t.Errorf("status = %q", first.Status().Description)
	}
}

func TestSleep(t *testing.T) {
	if err := sleep(context.Background(), time.Millisecond); err != nil {
		t.Errorf("sleep: %v", err)
	}
	if err := sleep(context.Background(), 0); err != nil {
		t.Errorf("sleep 0: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	if err := sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("sleep on a canceled context = %v", err)
	}
	if time.Since(start) > time.Second {
		t.Error("sleep outlived its context")
	}
}

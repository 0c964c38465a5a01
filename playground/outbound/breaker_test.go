package outbound

import (
	"context"
	"strings"
	"testing"
	"time"
)

// once is a policy of a single attempt, so each call is one breaker count.
var once = Policy{MaxAttempts: 1}

func TestBreakerOpensFailsFastAndRecovers(t *testing.T) {
	const openFor = 150 * time.Millisecond
	srv, s := serve(t, step{status: 500})
	c := newTestClient(t, Options{Policy: once, Breaker: BreakerSettings{Failures: 3, OpenFor: openFor}})
	call := Call{Service: "pay", Key: "alice", URL: srv.URL}
	do := func() error {
		_, err := c.Do(context.Background(), call)
		return err
	}

	for i := 1; i <= 3; i++ {
		if e := asError(t, do()); e.Kind != KindUnavailable {
			t.Fatalf("call %d: %v", i, e)
		}
		st := c.State("pay", "alice")
		want := Closed
		if i == 3 {
			want = Open
		}
		if st.Mode != want || st.Threshold != 3 {
			t.Fatalf("after %d failures: %+v, want %v", i, st, want)
		}
		if i < 3 && (st.ConsecutiveFailures != i || st.Failures != i || st.Requests != i) {
			t.Errorf("after %d failures: %+v", i, st)
		}
	}
	opened := time.Now()
	st := c.State("pay", "alice")
	if st.RetryAt.Before(opened.Add(openFor-50*time.Millisecond)) || st.RetryAt.After(opened.Add(openFor)) {
		t.Errorf("RetryAt = %v, want about %v from %v", st.RetryAt, openFor, opened)
	}

	start := time.Now()
	e := asError(t, do())
	if e.Kind != KindBreakerOpen || e.Attempts != 0 || e.RetryAfter <= 0 || e.RetryAfter > openFor {
		t.Errorf("open breaker: %+v", e)
	}
	if time.Since(start) > 50*time.Millisecond {
		t.Errorf("an open breaker took %v to fail", time.Since(start))
	}
	if len(s.requests()) != 3 {
		t.Errorf("server got %d requests, want the 3 before the breaker opened", len(s.requests()))
	}
	if !strings.Contains(e.Error(), "outbound: calling pay: circuit breaker open, next try in ") {
		t.Errorf("Error() = %q", e.Error())
	}

	time.Sleep(time.Until(st.RetryAt) + 10*time.Millisecond)
	if st := c.State("pay", "alice"); st.Mode != HalfOpen {
		t.Fatalf("after %v: %+v, want half-open", openFor, st)
	}
	s.set(step{status: 200})
	if err := do(); err != nil {
		t.Fatalf("probe: %v", err)
	}
	if st := c.State("pay", "alice"); st.Mode != Closed || st.ConsecutiveFailures != 0 || !st.RetryAt.IsZero() {
		t.Errorf("after a good probe: %+v, want closed", st)
	}
}

func TestBreakerProbeFailureOpensAgain(t *testing.T) {
	srv, _ := serve(t, step{status: 503})
	c := newTestClient(t, Options{Policy: once, Breaker: BreakerSettings{Failures: 1, OpenFor: 30 * time.Millisecond}})
	call := Call{Service: "pay", Key: "bob", URL: srv.URL}
	_, _ = c.Do(context.Background(), call)
	if st := c.State("pay", "bob"); st.Mode != Open {
		t.Fatalf("%+v, want open", st)
	}
	time.Sleep(40 * time.Millisecond)
	_, err := c.Do(context.Background(), call)
	if e := asError(t, err); e.Kind != KindUnavailable || e.Attempts != 1 {
		t.Errorf("probe: %+v", e)
	}
	if st := c.State("pay", "bob"); st.Mode != Open {
		t.Errorf("after a failed probe: %+v, want open", st)
	}
}

func TestBreakerHalfOpenLetsOneProbeThrough(t *testing.T) {
	srv, s := serve(t, step{status: 500})
	c := newTestClient(t, Options{Policy: once, Breaker: BreakerSettings{Failures: 1, OpenFor: 20 * time.Millisecond}})
	call := Call{Service: "pay", Key: "carol", URL: srv.URL}
	_, _ = c.Do(context.Background(), call)
	time.Sleep(30 * time.Millisecond)
	s.set(step{hang: true})
	probe := make(chan error, 1)
	go func() {
		_, err := c.Do(context.Background(), Call{Service: "pay", Key: "carol", URL: srv.URL,
			Policy: Policy{MaxAttempts: 1, Deadline: 5 * time.Second, AttemptTimeout: 5 * time.Second}})
		probe <- err
	}()
	for len(s.requests()) == 0 {
		time.Sleep(time.Millisecond)
	}
	_, err := c.Do(context.Background(), call)
	e := asError(t, err)
	if e.Kind != KindBreakerOpen || e.RetryAfter != 0 || !strings.Contains(e.Error(), "half-open, a probe is already under way") {
		t.Errorf("second call while probing: %+v %q", e, e.Error())
	}
	refused := c.spans()[len(c.spans())-1]
	if got := attrs(refused)["outbound.no_retry_reason"]; got != "the circuit breaker is half-open and its probe is under way: the service was not called" {
		t.Errorf("no_retry_reason = %q", got)
	}
	s.stop <- struct{}{} // let the probe's request end (empty 200)
	if err := <-probe; err != nil {
		t.Errorf("probe: %v", err)
	}
	if st := c.State("pay", "carol"); st.Mode != Closed {
		t.Errorf("after the probe: %+v", st)
	}
}

func TestBreakerStopsRetriesOnceOpen(t *testing.T) {
	srv, s := serve(t, step{status: 502})
	c := newTestClient(t, Options{Breaker: BreakerSettings{Failures: 2}})
	_, err := c.Do(context.Background(), Call{Service: "pay", Key: "dan", URL: srv.URL})
	e := asError(t, err)
	if e.Kind != KindUnavailable || e.Attempts != 2 || e.Status != 502 || len(s.requests()) != 2 {
		t.Errorf("error = %+v, server got %d", e, len(s.requests()))
	}
	spans := c.spans()
	call := attrs(spans[len(spans)-1])
	if call["outbound.no_retry_reason"] != "the circuit breaker opened: no further attempts" ||
		call["outbound.breaker.before"] != "closed" || call["outbound.breaker.after"] != "open" {
		t.Errorf("call span = %v", call)
	}
}

func TestBreakerCounts(t *testing.T) {
	tests := []struct {
		name     string
		steps    []step
		into     any
		mode     Mode
		failures int
		requests int
	}{
		{name: "4xx are not counted", steps: []step{{status: 400}, {status: 402}, {status: 404}, {status: 409}},
			mode: Closed, failures: 0, requests: 4},
		{name: "4xx do not break a run of failures", steps: []step{{status: 500}, {status: 500}, {status: 402}, {status: 500}},
			mode: Open, failures: 0, requests: 0},
		{name: "successes break a run of failures", steps: []step{{status: 500}, {status: 500}, {status: 200}, {status: 500}},
			mode: Closed, failures: 3, requests: 4},
		{name: "429 is counted", steps: []step{{status: 429}, {status: 429}, {status: 429}},
			mode: Open},
		{name: "malformed replies are counted", steps: []step{{status: 200, body: `{"id":`}},
			into: new(map[string]any), mode: Closed, failures: 1, requests: 1},
		{name: "malformed replies open it", steps: []step{{status: 200, body: `{"id":`}, {status: 200, body: `[]`}, {status: 200, body: `nope`}},
			into: new(map[string]any), mode: Open},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := serve(t, tt.steps...)
			c := newTestClient(t, Options{Policy: once})
			for range tt.steps {
				_, err := c.Do(context.Background(), Call{Service: "pay", Key: "v", URL: srv.URL, Into: tt.into})
				if tt.into != nil && asError(t, err).Kind != KindMalformed {
					t.Errorf("kind = %v, want malformed", asError(t, err).Kind)
				}
			}
			st := c.State("pay", "v")
			if st.Mode != tt.mode || st.Failures != tt.failures || st.Requests != tt.requests {
				t.Errorf("state = %+v, want %v with %d failures of %d requests", st, tt.mode, tt.failures, tt.requests)
			}
		})
	}
}

func TestBreakersArePerServiceAndKey(t *testing.T) {
	bad, _ := serve(t, step{status: 500})
	good, _ := serve(t, step{status: 200})
	c := newTestClient(t, Options{Policy: once})
	for range 3 {
		_, _ = c.Do(context.Background(), Call{Service: "pay", Key: "alice", URL: bad.URL})
	}
	if st := c.State("pay", "alice"); st.Mode != Open {
		t.Fatalf("alice: %+v", st)
	}
	for _, call := range []Call{
		{Service: "pay", Key: "bob", URL: good.URL},
		{Service: "email", Key: "alice", URL: good.URL},
		{Service: "pay", URL: good.URL},
	} {
		if _, err := c.Do(context.Background(), call); err != nil {
			t.Errorf("%s/%s: %v", call.Service, call.Key, err)
		}
		if st := c.State(call.Service, call.Key); st.Mode != Closed || st.Successes != 1 {
			t.Errorf("%s/%s: %+v", call.Service, call.Key, st)
		}
	}
	if _, err := c.Do(context.Background(), Call{Service: "pay", Key: "alice", URL: good.URL}); asError(t, err).Kind != KindBreakerOpen {
		t.Errorf("alice: %v", err)
	}
}

func TestBreakersAreCapped(t *testing.T) {
	bad, _ := serve(t, step{status: 500})
	c := newTestClient(t, Options{Policy: once, MaxBreakers: 2, Breaker: BreakerSettings{Failures: 1}})
	do := func(key string) {
		_, _ = c.Do(context.Background(), Call{Service: "pay", Key: key, URL: bad.URL})
	}
	do("a")
	do("b")
	do("a") // a is now the most recently used: b goes first
	do("c")
	if n := c.breakers.len(); n != 2 {
		t.Errorf("%d breakers kept, want 2", n)
	}
	if st := c.State("pay", "a"); st.Mode != Open {
		t.Errorf("a: %+v, want kept and open", st)
	}
	if st := c.State("pay", "b"); st.Mode != Closed || st.Requests != 0 || st.Threshold != 1 {
		t.Errorf("b: %+v, want dropped", st)
	}
	if st := c.State("pay", "c"); st.Mode != Open {
		t.Errorf("c: %+v", st)
	}
}

func TestDefaultBreakerSettings(t *testing.T) {
	c := New(Options{})
	defer c.Close()
	if got, want := c.opts.Breaker, (BreakerSettings{Failures: 3, OpenFor: 10 * time.Second, Probes: 1}); got != want {
		t.Errorf("breaker settings = %+v, want %+v", got, want)
	}
	if c.opts.MaxBreakers != 10_000 || c.opts.Policy != defaultPolicy || c.opts.MaxReplyBytes != 1<<20 {
		t.Errorf("options = %+v", c.opts)
	}
	if st := c.State("x", "y"); st != (BreakerState{Mode: Closed, Threshold: 3}) {
		t.Errorf("state of a pair never called = %+v", st)
	}
}

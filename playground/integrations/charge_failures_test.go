package integrations

import (
	"context"
	"net/http"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/engineroom/engineroom/playground/outbound"
	"github.com/engineroom/engineroom/playground/upstream"
)

func TestChargeProcessingError(t *testing.T) {
	w := newWorld(t, nil)
	tests := []struct {
		name     string
		key      string
		attempts int
	}{
		{name: "with a key: retried after Retry-After", key: "order-p", attempts: 2},
		{name: "without a key: not retried", attempts: 1},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			visitor := "processing" + strconv.Itoa(i)
			ctx, root := w.traced(context.Background(), tt.name)
			start := time.Now()
			_, err := w.app.Charge(ctx, visitor, ChargeRequest{Card: upstream.CardProcessingError, AmountCents: 700,
				Key: tt.key, Policy: outbound.Policy{MaxAttempts: 2}})
			elapsed := time.Since(start)
			root.End()
			e := asError(t, err)
			if e.Kind != outbound.KindUnavailable || e.Status != http.StatusServiceUnavailable ||
				e.Attempts != tt.attempts || e.RetryAfter != time.Second {
				t.Errorf("error = %+v", e)
			}
			if code, _, field := ProblemOf(err); code != "processing_error" || field != "" {
				t.Errorf("ProblemOf = %q, field %q", code, field)
			}
			want := Outcome{Title: "The payment gateway is having trouble",
				Message: "It answered with an error. " + unknownOrSafe(tt.key != ""), Safe: tt.key != "", RetryAfter: time.Second}
			if got := Explain(PaymentsService, err, tt.key != ""); got != want {
				t.Errorf("Explain = %+v, want %+v", got, want)
			}
			if minWait := time.Duration(tt.attempts-1) * time.Second; elapsed < minWait {
				t.Errorf("Charge took %s, want the gateway's Retry-After of 1s between attempts", elapsed)
			}

			spans := w.spansOf(root)
			if n := len(prefixed(spans, "POST /v1/payments (attempt ")); n != tt.attempts {
				t.Errorf("%d attempt spans, want %d", n, tt.attempts)
			}
			waits := prefixed(spans, "backoff ")
			if len(waits) != tt.attempts-1 {
				t.Fatalf("%d backoff spans, want %d", len(waits), tt.attempts-1)
			}
			for _, s := range waits {
				if a := attrs(s); a["outbound.backoff_ms"] != "1000" {
					t.Errorf("%s: attributes %v, want a wait of the Retry-After", s.Name(), a)
				}
			}
			if a := attrs(one(t, spans, "payment gateway: authorize")); a["outbound.attempts"] != strconv.Itoa(tt.attempts) ||
				a["outbound.outcome"] != "unavailable" {
				t.Errorf("authorize attributes = %v", a)
			}
			if len(named(spans, "payment gateway: capture")) != 0 {
				t.Error("a capture was attempted after the authorization failed")
			}
		})
	}
}

// TestChargeLatency shows the latency fault against the attempt timeout:
// each attempt is given up, and only a request with a key is tried again.
func TestChargeLatency(t *testing.T) {
	w := newWorld(t, nil)
	tests := []struct {
		name     string
		key      string
		attempts int
	}{
		{name: "with a key: retried", key: "order-l", attempts: 3},
		{name: "without a key: one attempt", attempts: 1},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			visitor := "slow" + strconv.Itoa(i)
			setFaults(t, w.app, visitor, PaymentsService, Faults{LatencyMS: 600})
			start := time.Now()
			p, err := w.app.Charge(context.Background(), visitor, ChargeRequest{Card: upstream.CardSuccess, AmountCents: 300,
				Key: tt.key, Policy: outbound.Policy{Deadline: 2 * time.Second, AttemptTimeout: 200 * time.Millisecond,
					MaxAttempts: 3, BaseDelay: 10 * time.Millisecond}})
			elapsed := time.Since(start)
			if !reflect.DeepEqual(p, Charged{}) {
				t.Errorf("payment = %+v, want none", p)
			}
			e := asError(t, err)
			if e.Kind != outbound.KindTimeout || e.Attempts != tt.attempts || e.Status != 0 || e.Reply != nil {
				t.Errorf("error = %+v", e)
			}
			want := Outcome{Title: "The payment gateway did not answer in time", Message: unknownOrSafe(tt.key != ""),
				Safe: tt.key != ""}
			if got := Explain(PaymentsService, err, tt.key != ""); got != want {
				t.Errorf("Explain = %+v, want %+v", got, want)
			}
			if lo, hi := time.Duration(tt.attempts)*200*time.Millisecond, 2*time.Second; elapsed < lo || elapsed > hi {
				t.Errorf("Charge took %s, want %s to %s", elapsed, lo, hi)
			}
		})
	}
}

func TestChargeHang(t *testing.T) {
	w := newWorld(t, nil)
	setFaults(t, w.app, "hung", PaymentsService, Faults{Hang: true})
	const deadline = 700 * time.Millisecond
	start := time.Now()
	_, err := w.app.Charge(context.Background(), "hung", ChargeRequest{Card: upstream.CardSuccess, AmountCents: 100,
		Key: "order-h", Policy: outbound.Policy{Deadline: deadline, AttemptTimeout: 300 * time.Millisecond,
			BaseDelay: 10 * time.Millisecond}})
	elapsed := time.Since(start)
	e := asError(t, err)
	if e.Kind != outbound.KindTimeout || e.Attempts < 2 || e.Status != 0 {
		t.Errorf("error = %+v", e)
	}
	if elapsed < 300*time.Millisecond || elapsed > deadline+500*time.Millisecond {
		t.Errorf("Charge took %s, want it to end at the %s deadline", elapsed, deadline)
	}
	want := Outcome{Title: "The payment gateway did not answer in time", Message: safeMsg, Safe: true}
	if got := Explain(PaymentsService, err, true); got != want {
		t.Errorf("Explain = %+v, want %+v", got, want)
	}
}

func TestChargeMalformed(t *testing.T) {
	w := newWorld(t, nil)
	setFaults(t, w.app, "garbled", PaymentsService, Faults{Malformed: true})
	_, err := w.app.Charge(context.Background(), "garbled", ChargeRequest{Card: upstream.CardSuccess, AmountCents: 100, Key: "order-m"})
	e := asError(t, err)
	if e.Kind != outbound.KindMalformed || e.Attempts != 1 || e.Status != http.StatusOK {
		t.Errorf("error = %+v", e)
	}
	want := Outcome{Title: "The payment gateway sent an answer we cannot read", Message: safeMsg, Safe: true}
	if got := Explain(PaymentsService, err, true); got != want {
		t.Errorf("Explain = %+v, want %+v", got, want)
	}
	if st := w.app.Breaker(PaymentsService, "garbled"); st.Failures != 1 {
		t.Errorf("breaker = %+v, want the malformed answer counted", st)
	}
}

func TestChargeCanceled(t *testing.T) {
	w := newWorld(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := w.app.Charge(ctx, "quitter", ChargeRequest{Card: upstream.CardSuccess, AmountCents: 100})
	if e := asError(t, err); e.Kind != outbound.KindCanceled {
		t.Errorf("error = %+v", e)
	}
	want := Outcome{Title: "Cancelled", Message: "The request was cancelled before an answer came back. " + unknownMsg}
	if got := Explain(PaymentsService, err, false); got != want {
		t.Errorf("Explain = %+v, want %+v", got, want)
	}
}

func TestChargeBreaker(t *testing.T) {
	w := newWorld(t, nil)
	ctx := context.Background()
	setFaults(t, w.app, "anna", PaymentsService, Faults{ErrorRate: 1})
	charge := ChargeRequest{Card: upstream.CardSuccess, AmountCents: 100}
	for i := range 3 {
		_, err := w.app.Charge(ctx, "anna", charge)
		if e := asError(t, err); e.Kind != outbound.KindUnavailable || e.Status != http.StatusInternalServerError || e.Attempts != 1 {
			t.Fatalf("charge %d: error = %+v", i+1, e)
		}
	}
	st := w.app.Breaker(PaymentsService, "anna")
	if st.Mode != outbound.Open || st.Threshold != 3 || !st.RetryAt.After(time.Now()) {
		t.Fatalf("breaker after 3 failures = %+v, want open", st)
	}

	start := time.Now()
	_, err := w.app.Charge(ctx, "anna", charge)
	if took := time.Since(start); took > 100*time.Millisecond {
		t.Errorf("a charge through an open breaker took %s, want it to fail fast", took)
	}
	e := asError(t, err)
	if e.Kind != outbound.KindBreakerOpen || e.Attempts != 0 || e.RetryAfter <= 0 || e.RetryAfter > 10*time.Second || e.Reply != nil {
		t.Errorf("error = %+v", e)
	}
	want := Outcome{Title: "The payment gateway is paused",
		Message: "It failed several times in a row, so the app stopped calling it for a moment (the circuit breaker is open). " +
			"Nothing was sent; your data is kept.",
		Safe: true, RetryAfter: e.RetryAfter}
	if got := Explain(PaymentsService, err, false); got != want {
		t.Errorf("Explain = %+v, want %+v", got, want)
	}

	if p, err := w.app.Charge(ctx, "ben", charge); err != nil || p.Status != upstream.StatusCaptured {
		t.Errorf("another visitor's charge = %+v, %v", p, err)
	}
	if st := w.app.Breaker(PaymentsService, "ben"); st.Mode != outbound.Closed || st.Failures != 0 {
		t.Errorf("the other visitor's breaker = %+v", st)
	}

	// The fault switches have a breaker of their own: the visitor can
	// still turn the faults off while the payments breaker is open.
	got, err := w.app.SetFaults(ctx, "anna", PaymentsService, Faults{})
	if err != nil || got != (Faults{}) {
		t.Fatalf("SetFaults while the breaker is open = %+v, %v", got, err)
	}
	if m := w.app.ActiveFaults("anna"); len(m) != 0 {
		t.Errorf("ActiveFaults = %v, want none", m)
	}
	if st := w.app.Breaker(PaymentsService, "anna"); st.Mode != outbound.Open {
		t.Errorf("breaker = %+v, want still open until its time is up", st)
	}
}

package outbound

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/engineroom/engineroom/playground/upstream"
)

// TestAgainstTheGateway calls the simulated payment gateway the way the
// shop does, one visitor (account) per case.
func TestAgainstTheGateway(t *testing.T) {
	g, err := upstream.StartGateway(upstream.GatewayOptions{Seed: 1, MaxHang: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = g.Close() })
	c := newTestClient(t, Options{})

	call := func(visitor, card string) Call {
		return Call{
			Service: "payments", Key: visitor, Name: "payment gateway: authorize",
			Method: "POST", URL: g.URL() + "/v1/payments", IdempotencyKey: "order-" + visitor,
			Header: http.Header{"Authorization": {"Bearer " + visitor}},
			Body:   []byte(`{"amount_cents":1200,"currency":"EUR","card_number":"` + card + `"}`),
		}
	}
	faults := func(visitor, body string) {
		t.Helper()
		_, err := c.Do(context.Background(), Call{Service: "payments-control", Key: visitor, Method: "PUT",
			URL: g.URL() + "/v1/faults", Header: http.Header{"Authorization": {"Bearer " + visitor}}, Body: []byte(body)})
		if err != nil {
			t.Fatalf("switching faults: %v", err)
		}
	}

	t.Run("authorized", func(t *testing.T) {
		var p upstream.Payment
		cl := call("alice", upstream.CardSuccess)
		cl.Into = &p
		reply, err := c.Do(context.Background(), cl)
		if err != nil || reply.Status != http.StatusCreated || p.Status != upstream.StatusAuthorized || p.CardLast4 != "4242" {
			t.Fatalf("Do = %+v, %v; payment %+v", reply, err, p)
		}
		// The same key again: the gateway replays its answer.
		reply, err = c.Do(context.Background(), cl)
		if err != nil || reply.Header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("replay = %+v, %v", reply, err)
		}
	})

	t.Run("declined", func(t *testing.T) {
		_, err := c.Do(context.Background(), call("bob", upstream.CardDeclined))
		e := asError(t, err)
		var body struct{ Error upstream.APIError }
		if e.Kind != KindRejected || e.Status != http.StatusPaymentRequired || e.Attempts != 1 ||
			DecodeJSON(e.Reply, &body) != nil || body.Error.Code != "card_declined" {
			t.Errorf("error = %+v, body %+v", e, body)
		}
		if st := c.State("payments", "bob"); st.Failures != 0 {
			t.Errorf("a declined card counted against the breaker: %+v", st)
		}
	})

	t.Run("processing error: Retry-After honoured", func(t *testing.T) {
		before := len(c.time.Sleeps())
		_, err := c.Do(context.Background(), call("carol", upstream.CardProcessingError))
		e := asError(t, err)
		if e.Kind != KindUnavailable || e.Status != http.StatusServiceUnavailable || e.Attempts != 3 || e.RetryAfter != time.Second {
			t.Errorf("error = %+v", e)
		}
		if got := c.time.Sleeps()[before:]; !slices.Equal(got, []time.Duration{time.Second, time.Second}) {
			t.Errorf("sleeps = %v, want the gateway's Retry-After twice", got)
		}
		if st := c.State("payments", "carol"); st.Mode != Open {
			t.Errorf("breaker = %+v, want open after 3 failures", st)
		}
		if st := c.State("payments", "alice"); st.Mode != Closed {
			t.Errorf("carol's failures reached alice's breaker: %+v", st)
		}
	})

	t.Run("malformed fault", func(t *testing.T) {
		faults("dave", `{"malformed":true}`)
		var p upstream.Payment
		cl := call("dave", upstream.CardSuccess)
		cl.Into = &p
		_, err := c.Do(context.Background(), cl)
		if e := asError(t, err); e.Kind != KindMalformed || e.Attempts != 1 {
			t.Errorf("error = %+v", e)
		}
		if st := c.State("payments", "dave"); st.Failures != 1 {
			t.Errorf("breaker = %+v, want the malformed reply counted", st)
		}
	})

	t.Run("error_rate fault opens only that visitor's breaker", func(t *testing.T) {
		faults("erin", `{"error_rate":1}`)
		_, err := c.Do(context.Background(), call("erin", upstream.CardSuccess))
		if e := asError(t, err); e.Kind != KindUnavailable || e.Status != 500 || e.Attempts != 3 {
			t.Errorf("error = %+v", e)
		}
		_, err = c.Do(context.Background(), call("erin", upstream.CardSuccess))
		if e := asError(t, err); e.Kind != KindBreakerOpen {
			t.Errorf("second call: %+v", e)
		}
		if _, err := c.Do(context.Background(), call("frank", upstream.CardSuccess)); err != nil {
			t.Errorf("frank: %v", err)
		}
	})

	t.Run("hang fault", func(t *testing.T) {
		faults("gina", `{"hang":true}`)
		cl := call("gina", upstream.CardSuccess)
		cl.Policy = Policy{Deadline: 300 * time.Millisecond, AttemptTimeout: 100 * time.Millisecond}
		start := time.Now()
		_, err := c.Do(context.Background(), cl)
		if e := asError(t, err); e.Kind != KindTimeout {
			t.Errorf("error = %+v", e)
		}
		if elapsed := time.Since(start); elapsed > 300*time.Millisecond+slack {
			t.Errorf("answered after %v", elapsed)
		}
	})
}

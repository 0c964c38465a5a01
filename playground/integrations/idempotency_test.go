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

// TestChargeAnswerLost proves the Idempotency-Key: the gateway does the
// work of a step but its answer is lost, so the app's attempt times out.
// With a key the step is tried again, the gateway replays its answer,
// and there is one payment, captured once; without one the step is not
// tried again, and the app cannot know that the work was done.
func TestChargeAnswerLost(t *testing.T) {
	const amount = 4200
	policy := outbound.Policy{Deadline: 3 * time.Second, AttemptTimeout: 300 * time.Millisecond, MaxAttempts: 3,
		BaseDelay: 10 * time.Millisecond}
	tests := []struct {
		name     string
		step     string // the path suffix whose first answer is lost
		key      string
		replayed bool   // what Charged.Replayed says
		status   string // the payment's status at the gateway afterwards
	}{
		{name: "authorize, with a key", step: "/v1/payments", key: "order-a", replayed: true, status: upstream.StatusCaptured},
		{name: "authorize, without a key", step: "/v1/payments", status: upstream.StatusAuthorized},
		{name: "capture, with a key", step: "/capture", key: "order-c", status: upstream.StatusCaptured},
		{name: "capture, without a key", step: "/capture", status: upstream.StatusCaptured},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var link *lossyLink
			w := newWorld(t, func(w *world, o *Options, _ *outbound.Options) {
				link, o.GatewayURL = newLossyLink(t, w.services.Gateway.URL(), http.MethodPost, tt.step)
			})
			const visitor = "ivy"
			ctx, root := w.traced(context.Background(), tt.name)
			start := time.Now()
			got, err := w.app.Charge(ctx, visitor, ChargeRequest{Card: upstream.CardSuccess, AmountCents: amount,
				Key: tt.key, Policy: policy})
			elapsed := time.Since(start)
			root.End()
			if elapsed < policy.AttemptTimeout || elapsed > policy.Deadline {
				t.Errorf("Charge took %s, want one attempt timeout (%s) and not past the deadline", elapsed, policy.AttemptTimeout)
			}

			// What the gateway did, whatever the app was told.
			auths := link.exchanges(http.MethodPost, "/v1/payments")
			if len(auths) == 0 || auths[0].status != http.StatusCreated || auths[0].replayed {
				t.Fatalf("authorizations = %+v", auths)
			}
			id := auths[0].id
			list, lerr := w.app.Payments(context.Background(), visitor, 10)
			if lerr != nil || list.Total != 1 || len(list.Payments) != 1 || list.Payments[0].ID != id {
				t.Errorf("the visitor's payments = %+v, %v; want only %s", list, lerr, id)
			}
			at, perr := w.app.Payment(context.Background(), visitor, id)
			if perr != nil || at.ID != id || at.Status != tt.status || at.AmountCents != amount {
				t.Errorf("the payment at the gateway = %+v, %v; want %s", at, perr, tt.status)
			}
			captures := link.exchanges(http.MethodPost, "/capture")

			if tt.key != "" {
				if err != nil {
					t.Fatalf("Charge: %v", err)
				}
				if got.ID != id || got.Status != upstream.StatusCaptured || got.CapturedCents != amount ||
					got.Replayed != tt.replayed || !reflect.DeepEqual(got.Payment, at) {
					t.Errorf("Charge = %+v, want %+v (replayed %t)", got, at, tt.replayed)
				}
				// The lost step was sent twice with the same key; the
				// second answer came from the gateway's record.
				twice := auths
				if tt.step == "/capture" {
					twice = captures
				}
				want := tt.key + map[string]string{"/v1/payments": "-authorize", "/capture": "-capture"}[tt.step]
				if len(twice) != 2 || twice[0].key != want || twice[1].key != want || !twice[0].lost ||
					twice[1].lost || !twice[1].replayed || twice[1].id != id || twice[1].status != twice[0].status {
					t.Errorf("exchanges of the lost step = %+v", twice)
				}
				if tt.step == "/v1/payments" && len(captures) != 1 {
					t.Errorf("captures = %+v, want one", captures)
				}
				spans := w.spansOf(root)
				retry := one(t, spans, "POST "+map[string]string{
					"/v1/payments": "/v1/payments", "/capture": "/v1/payments/" + id + "/capture",
				}[tt.step]+" (attempt 2 of 3)")
				if a := attrs(retry); a["http.response.header.idempotent-replayed"] != `["true"]` ||
					a["http.request.resend_count"] != "1" {
					t.Errorf("the retry's span attributes = %v", a)
				}
				// One capture, so one webhook.
				eventually(t, 3*time.Second, "the capture's webhook", func() bool { return len(w.app.Deliveries(visitor)) == 1 })
				if d := w.app.Deliveries(visitor)[0]; d.PaymentID != id || d.Type != "payment.captured" || d.Duplicate {
					t.Errorf("delivery = %+v", d)
				}
				return
			}

			e := asError(t, err)
			if e.Kind != outbound.KindTimeout || e.Attempts != 1 || e.Status != 0 {
				t.Errorf("error = %+v", e)
			}
			want := Outcome{Title: "The payment gateway did not answer in time", Message: unknownMsg}
			if out := Explain(PaymentsService, err, false); out != want {
				t.Errorf("Explain = %+v, want %+v", out, want)
			}
			switch tt.step {
			case "/v1/payments":
				// The card was authorized, but the app never heard.
				if !reflect.DeepEqual(got, Charged{}) || len(auths) != 1 || len(captures) != 0 {
					t.Errorf("Charge = %+v; authorizations %+v, captures %+v", got, auths, captures)
				}
			case "/capture":
				// The app holds the authorization, but the capture it
				// thinks failed went through.
				if got.ID != id || got.Status != upstream.StatusAuthorized || got.Replayed || len(auths) != 1 ||
					len(captures) != 1 || !captures[0].lost || captures[0].status != http.StatusOK {
					t.Errorf("Charge = %+v; authorizations %+v, captures %+v", got, auths, captures)
				}
			}
			if a := attrs(one(t, w.spansOf(root), "take payment")); a["payment.idempotent"] != "false" {
				t.Errorf("take payment attributes = %v", a)
			}
		})
	}
}

// TestChargeSlowAnswer proves the Idempotency-Key with the latency fault,
// which delays the gateway's answer but not its work: the first
// authorization attempt times out after the gateway authorized the card.
// The faults go off before that attempt gives up, so with a key the
// second attempt gets the gateway's recorded answer and the visitor has
// one payment; without a key there is no second attempt, and the app
// cannot know that the card was authorized.
func TestChargeSlowAnswer(t *testing.T) {
	policy := outbound.Policy{Deadline: 3500 * time.Millisecond, AttemptTimeout: time.Second, MaxAttempts: 3,
		BaseDelay: 10 * time.Millisecond}
	tests := []struct {
		name string
		key  string
	}{
		{name: "with a key: replayed", key: "order-s"},
		{name: "without a key: not retried"},
	}
	w := newWorld(t, nil)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			visitor := "slowpoke" + strconv.Itoa(i)
			setFaults(t, w.app, visitor, PaymentsService, Faults{LatencyMS: 1200})
			type result struct {
				c   Charged
				err error
			}
			done := make(chan result, 1)
			ctx, root := w.traced(context.Background(), tt.name)
			start := time.Now()
			go func() {
				c, err := w.app.Charge(ctx, visitor, ChargeRequest{Card: upstream.CardSuccess, AmountCents: 900,
					Key: tt.key, Policy: policy})
				done <- result{c, err}
			}()
			// The gateway authorizes at once and holds the answer; the
			// faults go off well before the attempt's timeout.
			time.Sleep(300 * time.Millisecond)
			setFaults(t, w.app, visitor, PaymentsService, Faults{})
			r := <-done
			elapsed := time.Since(start)
			root.End()
			if elapsed < policy.AttemptTimeout || elapsed > policy.Deadline {
				t.Errorf("Charge took %s, want one attempt timeout and not past the deadline", elapsed)
			}

			list, err := w.app.Payments(context.Background(), visitor, 10)
			if err != nil || list.Total != 1 || len(list.Payments) != 1 {
				t.Fatalf("the visitor's payments = %+v, %v; want one", list, err)
			}
			at := list.Payments[0]
			spans := w.spansOf(root)
			first := prefixed(spans, "POST /v1/payments (attempt 1 of ")
			if len(first) != 1 {
				t.Fatalf("%d first attempts", len(first))
			}
			if a := attrs(first[0]); a["error.type"] == "" || a["http.response.status_code"] != "" {
				t.Errorf("the first attempt's span attributes = %v, want a timeout", a)
			}

			if tt.key != "" {
				if r.err != nil {
					t.Fatalf("Charge: %v", r.err)
				}
				if !r.c.Replayed || r.c.ID != at.ID || r.c.Status != upstream.StatusCaptured || !reflect.DeepEqual(r.c.Payment, at) {
					t.Errorf("Charge = %+v, want the one payment %+v, replayed", r.c, at)
				}
				retry := one(t, spans, "POST /v1/payments (attempt 2 of 3)")
				if a := attrs(retry); a["http.response.header.idempotent-replayed"] != `["true"]` ||
					a["http.response.status_code"] != "201" || a["http.request.header.idempotency-key"] != `["order-s-authorize"]` {
					t.Errorf("the retry's span attributes = %v", a)
				}
				if a := attrs(one(t, spans, "take payment")); a["payment.replayed"] != "true" || a["payment.id"] != at.ID {
					t.Errorf("take payment attributes = %v", a)
				}
				return
			}

			e := asError(t, r.err)
			if e.Kind != outbound.KindTimeout || e.Attempts != 1 || !reflect.DeepEqual(r.c, Charged{}) {
				t.Errorf("Charge = %+v, %+v", r.c, e)
			}
			want := Outcome{Title: "The payment gateway did not answer in time", Message: unknownMsg}
			if out := Explain(PaymentsService, r.err, false); out != want {
				t.Errorf("Explain = %+v, want %+v", out, want)
			}
			if at.Status != upstream.StatusAuthorized || at.AmountCents != 900 {
				t.Errorf("the payment at the gateway = %+v, want the authorization the app never heard of", at)
			}
			if len(prefixed(spans, "POST /v1/payments (attempt 2")) != 0 {
				t.Error("a request without a key was sent twice")
			}
		})
	}
}

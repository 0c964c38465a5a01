package integrations

import (
	"context"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/engineroom/engineroom/playground/outbound"
	"github.com/engineroom/engineroom/playground/upstream"
)

func TestCharge(t *testing.T) {
	w := newWorld(t, nil)
	tests := []struct {
		name        string
		visitor     string
		req         ChargeRequest
		currency    string
		last4       string
		idempotent  string
		wantKeyAttr [2]string // the Idempotency-Key of authorize and capture
	}{
		{
			name: "no key, default currency", visitor: "alice",
			req:      ChargeRequest{Card: upstream.CardSuccess, AmountCents: 1250, Description: "Order 1"},
			currency: "EUR", last4: "4242", idempotent: "false",
		},
		{
			name: "key, USD, card with spaces", visitor: "bruno",
			req: ChargeRequest{Card: "5555 5555 5555 4444", AmountCents: 99, Currency: "USD",
				Description: "Order 2", Key: "order-2"},
			currency: "USD", last4: "4444", idempotent: "true",
			wantKeyAttr: [2]string{"order-2-authorize", "order-2-capture"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			before := time.Now().Unix()
			ctx, root := w.traced(context.Background(), tt.name)
			p, err := w.app.Charge(ctx, tt.visitor, tt.req)
			root.End()
			if err != nil {
				t.Fatalf("Charge: %v", err)
			}
			if !strings.HasPrefix(p.ID, "pay_") || p.Status != upstream.StatusCaptured ||
				p.AmountCents != tt.req.AmountCents || p.Currency != tt.currency ||
				p.Description != tt.req.Description || p.CardLast4 != tt.last4 ||
				p.CapturedCents != tt.req.AmountCents || p.RefundedCents != 0 ||
				p.Created < before || p.Created > time.Now().Unix() || len(p.Refunds) != 0 || p.Replayed ||
				!reflect.DeepEqual(p.Metadata, map[string]string{"customer": w.app.CustomerRef(tt.visitor)}) {
				t.Errorf("payment = %+v", p)
			}
			back, err := w.app.Payment(context.Background(), tt.visitor, p.ID)
			if err != nil || !reflect.DeepEqual(back, p.Payment) {
				t.Errorf("Payment(%s) = %+v, %v; want %+v", p.ID, back, err, p.Payment)
			}
			if st := w.app.Breaker(PaymentsService, tt.visitor); st.Mode != outbound.Closed || st.Failures != 0 {
				t.Errorf("breaker = %+v", st)
			}

			spans := w.spansOf(root)
			take := one(t, spans, "take payment")
			got := attrs(take)
			want := map[string]string{
				"payment.amount_cents": strconv.FormatInt(tt.req.AmountCents, 10),
				"payment.idempotent":   tt.idempotent,
				"payment.id":           p.ID,
				"payment.replayed":     "false",
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("take payment attributes = %v, want %v", got, want)
			}
			for i, name := range []string{"payment gateway: authorize", "payment gateway: capture"} {
				s := one(t, spans, name)
				a := attrs(s)
				if s.Parent().SpanID() != take.SpanContext().SpanID() || a["outbound.service"] != PaymentsService ||
					a["outbound.attempts"] != "1" || a["outbound.outcome"] != "ok" ||
					a["outbound.idempotency_key"] != tt.wantKeyAttr[i] {
					t.Errorf("%s: parent %s, attributes %v", name, s.Parent().SpanID(), a)
				}
			}
		})
	}
}

// What Explain says when it is not known whether the work was done.
const (
	unknownMsg = "We do not know whether the work was done, because the request went out and no answer came back. " +
		"Check before trying again: a blind retry could do it twice."
	safeMsg = "It is safe to try again: the request carries an Idempotency-Key, so the payment gateway does the work at most once."
)

// unknownOrSafe is Explain's message for a call whose outcome is not
// known, with or without an Idempotency-Key.
func unknownOrSafe(idempotent bool) string {
	if idempotent {
		return safeMsg
	}
	return unknownMsg
}

func TestChargeRefused(t *testing.T) {
	w := newWorld(t, nil)
	tests := []struct {
		name                 string
		req                  ChargeRequest
		status               int
		code, message, field string
		explained            string
	}{
		{
			name: "declined", req: ChargeRequest{Card: upstream.CardDeclined, AmountCents: 500, Key: "order-d"},
			status: http.StatusPaymentRequired, code: "card_declined", message: "the card was declined", field: "card_number",
			explained: "The card was declined. Nothing was done; trying the same again will not help.",
		},
		{
			name: "insufficient funds", req: ChargeRequest{Card: upstream.CardInsufficientFunds, AmountCents: 500},
			status: http.StatusPaymentRequired, code: "insufficient_funds", message: "the card has insufficient funds",
			field: "card_number", explained: "The card has insufficient funds. Nothing was done; trying the same again will not help.",
		},
		{
			name: "invalid card", req: ChargeRequest{Card: "1234 5678", AmountCents: 500},
			status: http.StatusBadRequest, code: "invalid_card_number",
			message: "card_number must be 12 to 19 digits passing the Luhn check", field: "card_number",
			explained: "Card_number must be 12 to 19 digits passing the Luhn check. Nothing was done; trying the same again will not help.",
		},
		{
			name: "invalid amount", req: ChargeRequest{Card: upstream.CardSuccess, AmountCents: 0, Key: "order-z"},
			status: http.StatusBadRequest, code: "invalid_amount", message: "amount_cents must be between 1 and 1000000",
			field:     "amount_cents",
			explained: "Amount_cents must be between 1 and 1000000. Nothing was done; trying the same again will not help.",
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			visitor := "refused" + strconv.Itoa(i)
			p, err := w.app.Charge(context.Background(), visitor, tt.req)
			if !reflect.DeepEqual(p, Charged{}) {
				t.Errorf("payment = %+v, want none", p)
			}
			e := asError(t, err)
			if e.Service != PaymentsService || e.Kind != outbound.KindRejected || e.Status != tt.status ||
				e.Attempts != 1 || e.RetryAfter != 0 || e.Reply == nil {
				t.Errorf("error = %+v", e)
			}
			code, message, field := ProblemOf(err)
			if code != tt.code || message != tt.message || field != tt.field {
				t.Errorf("ProblemOf = %q, %q, %q; want %q, %q, %q", code, message, field, tt.code, tt.message, tt.field)
			}
			want := Outcome{Title: "Refused by the payment gateway", Message: tt.explained, Safe: true}
			if got := Explain(PaymentsService, err, tt.req.Key != ""); got != want {
				t.Errorf("Explain = %+v, want %+v", got, want)
			}
			st := w.app.Breaker(PaymentsService, visitor)
			if st.Mode != outbound.Closed || st.Requests != 1 || st.Failures != 0 || st.ConsecutiveFailures != 0 {
				t.Errorf("a refusal counted against the breaker: %+v", st)
			}
		})
	}
}

// TestChargePolicy shows that a ChargeRequest's Policy overrides
// PaymentPolicy field by field, whatever the client's own defaults.
func TestChargePolicy(t *testing.T) {
	w := newWorld(t, func(_ *world, _ *Options, c *outbound.Options) {
		c.Policy = outbound.Policy{Deadline: 9 * time.Second, AttemptTimeout: 4 * time.Second, MaxAttempts: 1}
	})
	tests := []struct {
		name                               string
		policy                             outbound.Policy
		deadline, attemptTimeout, attempts string
	}{
		{name: "none: PaymentPolicy", deadline: "3000", attemptTimeout: "1000", attempts: "3"},
		{name: "deadline only", policy: outbound.Policy{Deadline: 1500 * time.Millisecond},
			deadline: "1500", attemptTimeout: "1000", attempts: "3"},
		{name: "attempts and timeout", policy: outbound.Policy{MaxAttempts: 2, AttemptTimeout: 400 * time.Millisecond},
			deadline: "3000", attemptTimeout: "400", attempts: "2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, root := w.traced(context.Background(), tt.name)
			_, err := w.app.Charge(ctx, "policy", ChargeRequest{Card: upstream.CardSuccess, AmountCents: 100, Key: tt.name,
				Policy: tt.policy})
			root.End()
			if err != nil {
				t.Fatalf("Charge: %v", err)
			}
			spans := w.spansOf(root)
			for _, name := range []string{"payment gateway: authorize", "payment gateway: capture"} {
				a := attrs(one(t, spans, name))
				if a["outbound.deadline_ms"] != tt.deadline || a["outbound.attempt_timeout_ms"] != tt.attemptTimeout ||
					a["outbound.max_attempts"] != tt.attempts {
					t.Errorf("%s: deadline %s ms, attempt timeout %s ms, %s attempts; want %s, %s, %s", name,
						a["outbound.deadline_ms"], a["outbound.attempt_timeout_ms"], a["outbound.max_attempts"],
						tt.deadline, tt.attemptTimeout, tt.attempts)
				}
			}
		})
	}
}

func TestPaymentNotFound(t *testing.T) {
	w := newWorld(t, nil)
	p, err := w.app.Payment(context.Background(), "nobody", "pay_0000000000000000")
	if !reflect.DeepEqual(p, Payment{}) {
		t.Errorf("payment = %+v", p)
	}
	if e := asError(t, err); e.Kind != outbound.KindRejected || e.Status != http.StatusNotFound || e.Attempts != 1 {
		t.Errorf("error = %+v", e)
	}
	if code, message, field := ProblemOf(err); code != "not_found" || message != "no such payment" || field != "id" {
		t.Errorf("ProblemOf = %q, %q, %q", code, message, field)
	}
}

func TestPayments(t *testing.T) {
	w := newWorld(t, nil)
	var ids []string
	for _, amount := range []int64{100, 200, 300} {
		p, err := w.app.Charge(context.Background(), "xena", ChargeRequest{Card: upstream.CardSuccess, AmountCents: amount})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	tests := []struct {
		limit int
		want  []string
	}{
		{1, ids[2:]},
		{2, []string{ids[2], ids[1]}},
		{10, []string{ids[2], ids[1], ids[0]}},
	}
	for _, tt := range tests {
		t.Run("limit "+strconv.Itoa(tt.limit), func(t *testing.T) {
			list, err := w.app.Payments(context.Background(), "xena", tt.limit)
			if err != nil || list.Total != 3 {
				t.Fatalf("Payments = %+v, %v", list, err)
			}
			var got []string
			for _, p := range list.Payments {
				got = append(got, p.ID)
				if p.Status != upstream.StatusCaptured {
					t.Errorf("payment %s is %s", p.ID, p.Status)
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ids = %q, want %q", got, tt.want)
			}
		})
	}
	if st := w.app.Breaker(PaymentsService, "xena"); st.Requests != 6 {
		t.Errorf("payments breaker = %+v, want only the 6 steps of the charges", st)
	}
}

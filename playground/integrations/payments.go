package integrations

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"

	"github.com/engineroom/engineroom/playground/outbound"
	"github.com/engineroom/engineroom/playground/upstream"
)

// Payment is a payment as the gateway shows it.
type Payment = upstream.Payment

// PaymentPolicy is how the app calls the gateway: three attempts of at
// most a second each, all within three seconds.
var PaymentPolicy = outbound.Policy{Deadline: 3 * time.Second, AttemptTimeout: time.Second, MaxAttempts: 3,
	BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}

// ChargeRequest is a card payment to authorize and capture.
type ChargeRequest struct {
	Card        string
	AmountCents int64
	Currency    string
	Description string
	// Key, when set, makes both steps idempotent: the authorization is sent
	// with Idempotency-Key Key+"-authorize", the capture with
	// Key+"-capture", so a retry never charges twice. Without it a step
	// that fails is not retried, because a repeat could charge twice.
	Key string
	// Policy overrides PaymentPolicy where set.
	Policy outbound.Policy
}

// Charged is the payment a Charge made.
type Charged struct {
	Payment
	// Replayed is set when the gateway answered from its record of the
	// Idempotency-Key: this payment was made before, and not again.
	Replayed bool
}

// Charge authorizes and captures a card payment for the visitor. On
// failure the error is an *outbound.Error (see ProblemOf for the
// gateway's reason), and the payment, when the authorization went
// through, is returned too.
func (a *App) Charge(ctx context.Context, visitor string, r ChargeRequest) (Charged, error) {
	ctx, span := a.tracer.Start(ctx, "take payment")
	defer span.End()
	span.SetAttributes(attribute.Int64("payment.amount_cents", r.AmountCents), attribute.Bool("payment.idempotent", r.Key != ""))
	policy := withDefaults(r.Policy, PaymentPolicy)
	currency := r.Currency
	if currency == "" {
		currency = "EUR"
	}
	var p Payment
	reply, err := a.call(ctx, visitor, request{
		service: PaymentsService, name: "payment gateway: authorize", method: http.MethodPost, path: "/v1/payments",
		body: map[string]any{"amount_cents": r.AmountCents, "currency": currency, "card_number": r.Card,
			"description": r.Description, "metadata": map[string]string{"customer": a.CustomerRef(visitor)}},
		key: keyFor(r.Key, "authorize"), into: &p, policy: policy,
	})
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
		return Charged{}, err
	}
	replayed := reply.Header.Get("Idempotent-Replayed") == "true"
	span.SetAttributes(attribute.String("payment.id", p.ID), attribute.Bool("payment.replayed", replayed))
	var captured Payment
	_, err = a.call(ctx, visitor, request{
		service: PaymentsService, name: "payment gateway: capture", method: http.MethodPost,
		path: "/v1/payments/" + p.ID + "/capture", key: keyFor(r.Key, "capture"), into: &captured, policy: policy,
	})
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
		return Charged{Payment: p, Replayed: replayed}, err
	}
	return Charged{Payment: captured, Replayed: replayed}, nil
}

// Payment reads one of the visitor's payments back from the gateway.
func (a *App) Payment(ctx context.Context, visitor, id string) (Payment, error) {
	var p Payment
	_, err := a.call(ctx, visitor, request{service: PaymentsService, name: "payment gateway: read payment",
		method: http.MethodGet, path: "/v1/payments/" + id, into: &p, policy: PaymentPolicy})
	return p, err
}

// withDefaults fills in p's zero fields from def.
func withDefaults(p, def outbound.Policy) outbound.Policy {
	if p.Deadline == 0 {
		p.Deadline = def.Deadline
	}
	if p.AttemptTimeout == 0 {
		p.AttemptTimeout = def.AttemptTimeout
	}
	if p.MaxAttempts == 0 {
		p.MaxAttempts = def.MaxAttempts
	}
	if p.BaseDelay == 0 {
		p.BaseDelay = def.BaseDelay
	}
	if p.MaxDelay == 0 {
		p.MaxDelay = def.MaxDelay
	}
	return p
}

func keyFor(key, step string) string {
	if key == "" {
		return ""
	}
	return key + "-" + step
}

// Outcome is a failed call explained to the person who made it: what
// happened, and whether trying again is safe.
type Outcome struct {
	// Title is one short line, e.g. "The card was declined".
	Title string
	// Message says what it means for the customer.
	Message string
	// Safe says whether trying again cannot do the work twice.
	Safe bool
	// RetryAfter, when not zero, is how long to wait before trying again.
	RetryAfter time.Duration
}

// Explain turns a failed call into what the customer should be told:
// graceful degradation instead of an error page. idempotent says whether
// the call carried an Idempotency-Key.
func Explain(service string, err error, idempotent bool) Outcome {
	var oe *outbound.Error
	if !errors.As(err, &oe) {
		return Outcome{Title: "Something went wrong", Message: "The request could not be sent. Nothing was changed."}
	}
	what := ServiceTitle(service)
	unknown := "We do not know whether the work was done, because the request went out and no answer came back. Check before trying again: a blind retry could do it twice."
	if idempotent {
		unknown = "It is safe to try again: the request carries an Idempotency-Key, so the " + what + " does the work at most once."
	}
	switch oe.Kind {
	case outbound.KindRejected:
		_, msg, _ := ProblemOf(err)
		if msg == "" {
			msg = "the request was refused"
		}
		return Outcome{Title: "Refused by the " + what, Message: upperFirst(msg) + ". Nothing was done; trying the same again will not help.", Safe: true}
	case outbound.KindBreakerOpen:
		return Outcome{Title: "The " + what + " is paused",
			Message: "It failed several times in a row, so the app stopped calling it for a moment (the circuit breaker is open). Nothing was sent; your data is kept.",
			Safe:    true, RetryAfter: oe.RetryAfter}
	case outbound.KindTimeout:
		return Outcome{Title: "The " + what + " did not answer in time", Message: unknown, Safe: idempotent}
	case outbound.KindMalformed:
		return Outcome{Title: "The " + what + " sent an answer we cannot read", Message: unknown, Safe: idempotent}
	case outbound.KindCanceled:
		return Outcome{Title: "Cancelled", Message: "The request was cancelled before an answer came back. " + unknown, Safe: idempotent}
	default:
		return Outcome{Title: "The " + what + " is having trouble",
			Message: "It answered with an error. " + unknown, Safe: idempotent, RetryAfter: oe.RetryAfter}
	}
}

func upperFirst(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// listPolicy reads the list once, briefly: it is shown beside a payment
// and must not double the customer's wait when the gateway is slow.
var listPolicy = outbound.Policy{Deadline: 1500 * time.Millisecond, AttemptTimeout: 1500 * time.Millisecond, MaxAttempts: 1}

// Payments lists the visitor's newest payments at the gateway: what a
// support agent checks before charging again.
func (a *App) Payments(ctx context.Context, visitor string, limit int) (upstream.PaymentList, error) {
	var list upstream.PaymentList
	_, err := a.call(ctx, visitor, request{service: PaymentsService, breaker: PaymentsService + " list", name: "payment gateway: list payments",
		method: http.MethodGet, path: "/v1/payments?limit=" + strconv.Itoa(limit), into: &list, policy: listPolicy})
	return list, err
}

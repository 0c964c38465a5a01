package integrations

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/engineroom/engineroom/playground/jobs"
	"github.com/engineroom/engineroom/playground/outbound"
	"github.com/engineroom/engineroom/playground/sandbox"
	"github.com/engineroom/engineroom/playground/shop"
)

// The steps of a checkout, as spans and CheckoutError.Step name them.
// The payment's span is Charge's own ("take payment").
const (
	StepValidate   = "validate the checkout"
	StepReserve    = "reserve the stock and store the order"
	StepCharge     = "take payment"
	StepMarkPaid   = "mark the order paid"
	StepEmail      = "queue the confirmation email"
	StepCompensate = "put the stock back and cancel the order"
)

// What became of a checkout's order (Receipt.Status). The orders table
// allows only cart, paid, shipped, delivered, cancelled and refunded, so
// both "stored, awaiting payment" and "payment pending" are stored as
// shop.StatusCart (its stock set aside, not paid); the receipt tells them
// apart.
const (
	CheckoutPaid           = "paid"            // stored as shop.StatusPaid
	CheckoutPaymentPending = "payment_pending" // stored as shop.StatusCart
	CheckoutCancelled      = "cancelled"       // stored as shop.StatusCancelled
)

// Limits of a checkout.
const (
	MaxCheckoutLines    = shop.MaxOrderLines // 20
	MaxCheckoutQuantity = 99
)

// Receipt is what the shopper sees after a checkout.
type Receipt struct {
	OrderID int64 `json:"order_id"`
	// Status is CheckoutPaid, CheckoutPaymentPending or CheckoutCancelled.
	Status     string           `json:"status"`
	Lines      []shop.OrderItem `json:"lines"`
	TotalCents int64            `json:"total_cents"`
	Total      string           `json:"total"`
	ShipTo     Address          `json:"ship_to"`
	PaymentID  string           `json:"payment_id,omitempty"`
	CardLast4  string           `json:"card_last4,omitempty"`
	// IdempotencyKey is the key derived from the order that the payment
	// carries (with "-authorize" and "-capture" appended per step).
	IdempotencyKey string `json:"idempotency_key"`
	// Replayed is set when the gateway answered from its record of the
	// key: the order was paid by an earlier attempt, not again.
	Replayed bool `json:"replayed"`
	// EmailTo and JobID are the confirmation email and its job.
	EmailTo string `json:"email_to,omitempty"`
	JobID   int64  `json:"job_id,omitempty"`
	// Notice is a remark on a paid order, e.g. that the email could not
	// be queued.
	Notice string `json:"notice,omitempty"`
}

// CheckoutError is a checkout that did not end with a paid order.
type CheckoutError struct {
	StepFailure
	// OrderID is the order stored, 0 when none was.
	OrderID int64
	// Status is what became of it: CheckoutCancelled (stock back, nothing
	// charged) or CheckoutPaymentPending (stock kept; retry with
	// CheckoutInput.OrderID); "" when no order was stored.
	Status string
}

func (e *CheckoutError) Error() string {
	return "integrations: checkout: " + e.Step + ": " + e.Err.Error()
}

// Checkout turns the visitor's cart into a paid order, each step a span:
//
//  1. validate the address, the cart and the card (*CheckoutErrors);
//  2. reserve the stock and store the order as pending in one
//     transaction of the visitor's sandbox (shop.PlaceOrder); too little
//     stock is a refusal and nothing is charged;
//  3. charge the card through Charge with an Idempotency-Key derived from
//     the order, so a retried checkout of the same order charges once;
//  4. mark the order paid (a transaction) and queue the confirmation
//     email on q.
//
// When the payment certainly did not go through (see paymentUnknown), the
// order is cancelled and its stock put back, a compensating action with a
// span of its own that runs even when ctx is cancelled. When its result
// is unknown the stock is kept and the order stays pending.
//
// q is the job queue the confirmation email goes on (see HandleJobs).
// A failure after step 1 is a *CheckoutError whose Outcome says what to
// tell the shopper; when an order was stored the Receipt describes it too.
func (a *App) Checkout(ctx context.Context, open sandbox.Opener, q *jobs.Queue, visitor string, in CheckoutInput) (Receipt, error) {
	ctx, span := a.tracer.Start(ctx, "checkout", trace.WithAttributes(
		attribute.Int64("engineroom.customer_id", in.CustomerID), attribute.Int("engineroom.lines", len(in.Lines)),
		attribute.Int64("checkout.retried_order", in.OrderID)))
	defer span.End()
	r, err := a.checkout(ctx, open, q, visitor, in)
	span.SetAttributes(attribute.Int64("engineroom.order_id", r.OrderID), attribute.String("checkout.status", r.Status))
	var ce *CheckoutError
	if errors.As(err, &ce) {
		span.SetAttributes(attribute.String("checkout.failed_step", ce.Step))
	}
	var fe *CheckoutErrors
	if errors.As(err, &fe) {
		// Refusing bad input is the rules working, not a failure.
		span.SetAttributes(attribute.Int("checkout.bad_fields", len(fe.Fields)))
	} else if err != nil {
		span.SetStatus(codes.Error, err.Error())
	}
	return r, err
}

func (a *App) checkout(ctx context.Context, open sandbox.Opener, q *jobs.Queue, visitor string, in CheckoutInput) (Receipt, error) {
	in, err := a.validateCheckout(ctx, in)
	if err != nil {
		return Receipt{}, err
	}
	sh := shop.New(a.tracer)
	o, c, err := a.reserve(ctx, open, sh, in)
	if err != nil {
		return Receipt{}, reserveError(in, err)
	}
	key := a.orderKey(visitor, o)
	r := Receipt{OrderID: o.ID, Status: CheckoutPaymentPending, Lines: o.Items, TotalCents: o.TotalCents,
		Total: shop.Price(o.TotalCents), ShipTo: in.Address, IdempotencyKey: key, EmailTo: c.Email}

	// The body must be the same on every attempt of this order, or the
	// gateway refuses the key's reuse: everything in it comes from the
	// stored order (and the card).
	ch, err := a.Charge(ctx, visitor, ChargeRequest{Card: in.Card, AmountCents: o.TotalCents, Currency: "USD",
		Description: "Engine Room shop, order " + strconv.FormatInt(o.ID, 10), Key: key})
	if err != nil {
		if paymentUnknown(err, in.OrderID != 0) {
			return r, &CheckoutError{StepFailure: StepFailure{Step: StepCharge, Err: err, Outcome: pendingOutcome(err, o.ID)},
				OrderID: o.ID, Status: CheckoutPaymentPending}
		}
		ce := &CheckoutError{StepFailure: StepFailure{Step: StepCharge, Err: err, Outcome: cancelledOutcome(err, o.ID, ch.ID != "")},
			OrderID: o.ID, Status: CheckoutCancelled}
		a.compensate(context.WithoutCancel(ctx), open, sh, o.ID, ce)
		r.Status = ce.Status
		return r, ce
	}
	r.PaymentID, r.CardLast4, r.Replayed = ch.ID, ch.CardLast4, ch.Replayed

	if o.Status != shop.StatusPaid {
		// shop.MarkPaid's span is the step's (StepMarkPaid).
		err := open(ctx, func(ctx context.Context, db *sandbox.DB) error { return sh.MarkPaid(ctx, db, o.ID) })
		if err != nil {
			// The money is taken; only storing it failed. The order stays
			// pending, and a retry finds the payment by its key.
			return r, &CheckoutError{StepFailure: StepFailure{Step: StepMarkPaid, Err: err,
				Outcome: Outcome{Title: "Paid, but the order is not updated yet",
					Message: fmt.Sprintf("Payment %s went through, but storing it with order %d failed. Try the checkout of order %d again: you will not be charged twice.",
						ch.ID, o.ID, o.ID), Safe: true}},
				OrderID: o.ID, Status: CheckoutPaymentPending}
		}
	}
	r.Status = CheckoutPaid

	err = a.checkoutStep(ctx, StepEmail, o.ID, func(ctx context.Context) error {
		var err error
		r.JobID, err = q.Enqueue(ctx, ConfirmationJob, confirmation{Visitor: visitor, Email: orderEmail(c, r)},
			jobs.EnqueueOptions{UniqueKey: key}) // one email per order, however often it is checked out
		return err
	})
	if err != nil {
		r.Notice = "Your order is paid, but its confirmation email could not be queued."
	}
	return r, nil
}

// checkoutStep runs fn in a span of its own.
func (a *App) checkoutStep(ctx context.Context, name string, orderID int64, fn func(ctx context.Context) error) error {
	ctx, span := a.tracer.Start(ctx, name, trace.WithAttributes(attribute.Int64("engineroom.order_id", orderID)))
	defer span.End()
	err := fn(ctx)
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
	}
	return err
}

// reserve stores a new order with its stock taken (shop.PlaceOrder, one
// transaction), or loads the pending order being retried, and reads the
// customer.
func (a *App) reserve(ctx context.Context, open sandbox.Opener, sh *shop.App, in CheckoutInput) (o shop.Order, c shop.Customer, err error) {
	ctx, span := a.tracer.Start(ctx, StepReserve, trace.WithAttributes(attribute.Int64("checkout.retried_order", in.OrderID)))
	defer span.End()
	err = open(ctx, func(ctx context.Context, db *sandbox.DB) error {
		if in.OrderID == 0 {
			lines := make([]shop.OrderLine, len(in.Lines))
			for i, l := range in.Lines {
				lines[i] = shop.OrderLine{ProductID: l.ProductID, Quantity: l.Quantity}
			}
			if o, err = sh.PlaceOrder(ctx, db, in.CustomerID, lines); err != nil {
				return err
			}
		} else {
			var found bool
			if o, found, err = sh.OrderByID(ctx, db, in.OrderID); err != nil {
				return err
			}
			switch {
			case !found || o.CustomerID != in.CustomerID:
				return &CheckoutErrors{Fields: []CheckoutField{{"order_id", fmt.Sprintf("Customer %d has no order %d.", in.CustomerID, in.OrderID)}}}
			case o.Status != shop.StatusCart && o.Status != shop.StatusPaid:
				return fmt.Errorf("%w: order %d is %s", shop.ErrNotAwaitingPayment, o.ID, o.Status)
			}
		}
		var found bool
		if c, found, err = sh.CustomerByID(ctx, db, in.CustomerID); err == nil && !found {
			err = fmt.Errorf("integrations: customer %d vanished: %w", in.CustomerID, shop.ErrMissingData)
		}
		return err
	})
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
	}
	span.SetAttributes(attribute.Int64("engineroom.order_id", o.ID))
	return o, c, err
}

// reserveError explains a failed step 2. Nothing was charged.
func reserveError(in CheckoutInput, err error) error {
	var fe *CheckoutErrors
	if errors.As(err, &fe) {
		return fe
	}
	ce := &CheckoutError{StepFailure: StepFailure{Step: StepReserve, Err: err}, OrderID: in.OrderID}
	var r *shop.Refusal
	switch {
	case errors.As(err, &r):
		title := "Order refused"
		if errors.Is(r, shop.ErrOutOfStock) {
			title = "Not enough stock"
		}
		msg := r.Detail
		for _, l := range r.Lines {
			msg += " Line " + strconv.Itoa(l.Line+1) + ": " + l.Detail
		}
		ce.Outcome = Outcome{Title: title, Message: msg + " Nothing was charged.", Safe: true}
	case errors.Is(err, shop.ErrNotAwaitingPayment):
		ce.Outcome = Outcome{Title: "This order cannot be paid", Message: upperFirst(strings.TrimPrefix(err.Error(), shop.ErrNotAwaitingPayment.Error()+": ")) + ". Nothing was charged.", Safe: true}
	default:
		ce.Outcome = Outcome{Title: "The order could not be stored", Message: "Your database refused the order (" + err.Error() + "). Nothing was charged.", Safe: true}
	}
	return ce
}

// paymentUnknown is the rule that decides whether a failed payment may
// be undone. Stock is put back only when the payment certainly did not
// go through; when it may have, putting the stock back could sell it
// twice while the customer's money is taken, so the order stays pending
// (its stock set aside) until a retry of the same order, which carries
// the same Idempotency-Key, learns the truth from the gateway.
//
// Certainly not paid: the gateway refused (a declined card, a bad
// number), the circuit breaker kept the call from being sent, or the
// gateway answered with an error or could not be reached (an error
// answer is not recorded against the key: the work was not done). The
// last attempt's answer decides. When the authorization went through but
// the capture certainly did not, nothing was charged either: the
// authorization lapses uncaptured.
//
// Unknown: no answer in time, an unreadable answer, a cancelled request
// (the gateway may have captured before the answer was lost), and the
// gateway refusing the key because an earlier attempt of this order sent
// another card. On a retried order, only the gateway's refusal is
// certain: an error answer or an open breaker says nothing about the
// attempt that left the order pending.
func paymentUnknown(err error, retried bool) bool {
	var oe *outbound.Error
	if !errors.As(err, &oe) {
		return true
	}
	switch oe.Kind {
	case outbound.KindRejected:
		code, _, _ := ProblemOf(err)
		return code == "idempotency_key_reused"
	case outbound.KindBreakerOpen, outbound.KindUnavailable:
		return retried
	}
	return true
}

// pendingOutcome tells the shopper their payment's result is unknown.
func pendingOutcome(err error, orderID int64) Outcome {
	o := Explain(PaymentsService, err, true)
	if code, _, _ := ProblemOf(err); code == "idempotency_key_reused" {
		o.Title = "Use the same card as before"
		o.Message = fmt.Sprintf("Order %d was already sent to the payment gateway with another card, so we cannot tell from this answer whether it was paid.", orderID)
	}
	o.Title = "Payment pending: " + lowerFirst(o.Title)
	o.Message += fmt.Sprintf(" Order %d is kept with its items set aside and is not cancelled: retry the checkout of order %d and you are charged at most once.", orderID, orderID)
	o.Safe = true
	return o
}

// cancelledOutcome tells the shopper their payment did not go through.
func cancelledOutcome(err error, orderID int64, authorized bool) Outcome {
	o := Explain(PaymentsService, err, true)
	tail := fmt.Sprintf(" Nothing was charged: order %d was cancelled and its items are back in stock.", orderID)
	if authorized {
		tail = " The card was authorized but not charged; the authorization lapses by itself. Order " + strconv.FormatInt(orderID, 10) +
			" was cancelled and its items are back in stock."
	}
	if code, msg, _ := ProblemOf(err); oeKind(err) == outbound.KindRejected && msg != "" {
		o.Message = upperFirst(msg) + "."
		if code == "card_declined" || code == "insufficient_funds" {
			o.Title = "The card was declined"
		}
	}
	o.Message += tail
	o.Safe = true
	return o
}

// compensate cancels the order and puts its stock back, recording the
// result in ce.
func (a *App) compensate(ctx context.Context, open sandbox.Opener, sh *shop.App, orderID int64, ce *CheckoutError) {
	ctx, span := a.tracer.Start(ctx, StepCompensate, trace.WithAttributes(
		attribute.Int64("engineroom.order_id", orderID), attribute.Bool("checkout.compensation", true)))
	defer span.End()
	err := open(ctx, func(ctx context.Context, db *sandbox.DB) error { return sh.CancelOrder(ctx, db, orderID) })
	if err == nil {
		return
	}
	span.SetStatus(codes.Error, err.Error())
	ce.Stuck, ce.Status, ce.Err = true, CheckoutPaymentPending, errors.Join(ce.Err, fmt.Errorf("cancelling order %d: %w", orderID, err))
	ce.Outcome = Outcome{Title: "The order needs attention",
		Message: fmt.Sprintf("The payment did not go through and nothing was charged, but cancelling order %d failed, so its items are still set aside. Retry the checkout of order %d, or cancel it.", orderID, orderID),
		Safe:    true}
}

// orderKey is the Idempotency-Key of an order's payment: a keyed hash of
// the visitor and the order (its id, time and total, so an order of the
// same id after the visitor resets their database gets another key).
func (a *App) orderKey(visitor string, o shop.Order) string {
	m := hmac.New(sha256.New, a.refKey)
	fmt.Fprintf(m, "order\x00%s\x00%d\x00%s\x00%d", visitor, o.ID, o.CreatedAt, o.TotalCents)
	return "order-" + hex.EncodeToString(m.Sum(nil)[:16])
}

// orderEmail is the confirmation email of a paid order.
func orderEmail(c shop.Customer, r Receipt) Email {
	var b strings.Builder
	fmt.Fprintf(&b, "Hello %s,\n\nthank you for order %d:\n\n", c.Name, r.OrderID)
	for _, it := range r.Lines {
		fmt.Fprintf(&b, "  %d × %s at %s\n", it.Quantity, it.Name, shop.Price(it.UnitPriceCents))
	}
	fmt.Fprintf(&b, "\nTotal %s, paid with the card ending in %s (payment %s).\nIt ships to %s, %s, %s %s, %s.\n",
		r.Total, r.CardLast4, r.PaymentID, r.ShipTo.Name, r.ShipTo.Street, r.ShipTo.Postcode, r.ShipTo.City, r.ShipTo.Country)
	return Email{To: c.Email, Subject: "Order " + strconv.FormatInt(r.OrderID, 10) + " confirmed", Text: b.String()}
}

// oeKind is the Kind of a failed call, 0 when err is not an *outbound.Error.
func oeKind(err error) outbound.Kind {
	var oe *outbound.Error
	if errors.As(err, &oe) {
		return oe.Kind
	}
	return 0
}

func lowerFirst(s string) string {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return s
	}
	return string(s[0]-'A'+'a') + s[1:]
}

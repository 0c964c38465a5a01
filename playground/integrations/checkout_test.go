package integrations

import (
	"context"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/engineroom/engineroom/playground/jobs"
	"github.com/engineroom/engineroom/playground/outbound"
	"github.com/engineroom/engineroom/playground/sandbox"
	"github.com/engineroom/engineroom/playground/shop"
	"github.com/engineroom/engineroom/playground/upstream"
)

// checkoutWorld is the services, the App, a job queue and a sandbox
// manager with the demo data; each test uses a visitor of its own.
type checkoutWorld struct {
	*world
	q *jobs.Queue
	m *sandbox.Manager
}

func newCheckoutWorld(t *testing.T) *checkoutWorld {
	t.Helper()
	w := newWorld(t, func(_ *world, _ *Options, c *outbound.Options) {
		// A short pause, so a retry after the faults go off is not kept
		// waiting by an open breaker.
		c.Breaker.OpenFor = 50 * time.Millisecond
	})
	cw := &checkoutWorld{world: w, q: openQueue(t, w, 250*time.Millisecond)}
	image, err := demoImage()
	if err != nil {
		t.Fatal(err)
	}
	cw.m, err = sandbox.New(sandbox.Options{Template: image, QueriesPerMinute: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cw.m.Close() })
	return cw
}

// opener is the visitor's sandbox.Opener.
func (cw *checkoutWorld) opener(visitor string) sandbox.Opener {
	return func(ctx context.Context, fn func(ctx context.Context, db *sandbox.DB) error) error {
		return cw.m.With(ctx, visitor, fn)
	}
}

// query runs q in the visitor's sandbox.
func (cw *checkoutWorld) query(t *testing.T, visitor, q string, args ...any) [][]any {
	t.Helper()
	var rows [][]any
	err := cw.m.With(context.Background(), visitor, func(ctx context.Context, db *sandbox.DB) error {
		res, err := db.Query(ctx, q, args...)
		if err == nil {
			rows = res.Values
		}
		return err
	})
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return rows
}

// shopState is what a checkout may change in the database.
type shopState struct {
	stock1, stock2 int64
	orders         int64
	lastStatus     string
}

// state reads it; orders counts the orders stored after order since.
func (cw *checkoutWorld) state(t *testing.T, visitor string, since int64) shopState {
	t.Helper()
	v := cw.query(t, visitor, `SELECT (SELECT stock FROM products WHERE id = 1), (SELECT stock FROM products WHERE id = 2),
(SELECT count(*) FROM orders WHERE id > ?1), coalesce((SELECT status FROM orders WHERE id > ?1 ORDER BY id DESC LIMIT 1), '')`, since)[0]
	return shopState{sandbox.AsInt(v[0]), sandbox.AsInt(v[1]), sandbox.AsInt(v[2]), sandbox.AsString(v[3])}
}

// payments is the gateway's record of the visitor's payments.
func (cw *checkoutWorld) payments(t *testing.T, visitor string) []Payment {
	t.Helper()
	list, err := cw.app.Payments(context.Background(), visitor, 10)
	if err != nil {
		t.Fatalf("Payments: %v", err)
	}
	return list.Payments
}

// cart sets products 1 and 2 to 5 in stock and returns a checkout of 2
// of product 1 and 1 of product 2 for customer 1, its total, and the
// newest order's id.
func (cw *checkoutWorld) cart(t *testing.T, visitor, card string) (in CheckoutInput, total, since int64) {
	t.Helper()
	cw.query(t, visitor, `UPDATE products SET stock = 5 WHERE id IN (1, 2)`)
	v := cw.query(t, visitor, `SELECT (SELECT price_cents FROM products WHERE id = 1), (SELECT price_cents FROM products WHERE id = 2),
(SELECT coalesce(max(id), 0) FROM orders)`)[0]
	return CheckoutInput{
		CustomerID: 1,
		Lines:      []CartLine{{ProductID: 1, Quantity: 2}, {ProductID: 2, Quantity: 1}},
		Address:    Address{Name: "Rae Okafor", Street: "Keizersgracht 1", City: "Amsterdam", Postcode: "1015 CJ", Country: "nl"},
		Card:       card,
	}, 2*sandbox.AsInt(v[0]) + sandbox.AsInt(v[1]), sandbox.AsInt(v[2])
}

func TestCheckout(t *testing.T) {
	cw := newCheckoutWorld(t)
	tests := []struct {
		name   string
		card   string
		faults Faults
		// want
		status    string // Receipt.Status
		step      string // CheckoutError.Step, "" on success
		title     string
		db        shopState
		captured  int // payments captured at the gateway
		payments  int // payments at the gateway
		compensed bool
	}{
		{name: "paid", card: upstream.CardSuccess, status: CheckoutPaid,
			db: shopState{3, 4, 1, shop.StatusPaid}, captured: 1, payments: 1},
		{name: "declined card", card: upstream.CardDeclined, status: CheckoutCancelled, step: StepCharge,
			title: "The card was declined", db: shopState{5, 5, 1, shop.StatusCancelled}, compensed: true},
		{name: "insufficient funds", card: upstream.CardInsufficientFunds, status: CheckoutCancelled, step: StepCharge,
			title: "The card was declined", db: shopState{5, 5, 1, shop.StatusCancelled}, compensed: true},
		{name: "gateway failing", card: upstream.CardSuccess, faults: Faults{ErrorRate: 1}, status: CheckoutCancelled,
			step: StepCharge, title: "The payment gateway is having trouble", db: shopState{5, 5, 1, shop.StatusCancelled}, compensed: true},
		{name: "gateway processing error", card: upstream.CardProcessingError, status: CheckoutCancelled,
			step: StepCharge, title: "The payment gateway is having trouble", db: shopState{5, 5, 1, shop.StatusCancelled}, compensed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			visitor := "checkout-" + strings.ReplaceAll(tt.name, " ", "-")
			in, total, since := cw.cart(t, visitor, tt.card)
			if tt.faults != (Faults{}) {
				setFaults(t, cw.app, visitor, PaymentsService, tt.faults)
			}
			ctx, root := cw.traced(context.Background(), tt.name)
			r, err := cw.app.Checkout(ctx, cw.opener(visitor), cw.q, visitor, in)
			root.End()
			if tt.faults != (Faults{}) {
				setFaults(t, cw.app, visitor, PaymentsService, Faults{})
			}

			if r.Status != tt.status || r.OrderID == 0 || r.TotalCents != total || r.Total != shop.Price(total) ||
				len(r.Lines) != 2 || r.Lines[0].ProductID != 1 || r.Lines[0].Quantity != 2 || r.Lines[1].Quantity != 1 ||
				!strings.HasPrefix(r.IdempotencyKey, "order-") || r.Replayed {
				t.Errorf("receipt = %+v", r)
			}
			if want := (Address{Name: "Rae Okafor", Street: "Keizersgracht 1", City: "Amsterdam", Postcode: "1015 CJ", Country: "NL"}); r.ShipTo != want {
				t.Errorf("ShipTo = %+v, want %+v", r.ShipTo, want)
			}
			if got := cw.state(t, visitor, since); got != tt.db {
				t.Errorf("database = %+v, want %+v", got, tt.db)
			}
			pays := cw.payments(t, visitor)
			captured := 0
			for _, p := range pays {
				if p.Status == upstream.StatusCaptured {
					captured++
					if p.CapturedCents != total || p.AmountCents != total || p.ID != r.PaymentID {
						t.Errorf("captured payment = %+v, receipt %+v", p, r)
					}
				}
			}
			if len(pays) != tt.payments || captured != tt.captured {
				t.Errorf("gateway has %d payments, %d captured; want %d, %d: %+v", len(pays), captured, tt.payments, tt.captured, pays)
			}
			spans := cw.spansOf(root)
			if n := len(named(spans, StepCompensate)); (n == 1) != tt.compensed || n > 1 {
				t.Errorf("%d compensation spans, want compensation %v", n, tt.compensed)
			}
			one(t, spans, StepValidate)
			one(t, spans, StepReserve)
			one(t, spans, StepCharge)

			if tt.step != "" {
				var ce *CheckoutError
				if !errors.As(err, &ce) {
					t.Fatalf("err = %v (%T), want a *CheckoutError", err, err)
				}
				if ce.Step != tt.step || ce.Status != tt.status || ce.OrderID != r.OrderID || ce.Stuck ||
					ce.Outcome.Title != tt.title || !ce.Outcome.Safe ||
					!strings.Contains(ce.Outcome.Message, "order "+strconv.FormatInt(r.OrderID, 10)+" was cancelled and its items are back in stock") {
					t.Errorf("error = %+v", ce)
				}
				if r.PaymentID != "" || r.JobID != 0 {
					t.Errorf("receipt = %+v, want no payment and no email", r)
				}
				return
			}
			if err != nil {
				t.Fatalf("Checkout: %v", err)
			}
			one(t, spans, StepMarkPaid)
			one(t, spans, StepEmail)
			email := sandbox.AsString(cw.query(t, visitor, `SELECT email FROM customers WHERE id = 1`)[0][0])
			if r.EmailTo != email || r.JobID == 0 || r.CardLast4 != "4242" || !strings.HasPrefix(r.PaymentID, "pay_") || r.Notice != "" {
				t.Errorf("receipt = %+v", r)
			}
			if ji := finished(t, cw.q, r.JobID); ji.State != jobs.StateCompleted {
				t.Errorf("email job = %+v", ji)
			}
			_, e, err := cw.app.Confirmation(context.Background(), cw.q, visitor, r.JobID)
			if err != nil || e.To != email || e.Subject != "Order "+strconv.FormatInt(r.OrderID, 10)+" confirmed" ||
				!strings.Contains(e.Text, r.Total) || !strings.Contains(e.Text, r.PaymentID) {
				t.Errorf("Confirmation = %+v, %v", e, err)
			}
		})
	}
}

// TestCheckoutPaymentPending: the gateway is slower than the deadline, so
// whether it captured is unknown. The stock stays set aside and the
// order pending; the same checkout retried later charges once.
func TestCheckoutPaymentPending(t *testing.T) {
	cw := newCheckoutWorld(t)
	const visitor = "checkout-slow"
	in, total, since := cw.cart(t, visitor, upstream.CardSuccess)
	setFaults(t, cw.app, visitor, PaymentsService, Faults{LatencyMS: 1500})
	ctx, root := cw.traced(context.Background(), "slow")
	r, err := cw.app.Checkout(ctx, cw.opener(visitor), cw.q, visitor, in)
	root.End()
	setFaults(t, cw.app, visitor, PaymentsService, Faults{})

	var ce *CheckoutError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v (%T), want a *CheckoutError", err, err)
	}
	if ce.Step != StepCharge || ce.Status != CheckoutPaymentPending || ce.OrderID != r.OrderID || ce.Stuck ||
		ce.Outcome.Title != "Payment pending: the payment gateway did not answer in time" || !ce.Outcome.Safe ||
		!strings.Contains(ce.Outcome.Message, "is kept with its items set aside and is not cancelled") {
		t.Errorf("error = %+v", ce)
	}
	if oeKind(err) != outbound.KindTimeout {
		t.Errorf("cause = %v, want a timeout", err)
	}
	if r.Status != CheckoutPaymentPending || r.OrderID == 0 || r.PaymentID != "" || r.JobID != 0 || r.TotalCents != total {
		t.Errorf("receipt = %+v", r)
	}
	if n := len(named(cw.spansOf(root), StepCompensate)); n != 0 {
		t.Errorf("%d compensation spans, want none: the stock must not be released blindly", n)
	}
	if got, want := cw.state(t, visitor, since), (shopState{3, 4, 1, shop.StatusCart}); got != want {
		t.Errorf("database = %+v, want %+v", got, want)
	}
	// The gateway did authorize (the work is done before the slow answer).
	if pays := cw.payments(t, visitor); len(pays) != 1 || pays[0].Status != upstream.StatusAuthorized || pays[0].AmountCents != total {
		t.Errorf("gateway payments = %+v, want one authorized", pays)
	}

	time.Sleep(100 * time.Millisecond) // let the breaker half-open
	retry := in
	retry.OrderID, retry.Lines = r.OrderID, nil
	var first Receipt
	for i := range 2 {
		got, err := cw.app.Checkout(context.Background(), cw.opener(visitor), cw.q, visitor, retry)
		if err != nil {
			t.Fatalf("retry %d: %v", i, err)
		}
		if got.Status != CheckoutPaid || got.OrderID != r.OrderID || !got.Replayed || got.PaymentID == "" ||
			got.JobID == 0 || got.IdempotencyKey != r.IdempotencyKey || got.TotalCents != total || len(got.Lines) != 2 {
			t.Errorf("retry %d: receipt = %+v", i, got)
		}
		if i == 0 {
			first = got
		} else if got.PaymentID != first.PaymentID || got.JobID != first.JobID {
			t.Errorf("second retry = %+v, want the first's payment and email job %+v", got, first)
		}
	}
	if got, want := cw.state(t, visitor, since), (shopState{3, 4, 1, shop.StatusPaid}); got != want {
		t.Errorf("database after the retries = %+v, want %+v", got, want)
	}
	pays := cw.payments(t, visitor)
	if len(pays) != 1 || pays[0].Status != upstream.StatusCaptured || pays[0].CapturedCents != total || pays[0].ID != first.PaymentID {
		t.Errorf("gateway payments = %+v, want one captured once", pays)
	}
	if ji := finished(t, cw.q, first.JobID); ji.State != jobs.StateCompleted {
		t.Errorf("email job = %+v", ji)
	}
	inbox, err := cw.app.Inbox(context.Background(), visitor, 10)
	if err != nil || len(inbox) != 1 {
		t.Errorf("Inbox = %+v, %v; want one email", inbox, err)
	}
}

func TestCheckoutRefused(t *testing.T) {
	cw := newCheckoutWorld(t)
	const visitor = "checkout-refused"
	in, _, since := cw.cart(t, visitor, upstream.CardSuccess)

	t.Run("out of stock", func(t *testing.T) {
		oos := in
		oos.Lines = []CartLine{{ProductID: 1, Quantity: 2}, {ProductID: 2, Quantity: 6}}
		r, err := cw.app.Checkout(context.Background(), cw.opener(visitor), cw.q, visitor, oos)
		var ce *CheckoutError
		if !errors.As(err, &ce) || !errors.Is(err, shop.ErrOutOfStock) {
			t.Fatalf("err = %v, want a *CheckoutError for shop.ErrOutOfStock", err)
		}
		if ce.Step != StepReserve || ce.OrderID != 0 || ce.Status != "" || ce.Outcome.Title != "Not enough stock" ||
			!strings.Contains(ce.Outcome.Message, "Line 2: Only 5 of") || !strings.HasSuffix(ce.Outcome.Message, "Nothing was charged.") {
			t.Errorf("error = %+v", ce)
		}
		if !reflect.DeepEqual(r, Receipt{}) {
			t.Errorf("receipt = %+v, want none", r)
		}
	})
	t.Run("retrying an order that is not pending", func(t *testing.T) {
		paid, err := cw.app.Checkout(context.Background(), cw.opener(visitor), cw.q, visitor, in)
		if err != nil {
			t.Fatal(err)
		}
		declined := in
		declined.Card = upstream.CardDeclined
		cancelled, _ := cw.app.Checkout(context.Background(), cw.opener(visitor), cw.q, visitor, declined)
		if cancelled.Status != CheckoutCancelled {
			t.Fatalf("declined checkout = %+v", cancelled)
		}
		retry := in
		retry.OrderID, retry.Lines = cancelled.OrderID, nil
		_, err = cw.app.Checkout(context.Background(), cw.opener(visitor), cw.q, visitor, retry)
		var ce *CheckoutError
		if !errors.As(err, &ce) || ce.Step != StepReserve || ce.Outcome.Title != "This order cannot be paid" ||
			ce.Outcome.Message != "Order "+strconv.FormatInt(cancelled.OrderID, 10)+" is cancelled. Nothing was charged." {
			t.Errorf("retrying a cancelled order: %v (%+v)", err, ce)
		}
		retry.OrderID, retry.CustomerID = paid.OrderID, 2
		_, err = cw.app.Checkout(context.Background(), cw.opener(visitor), cw.q, visitor, retry)
		var fe *CheckoutErrors
		if !errors.As(err, &fe) || len(fe.Fields) != 1 || fe.Fields[0].Field != "order_id" {
			t.Errorf("retrying another customer's order: %v", err)
		}
	})
	// Only the one paid order was charged.
	if pays := cw.payments(t, visitor); len(pays) != 1 || pays[0].Status != upstream.StatusCaptured {
		t.Errorf("gateway payments = %+v, want the one paid order's", pays)
	}
	if got, want := cw.state(t, visitor, since), (shopState{3, 4, 2, shop.StatusCancelled}); got != want {
		t.Errorf("database = %+v, want %+v", got, want)
	}
}

func TestCheckoutValidation(t *testing.T) {
	cw := newCheckoutWorld(t)
	const visitor = "checkout-invalid"
	good, _, since := cw.cart(t, visitor, upstream.CardSuccess)
	tests := []struct {
		name   string
		edit   func(in *CheckoutInput)
		fields []string
	}{
		{"no customer", func(in *CheckoutInput) { in.CustomerID = 0 }, []string{"customer_id"}},
		{"empty cart", func(in *CheckoutInput) { in.Lines = nil }, []string{"lines"}},
		{"too many lines", func(in *CheckoutInput) { in.Lines = make([]CartLine, 21) }, []string{"lines"}},
		{"bad lines", func(in *CheckoutInput) {
			in.Lines = []CartLine{{ProductID: 1, Quantity: 1}, {ProductID: 2, Quantity: 0}, {ProductID: 1, Quantity: 100}, {ProductID: -3, Quantity: 1}}
		}, []string{"lines[1].quantity", "lines[2].product_id", "lines[2].quantity", "lines[3].product_id"}},
		{"blank address", func(in *CheckoutInput) { in.Address = Address{Name: "  "} },
			[]string{"address.name", "address.street", "address.city", "address.postcode", "address.country"}},
		{"long and odd address", func(in *CheckoutInput) {
			in.Address.Name = strings.Repeat("é", 101)
			in.Address.Street = "Main St\n1"
			in.Address.Postcode = "12_45"
			in.Address.Country = "NLD"
		}, []string{"address.name", "address.street", "address.postcode", "address.country"}},
		{"card too short", func(in *CheckoutInput) { in.Card = "4242 4242" }, []string{"card_number"}},
		{"card typo", func(in *CheckoutInput) { in.Card = "4242 4242 4242 4241" }, []string{"card_number"}},
		{"negative order", func(in *CheckoutInput) { in.OrderID = -1 }, []string{"order_id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := good
			in.Lines = append([]CartLine(nil), good.Lines...)
			tt.edit(&in)
			r, err := cw.app.Checkout(context.Background(), cw.opener(visitor), cw.q, visitor, in)
			var fe *CheckoutErrors
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v (%T), want *CheckoutErrors", err, err)
			}
			var got []string
			for _, f := range fe.Fields {
				got = append(got, f.Field)
				if f.Message == "" {
					t.Errorf("%s: no message", f.Field)
				}
			}
			if !reflect.DeepEqual(got, tt.fields) || !reflect.DeepEqual(r, Receipt{}) {
				t.Errorf("fields = %q, want %q; receipt %+v", got, tt.fields, r)
			}
		})
	}
	if got, want := cw.state(t, visitor, since), (shopState{5, 5, 0, ""}); got != want {
		t.Errorf("database = %+v, want it untouched %+v", got, want)
	}
	if pays := cw.payments(t, visitor); len(pays) != 0 {
		t.Errorf("gateway payments = %+v, want none", pays)
	}
	// Spaces in the card and a lower-case country are tidied, not refused.
	ok := good
	ok.Card = "4242-4242 4242-4242"
	if r, err := cw.app.Checkout(context.Background(), cw.opener(visitor), cw.q, visitor, ok); err != nil || r.Status != CheckoutPaid || r.ShipTo.Country != "NL" {
		t.Errorf("Checkout = %+v, %v", r, err)
	}
}

package shop

import (
	"context"
	"errors"
	"fmt"

	"go.opentelemetry.io/otel/attribute"

	"github.com/engineroom/engineroom/playground/sandbox"
)

// Order statuses a checkout moves a StatusCart order to. The schema's
// CHECK constraint allows cart, paid, shipped, delivered, cancelled and
// refunded.
const (
	StatusPaid      = "paid"
	StatusCancelled = "cancelled"
)

// ErrNotAwaitingPayment means an order is no longer in StatusCart: it was
// paid or cancelled already.
var ErrNotAwaitingPayment = errors.New("shop: the order is not awaiting payment")

// Customer is who an order is for, as a confirmation email needs them.
type Customer struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

// CustomerByID reads one customer; found is false when there is none.
func (a *App) CustomerByID(ctx context.Context, db querier, id int64) (c Customer, found bool, err error) {
	ctx, span := a.step(ctx, "load customer", attribute.Int64("engineroom.customer_id", id))
	defer span.End()
	res, err := db.Query(ctx, `SELECT id, name, email FROM customers WHERE id = ?`, id)
	if err != nil {
		return c, false, fail(span, err)
	}
	if len(res.Values) == 0 {
		return c, false, nil
	}
	v := res.Values[0]
	return Customer{ID: sandbox.AsInt(v[0]), Name: sandbox.AsString(v[1]), Email: sandbox.AsString(v[2])}, true, nil
}

// MarkPaid moves an order from StatusCart to StatusPaid, in a
// transaction. An order in another status is left as it is and the error
// wraps ErrNotAwaitingPayment.
func (a *App) MarkPaid(ctx context.Context, db querier, id int64) error {
	ctx, span := a.step(ctx, "mark the order paid", attribute.Int64("engineroom.order_id", id))
	defer span.End()
	err := sandbox.Immediate(ctx, db, func() error {
		return setStatus(ctx, db, id, StatusPaid)
	})
	if err != nil {
		return fail(span, err)
	}
	return nil
}

// CancelOrder cancels an order in StatusCart and puts its items'
// quantities back in stock, in one transaction: either both happen or
// neither does. An order in another status is left as it is (its stock
// is never put back twice) and the error wraps ErrNotAwaitingPayment.
func (a *App) CancelOrder(ctx context.Context, db querier, id int64) error {
	ctx, span := a.step(ctx, "cancel the order and put its stock back", attribute.Int64("engineroom.order_id", id))
	defer span.End()
	err := sandbox.Immediate(ctx, db, func() error {
		if err := setStatus(ctx, db, id, StatusCancelled); err != nil {
			return err
		}
		_, err := db.Exec(ctx, `UPDATE products
SET stock = stock + (SELECT i.quantity FROM order_items i WHERE i.order_id = ? AND i.product_id = products.id)
WHERE id IN (SELECT product_id FROM order_items WHERE order_id = ?)`, id, id)
		return err
	})
	if err != nil {
		return fail(span, err)
	}
	return nil
}

// setStatus moves order id from StatusCart to status.
func setStatus(ctx context.Context, db querier, id int64, status string) error {
	n, err := db.Exec(ctx, `UPDATE orders SET status = ? WHERE id = ? AND status = ?`, status, id, StatusCart)
	if err != nil {
		return err
	}
	if n != 1 {
		return fmt.Errorf("%w: order %d", ErrNotAwaitingPayment, id)
	}
	return nil
}

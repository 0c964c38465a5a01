package shop

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/engineroom/engineroom/playground/sandbox"
)

// Limits of one order.
const (
	MaxOrderLines = 20
	MaxQuantity   = 100
)

// Why the shop refuses an order. A *Refusal wraps one of them; errors.Is
// finds it.
var (
	ErrBadOrder       = errors.New("shop: not a valid order")
	ErrNoSuchCustomer = errors.New("shop: no such customer")
	ErrNoSuchProduct  = errors.New("shop: no such product")
	ErrOutOfStock     = errors.New("shop: not enough stock")
)

// OrderLine is one line of an order being placed.
type OrderLine struct {
	ProductID int64
	Quantity  int64
}

// Order is a placed order and its items.
type Order struct {
	ID         int64       `json:"id"`
	CustomerID int64       `json:"customer_id"`
	Status     string      `json:"status"`
	TotalCents int64       `json:"total_cents"`
	CreatedAt  string      `json:"created_at"`
	Items      []OrderItem `json:"items"`
}

// OrderItem is one line of a placed order, at the price it was sold at.
type OrderItem struct {
	ProductID      int64  `json:"product_id"`
	Name           string `json:"name"`
	Quantity       int64  `json:"quantity"`
	UnitPriceCents int64  `json:"unit_price_cents"`
}

// StatusCart is the status of a new order: placed with its stock set
// aside, not yet paid.
const StatusCart = "cart"

// PlaceOrder places an order for a customer in one transaction: it reads
// every product of the order in one query, checks each line against the
// stock, stores the order at today's prices, takes the quantities out of
// stock and stores the items. Either all of it happens or none of it
// does. A refused order is a *Refusal.
func (a *App) PlaceOrder(ctx context.Context, db querier, customerID int64, lines []OrderLine) (Order, error) {
	ctx, span := a.step(ctx, "place an order",
		attribute.Int64("engineroom.customer_id", customerID), attribute.Int("engineroom.lines", len(lines)))
	defer span.End()
	if r := checkLines(lines); r != nil {
		return Order{}, refused(span, r)
	}
	o := Order{CustomerID: customerID, Status: StatusCart, Items: make([]OrderItem, 0, len(lines))}
	err := sandbox.Immediate(ctx, db, func() error {
		n, err := db.Query(ctx, `SELECT count(*) FROM customers WHERE id = ?`, customerID)
		if err != nil {
			return err
		}
		if len(n.Values) == 0 || sandbox.AsInt(n.Values[0][0]) == 0 {
			return &Refusal{Err: ErrNoSuchCustomer, Detail: fmt.Sprintf("There is no customer %d in your database.", customerID)}
		}
		products, err := productsByID(ctx, db, lines)
		if err != nil {
			return err
		}
		if r := stockProblems(lines, products); r != nil {
			return r
		}
		for _, l := range lines {
			p := products[l.ProductID]
			if p.PriceCents > 0 && l.Quantity > (math.MaxInt64-o.TotalCents)/p.PriceCents {
				return &Refusal{Err: ErrBadOrder, Detail: "The order's total is too large to store."}
			}
			o.TotalCents += l.Quantity * p.PriceCents
			o.Items = append(o.Items, OrderItem{ProductID: p.ID, Name: p.Name, Quantity: l.Quantity, UnitPriceCents: p.PriceCents})
		}
		slices.SortFunc(o.Items, func(a, b OrderItem) int { return cmp.Compare(a.ProductID, b.ProductID) })
		o.CreatedAt = time.Now().UTC().Format("2006-01-02 15:04")
		res, err := db.Query(ctx, `INSERT INTO orders (customer_id, status, total_cents, created_at)
VALUES (?, ?, ?, ?) RETURNING id`, customerID, o.Status, o.TotalCents, o.CreatedAt)
		if err != nil {
			return err
		}
		if len(res.Values) == 0 {
			return fmt.Errorf("%w: the new order has no id", ErrMissingData)
		}
		o.ID = sandbox.AsInt(res.Values[0][0])
		for _, it := range o.Items {
			// The condition repeats the stock check, so stock cannot go
			// below zero even if the check above had a bug.
			if err := execOne(ctx, db, `UPDATE products SET stock = stock - ? WHERE id = ? AND stock >= ?`, it.Quantity, it.ProductID, it.Quantity); err != nil {
				return err
			}
		}
		values := strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?), ", len(o.Items)), ", ")
		args := make([]any, 0, 4*len(o.Items))
		for _, it := range o.Items {
			args = append(args, o.ID, it.ProductID, it.Quantity, it.UnitPriceCents)
		}
		_, err = db.Exec(ctx, "INSERT INTO order_items (order_id, product_id, quantity, unit_price_cents)\nVALUES "+values, args...)
		return err
	})
	var r *Refusal
	switch {
	case errors.As(err, &r):
		return Order{}, refused(span, r)
	case err != nil:
		return Order{}, fail(span, err)
	}
	span.SetAttributes(attribute.Int64("engineroom.order_id", o.ID), attribute.Int64("engineroom.total_cents", o.TotalCents))
	return o, nil
}

// productsByID reads the products of an order's lines in one query.
func productsByID(ctx context.Context, db querier, lines []OrderLine) (map[int64]Product, error) {
	ids := make([]int64, len(lines))
	for i, l := range lines {
		ids[i] = l.ProductID
	}
	return ProductsByID(ctx, db, ids)
}

// ProductsByID reads the products with these ids in one query; an id
// with no product is missing from the map.
func ProductsByID(ctx context.Context, db querier, ids []int64) (map[int64]Product, error) {
	if len(ids) == 0 {
		return map[int64]Product{}, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")
	res, err := db.Query(ctx, "SELECT "+productColumns+" FROM products WHERE id IN ("+marks+")", args...)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]Product, len(res.Values))
	for _, v := range res.Values {
		p := scanProduct(v)
		out[p.ID] = p
	}
	return out, nil
}

// OrderByID reads one order and its items; found is false when there is
// none.
func (a *App) OrderByID(ctx context.Context, db querier, id int64) (o Order, found bool, err error) {
	ctx, span := a.step(ctx, "load order", attribute.Int64("engineroom.order_id", id))
	defer span.End()
	res, err := db.Query(ctx, `SELECT id, customer_id, status, total_cents, created_at FROM orders WHERE id = ?`, id)
	if err != nil {
		return o, false, fail(span, err)
	}
	if len(res.Values) == 0 {
		return o, false, nil
	}
	v := res.Values[0]
	o = Order{ID: sandbox.AsInt(v[0]), CustomerID: sandbox.AsInt(v[1]), Status: sandbox.AsString(v[2]),
		TotalCents: sandbox.AsInt(v[3]), CreatedAt: sandbox.AsString(v[4])}
	items, err := db.Query(ctx, `SELECT i.product_id, p.name, i.quantity, i.unit_price_cents
FROM order_items i JOIN products p ON p.id = i.product_id
WHERE i.order_id = ?
ORDER BY i.product_id`, id)
	if err != nil {
		return o, false, fail(span, err)
	}
	o.Items = make([]OrderItem, 0, len(items.Values))
	for _, v := range items.Values {
		o.Items = append(o.Items, OrderItem{ProductID: sandbox.AsInt(v[0]), Name: sandbox.AsString(v[1]),
			Quantity: sandbox.AsInt(v[2]), UnitPriceCents: sandbox.AsInt(v[3])})
	}
	return o, true, nil
}

// execOne runs a statement that must change exactly one row; changing
// none means the demo data is not what the step expects.
func execOne(ctx context.Context, db querier, query string, args ...any) error {
	n, err := db.Exec(ctx, query, args...)
	if err != nil {
		return err
	}
	if n != 1 {
		return fmt.Errorf("%w: %q changed %d rows, not 1", ErrMissingData, query, n)
	}
	return nil
}

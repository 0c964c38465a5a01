package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/engineroom/engineroom/playground/sandbox"
	"github.com/engineroom/engineroom/playground/shop"
)

// createOrder is POST /api/v1/orders {"customer_id", "items": [{"product_id",
// "quantity"}]}: the order is checked against the stock and stored, and
// the stock taken, in one transaction. 201 with the order and its address
// in Location.
func (s *Server) createOrder(c echo.Context) error {
	ctx, span := s.apiHandler(c, "create order")
	defer span.End()
	p := params(c)
	if err := p.problem(); err != nil {
		return apiFailure(span, err)
	}
	body, err := readJSONObject(c)
	if err != nil {
		return apiFailure(span, err)
	}
	customer, lines, err := decodeOrder(body)
	if err != nil {
		return apiFailure(span, err)
	}
	var o shop.Order
	err = s.inSandbox(ctx, c, func(ctx context.Context, db *sandbox.DB) (err error) {
		o, err = s.shop.PlaceOrder(ctx, db, customer, lines)
		return err
	})
	if err != nil {
		return apiFailure(span, orderProblem(err))
	}
	return s.sendCreated(ctx, c, "/api/v1/orders/"+strconv.FormatInt(o.ID, 10), o)
}

// decodeOrder checks an order's body field by field: every field at fault
// is named, each line's by its index.
func decodeOrder(body map[string]any) (customer int64, lines []shop.OrderLine, err error) {
	var in bodyFields
	obj := in.object(body, "", "customer_id", "items")
	customer, _ = in.integer(obj, "", "customer_id", 1, maxID)
	items := in.array(obj, "", "items", 1, shop.MaxOrderLines)
	line := map[int64]int{} // product id -> the line that has it
	for i, v := range items {
		at := fmt.Sprintf("items[%d]", i)
		item := in.object(v, at, "product_id", "quantity")
		if item == nil {
			continue
		}
		product, ok := in.integer(item, at, "product_id", 1, maxID)
		if first, dup := line[product]; ok && dup {
			in.add(at+".product_id", "is on items[%d] already: one line per product", first)
		} else if ok {
			line[product] = i
		}
		quantity, _ := in.integer(item, at, "quantity", 1, shop.MaxQuantity)
		lines = append(lines, shop.OrderLine{ProductID: product, Quantity: quantity})
	}
	return customer, lines, in.problem()
}

// orderProblem is the answer to an order the shop refused. A customer or
// product that does not exist is bad input (422, naming the field); not
// enough stock is a conflict with the current state (409, naming each
// line's quantity), which an Idempotency-Key replays.
func orderProblem(err error) error {
	var r *shop.Refusal
	if !errors.As(err, &r) {
		return err
	}
	var fields []fieldError
	for _, l := range r.Lines {
		field := fmt.Sprintf("items[%d].quantity", l.Line)
		if errors.Is(l.Err, shop.ErrNoSuchProduct) {
			field = fmt.Sprintf("items[%d].product_id", l.Line)
		}
		fields = append(fields, fieldError{Field: field, Message: l.Detail})
	}
	switch {
	case errors.Is(r, shop.ErrNoSuchCustomer):
		return newProblem(problemInvalidBody, http.StatusUnprocessableEntity, r.Detail, fieldError{"customer_id", "there is no such customer"})
	case errors.Is(r, shop.ErrOutOfStock):
		p := newProblem(problemOutOfStock, http.StatusConflict, r.Detail, fields...)
		p.replay = true
		return p
	case errors.Is(r, shop.ErrNoSuchProduct), errors.Is(r, shop.ErrBadOrder):
		if len(fields) == 0 {
			fields = []fieldError{{Field: "items", Message: r.Detail}}
		}
		return newProblem(problemInvalidBody, http.StatusUnprocessableEntity, r.Detail, fields...)
	}
	return err
}

// showOrder is GET /api/v1/orders/{id}: an order and its items.
func (s *Server) showOrder(c echo.Context) error {
	ctx, span := s.apiHandler(c, "show order")
	defer span.End()
	p := params(c)
	id := p.id("id")
	if err := p.problem(); err != nil {
		return apiFailure(span, err)
	}
	var o shop.Order
	var found bool
	err := s.inSandbox(ctx, c, func(ctx context.Context, db *sandbox.DB) (err error) {
		o, found, err = s.shop.OrderByID(ctx, db, id)
		return err
	})
	switch {
	case err != nil:
		return apiFailure(span, err)
	case !found:
		return apiFailure(span, notFound("order", id))
	}
	return s.sendTagged(ctx, c, o)
}

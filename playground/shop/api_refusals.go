package shop

import (
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// Refusal is an order the shop refuses, with a sentence that says why.
// Lines lists the lines at fault, in order; it is empty when the order as
// a whole is (an unknown customer, say).
type Refusal struct {
	Err    error
	Detail string
	Lines  []LineProblem
}

// LineProblem is why one line of an order cannot be filled.
type LineProblem struct {
	Line   int // index in the order's lines
	Err    error
	Detail string
}

func (r *Refusal) Error() string { return r.Err.Error() + ": " + r.Detail }

// Unwrap returns the reason, one of the Err… values.
func (r *Refusal) Unwrap() error { return r.Err }

// checkLines is the shop's own check of an order's shape: the HTTP layer
// checks the same before, field by field.
func checkLines(lines []OrderLine) *Refusal {
	r := &Refusal{Err: ErrBadOrder}
	if len(lines) == 0 || len(lines) > MaxOrderLines {
		r.Detail = fmt.Sprintf("An order has 1 to %d lines, not %d.", MaxOrderLines, len(lines))
		return r
	}
	seen := make(map[int64]bool, len(lines))
	for i, l := range lines {
		switch {
		case l.Quantity < 1 || l.Quantity > MaxQuantity:
			r.Lines = append(r.Lines, LineProblem{i, ErrBadOrder, fmt.Sprintf("A quantity is 1 to %d.", MaxQuantity)})
		case seen[l.ProductID]:
			r.Lines = append(r.Lines, LineProblem{i, ErrBadOrder, "The product is on another line already."})
		}
		seen[l.ProductID] = true
	}
	if len(r.Lines) == 0 {
		return nil
	}
	r.Detail = "Some lines of the order are not valid."
	return r
}

// stockProblems checks every line against the products read for it: an
// unknown product makes the order invalid; a line asking for more than
// the stock is refused. Every line at fault is named.
func stockProblems(lines []OrderLine, products map[int64]Product) *Refusal {
	r := &Refusal{}
	for i, l := range lines {
		p, ok := products[l.ProductID]
		switch {
		case !ok:
			r.Err = ErrNoSuchProduct
			r.Lines = append(r.Lines, LineProblem{i, ErrNoSuchProduct, fmt.Sprintf("There is no product %d in your database.", l.ProductID)})
		case p.Stock < l.Quantity:
			if r.Err == nil {
				r.Err = ErrOutOfStock
			}
			r.Lines = append(r.Lines, LineProblem{i, ErrOutOfStock, fmt.Sprintf("Only %d of %s (%s) left; the line asks for %d.", p.Stock, p.Name, p.SKU, l.Quantity)})
		}
	}
	if r.Err == nil {
		return nil
	}
	if r.Err == ErrNoSuchProduct {
		r.Detail = "Some products of the order are not in your database."
	} else {
		r.Detail = "Some products of the order do not have enough stock."
	}
	return r
}

// refused records a refusal on the step's span, as an attribute: the
// rules working is not a failure.
func refused(span trace.Span, r *Refusal) error {
	span.SetAttributes(attribute.String("engineroom.refused", r.Detail))
	return r
}

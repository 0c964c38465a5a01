package stories

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/engineroom/engineroom/playground/integrations"
	"github.com/engineroom/engineroom/playground/jobs"
	"github.com/engineroom/engineroom/playground/sandbox"
	"github.com/engineroom/engineroom/playground/shop"
)

// The shop's catalog page: its size, cache key and how long the cache
// keeps it. A checkout takes stock, so it deletes the key.
const (
	CatalogSize = 8
	CatalogKey  = "catalog:page:1"
	CatalogTTL  = 30 * time.Second
)

// ErrUnknownProduct means a cart was asked to hold a product the
// visitor's database does not have.
var ErrUnknownProduct = errors.New("stories: no such product")

// CartError is a change to the cart that was refused; the cart is as it
// was.
type CartError struct{ Reason string }

func (e *CartError) Error() string { return "stories: cart: " + e.Reason }

// Catalog is the first page of the shop's catalog and where it came
// from.
type Catalog struct {
	Products []shop.Product `json:"products"`
	Source   string         `json:"source"`
	CacheKey string         `json:"cache_key"`
	TTL      int64          `json:"ttl_seconds"`
}

// Catalog reads the catalog's first page cache-aside.
func (a *App) Catalog(ctx context.Context, cache Cache, open sandbox.Opener) (Catalog, error) {
	ctx, span := a.step(ctx, "read the catalog")
	defer span.End()
	c := Catalog{CacheKey: CatalogKey, TTL: int64(CatalogTTL / time.Second)}
	var err error
	c.Products, c.Source, err = aside(ctx, cache, CatalogKey, CatalogTTL, func(ctx context.Context) (ps []shop.Product, err error) {
		err = open(ctx, func(ctx context.Context, db *sandbox.DB) error {
			l, err := a.shop.ListProducts(ctx, db, shop.ProductFilter{Limit: CatalogSize})
			ps = l.Products
			return err
		})
		return ps, err
	})
	if err != nil {
		return c, fail(span, err)
	}
	span.SetAttributes(attribute.String("engineroom.source", c.Source))
	return c, nil
}

// Cart is what the shopper's session keeps: product ids and quantities,
// never prices. Prices and stock are read from the database each time,
// so a stale or edited session cannot change what anything costs.
type Cart struct {
	Lines []integrations.CartLine `json:"lines"`
}

// Set makes the cart hold quantity of a product; 0 takes it out.
func (c *Cart) Set(productID, quantity int64) error {
	switch {
	case quantity < 0 || quantity > integrations.MaxCheckoutQuantity:
		return &CartError{fmt.Sprintf("a quantity is 0 to %d, not %d", integrations.MaxCheckoutQuantity, quantity)}
	case productID <= 0:
		return &CartError{"a product id is positive"}
	}
	i := slices.IndexFunc(c.Lines, func(l integrations.CartLine) bool { return l.ProductID == productID })
	switch {
	case i >= 0 && quantity == 0:
		c.Lines = slices.Delete(c.Lines, i, i+1)
	case i >= 0:
		c.Lines[i].Quantity = quantity
	case quantity == 0:
	case len(c.Lines) >= integrations.MaxCheckoutLines:
		return &CartError{fmt.Sprintf("a cart holds at most %d products", integrations.MaxCheckoutLines)}
	default:
		c.Lines = append(c.Lines, integrations.CartLine{ProductID: productID, Quantity: quantity})
	}
	return nil
}

// CartItem is a line of the cart as the shopper sees it.
type CartItem struct {
	Product       shop.Product `json:"product"`
	Quantity      int64        `json:"quantity"`
	SubtotalCents int64        `json:"subtotal_cents"`
	// Short is set when the shop has fewer in stock than the line wants.
	Short bool `json:"short,omitempty"`
}

// CartView is the cart priced from the database.
type CartView struct {
	Items      []CartItem `json:"items"`
	TotalCents int64      `json:"total_cents"`
}

// UpdateCart sets a product's quantity in cart and returns the cart and
// its priced view. A refused change — a *CartError, or ErrUnknownProduct
// for a product the database does not have — returns the cart as it was,
// priced, with the error. A line whose product has gone is dropped.
func (a *App) UpdateCart(ctx context.Context, open sandbox.Opener, cart Cart, productID, quantity int64) (Cart, CartView, error) {
	ctx, span := a.step(ctx, "update the cart", attribute.Int64("engineroom.product_id", productID), attribute.Int64("engineroom.quantity", quantity))
	defer span.End()
	next := Cart{Lines: slices.Clone(cart.Lines)}
	refusal := next.Set(productID, quantity)
	if refusal != nil {
		next = cart
	}
	var view CartView
	err := open(ctx, func(ctx context.Context, db *sandbox.DB) error {
		ids := []int64{productID}
		for _, l := range next.Lines {
			ids = append(ids, l.ProductID)
		}
		products, err := shop.ProductsByID(ctx, db, ids)
		if err != nil {
			return err
		}
		if _, ok := products[productID]; !ok && refusal == nil && quantity > 0 {
			refusal, next = ErrUnknownProduct, cart
		}
		next, view = priced(next, products)
		return nil
	})
	if err == nil {
		err = refusal
	}
	if err != nil {
		return next, view, fail(span, err)
	}
	span.SetAttributes(attribute.Int("engineroom.cart_lines", len(next.Lines)), attribute.Int64("engineroom.total_cents", view.TotalCents))
	return next, view, nil
}

// priced prices the cart's lines, dropping those whose product is gone.
func priced(cart Cart, products map[int64]shop.Product) (Cart, CartView) {
	var kept Cart
	var v CartView
	for _, l := range cart.Lines {
		p, ok := products[l.ProductID]
		if !ok {
			continue
		}
		kept.Lines = append(kept.Lines, l)
		item := CartItem{Product: p, Quantity: l.Quantity, SubtotalCents: p.PriceCents * l.Quantity, Short: p.Stock < l.Quantity}
		v.Items = append(v.Items, item)
		v.TotalCents += item.SubtotalCents
	}
	return kept, v
}

// CheckOut turns the cart into a paid order (integrations.Checkout:
// validate, reserve the stock and store the order in one transaction,
// charge the card with an Idempotency-Key derived from the order, mark it
// paid, queue the confirmation email). An in.OrderID whose payment was
// left unknown is retried with the same key, so the shopper is charged at
// most once. When an order was stored the cached catalog is deleted: its
// stock changed.
func (a *App) CheckOut(ctx context.Context, cache Cache, open sandbox.Opener, q *jobs.Queue, visitor string, in integrations.CheckoutInput) (integrations.Receipt, error) {
	r, err := a.third.Checkout(ctx, open, q, visitor, in)
	if r.OrderID != 0 {
		a.forget(ctx, cache, CatalogKey)
	}
	return r, err
}

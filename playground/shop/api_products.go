package shop

import (
	"context"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/attribute"

	"github.com/engineroom/engineroom/playground/sandbox"
)

// ErrBadCursor means a page cursor is not one this package handed out.
var ErrBadCursor = errors.New("shop: not a cursor this list handed out")

// Limits of a page of a list.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
)

// ProductFilter narrows and pages the product list. Zero fields do not
// filter.
type ProductFilter struct {
	Category string
	// Limit is the page size; 0 means DefaultPageSize.
	Limit int
	// After continues the list after the product with this id.
	After int64
}

// ProductList is one page of the product list, in id order. Next is the
// cursor of the page after it, or "" on the last page.
type ProductList struct {
	Products []Product
	Next     string
}

// productCursorTag starts every product cursor, so a cursor of another
// list is refused rather than misread.
const productCursorTag = "products"

// EncodeProductCursor makes the opaque cursor that continues the product
// list after the product with this id.
func EncodeProductCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(productCursorTag + "|" + strconv.FormatInt(id, 10)))
}

// DecodeProductCursor reads a cursor made by EncodeProductCursor; anything
// else is ErrBadCursor.
func DecodeProductCursor(s string) (int64, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, ErrBadCursor
	}
	tag, num, ok := strings.Cut(string(raw), "|")
	if !ok || tag != productCursorTag {
		return 0, ErrBadCursor
	}
	id, err := strconv.ParseInt(num, 10, 64)
	if err != nil || id < 1 || strconv.FormatInt(id, 10) != num {
		return 0, ErrBadCursor
	}
	return id, nil
}

// ListProducts reads one page of products, continuing after the id the
// filter names (keyset pagination on the primary key).
func (a *App) ListProducts(ctx context.Context, db querier, f ProductFilter) (ProductList, error) {
	ctx, span := a.step(ctx, "list products")
	defer span.End()
	limit := pageSize(f.Limit)
	q, args := "SELECT "+productColumns+" FROM products WHERE id > ?", []any{f.After}
	if f.Category != "" {
		q, args = q+" AND category = ?", append(args, f.Category)
	}
	// One row more than the page says whether another page follows.
	res, err := db.Query(ctx, q+"\nORDER BY id\nLIMIT ?", append(args, limit+1)...)
	if err != nil {
		return ProductList{}, fail(span, err)
	}
	l := ProductList{Products: make([]Product, 0, min(len(res.Values), limit))}
	for i, v := range res.Values {
		if i == limit {
			l.Next = EncodeProductCursor(l.Products[limit-1].ID)
			break
		}
		l.Products = append(l.Products, scanProduct(v))
	}
	span.SetAttributes(attribute.Int("engineroom.products", len(l.Products)), attribute.Bool("engineroom.more", l.Next != ""))
	return l, nil
}

// ProductByID reads one product from the database; found is false when
// there is none.
func (a *App) ProductByID(ctx context.Context, db querier, id int64) (p Product, found bool, err error) {
	ctx, span := a.step(ctx, "load product", attribute.Int64("engineroom.product_id", id))
	defer span.End()
	res, err := db.Query(ctx, "SELECT "+productColumns+" FROM products WHERE id = ?", id)
	if err != nil {
		return p, false, fail(span, err)
	}
	if len(res.Values) == 0 {
		return p, false, nil
	}
	return scanProduct(res.Values[0]), true, nil
}

// scanProduct reads a row of productColumns.
func scanProduct(v []any) Product {
	return Product{ID: sandbox.AsInt(v[0]), SKU: sandbox.AsString(v[1]), Name: sandbox.AsString(v[2]), Category: sandbox.AsString(v[3]),
		PriceCents: sandbox.AsInt(v[4]), Stock: sandbox.AsInt(v[5])}
}

// pageSize is a requested page size within its bounds.
func pageSize(n int) int {
	switch {
	case n <= 0:
		return DefaultPageSize
	case n > MaxPageSize:
		return MaxPageSize
	}
	return n
}

// querier is the part of a sandbox connection the shop needs.
type querier interface {
	Query(ctx context.Context, query string, args ...any) (*sandbox.QueryResult, error)
	Exec(ctx context.Context, query string, args ...any) (int64, error)
}

var _ querier = (*sandbox.DB)(nil)

package web

import (
	"context"

	"github.com/labstack/echo/v4"

	"github.com/engineroom/engineroom/playground/sandbox"
	"github.com/engineroom/engineroom/playground/shop"
)

// maxCategory bounds the category filter of the product list.
const maxCategory = 50

// productList is a page of GET /api/v1/products.
type productList struct {
	Products   []shop.Product `json:"products"`
	NextCursor *string        `json:"next_cursor"`
}

// listProducts is GET /api/v1/products: the shop's products, optionally
// of one category, in id order, a page at a time.
func (s *Server) listProducts(c echo.Context) error {
	ctx, span := s.apiHandler(c, "list products")
	defer span.End()
	p := params(c, "category", "limit", "cursor")
	f := shop.ProductFilter{
		Category: p.text("category", maxCategory),
		Limit:    int(p.integer("limit", 1, shop.MaxPageSize, shop.DefaultPageSize)),
	}
	f.After, _ = cursor(p, shop.DecodeProductCursor)
	if err := p.problem(); err != nil {
		return apiFailure(span, err)
	}
	var list shop.ProductList
	err := s.inSandbox(ctx, c, func(ctx context.Context, db *sandbox.DB) (err error) {
		list, err = s.shop.ListProducts(ctx, db, f)
		return err
	})
	if err != nil {
		return apiFailure(span, err)
	}
	return s.sendTagged(ctx, c, productList{Products: list.Products, NextCursor: nextCursor(c, list.Next)})
}

// showProduct is GET /api/v1/products/{id}: one product, its price and
// stock, read from the database.
func (s *Server) showProduct(c echo.Context) error {
	ctx, span := s.apiHandler(c, "show product")
	defer span.End()
	p := params(c)
	id := p.id("id")
	if err := p.problem(); err != nil {
		return apiFailure(span, err)
	}
	var pr shop.Product
	var found bool
	err := s.inSandbox(ctx, c, func(ctx context.Context, db *sandbox.DB) (err error) {
		pr, found, err = s.shop.ProductByID(ctx, db, id)
		return err
	})
	switch {
	case err != nil:
		return apiFailure(span, err)
	case !found:
		return apiFailure(span, notFound("product", id))
	}
	return s.sendTagged(ctx, c, pr)
}

package shop

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/engineroom/engineroom/playground/sandbox"
)

// Product is one product as its page shows it.
type Product struct {
	ID         int64  `json:"id"`
	SKU        string `json:"sku"`
	Name       string `json:"name"`
	Category   string `json:"category"`
	PriceCents int64  `json:"price_cents"`
	Stock      int64  `json:"stock"`
}

// Page is one read of a product page and where its answer came from.
type Page struct {
	Product  Product `json:"product"`
	Source   string  `json:"source"` // SourceCache or SourceDatabase
	CacheKey string  `json:"cache_key"`
}

// Where a page's answer came from.
const (
	SourceCache    = "cache"
	SourceDatabase = "database"
)

// ProductKey is the cache key of a product's page.
func ProductKey(id int64) string { return "product:" + strconv.FormatInt(id, 10) }

const productColumns = "id, sku, name, category, price_cents, stock"

// ProductPage reads a product's page cache-aside: it asks the cache first;
// on a miss it reads the product from the database and stores it in the
// cache for ttl.
func (a *App) ProductPage(ctx context.Context, cache Cache, open Database, id int64, ttl time.Duration) (Page, error) {
	ctx, span := a.step(ctx, "product page "+strconv.FormatInt(id, 10), attribute.Int64("engineroom.product_id", id))
	defer span.End()
	p := Page{CacheKey: ProductKey(id)}
	cached, hit, err := cache.Get(ctx, p.CacheKey)
	if err != nil {
		return p, fail(span, err)
	}
	if hit {
		if err := json.Unmarshal(cached, &p.Product); err != nil {
			return p, fail(span, fmt.Errorf("shop: reading the cached product: %w", err))
		}
		p.Source = SourceCache
		span.SetAttributes(attribute.String("engineroom.source", p.Source))
		return p, nil
	}
	err = open(ctx, func(ctx context.Context, db *sandbox.DB) error {
		p.Product, err = oneProduct(db.Query(ctx, "SELECT "+productColumns+" FROM products WHERE id = ?", id))
		return err
	})
	if err != nil {
		return p, fail(span, err)
	}
	if err := a.store(ctx, cache, p.Product, ttl); err != nil {
		return p, fail(span, err)
	}
	p.Source = SourceDatabase
	span.SetAttributes(attribute.String("engineroom.source", p.Source))
	return p, nil
}

// store puts a product in the cache under its key for ttl.
func (a *App) store(ctx context.Context, cache Cache, p Product, ttl time.Duration) error {
	value, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return cache.Set(ctx, ProductKey(p.ID), value, ttl)
}

// oneProduct scans the single product row of a query's result.
func oneProduct(res *sandbox.QueryResult, err error) (Product, error) {
	if err != nil {
		return Product{}, err
	}
	if len(res.Values) == 0 || len(res.Values[0]) < 6 {
		return Product{}, fmt.Errorf("%w: the product is not in the products table", ErrMissingData)
	}
	v := res.Values[0]
	return Product{ID: sandbox.AsInt(v[0]), SKU: sandbox.AsString(v[1]), Name: sandbox.AsString(v[2]), Category: sandbox.AsString(v[3]),
		PriceCents: sandbox.AsInt(v[4]), Stock: sandbox.AsInt(v[5])}, nil
}

// databasePrice reads a product's price straight from the database, to
// check what a cached page shows against it.
func (a *App) databasePrice(ctx context.Context, open Database, id int64) (int64, error) {
	ctx, span := a.step(ctx, "check the price in the database")
	defer span.End()
	var price int64
	err := open(ctx, func(ctx context.Context, db *sandbox.DB) error {
		p, err := oneProduct(db.Query(ctx, "SELECT "+productColumns+" FROM products WHERE id = ?", id))
		price = p.PriceCents
		return err
	})
	if err != nil {
		return 0, fail(span, err)
	}
	return price, nil
}

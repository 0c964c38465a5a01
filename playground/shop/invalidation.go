package shop

import (
	"context"
	"fmt"
	"slices"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/engineroom/engineroom/playground/sandbox"
)

// How a price change treats the product's cached page.
const (
	// TTLOnly changes the database and leaves the cache alone: the page
	// shows the old price until its key expires.
	TTLOnly = "ttl-only"
	// DeleteOnWrite changes the database, then deletes the key: the next
	// read misses and loads the new price.
	DeleteOnWrite = "delete-on-write"
	// WriteThrough changes the database, then stores the updated product
	// under the key: the next read hits and shows the new price.
	WriteThrough = "write-through"
)

// Strategies are the ways a price change can treat the cache.
var Strategies = []string{TTLOnly, DeleteOnWrite, WriteThrough}

// PriceChange is what a price change did to the database and the cache.
type PriceChange struct {
	ProductID int64  `json:"product_id"`
	Strategy  string `json:"strategy"`
	// OldCents is the price before the change as the experiment's first
	// read saw it; ChangePrice alone leaves it 0.
	OldCents    int64  `json:"old_price_cents"`
	NewCents    int64  `json:"new_price_cents"`
	CacheAction string `json:"cache_action"` // "none", "DEL" or "SET"
}

// ChangePrice sets a product's price in the database and treats its cached
// page as strategy says.
func (a *App) ChangePrice(ctx context.Context, cache Cache, open Database, id, priceCents int64, strategy string, ttl time.Duration) (PriceChange, error) {
	ctx, span := a.step(ctx, "change price ("+strategy+")",
		attribute.Int64("engineroom.product_id", id), attribute.String("engineroom.strategy", strategy))
	defer span.End()
	c := PriceChange{ProductID: id, Strategy: strategy, NewCents: priceCents, CacheAction: "none"}
	if !slices.Contains(Strategies, strategy) {
		return c, fail(span, fmt.Errorf("shop: unknown strategy %q", strategy))
	}
	if priceCents <= 0 {
		return c, fail(span, fmt.Errorf("shop: a price must be positive, not %d cents", priceCents))
	}
	var updated Product
	err := open(ctx, func(ctx context.Context, db *sandbox.DB) error {
		var err error
		updated, err = oneProduct(db.Query(ctx, "UPDATE products SET price_cents = ? WHERE id = ? RETURNING "+productColumns, priceCents, id))
		return err
	})
	if err != nil {
		return c, fail(span, err)
	}
	switch strategy {
	case DeleteOnWrite:
		c.CacheAction = "DEL"
		_, err = cache.Del(ctx, ProductKey(id))
	case WriteThrough:
		c.CacheAction = "SET"
		err = a.store(ctx, cache, updated, ttl)
	}
	if err != nil {
		return c, fail(span, err)
	}
	return c, nil
}

// Read is one read of a product page, checked against the database.
type Read struct {
	Label              string `json:"label"`
	Page               Page   `json:"page"`
	DatabasePriceCents int64  `json:"database_price_cents"`
	// Stale is whether the page shows a price the database no longer has.
	Stale bool `json:"stale"`
}

// Invalidation is one run of the invalidation experiment.
type Invalidation struct {
	Strategy   string       `json:"strategy,omitempty"`
	TTLSeconds int64        `json:"ttl_seconds"`
	Reads      []Read       `json:"reads"`
	Change     *PriceChange `json:"change,omitempty"` // nil when the run only read
	// TTLLeftMS is the time the product's key had left after the last
	// read, in milliseconds; -1 when it was not in the cache.
	TTLLeftMS int64 `json:"ttl_left_ms"`
}

// Experiment describes one run of the invalidation experiment.
type Experiment struct {
	ProductID int64
	Strategy  string
	// ChangePercent moves the price, e.g. -20 for a 20% sale.
	ChangePercent int
	TTL           time.Duration
}

// ChangedPrice is a price moved by percent, rounded to the cent, at least
// one cent and never equal to the old price.
func ChangedPrice(old int64, percent int) int64 {
	p := (old*int64(100+percent) + 50) / 100
	switch {
	case p == old && percent < 0 && old > 1:
		p = old - 1
	case p == old || p < 1:
		p = old + 1
	}
	return p
}

// RunInvalidation reads a product's page cache-aside from a cold cache,
// changes the product's price the way e.Strategy says, and reads the page
// again: the second read shows whether the customer sees the new price.
func (a *App) RunInvalidation(ctx context.Context, cache Cache, open Database, e Experiment) (Invalidation, error) {
	ctx, span := a.step(ctx, "invalidation experiment", attribute.String("engineroom.strategy", e.Strategy))
	defer span.End()
	inv := Invalidation{Strategy: e.Strategy, TTLSeconds: int64(e.TTL / time.Second)}
	if _, err := cache.Del(ctx, ProductKey(e.ProductID)); err != nil {
		return inv, fail(span, err)
	}
	before, err := a.ProductPage(ctx, cache, open, e.ProductID, e.TTL)
	if err != nil {
		return inv, fail(span, err)
	}
	// The first read came from the database: it is the database's price.
	inv.Reads = append(inv.Reads, Read{Label: "Before the change", Page: before, DatabasePriceCents: before.Product.PriceCents})
	change, err := a.ChangePrice(ctx, cache, open, e.ProductID, ChangedPrice(before.Product.PriceCents, e.ChangePercent), e.Strategy, e.TTL)
	if err != nil {
		return inv, fail(span, err)
	}
	change.OldCents = before.Product.PriceCents
	inv.Change = &change
	after, err := a.ProductPage(ctx, cache, open, e.ProductID, e.TTL)
	if err != nil {
		return inv, fail(span, err)
	}
	inv.Reads = append(inv.Reads, Read{Label: "After the change", Page: after, DatabasePriceCents: change.NewCents,
		Stale: after.Product.PriceCents != change.NewCents})
	if inv.TTLLeftMS, err = ttlLeft(ctx, cache, e.ProductID); err != nil {
		return inv, fail(span, err)
	}
	return inv, nil
}

// ReadAgain reads a product's page once more, as a customer would, and
// checks a cached answer against the database.
func (a *App) ReadAgain(ctx context.Context, cache Cache, open Database, id int64, ttl time.Duration) (Invalidation, error) {
	ctx, span := a.step(ctx, "read the product page again", attribute.Int64("engineroom.product_id", id))
	defer span.End()
	inv := Invalidation{TTLSeconds: int64(ttl / time.Second)}
	page, err := a.ProductPage(ctx, cache, open, id, ttl)
	if err != nil {
		return inv, fail(span, err)
	}
	r := Read{Label: "Read again", Page: page, DatabasePriceCents: page.Product.PriceCents}
	if page.Source == SourceCache {
		if r.DatabasePriceCents, err = a.databasePrice(ctx, open, id); err != nil {
			return inv, fail(span, err)
		}
		r.Stale = r.DatabasePriceCents != page.Product.PriceCents
	}
	inv.Reads = append(inv.Reads, r)
	if inv.TTLLeftMS, err = ttlLeft(ctx, cache, id); err != nil {
		return inv, fail(span, err)
	}
	return inv, nil
}

// ttlLeft is the time a product's key has left, in milliseconds, or -1.
func ttlLeft(ctx context.Context, cache Cache, id int64) (int64, error) {
	d, err := cache.TTL(ctx, ProductKey(id))
	if err != nil {
		return 0, err
	}
	if d < 0 {
		return -1, nil
	}
	return d.Milliseconds(), nil
}

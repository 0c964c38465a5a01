package shop

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/engineroom/engineroom/playground/cache"
	"github.com/engineroom/engineroom/playground/sandbox"
)

// Fill is the catalog poured into a small cache: what stayed, what the
// cache evicted to make room, and whether the first page survived.
type Fill struct {
	Stored    int       `json:"stored"`
	MaxKeys   int       `json:"max_keys"`
	MaxBytes  int       `json:"max_bytes"`
	Evicted   []string  `json:"evicted"`
	Kept      []KeyLine `json:"kept"` // most recently used first
	KeptBytes int       `json:"kept_bytes"`
	// FirstKey is the first page stored; FirstHit says whether reading it
	// again found it in the cache.
	FirstKey string `json:"first_key"`
	FirstHit bool   `json:"first_hit"`
}

// KeyLine is one key left in the cache.
type KeyLine struct {
	Key   string `json:"key"`
	Bytes int    `json:"bytes"`
}

// FillCache reads the first n products in one query and stores each one's
// page in space, a cache that holds at most maxKeys keys and maxBytes
// bytes, so that once it is full every new page evicts the least recently
// used one. Then it reads the first page again: a hit only if it survived.
// It empties space first, so space should be a namespace of its own.
func (a *App) FillCache(ctx context.Context, space *cache.Space, open Database, n, maxKeys, maxBytes int, ttl time.Duration) (Fill, error) {
	ctx, span := a.step(ctx, fmt.Sprintf("cache %d product pages", n), attribute.Int("engineroom.max_keys", maxKeys))
	defer span.End()
	small := space.Limited(maxKeys, maxBytes)
	f := Fill{MaxKeys: maxKeys, MaxBytes: maxBytes, Evicted: []string{}}
	if err := small.Flush(ctx); err != nil {
		return f, fail(span, err)
	}
	var products []Product
	err := open(ctx, func(ctx context.Context, db *sandbox.DB) error {
		res, err := db.Query(ctx, "SELECT "+productColumns+" FROM products ORDER BY id LIMIT ?", n)
		if err != nil {
			return err
		}
		for _, v := range res.Values {
			products = append(products, Product{ID: sandbox.AsInt(v[0]), SKU: sandbox.AsString(v[1]), Name: sandbox.AsString(v[2]),
				Category: sandbox.AsString(v[3]), PriceCents: sandbox.AsInt(v[4]), Stock: sandbox.AsInt(v[5])})
		}
		return nil
	})
	if err != nil {
		return f, fail(span, err)
	}
	if len(products) == 0 {
		return f, fail(span, fmt.Errorf("%w: the products table is empty", ErrMissingData))
	}
	for _, p := range products {
		value, err := json.Marshal(p)
		if err != nil {
			return f, fail(span, err)
		}
		st, err := small.Store(ctx, ProductKey(p.ID), value, ttl)
		if err != nil {
			return f, fail(span, err)
		}
		f.Stored++
		f.Evicted = append(f.Evicted, st.Evicted...)
	}
	keys, err := small.Keys(ctx)
	if err != nil {
		return f, fail(span, err)
	}
	for _, k := range keys {
		f.Kept = append(f.Kept, KeyLine{Key: k.Key, Bytes: k.Bytes})
		f.KeptBytes += k.Bytes
	}
	f.FirstKey = ProductKey(products[0].ID)
	if _, f.FirstHit, err = small.Get(ctx, f.FirstKey); err != nil {
		return f, fail(span, err)
	}
	span.SetAttributes(attribute.Int("engineroom.evicted", len(f.Evicted)))
	return f, nil
}

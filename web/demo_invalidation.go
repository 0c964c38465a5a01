package web

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/engineroom/engineroom/playground/shop"
	"github.com/engineroom/engineroom/web/view"
)

// The invalidation demo's ways to run.
const (
	readChangeRead = "read, change, read"
	readAgain      = "read again"
)

// invalidationProduct is the product whose page the demo caches.
const invalidationProduct = 1

// priceChanges are the price changes the invalidation demo offers.
var priceChanges = []string{"-20%", "+10%", "-50%"}

// strategyNotes say what each strategy's write does to the cache.
var strategyNotes = map[string]string{
	shop.TTLOnly:       "Nothing: the key keeps the old price until its TTL runs out.",
	shop.DeleteOnWrite: "DEL: the key is deleted, so the next read misses and loads the new price.",
	shop.WriteThrough:  "SET: the new price is stored under the key, in the same write.",
}

// demoCacheInvalidation caches a product page, changes the product's price
// the chosen way and reads the page again, on the visitor's own cache
// namespace and database.
func (s *Server) demoCacheInvalidation() *demo {
	return &demo{
		ID: "cache-invalidation", Title: "Change a price under a cached page", Lesson: "ttl-and-invalidation",
		Description: "A product page is cached; then the shop changes the price in the database. Does the customer see it?",
		Button:      "Run",
		Wide:        true,
		Params: []param{
			{Name: "strategy", Label: "When the price changes", Kind: "select", Options: shop.Strategies, Default: shop.TTLOnly,
				Hint: "ttl-only leaves the cache alone; delete-on-write deletes the key; write-through stores the new price."},
			{Name: "ttl", Label: "TTL (seconds)", Kind: "number", Default: "20", Min: 5, Max: 300, Hint: "How long the page stays in the cache: 5 to 300."},
			{Name: "change", Label: "Price change", Kind: "select", Options: priceChanges, Default: priceChanges[0]},
			{Name: "mode", Label: "Run", Kind: "select", Options: []string{readChangeRead, readAgain}, Default: readChangeRead,
				Hint: "Read again only reads the page once more: run it after the countdown ends."},
		},
		Run: func(ctx context.Context, in demoInput) (demoOutput, error) {
			space := s.cache.For(in.Visitor)
			open := s.openSandbox(in)
			ttl := time.Duration(in.Int("ttl")) * time.Second
			var inv shop.Invalidation
			var err error
			if in.Params["mode"] == readAgain {
				inv, err = s.shop.ReadAgain(ctx, space, open, invalidationProduct, ttl)
			} else {
				percent, _ := strconv.Atoi(strings.TrimSuffix(in.Params["change"], "%"))
				inv, err = s.shop.RunInvalidation(ctx, space, open, shop.Experiment{
					ProductID: invalidationProduct, Strategy: in.Params["strategy"], ChangePercent: percent, TTL: ttl})
			}
			if err != nil {
				return demoOutput{}, err
			}
			return demoOutput{Data: inv, View: view.InvalidationResult(invalidationView(inv))}, nil
		},
	}
}

// invalidationView shapes a run of the experiment for the front end pane.
func invalidationView(inv shop.Invalidation) view.InvalidationOutput {
	o := view.InvalidationOutput{
		Key: shop.ProductKey(invalidationProduct), TTL: fmt.Sprintf("%d\u00a0s", inv.TTLSeconds),
		TTLLeftMS: inv.TTLLeftMS, TTLLeft: secondsLeft(inv.TTLLeftMS),
	}
	if c := inv.Change; c != nil {
		o.Change = &view.InvalidationChange{Strategy: c.Strategy, Old: shop.Price(c.OldCents), New: shop.Price(c.NewCents), Cache: strategyNotes[c.Strategy]}
	}
	for i, r := range inv.Reads {
		if i == 0 {
			o.Product = r.Page.Product.Name
		}
		o.Reads = append(o.Reads, view.InvalidationRead{
			Label: r.Label, Hit: r.Page.Source == shop.SourceCache, Stale: r.Stale,
			Shown: shop.Price(r.Page.Product.PriceCents), Database: shop.Price(r.DatabasePriceCents),
		})
	}
	return o
}

// secondsLeft shows a remaining TTL as whole seconds, rounded up.
func secondsLeft(ms int64) string {
	if ms < 0 {
		return ""
	}
	return fmt.Sprintf("%d\u00a0s", (ms+999)/1000)
}

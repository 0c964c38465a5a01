package shop

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace/noop"

	"github.com/engineroom/engineroom/playground/cache"
	"github.com/engineroom/engineroom/playground/sandbox"
)

// fixture is an App with a real sandbox manager and cache engine.
type fixture struct {
	app *App
	sql *sandbox.Manager
	kv  *cache.Cache
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	m, err := sandbox.New(sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	kv, err := cache.New(context.Background(), cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kv.Close() })
	return fixture{app: New(noop.NewTracerProvider().Tracer("")), sql: m, kv: kv}
}

func (f fixture) open(visitor string) Database {
	return func(ctx context.Context, fn func(ctx context.Context, db *sandbox.DB) error) error {
		return f.sql.With(ctx, visitor, fn)
	}
}

// TestRunInvalidation: after a price change, the second read is stale with
// TTL only and fresh with delete-on-write and write-through; each run
// starts cold, and with TTL only the page is fresh again once the key
// has expired.
func TestRunInvalidation(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tests := []struct {
		strategy    string
		wantSource  string // of the read after the change
		wantStale   bool
		wantAction  string
		wantTTLLeft bool
	}{
		{TTLOnly, SourceCache, true, "none", true},
		{DeleteOnWrite, SourceDatabase, false, "DEL", true},
		{WriteThrough, SourceCache, false, "SET", true},
	}
	for _, tt := range tests {
		t.Run(tt.strategy, func(t *testing.T) {
			visitor := "v-" + tt.strategy
			for run := range 2 { // a second run starts cold again
				inv, err := f.app.RunInvalidation(ctx, f.kv.For(visitor), f.open(visitor),
					Experiment{ProductID: 1, Strategy: tt.strategy, ChangePercent: -20, TTL: time.Minute})
				if err != nil {
					t.Fatal(err)
				}
				if len(inv.Reads) != 2 || inv.Change == nil {
					t.Fatalf("run %d: %d reads, change %v", run, len(inv.Reads), inv.Change)
				}
				first, second, c := inv.Reads[0], inv.Reads[1], inv.Change
				if first.Page.Source != SourceDatabase || first.Stale || first.Page.Product.PriceCents != c.OldCents {
					t.Errorf("run %d: first read %+v, want a fresh miss at %d", run, first, c.OldCents)
				}
				if c.NewCents != ChangedPrice(c.OldCents, -20) || c.NewCents >= c.OldCents || c.CacheAction != tt.wantAction || c.Strategy != tt.strategy {
					t.Errorf("run %d: change %+v", run, c)
				}
				if second.Page.Source != tt.wantSource || second.Stale != tt.wantStale || second.DatabasePriceCents != c.NewCents {
					t.Errorf("run %d: second read %+v, want source %s, stale %v", run, second, tt.wantSource, tt.wantStale)
				}
				wantShown := c.NewCents
				if tt.wantStale {
					wantShown = c.OldCents
				}
				if second.Page.Product.PriceCents != wantShown || second.Page.Product.Name == "" || second.Page.CacheKey != "product:1" {
					t.Errorf("run %d: the page shows %+v, want price %d", run, second.Page, wantShown)
				}
				if inv.TTLLeftMS <= 0 || inv.TTLLeftMS > time.Minute.Milliseconds() || inv.TTLSeconds != 60 || inv.Strategy != tt.strategy {
					t.Errorf("run %d: ttl left %d ms of %d s", run, inv.TTLLeftMS, inv.TTLSeconds)
				}
			}
		})
	}
}

// TestReadAgainAfterTTL: with TTL only, reading again before the key
// expires still shows the old price; after it expires the read misses and
// the price is fresh.
func TestReadAgainAfterTTL(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	space, open := f.kv.For("v1"), f.open("v1")
	const ttl = 300 * time.Millisecond
	inv, err := f.app.RunInvalidation(ctx, space, open, Experiment{ProductID: 2, Strategy: TTLOnly, ChangePercent: 10, TTL: ttl})
	if err != nil {
		t.Fatal(err)
	}
	if !inv.Reads[1].Stale {
		t.Fatalf("the read after the change is fresh: %+v", inv.Reads[1])
	}
	newPrice := inv.Change.NewCents
	deadline := time.Now().Add(10 * time.Second)
	for {
		again, err := f.app.ReadAgain(ctx, space, open, 2, ttl)
		if err != nil {
			t.Fatal(err)
		}
		r := again.Reads[0]
		if r.DatabasePriceCents != newPrice {
			t.Fatalf("the database price is %d, want %d", r.DatabasePriceCents, newPrice)
		}
		if r.Page.Source == SourceDatabase {
			if r.Stale || r.Page.Product.PriceCents != newPrice || again.TTLLeftMS <= 0 {
				t.Errorf("after the TTL: %+v, ttl left %d ms", r, again.TTLLeftMS)
			}
			break
		}
		// Still cached (on a slow machine the key may already be gone):
		// the page must still be the old, stale one.
		if !r.Stale || r.Page.Product.PriceCents == newPrice {
			t.Errorf("a cached read before the TTL ended: %+v", r)
		}
		if time.Now().After(deadline) {
			t.Fatal("the key never expired")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestMissingProduct: a product the visitor deleted is ErrMissingData,
// and bad input is refused before the database changes.
func TestMissingProduct(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	space, open := f.kv.For("v1"), f.open("v1")
	if _, err := f.sql.Run(ctx, "v1", "DELETE FROM order_items WHERE product_id = 3; DELETE FROM products WHERE id = 3;", sandbox.RunOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.app.RunInvalidation(ctx, space, open, Experiment{ProductID: 3, Strategy: TTLOnly, ChangePercent: -20, TTL: time.Minute}); !errors.Is(err, ErrMissingData) {
		t.Errorf("a deleted product: %v, want ErrMissingData", err)
	}
	for _, tt := range []struct {
		strategy string
		price    int64
	}{{"sometimes", 100}, {TTLOnly, 0}} {
		if _, err := f.app.ChangePrice(ctx, space, open, 1, tt.price, tt.strategy, time.Minute); err == nil {
			t.Errorf("ChangePrice(%q, %d) succeeded", tt.strategy, tt.price)
		}
	}
}

func TestChangedPrice(t *testing.T) {
	for _, tt := range []struct {
		old     int64
		percent int
		want    int64
	}{
		{4999, -20, 3999},
		{4999, 10, 5499},
		{100, 0, 101},
		{1, -50, 2},
		{2, -1, 1},
	} {
		if got := ChangedPrice(tt.old, tt.percent); got != tt.want {
			t.Errorf("ChangedPrice(%d, %d) = %d, want %d", tt.old, tt.percent, got, tt.want)
		}
	}
	if got := Price(4999); got != "$49.99" {
		t.Errorf("Price(4999) = %q", got)
	}
}

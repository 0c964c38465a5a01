package airline

import (
	"context"
	"testing"
	"time"

	"github.com/engineroom/engineroom/playground/cache"
	"github.com/engineroom/engineroom/playground/sandbox"
)

// TestSearchFlightsCacheAside: a route's first search misses and reads the
// database, the next hits and never opens it; routes and visitors are
// separate keys; the key expires with its TTL.
func TestSearchFlightsCacheAside(t *testing.T) {
	app, m := newApp(t)
	kv, err := cache.New(context.Background(), cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kv.Close() })
	ctx := context.Background()
	opened := 0
	openFor := func(visitor string) Database {
		return func(ctx context.Context, fn func(ctx context.Context, db *sandbox.DB) error) error {
			opened++
			return m.With(ctx, visitor, fn)
		}
	}
	steps := []struct {
		name       string
		visitor    string
		route      string
		ttl        time.Duration
		wait       time.Duration // before the search
		wantSource string
	}{
		{"first search", "v1", "LHR-ORD", time.Minute, 0, SourceDatabase},
		{"again", "v1", "LHR-ORD", time.Minute, 0, SourceCache},
		{"another route", "v1", "SIN-SYD", 150 * time.Millisecond, 0, SourceDatabase},
		{"another visitor", "v2", "LHR-ORD", time.Minute, 0, SourceDatabase},
		{"after the TTL", "v1", "SIN-SYD", time.Minute, 400 * time.Millisecond, SourceDatabase},
	}
	var first Search
	for _, s := range steps {
		time.Sleep(s.wait)
		before := opened
		got, err := app.SearchFlights(ctx, kv.For(s.visitor), openFor(s.visitor), s.route, s.ttl)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got.Source != s.wantSource {
			t.Errorf("%s: source %q, want %q", s.name, got.Source, s.wantSource)
		}
		if opened := opened - before; (opened == 1) != (s.wantSource == SourceDatabase) {
			t.Errorf("%s: the database was opened %d times", s.name, opened)
		}
		if len(got.Flights) == 0 || got.CacheKey != "flights:"+s.route {
			t.Errorf("%s: %d flights under key %q", s.name, len(got.Flights), got.CacheKey)
		}
		if s.name == "first search" {
			first = got
		}
		if s.name == "again" && (len(got.Flights) != len(first.Flights) || got.Flights[0] != first.Flights[0]) {
			t.Errorf("the cached answer %+v differs from the database's %+v", got.Flights[0], first.Flights[0])
		}
	}
	if _, err := app.SearchFlights(ctx, kv.For("v1"), openFor("v1"), "LHR", time.Minute); err == nil {
		t.Error("a malformed route was searched")
	}
}

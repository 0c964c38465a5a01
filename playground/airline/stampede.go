package airline

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/engineroom/engineroom/playground/sandbox"
)

// Stampede is many searches for one route arriving at the same moment
// while its cache key is cold.
type Stampede struct {
	Route     string            `json:"route"`
	Coalesced bool              `json:"coalesced"`
	Queries   int               `json:"database_queries"`
	Misses    int               `json:"cache_misses"`
	ElapsedMS float64           `json:"elapsed_ms"`
	Requests  []StampedeRequest `json:"requests"`
}

// StampedeRequest is one of the searches: where its answer came from and
// how long it took.
type StampedeRequest struct {
	N         int     `json:"n"`
	Source    string  `json:"source"` // SourceCache, SourceDatabase or SourceShared
	ElapsedMS float64 `json:"elapsed_ms"`
}

// SourceShared is an answer another request's database query produced
// (request coalescing).
const SourceShared = "shared"

// SearchStampede empties the route's cache key, then sends n searches at
// once, each cache-aside. They all look in the cache before any answer is
// back — what happens on its own when a query takes longer than requests
// take to arrive — so all of them miss. Without coalescing every one then
// queries the database (its one connection serves them in turn); with it,
// the concurrent misses of the key share a single query (singleflight).
func (a *App) SearchStampede(ctx context.Context, cache Cache, db *sandbox.DB, route string, n int, ttl time.Duration, coalesce bool) (Stampede, error) {
	ctx, span := a.step(ctx, fmt.Sprintf("%d searches at once", n), attribute.Bool("engineroom.coalesced", coalesce))
	defer span.End()
	origin, dest, ok := strings.Cut(route, "-")
	if !ok || len(origin) != 3 || len(dest) != 3 {
		return Stampede{}, fail(span, fmt.Errorf("airline: route %q is not like LHR-ORD", route))
	}
	st := Stampede{Route: route, Coalesced: coalesce, Requests: make([]StampedeRequest, n)}
	key := SearchKey(route)
	if _, err := cache.Del(ctx, key); err != nil {
		return st, fail(span, err)
	}
	// Only this run's searches share: the flight is named after its cache
	// handle (one per visitor and run) and the key.
	flight := fmt.Sprintf("%p:%s", cache, key)
	var mu sync.Mutex
	errs := make([]error, n)
	start := time.Now()
	release := make(chan struct{})
	var looked sync.WaitGroup // searches that have asked the cache
	looked.Add(n)
	var joined sync.WaitGroup // searches that have joined the flight or gone their way
	joined.Add(n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-release
			r, queried, missed, err := a.stampedeSearch(ctx, cache, db, flight, key, origin, dest, ttl, coalesce, i+1, &looked, &joined)
			st.Requests[i], errs[i] = r, err
			mu.Lock()
			st.Queries += queried
			st.Misses += missed
			mu.Unlock()
		})
	}
	close(release)
	wg.Wait()
	st.ElapsedMS = msSince(start)
	for _, err := range errs {
		if err != nil {
			return st, fail(span, err)
		}
	}
	span.SetAttributes(attribute.Int("engineroom.database_queries", st.Queries))
	return st, nil
}

// stampedeSearch is one of the searches. It reports how many database
// queries it ran itself and whether it missed the cache.
func (a *App) stampedeSearch(ctx context.Context, cache Cache, db *sandbox.DB, flight, key, origin, dest string, ttl time.Duration, coalesce bool, n int, looked, joined *sync.WaitGroup) (r StampedeRequest, queried, missed int, err error) {
	ctx, span := a.step(ctx, fmt.Sprintf("search %d", n))
	defer span.End()
	start := time.Now()
	r = StampedeRequest{N: n, Source: SourceCache}
	defer func() {
		r.ElapsedMS = msSince(start)
		span.SetAttributes(attribute.String("engineroom.source", r.Source))
	}()
	_, hit, err := cache.Get(ctx, key)
	looked.Done()
	if err != nil || hit {
		joined.Done()
		return r, 0, 0, err
	}
	looked.Wait()
	if !coalesce {
		joined.Done()
	}
	ran := false // whether this search's own load ran
	load := func() (any, error) {
		ran = true
		flights, err := routeFlights(ctx, db, origin, dest)
		if err != nil {
			return nil, err
		}
		value, err := json.Marshal(flights)
		if err != nil {
			return nil, err
		}
		return nil, cache.Set(ctx, key, value, ttl)
	}
	if coalesce {
		// Every search joins the flight before its query may start, so no
		// search arrives after the answer and starts a flight of its own
		// (which a busy machine would otherwise make likely).
		query := load
		load = func() (any, error) {
			joined.Wait()
			return query()
		}
		ch := a.flights.DoChan(flight, load)
		joined.Done()
		res := <-ch
		err = res.Err
	} else {
		_, err = load()
	}
	r.Source = SourceShared
	if ran {
		r.Source, queried = SourceDatabase, 1
	}
	return r, queried, 1, err
}

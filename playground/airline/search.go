package airline

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/engineroom/engineroom/playground/sandbox"
)

// Cache is the part of a cache the app needs: a visitor's namespace.
type Cache interface {
	Get(ctx context.Context, key string) (value []byte, hit bool, err error)
	Set(ctx context.Context, key string, value []byte, ttl time.Duration) error
	Del(ctx context.Context, keys ...string) (int64, error)
}

// Database opens the visitor's database for the steps that need it.
type Database = sandbox.Opener

// SearchRoutes are the routes the flight search offers.
var SearchRoutes = []string{"LHR-ORD", "SIN-SYD", "JFK-NBO", "AMS-MAD"}

// FlightRow is one flight in search results.
type FlightRow struct {
	ID         int64  `json:"id"`
	FlightNo   string `json:"flight_no"`
	DepartsAt  string `json:"departs_at"`
	ArrivesAt  string `json:"arrives_at"`
	MilesPrice int64  `json:"miles_price"`
	Seats      int64  `json:"seats"`
}

// Search is one flight search as the traveler sees it, and where its
// answer came from.
type Search struct {
	Route     string      `json:"route"`
	Flights   []FlightRow `json:"flights"`
	Source    string      `json:"source"` // SourceCache or SourceDatabase
	CacheKey  string      `json:"cache_key"`
	TTL       int64       `json:"ttl_seconds"`
	ElapsedMS float64     `json:"elapsed_ms"`
}

// Where a search's answer came from.
const (
	SourceCache    = "cache"
	SourceDatabase = "database"
)

// SearchKey is the cache key of a route's search.
func SearchKey(route string) string { return "flights:" + route }

// searchLimit is how many flights a search shows.
const searchLimit = 8

// SearchFlights answers a route search cache-aside: it asks the cache
// first; on a miss it queries the database and stores the answer in the
// cache for ttl, so the next search of the route skips the database.
func (a *App) SearchFlights(ctx context.Context, cache Cache, open Database, route string, ttl time.Duration) (Search, error) {
	ctx, span := a.step(ctx, "search flights "+route)
	defer span.End()
	start := time.Now()
	origin, dest, ok := strings.Cut(route, "-")
	if !ok || len(origin) != 3 || len(dest) != 3 {
		return Search{}, fail(span, fmt.Errorf("airline: route %q is not like LHR-ORD", route))
	}
	s := Search{Route: route, CacheKey: SearchKey(route), TTL: int64(ttl / time.Second)}
	cached, hit, err := cache.Get(ctx, s.CacheKey)
	if err != nil {
		return s, fail(span, err)
	}
	if hit {
		if err := json.Unmarshal(cached, &s.Flights); err != nil {
			return s, fail(span, fmt.Errorf("airline: reading the cached search: %w", err))
		}
		s.Source = SourceCache
	} else {
		err := open(ctx, func(ctx context.Context, db *sandbox.DB) error {
			var err error
			s.Flights, err = routeFlights(ctx, db, origin, dest)
			return err
		})
		if err != nil {
			return s, fail(span, err)
		}
		value, err := json.Marshal(s.Flights)
		if err != nil {
			return s, fail(span, err)
		}
		if err := cache.Set(ctx, s.CacheKey, value, ttl); err != nil {
			return s, fail(span, err)
		}
		s.Source = SourceDatabase
	}
	s.ElapsedMS = msSince(start)
	span.SetAttributes(attribute.String("engineroom.source", s.Source))
	return s, nil
}

// routeFlights reads a route's next searchLimit flights.
func routeFlights(ctx context.Context, db querier, origin, dest string) ([]FlightRow, error) {
	return RouteFlights(ctx, db, origin, dest, searchLimit)
}

// RouteFlights reads a route's next limit flights from the database, in
// the order they depart.
func RouteFlights(ctx context.Context, db querier, origin, dest string, limit int) ([]FlightRow, error) {
	res, err := db.Query(ctx, `SELECT id, flight_no, departs_at, arrives_at, miles_price, seats
FROM flights WHERE origin = ? AND destination = ? AND departs_at >= '2026-04-15'
ORDER BY departs_at LIMIT ?`, origin, dest, limit)
	if err != nil {
		return nil, err
	}
	flights := make([]FlightRow, 0, len(res.Values))
	for _, v := range res.Values {
		flights = append(flights, FlightRow{ID: sandbox.AsInt(v[0]), FlightNo: sandbox.AsString(v[1]), DepartsAt: sandbox.AsString(v[2]),
			ArrivesAt: sandbox.AsString(v[3]), MilesPrice: sandbox.AsInt(v[4]), Seats: sandbox.AsInt(v[5])})
	}
	return flights, nil
}

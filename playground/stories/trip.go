package stories

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/engineroom/engineroom/playground/airline"
	"github.com/engineroom/engineroom/playground/integrations"
	"github.com/engineroom/engineroom/playground/jobs"
	"github.com/engineroom/engineroom/playground/sandbox"
)

// TripRoutes are the routes the airline story's search offers: short
// hops a member's miles pay for, and a long-haul flight they do not.
var TripRoutes = []string{"LIS-FRA", "BCN-BRU", "WAW-LHR", "SIN-SYD"}

// How long the cache keeps a balance and a route's schedule. A balance
// changes when its member books, which deletes it from the cache; a
// schedule changes rarely.
const (
	MilesTTL    = 60 * time.Second
	ScheduleTTL = 5 * time.Minute
)

// tripLimit is how many flights a search shows.
const tripLimit = 4

// ErrUnknownMember means the member the session names is not in the
// visitor's database (the visitor deleted it in the SQL console, say).
var ErrUnknownMember = errors.New("stories: no such member")

// MilesKey is the cache key of a member's balance.
func MilesKey(memberID int64) string { return "miles:member:" + strconv.FormatInt(memberID, 10) }

// ScheduleKey is the cache key of a route's schedule.
func ScheduleKey(route string) string { return "schedule:" + route }

// Balance is a member's miles as the loyalty app shows them, and where
// the answer came from.
type Balance struct {
	Member   airline.Member `json:"member"`
	Source   string         `json:"source"`
	CacheKey string         `json:"cache_key"`
	TTL      int64          `json:"ttl_seconds"`
}

// Miles reads a member's balance cache-aside: the cache first, the
// database on a miss.
func (a *App) Miles(ctx context.Context, cache Cache, open sandbox.Opener, memberID int64) (Balance, error) {
	ctx, span := a.step(ctx, "read the miles balance", attribute.Int64("engineroom.member_id", memberID))
	defer span.End()
	b := Balance{CacheKey: MilesKey(memberID), TTL: int64(MilesTTL / time.Second)}
	var err error
	b.Member, b.Source, err = aside(ctx, cache, b.CacheKey, MilesTTL, func(ctx context.Context) (m airline.Member, err error) {
		err = open(ctx, func(ctx context.Context, db *sandbox.DB) error {
			var found bool
			m, found, err = a.air.MemberByID(ctx, db, memberID)
			if err == nil && !found {
				err = ErrUnknownMember
			}
			return err
		})
		return m, err
	})
	if err != nil {
		return b, fail(span, err)
	}
	span.SetAttributes(attribute.String("engineroom.source", b.Source))
	return b, nil
}

// TripFlight is a flight in the story's search: the schedule from the
// airline's database (whose Seats is its own count), the free seats from
// the reservation system, which owns them.
type TripFlight struct {
	airline.FlightRow
	// SeatsFree is what the reservation system said; SeatsUnknown is set
	// when it did not answer, and then SeatsFree means nothing.
	SeatsFree    int  `json:"seats_free"`
	SeatsUnknown bool `json:"seats_unknown,omitempty"`
}

// TripSearch is one search of the story.
type TripSearch struct {
	Route   string       `json:"route"`
	Flights []TripFlight `json:"flights"`
	// ScheduleSource says where the schedule came from: SourceCache or
	// SourceDatabase. Seats always come live from the reservation system.
	ScheduleSource string `json:"schedule_source"`
	CacheKey       string `json:"cache_key"`
	// Unanswered counts the flights whose seats the reservation system
	// did not tell.
	Unanswered int `json:"unanswered"`
}

// SearchTrips finds a route's next flights: the schedule cache-aside
// (it changes rarely), then each flight's free seats from the reservation
// system, all at once (they change by the second, so they are never
// cached). A flight whose seats could not be read is still shown, marked
// unknown: the search degrades instead of failing.
func (a *App) SearchTrips(ctx context.Context, cache Cache, open sandbox.Opener, visitor, route string) (TripSearch, error) {
	ctx, span := a.step(ctx, "search flights "+route)
	defer span.End()
	origin, dest, ok := strings.Cut(route, "-")
	if !ok || len(origin) != 3 || len(dest) != 3 {
		return TripSearch{}, fail(span, fmt.Errorf("stories: route %q is not like LIS-FRA", route))
	}
	s := TripSearch{Route: route, CacheKey: ScheduleKey(route)}
	var err error
	s.Flights, s.ScheduleSource, err = aside(ctx, cache, s.CacheKey, ScheduleTTL, func(ctx context.Context) (fs []TripFlight, err error) {
		err = open(ctx, func(ctx context.Context, db *sandbox.DB) error {
			fs, err = schedule(ctx, db, origin, dest)
			return err
		})
		return fs, err
	})
	if err != nil {
		return s, fail(span, err)
	}
	var wg sync.WaitGroup
	for i := range s.Flights {
		f := &s.Flights[i]
		wg.Go(func() {
			n, err := a.third.Availability(ctx, visitor, f.ID)
			f.SeatsFree, f.SeatsUnknown = n, err != nil
		})
	}
	wg.Wait()
	for _, f := range s.Flights {
		if f.SeatsUnknown {
			s.Unanswered++
		}
	}
	span.SetAttributes(attribute.String("engineroom.source", s.ScheduleSource), attribute.Int("engineroom.flights", len(s.Flights)),
		attribute.Int("engineroom.seats_unanswered", s.Unanswered))
	return s, nil
}

// schedule reads a route's next flights from the airline's database.
func schedule(ctx context.Context, db *sandbox.DB, origin, dest string) ([]TripFlight, error) {
	rows, err := airline.RouteFlights(ctx, db, origin, dest, tripLimit)
	fs := make([]TripFlight, len(rows))
	for i, r := range rows {
		fs[i].FlightRow = r
	}
	return fs, err
}

// BookTrip books a flight with miles (integrations.BookWithMiles: hold a
// seat, debit the miles and store the booking, confirm the seat, undoing
// what was done when a step fails), then deletes the member's cached
// balance, which the debit made stale, and queues the confirmation email
// on q. A failed booking is an *integrations.BookingError.
func (a *App) BookTrip(ctx context.Context, cache Cache, open sandbox.Opener, q *jobs.Queue, visitor string, memberID, flightID int64) (integrations.BookedTrip, error) {
	trip, err := a.third.BookWithMiles(ctx, open, visitor, memberID, flightID)
	if err != nil {
		return trip, err
	}
	a.forget(ctx, cache, MilesKey(memberID))
	return a.third.QueueTripConfirmation(ctx, q, visitor, trip)
}

// forget deletes a key the step just made stale. A failure is recorded
// and goes no further: the step's work stands, and the stale value lapses
// with its TTL.
func (a *App) forget(ctx context.Context, cache Cache, key string) {
	ctx, span := a.step(ctx, "forget the cached "+strings.SplitN(key, ":", 2)[0], attribute.String("engineroom.cache_key", key))
	defer span.End()
	if _, err := cache.Del(ctx, key); err != nil {
		fail(span, err)
	}
}

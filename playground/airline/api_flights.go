package airline

import (
	"context"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"

	"github.com/engineroom/engineroom/playground/sandbox"
)

// ErrBadCursor means a page cursor is not one this package handed out.
var ErrBadCursor = errors.New("airline: not a cursor this list handed out")

// Limits of a page of a list.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
)

// FlightFilter narrows and pages the flight list. Zero fields do not
// filter.
type FlightFilter struct {
	Origin      string // airport code
	Destination string // airport code
	// Date keeps the flights that depart that day (UTC, "2006-01-02").
	Date     string
	MaxMiles int64
	// Limit is the page size; 0 means DefaultPageSize.
	Limit int
	// After continues a list after the flight a cursor names.
	After *FlightCursor
}

// FlightCursor is a place in the flight list: the last flight of a page,
// by the list's order (departure time, then id).
type FlightCursor struct {
	DepartsAt string
	ID        int64
}

// flightCursorTag starts every flight cursor, so a cursor of another list
// is refused rather than misread.
const flightCursorTag = "flights"

// Encode makes the cursor opaque: clients pass it back as it is.
func (c FlightCursor) Encode() string {
	return base64.RawURLEncoding.EncodeToString([]byte(flightCursorTag + "|" + c.DepartsAt + "|" + strconv.FormatInt(c.ID, 10)))
}

// DecodeFlightCursor reads a cursor made by Encode; anything else is
// ErrBadCursor.
func DecodeFlightCursor(s string) (FlightCursor, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || !utf8.Valid(raw) {
		return FlightCursor{}, ErrBadCursor
	}
	parts := strings.Split(string(raw), "|")
	if len(parts) != 3 || parts[0] != flightCursorTag || parts[1] == "" || len(parts[1]) > 64 {
		return FlightCursor{}, ErrBadCursor
	}
	id, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || id < 1 || strconv.FormatInt(id, 10) != parts[2] {
		return FlightCursor{}, ErrBadCursor
	}
	return FlightCursor{DepartsAt: parts[1], ID: id}, nil
}

// FlightPage is one page of the flight list. Next is the cursor of the
// page after it, or "" on the last page.
type FlightPage struct {
	Flights []Flight
	Next    string
}

// flightColumns are the columns scanFlight reads, flights as f with its
// airports as o and d.
const flightColumns = `f.id, f.flight_no, f.origin, o.city, f.destination, d.city,
       f.departs_at, f.arrives_at, f.seats, f.miles_price`

// ListFlights reads one page of flights that match the filter, in order
// of departure, with keyset pagination: a page continues after the
// (departs_at, id) of the last flight of the page before, so it costs the
// same however deep the client pages and never skips or repeats a flight
// when rows are added in between.
func (a *App) ListFlights(ctx context.Context, db querier, f FlightFilter) (FlightPage, error) {
	ctx, span := a.step(ctx, "list flights")
	defer span.End()
	limit := pageSize(f.Limit)
	var where []string
	var args []any
	if f.Origin != "" {
		where, args = append(where, "f.origin = ?"), append(args, f.Origin)
	}
	if f.Destination != "" {
		where, args = append(where, "f.destination = ?"), append(args, f.Destination)
	}
	if f.Date != "" {
		day, err := time.Parse(time.DateOnly, f.Date)
		if err != nil {
			return FlightPage{}, fail(span, err)
		}
		// A range on the text keeps the comparison usable by an index.
		where = append(where, "f.departs_at >= ?", "f.departs_at < ?")
		args = append(args, f.Date, day.AddDate(0, 0, 1).Format(time.DateOnly))
	}
	if f.MaxMiles > 0 {
		where, args = append(where, "f.miles_price <= ?"), append(args, f.MaxMiles)
	}
	if f.After != nil {
		where, args = append(where, "(f.departs_at, f.id) > (?, ?)"), append(args, f.After.DepartsAt, f.After.ID)
	}
	q := "SELECT " + flightColumns + `
FROM flights f
JOIN airports o ON o.code = f.origin
JOIN airports d ON d.code = f.destination`
	if len(where) > 0 {
		q += "\nWHERE " + strings.Join(where, "\n  AND ")
	}
	// One row more than the page says whether another page follows.
	q += "\nORDER BY f.departs_at, f.id\nLIMIT ?"
	args = append(args, limit+1)
	res, err := db.Query(ctx, q, args...)
	if err != nil {
		return FlightPage{}, fail(span, err)
	}
	p := FlightPage{Flights: make([]Flight, 0, min(len(res.Values), limit))}
	for i, v := range res.Values {
		if i == limit {
			last := p.Flights[limit-1]
			p.Next = FlightCursor{DepartsAt: last.DepartsAt, ID: last.ID}.Encode()
			break
		}
		p.Flights = append(p.Flights, scanFlight(v))
	}
	span.SetAttributes(attribute.Int("engineroom.flights", len(p.Flights)), attribute.Bool("engineroom.more", p.Next != ""))
	return p, nil
}

// scanFlight reads a row of flightColumns.
func scanFlight(v []any) Flight {
	return Flight{
		ID: sandbox.AsInt(v[0]), FlightNo: sandbox.AsString(v[1]),
		Origin:      Airport{Code: sandbox.AsString(v[2]), City: sandbox.AsString(v[3])},
		Destination: Airport{Code: sandbox.AsString(v[4]), City: sandbox.AsString(v[5])},
		DepartsAt:   sandbox.AsString(v[6]), ArrivesAt: sandbox.AsString(v[7]),
		Seats: sandbox.AsInt(v[8]), MilesPrice: sandbox.AsInt(v[9]),
	}
}

// pageSize is a requested page size within its bounds.
func pageSize(n int) int {
	switch {
	case n <= 0:
		return DefaultPageSize
	case n > MaxPageSize:
		return MaxPageSize
	}
	return n
}

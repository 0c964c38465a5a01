package web

import (
	"context"

	"github.com/labstack/echo/v4"

	"github.com/engineroom/engineroom/playground/airline"
	"github.com/engineroom/engineroom/playground/sandbox"
)

// maxMilesFilter bounds the max_miles filter of the flight list.
const maxMilesFilter = 10_000_000

// flightList is a page of GET /api/v1/flights.
type flightList struct {
	Flights    []airline.Flight `json:"flights"`
	NextCursor *string          `json:"next_cursor"`
}

// listFlights is GET /api/v1/flights: the flights of the visitor's
// database that match the filters, in order of departure, a page at a
// time.
func (s *Server) listFlights(c echo.Context) error {
	ctx, span := s.apiHandler(c, "list flights")
	defer span.End()
	p := params(c, "origin", "destination", "date", "max_miles", "limit", "cursor")
	f := airline.FlightFilter{
		Origin:      p.airport("origin"),
		Destination: p.airport("destination"),
		Date:        p.date("date"),
		MaxMiles:    p.integer("max_miles", 1, maxMilesFilter, 0),
		Limit:       int(p.integer("limit", 1, airline.MaxPageSize, airline.DefaultPageSize)),
	}
	if after, ok := cursor(p, airline.DecodeFlightCursor); ok {
		f.After = &after
	}
	if err := p.problem(); err != nil {
		return apiFailure(span, err)
	}
	var page airline.FlightPage
	err := s.inSandbox(ctx, c, func(ctx context.Context, db *sandbox.DB) (err error) {
		page, err = s.airline.ListFlights(ctx, db, f)
		return err
	})
	if err != nil {
		return apiFailure(span, err)
	}
	return s.sendTagged(ctx, c, flightList{Flights: page.Flights, NextCursor: nextCursor(c, page.Next)})
}

package airline

import (
	"context"

	"go.opentelemetry.io/otel/attribute"

	"github.com/engineroom/engineroom/playground/sandbox"
)

// Flight is one flight with its airports, as the flight page shows it.
type Flight struct {
	ID          int64   `json:"id"`
	FlightNo    string  `json:"flight_no"`
	Origin      Airport `json:"origin"`
	Destination Airport `json:"destination"`
	DepartsAt   string  `json:"departs_at"`
	ArrivesAt   string  `json:"arrives_at"`
	Seats       int64   `json:"seats_left"`
	MilesPrice  int64   `json:"miles_price"`
}

// Airport is an airport inside a flight.
type Airport struct {
	Code string `json:"code"`
	City string `json:"city"`
}

// flightQuery reads a flight and its two airports.
const flightQuery = `SELECT f.id, f.flight_no, f.origin, o.city, f.destination, d.city,
       f.departs_at, f.arrives_at, f.seats, f.miles_price
FROM flights f
JOIN airports o ON o.code = f.origin
JOIN airports d ON d.code = f.destination
WHERE f.id = ?`

// FlightByID reads one flight; found is false when there is none.
func (a *App) FlightByID(ctx context.Context, db querier, id int64) (f Flight, found bool, err error) {
	ctx, span := a.step(ctx, "load flight", attribute.Int64("engineroom.flight_id", id))
	defer span.End()
	res, err := db.Query(ctx, flightQuery, id)
	if err != nil {
		return f, false, fail(span, err)
	}
	if len(res.Values) == 0 {
		return f, false, nil
	}
	v := res.Values[0]
	return Flight{
		ID: sandbox.AsInt(v[0]), FlightNo: sandbox.AsString(v[1]),
		Origin:      Airport{Code: sandbox.AsString(v[2]), City: sandbox.AsString(v[3])},
		Destination: Airport{Code: sandbox.AsString(v[4]), City: sandbox.AsString(v[5])},
		DepartsAt:   sandbox.AsString(v[6]), ArrivesAt: sandbox.AsString(v[7]),
		Seats: sandbox.AsInt(v[8]), MilesPrice: sandbox.AsInt(v[9]),
	}, true, nil
}

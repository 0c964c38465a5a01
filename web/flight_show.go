package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/engineroom/engineroom/playground/sandbox"
	ertrace "github.com/engineroom/engineroom/playground/trace"
)

// flightJSON is one flight as GET /api/v1/flights/{id} answers it.
type flightJSON struct {
	ID          int64      `json:"id"`
	FlightNo    string     `json:"flight_no"`
	Origin      airportRef `json:"origin"`
	Destination airportRef `json:"destination"`
	DepartsAt   string     `json:"departs_at"`
	ArrivesAt   string     `json:"arrives_at"`
	Seats       int64      `json:"seats_left"`
	MilesPrice  int64      `json:"miles_price"`
}

// airportRef is an airport inside a flight.
type airportRef struct {
	Code string `json:"code"`
	City string `json:"city"`
}

// flightFormat versions the JSON shape: changing the shape changes every
// entity tag, so no client keeps a body in the old shape.
const flightFormat = "flight/v1"

// Default and limits of the max_age query parameter, in seconds.
const (
	defaultFlightMaxAge = 60
	maxFlightMaxAge     = 86400
)

const flightQuery = `SELECT f.id, f.flight_no, f.origin, o.city, f.destination, d.city,
       f.departs_at, f.arrives_at, f.seats, f.miles_price
FROM flights f
JOIN airports o ON o.code = f.origin
JOIN airports d ON d.code = f.destination
WHERE f.id = ?`

// showFlightJSON answers one flight of the visitor's own database with an
// entity tag and a Cache-Control max-age, and answers 304 Not Modified
// without rendering a body when If-None-Match already names that tag.
// The optional max_age query parameter (seconds) picks the policy, so the
// HTTP caching lesson can try several.
func (s *Server) showFlightJSON(c echo.Context) error {
	ctx, span := s.tracer.Start(c.Request().Context(), "handler show flight", trace.WithAttributes(kindAttr(ertrace.KindHandler)))
	defer span.End()
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id < 1 {
		return echo.NewHTTPError(http.StatusBadRequest, "a flight id is a whole number from 1 up")
	}
	maxAge := defaultFlightMaxAge
	if v := c.QueryParam("max_age"); v != "" {
		maxAge, err = strconv.Atoi(v)
		if err != nil || maxAge < 0 || maxAge > maxFlightMaxAge {
			return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("max_age: a whole number of seconds from 0 to %d", maxFlightMaxAge))
		}
	}
	f, found, err := s.loadFlight(s.sqlContext(ctx, c), visitorID(c), id)
	if err != nil {
		return sandboxError(err)
	}
	if !found {
		return echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("there is no flight %d in your database", id))
	}

	// The tag comes from the row, before any rendering: the same row
	// always renders the same bytes.
	_, step := s.tracer.Start(ctx, "compare ETag with If-None-Match")
	etag := strongETag(flightFormat, fmt.Sprintf("%+v", f))
	inm := c.Request().Header.Values("If-None-Match")
	match := ifNoneMatch(inm, etag)
	step.SetAttributes(attribute.String("http.response.header.etag", etag), attribute.Bool("engineroom.etag.match", match))
	if len(inm) > 0 {
		step.SetAttributes(attribute.String("http.request.header.if-none-match", strings.Join(inm, ", ")))
	}
	step.End()
	h := c.Response().Header()
	// private: the answer comes from the visitor's own database, so a
	// shared cache (a CDN) must not hand it to anyone else.
	h.Set("Cache-Control", "private, max-age="+strconv.Itoa(maxAge))
	h.Set("ETag", etag)
	if match {
		span.SetAttributes(attribute.Bool("engineroom.render.skipped", true))
		return c.NoContent(http.StatusNotModified)
	}

	_, render := s.tracer.Start(ctx, "render flight JSON", trace.WithAttributes(kindAttr(ertrace.KindRender)))
	body, err := json.Marshal(f)
	render.SetAttributes(bytesAttr(len(body)))
	render.End()
	if err != nil {
		return err
	}
	h.Set(echo.HeaderContentLength, strconv.Itoa(len(body)))
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, body)
}

// loadFlight reads one flight and its airports from the visitor's
// sandbox.
func (s *Server) loadFlight(ctx context.Context, visitor string, id int64) (f flightJSON, found bool, err error) {
	err = s.sql.With(ctx, visitor, func(ctx context.Context, db *sandbox.DB) error {
		res, err := db.Query(ctx, flightQuery, id)
		if err != nil || len(res.Values) == 0 {
			return err
		}
		v := res.Values[0]
		found = true
		f = flightJSON{
			ID: cellInt(v[0]), FlightNo: cellString(v[1]),
			Origin:      airportRef{Code: cellString(v[2]), City: cellString(v[3])},
			Destination: airportRef{Code: cellString(v[4]), City: cellString(v[5])},
			DepartsAt:   cellString(v[6]), ArrivesAt: cellString(v[7]),
			Seats: cellInt(v[8]), MilesPrice: cellInt(v[9]),
		}
		return nil
	})
	return f, found, err
}

// cellInt and cellString read a sandbox value of the expected type, or
// its zero value when the visitor's data holds something else.
func cellInt(v any) int64 {
	n, _ := v.(int64)
	return n
}

func cellString(v any) string {
	s, _ := v.(string)
	return s
}

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

	"github.com/engineroom/engineroom/playground/airline"
	"github.com/engineroom/engineroom/playground/sandbox"
	ertrace "github.com/engineroom/engineroom/playground/trace"
)

// flightFormat versions the JSON shape: changing the shape changes every
// entity tag, so no client keeps a body in the old shape.
const flightFormat = "flight/v1"

// Default and limits of the max_age query parameter, in seconds.
const (
	defaultFlightMaxAge = 60
	maxFlightMaxAge     = 86400
)

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
func (s *Server) loadFlight(ctx context.Context, visitor string, id int64) (f airline.Flight, found bool, err error) {
	err = s.sql.With(ctx, visitor, func(ctx context.Context, db *sandbox.DB) error {
		f, found, err = s.airline.FlightByID(ctx, db, id)
		return err
	})
	return f, found, err
}

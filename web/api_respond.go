package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/engineroom/engineroom/playground/airline"
	"github.com/engineroom/engineroom/playground/sandbox"
	"github.com/engineroom/engineroom/playground/shop"
	ertrace "github.com/engineroom/engineroom/playground/trace"
)

// apiFormat versions the JSON shapes of the resource endpoints: changing a
// shape changes every entity tag, so no client keeps a body in the old one.
const apiFormat = "api/v1"

// apiHandler opens the handler span of a resource endpoint.
func (s *Server) apiHandler(c echo.Context, name string) (context.Context, trace.Span) {
	return s.tracer.Start(c.Request().Context(), "handler "+name, trace.WithAttributes(kindAttr(ertrace.KindHandler)))
}

// inSandbox runs fn on the visitor's own sandbox, with the client's
// limits on creating one.
func (s *Server) inSandbox(ctx context.Context, c echo.Context, fn func(ctx context.Context, db *sandbox.DB) error) error {
	return s.sql.With(s.sqlContext(ctx, c), visitorID(c), fn)
}

// apiFailure marks the handler span failed and turns an engine's error
// into the answer: a refusal by the business rules keeps its own problem
// (see bookingProblem, orderProblem); a statement stopped by the time
// limit is a 503; data the visitor changed so the step cannot run is a
// 409 that says how to get the demo data back; the sandbox's limits keep
// their statuses and Retry-After.
func apiFailure(span trace.Span, err error) error {
	span.SetStatus(codes.Error, err.Error())
	var p *problem
	if errors.As(err, &p) {
		return p
	}
	var se *sandbox.StmtError
	if errors.As(err, &se) && se.Name == "SQLITE_INTERRUPT" {
		return statusProblem(http.StatusServiceUnavailable, "The request ran out of time ("+se.Message+"). Try again in a moment.")
	}
	if se != nil || errors.Is(err, airline.ErrMissingData) || errors.Is(err, shop.ErrMissingData) {
		msg := strings.TrimPrefix(strings.TrimPrefix(err.Error(), "airline: "), "shop: ")
		if se != nil {
			msg = se.Name + ": " + se.Message
		}
		return newProblem(problemDatabaseChanged, http.StatusConflict,
			"This request could not run on your database ("+msg+"). POST /api/v1/sql/reset puts the demo data back.")
	}
	return sandboxError(err)
}

// notFound is the 404 of a resource the visitor's database does not hold.
func notFound(what string, id int64) error {
	return statusProblem(http.StatusNotFound, "There is no "+what+" "+strconv.FormatInt(id, 10)+" in your database.")
}

// sendTagged answers a read with v as JSON and a strong entity tag made
// from the body, and answers 304 Not Modified without a body when
// If-None-Match already names that tag. Cache-Control no-cache lets the
// client keep the body but makes it ask every time: the data is the
// visitor's own and changes whenever they write.
func (s *Server) sendTagged(ctx context.Context, c echo.Context, v any) error {
	_, render := s.tracer.Start(ctx, "render JSON", trace.WithAttributes(kindAttr(ertrace.KindRender)))
	body, err := json.Marshal(v)
	render.SetAttributes(bytesAttr(len(body)))
	render.End()
	if err != nil {
		return err
	}
	_, step := s.tracer.Start(ctx, "compare ETag with If-None-Match")
	etag := strongETag(apiFormat, string(body))
	inm := c.Request().Header.Values("If-None-Match")
	match := ifNoneMatch(inm, etag)
	step.SetAttributes(attribute.String("http.response.header.etag", etag), attribute.Bool("engineroom.etag.match", match))
	if len(inm) > 0 {
		step.SetAttributes(attribute.String("http.request.header.if-none-match", strings.Join(inm, ", ")))
	}
	step.End()
	h := c.Response().Header()
	h.Set("Cache-Control", "private, no-cache")
	h.Set("ETag", etag)
	if match {
		return c.NoContent(http.StatusNotModified)
	}
	h.Set(echo.HeaderContentLength, strconv.Itoa(len(body)))
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, body)
}

// sendCreated answers a POST that made a resource: 201, its address in
// Location, and the resource.
func (s *Server) sendCreated(ctx context.Context, c echo.Context, location string, v any) error {
	c.Response().Header().Set(echo.HeaderLocation, location)
	return s.sendJSON(ctx, c, http.StatusCreated, v)
}

// sendJSON answers with v as JSON and the status.
func (s *Server) sendJSON(ctx context.Context, c echo.Context, status int, v any) error {
	_, render := s.tracer.Start(ctx, "render JSON", trace.WithAttributes(kindAttr(ertrace.KindRender)))
	body, err := json.Marshal(v)
	render.SetAttributes(bytesAttr(len(body)))
	render.End()
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentLength, strconv.Itoa(len(body)))
	return c.Blob(status, echo.MIMEApplicationJSON, body)
}

// nextPage is the address of the next page of a list: this request's,
// with the cursor it was given.
func nextPage(c echo.Context, next string) string {
	u := *c.Request().URL
	q := u.Query()
	q.Set("cursor", next)
	u.RawQuery = q.Encode()
	return u.RequestURI()
}

// nextCursor is the next_cursor of a page of a list: the cursor of the
// next page, or null on the last one. A Link header names the next page
// too (RFC 8288).
func nextCursor(c echo.Context, next string) *string {
	if next == "" {
		return nil
	}
	c.Response().Header().Set("Link", "<"+nextPage(c, next)+`>; rel="next"`)
	return &next
}

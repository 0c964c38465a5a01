package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/trace"

	"github.com/engineroom/engineroom/playground/airline"
	"github.com/engineroom/engineroom/playground/auth"
	"github.com/engineroom/engineroom/playground/sandbox"
	ertrace "github.com/engineroom/engineroom/playground/trace"
	"github.com/engineroom/engineroom/web/view"
)

// showAirlineBooking is GET /airline/bookings/:id, the airline app's page
// for one of the logged-in member's bookings. The owner is always
// checked, and another member's booking is answered exactly as a missing
// one is: 404, the same words.
func (s *Server) showAirlineBooking(c echo.Context) error {
	ctx, span := s.tracer.Start(c.Request().Context(), "handler show booking page", trace.WithAttributes(kindAttr(ertrace.KindHandler)))
	defer span.End()
	c.Response().Header().Set("Cache-Control", "no-store")
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id < 1 {
		return echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("There is no booking %.20q.", c.Param("id")))
	}
	if sessionToken(c) == "" {
		return logInFirst(c)
	}
	var card view.BookingCard
	loggedIn, err := s.asUser(ctx, c, func(ctx context.Context, db *sandbox.DB, u auth.SessionUser) error {
		b, err := s.airline.ShowBooking(ctx, db, u.MemberID, id, true)
		card = bookingCard(b)
		return err
	})
	var r *airline.Refusal
	switch {
	case errors.As(err, &r):
		return echo.NewHTTPError(http.StatusNotFound, r.Detail)
	case err != nil:
		return sandboxError(err)
	case !loggedIn:
		return logInFirst(c)
	}
	return s.page(c, view.BookingPage(s.pageMeta(csrfToken(c), fmt.Sprintf("Booking %d", id)), card))
}

// logInFirst sends a visitor who is not logged in to the login page,
// which brings them back here afterwards.
func logInFirst(c echo.Context) error {
	return c.Redirect(http.StatusSeeOther, loginPath+"?next="+url.QueryEscape(c.Request().URL.RequestURI()))
}

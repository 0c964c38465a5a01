package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/engineroom/engineroom/playground/airline"
	"github.com/engineroom/engineroom/playground/sandbox"
)

// createBooking is POST /api/v1/bookings {"member_id", "flight_id"}: the
// member pays for a seat on the flight with miles, in one transaction.
// 201 with the booking and its address in Location.
func (s *Server) createBooking(c echo.Context) error {
	ctx, span := s.apiHandler(c, "create booking")
	defer span.End()
	p := params(c)
	if err := p.problem(); err != nil {
		return apiFailure(span, err)
	}
	body, err := readJSONObject(c)
	if err != nil {
		return apiFailure(span, err)
	}
	var in bodyFields
	obj := in.object(body, "", "member_id", "flight_id")
	member, _ := in.integer(obj, "", "member_id", 1, maxID)
	flight, _ := in.integer(obj, "", "flight_id", 1, maxID)
	if err := in.problem(); err != nil {
		return apiFailure(span, err)
	}
	var b airline.Booking
	err = s.inSandbox(ctx, c, func(ctx context.Context, db *sandbox.DB) (err error) {
		b, err = s.airline.BookFlight(ctx, db, member, flight)
		return err
	})
	if err != nil {
		return apiFailure(span, bookingProblem(err))
	}
	return s.sendCreated(ctx, c, "/api/v1/bookings/"+strconv.FormatInt(b.ID, 10), b)
}

// showBooking is GET /api/v1/bookings/{id}: a booking and its flight.
func (s *Server) showBooking(c echo.Context) error {
	ctx, span := s.apiHandler(c, "show booking")
	defer span.End()
	p := params(c)
	id := p.id("id")
	if err := p.problem(); err != nil {
		return apiFailure(span, err)
	}
	var b airline.Booking
	var found bool
	err := s.inSandbox(ctx, c, func(ctx context.Context, db *sandbox.DB) (err error) {
		b, found, err = s.airline.BookingByID(ctx, db, id)
		return err
	})
	switch {
	case err != nil:
		return apiFailure(span, err)
	case !found:
		return apiFailure(span, notFound("booking", id))
	}
	return s.sendTagged(ctx, c, b)
}

// cancelBooking is DELETE /api/v1/bookings/{id}: the booking is cancelled,
// its miles refunded and its seat freed, in one transaction. 200 with the
// cancelled booking; cancelling it again changes nothing and answers the
// same.
func (s *Server) cancelBooking(c echo.Context) error {
	ctx, span := s.apiHandler(c, "cancel booking")
	defer span.End()
	p := params(c)
	id := p.id("id")
	if err := p.problem(); err != nil {
		return apiFailure(span, err)
	}
	var b airline.Booking
	err := s.inSandbox(ctx, c, func(ctx context.Context, db *sandbox.DB) (err error) {
		b, err = s.airline.CancelBooking(ctx, db, id)
		return err
	})
	if err != nil {
		return apiFailure(span, bookingProblem(err))
	}
	return s.sendJSON(ctx, c, http.StatusOK, b)
}

// bookingProblem is the answer to a booking or cancellation the airline
// refused. Naming a member or flight that does not exist is bad input
// (422, naming the field); a balance or a flight that cannot take the
// booking now is a conflict with the current state (409), which the
// client can resolve and which an Idempotency-Key replays.
func bookingProblem(err error) error {
	var r *airline.Refusal
	if !errors.As(err, &r) {
		return err
	}
	var p *problem
	switch {
	case errors.Is(r, airline.ErrNoSuchMember):
		p = newProblem(problemInvalidBody, http.StatusUnprocessableEntity, r.Detail, fieldError{"member_id", "there is no such member"})
	case errors.Is(r, airline.ErrNoSuchFlight):
		p = newProblem(problemInvalidBody, http.StatusUnprocessableEntity, r.Detail, fieldError{"flight_id", "there is no such flight"})
	case errors.Is(r, airline.ErrNoSuchBooking):
		return statusProblem(http.StatusNotFound, r.Detail)
	case errors.Is(r, airline.ErrNotEnoughMiles):
		p = newProblem(problemNotEnoughMiles, http.StatusConflict, r.Detail)
	case errors.Is(r, airline.ErrNoSeats):
		p = newProblem(problemNoSeats, http.StatusConflict, r.Detail)
	case errors.Is(r, airline.ErrFlown):
		p = newProblem(problemFlown, http.StatusConflict, r.Detail)
	default:
		return err
	}
	p.replay = p.Status == http.StatusConflict
	return p
}

package web

import (
	"context"

	"github.com/labstack/echo/v4"

	"github.com/engineroom/engineroom/playground/airline"
	"github.com/engineroom/engineroom/playground/sandbox"
)

// bookingList is a page of GET /api/v1/members/{id}/bookings.
type bookingList struct {
	Bookings   []airline.Booking `json:"bookings"`
	NextCursor *string           `json:"next_cursor"`
}

// showMember is GET /api/v1/members/{id}: a member and their miles.
func (s *Server) showMember(c echo.Context) error {
	ctx, span := s.apiHandler(c, "show member")
	defer span.End()
	p := params(c)
	id := p.id("id")
	if err := p.problem(); err != nil {
		return apiFailure(span, err)
	}
	var m airline.Member
	var found bool
	err := s.inSandbox(ctx, c, func(ctx context.Context, db *sandbox.DB) (err error) {
		m, found, err = s.airline.MemberByID(ctx, db, id)
		return err
	})
	switch {
	case err != nil:
		return apiFailure(span, err)
	case !found:
		return apiFailure(span, notFound("member", id))
	}
	return s.sendTagged(ctx, c, m)
}

// listMemberBookings is GET /api/v1/members/{id}/bookings: a member's
// bookings with their flights, newest first, a page at a time.
func (s *Server) listMemberBookings(c echo.Context) error {
	ctx, span := s.apiHandler(c, "list member bookings")
	defer span.End()
	p := params(c, "limit", "cursor")
	id := p.id("id")
	limit := p.integer("limit", 1, airline.MaxPageSize, airline.DefaultPageSize)
	before, _ := cursor(p, airline.DecodeBookingCursor)
	if err := p.problem(); err != nil {
		return apiFailure(span, err)
	}
	var page airline.BookingPage
	var found bool
	err := s.inSandbox(ctx, c, func(ctx context.Context, db *sandbox.DB) (err error) {
		page, found, err = s.airline.MemberBookings(ctx, db, id, int(limit), before)
		return err
	})
	switch {
	case err != nil:
		return apiFailure(span, err)
	case !found:
		return apiFailure(span, notFound("member", id))
	}
	return s.sendTagged(ctx, c, bookingList{Bookings: page.Bookings, NextCursor: nextCursor(c, page.Next)})
}

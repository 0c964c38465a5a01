package airline

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/attribute"

	"github.com/engineroom/engineroom/playground/sandbox"
)

// Member is a loyalty programme member and their miles balance.
type Member struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Email    string `json:"email"`
	Tier     string `json:"tier"`
	Miles    int64  `json:"miles"`
	JoinedOn string `json:"joined_on"`
}

// Booking is a seat on a flight booked by a member, and the miles it cost.
type Booking struct {
	ID        int64  `json:"id"`
	MemberID  int64  `json:"member_id"`
	Status    string `json:"status"` // confirmed, cancelled or flown
	PaidMiles int64  `json:"paid_miles"`
	BookedAt  string `json:"booked_at"`
	Flight    Flight `json:"flight"`
}

// Booking statuses.
const (
	Confirmed = "confirmed"
	Cancelled = "cancelled"
	Flown     = "flown"
)

// MemberByID reads one member; found is false when there is none.
func (a *App) MemberByID(ctx context.Context, db querier, id int64) (m Member, found bool, err error) {
	ctx, span := a.step(ctx, "load member", attribute.Int64("engineroom.member_id", id))
	defer span.End()
	res, err := db.Query(ctx, `SELECT id, name, email, tier, miles, joined_on FROM members WHERE id = ?`, id)
	if err != nil {
		return m, false, fail(span, err)
	}
	if len(res.Values) == 0 {
		return m, false, nil
	}
	v := res.Values[0]
	return Member{ID: sandbox.AsInt(v[0]), Name: sandbox.AsString(v[1]), Email: sandbox.AsString(v[2]),
		Tier: sandbox.AsString(v[3]), Miles: sandbox.AsInt(v[4]), JoinedOn: sandbox.AsString(v[5])}, true, nil
}

// bookingQuery reads bookings with their flights and airports, in one
// query however many there are.
const bookingQuery = `SELECT b.id, b.member_id, b.status, b.paid_miles, b.booked_at,
       ` + flightColumns + `
FROM bookings b
JOIN flights f ON f.id = b.flight_id
JOIN airports o ON o.code = f.origin
JOIN airports d ON d.code = f.destination`

// scanBooking reads a row of bookingQuery.
func scanBooking(v []any) Booking {
	return Booking{ID: sandbox.AsInt(v[0]), MemberID: sandbox.AsInt(v[1]), Status: sandbox.AsString(v[2]),
		PaidMiles: sandbox.AsInt(v[3]), BookedAt: sandbox.AsString(v[4]), Flight: scanFlight(v[5:])}
}

// BookingByID reads one booking with its flight; found is false when
// there is none.
func (a *App) BookingByID(ctx context.Context, db querier, id int64) (b Booking, found bool, err error) {
	ctx, span := a.step(ctx, "load booking", attribute.Int64("engineroom.booking_id", id))
	defer span.End()
	res, err := db.Query(ctx, bookingQuery+"\nWHERE b.id = ?", id)
	if err != nil {
		return b, false, fail(span, err)
	}
	if len(res.Values) == 0 {
		return b, false, nil
	}
	return scanBooking(res.Values[0]), true, nil
}

// BookingPage is one page of a member's bookings, newest first. Next is
// the cursor of the page after it, or "" on the last page.
type BookingPage struct {
	Bookings []Booking
	Next     string
}

// bookingCursorTag starts every booking cursor.
const bookingCursorTag = "bookings"

// EncodeBookingCursor makes the cursor that continues a list of bookings
// after (older than) the booking with this id.
func EncodeBookingCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(bookingCursorTag + "|" + strconv.FormatInt(id, 10)))
}

// DecodeBookingCursor reads a cursor made by EncodeBookingCursor; anything
// else is ErrBadCursor.
func DecodeBookingCursor(s string) (int64, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, ErrBadCursor
	}
	tag, num, ok := strings.Cut(string(raw), "|")
	if !ok || tag != bookingCursorTag {
		return 0, ErrBadCursor
	}
	id, err := strconv.ParseInt(num, 10, 64)
	if err != nil || id < 1 || strconv.FormatInt(id, 10) != num {
		return 0, ErrBadCursor
	}
	return id, nil
}

// MemberBookings reads one page of a member's bookings, newest first,
// continuing before the booking id before when it is not 0. found is
// false when there is no such member.
func (a *App) MemberBookings(ctx context.Context, db querier, memberID int64, limit int, before int64) (p BookingPage, found bool, err error) {
	ctx, span := a.step(ctx, "list a member's bookings", attribute.Int64("engineroom.member_id", memberID))
	defer span.End()
	n, err := oneInt(ctx, db, `SELECT count(*) FROM members WHERE id = ?`, memberID)
	if err != nil {
		return p, false, fail(span, err)
	}
	if n == 0 {
		return p, false, nil
	}
	limit = pageSize(limit)
	q, args := bookingQuery+"\nWHERE b.member_id = ?", []any{memberID}
	if before > 0 {
		q, args = q+" AND b.id < ?", append(args, before)
	}
	res, err := db.Query(ctx, q+"\nORDER BY b.id DESC\nLIMIT ?", append(args, limit+1)...)
	if err != nil {
		return p, false, fail(span, err)
	}
	p.Bookings = make([]Booking, 0, min(len(res.Values), limit))
	for i, v := range res.Values {
		if i == limit {
			p.Next = EncodeBookingCursor(p.Bookings[limit-1].ID)
			break
		}
		p.Bookings = append(p.Bookings, scanBooking(v))
	}
	span.SetAttributes(attribute.Int("engineroom.bookings", len(p.Bookings)))
	return p, true, nil
}

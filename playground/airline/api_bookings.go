package airline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/engineroom/engineroom/playground/sandbox"
)

// Why the airline refuses a booking or a cancellation. A *Refusal wraps
// one of them; errors.Is finds it.
var (
	ErrNoSuchMember   = errors.New("airline: no such member")
	ErrNoSuchFlight   = errors.New("airline: no such flight")
	ErrNoSuchBooking  = errors.New("airline: no such booking")
	ErrNotEnoughMiles = errors.New("airline: not enough miles")
	ErrNoSeats        = errors.New("airline: no seats left")
	ErrFlown          = errors.New("airline: the booking has been flown")
)

// Refusal is a request the airline's rules refuse, with a sentence that
// says why in the visitor's own numbers.
type Refusal struct {
	Err    error
	Detail string
}

func (r *Refusal) Error() string { return r.Err.Error() + ": " + r.Detail }

// Unwrap returns the reason, one of the Err… values.
func (r *Refusal) Unwrap() error { return r.Err }

func refuse(err error, format string, args ...any) *Refusal {
	return &Refusal{Err: err, Detail: fmt.Sprintf(format, args...)}
}

// BookFlight books a seat on a flight for a member, paid with miles, in
// one transaction: it checks the balance and the seats, debits the
// member's miles, writes the ledger entry, takes a seat and records the
// booking. Either all of it happens or none of it does. A refused booking
// is a *Refusal.
func (a *App) BookFlight(ctx context.Context, db querier, memberID, flightID int64) (Booking, error) {
	ctx, span := a.step(ctx, "book a flight with miles",
		attribute.Int64("engineroom.member_id", memberID), attribute.Int64("engineroom.flight_id", flightID))
	defer span.End()
	b := Booking{MemberID: memberID, Status: Confirmed}
	err := sandbox.Immediate(ctx, db, func() error {
		res, err := db.Query(ctx, `SELECT miles FROM members WHERE id = ?`, memberID)
		if err != nil {
			return err
		}
		if len(res.Values) == 0 {
			return refuse(ErrNoSuchMember, "There is no member %d in your database.", memberID)
		}
		miles := sandbox.AsInt(res.Values[0][0])
		f, found, err := a.FlightByID(ctx, db, flightID)
		if err != nil {
			return err
		}
		if !found {
			return refuse(ErrNoSuchFlight, "There is no flight %d in your database.", flightID)
		}
		if f.Seats <= 0 {
			return refuse(ErrNoSeats, "Flight %s departing %s has no seats left.", f.FlightNo, f.DepartsAt)
		}
		if miles < f.MilesPrice {
			return refuse(ErrNotEnoughMiles, "Member %d has %d miles; flight %s costs %d, so %d more are needed.",
				memberID, miles, f.FlightNo, f.MilesPrice, f.MilesPrice-miles)
		}
		// The conditions repeat the checks, so the rows cannot go wrong
		// even if the checks above had a bug.
		if err := execOne(ctx, db, `UPDATE members SET miles = miles - ? WHERE id = ? AND miles >= ?`, f.MilesPrice, memberID, f.MilesPrice); err != nil {
			return err
		}
		if err := execOne(ctx, db, `UPDATE flights SET seats = seats - 1 WHERE id = ? AND seats > 0`, flightID); err != nil {
			return err
		}
		now := time.Now().UTC().Format("2006-01-02 15:04")
		b.ID, err = oneInt(ctx, db, `INSERT INTO bookings (member_id, flight_id, status, paid_miles, booked_at)
VALUES (?, ?, 'confirmed', ?, ?) RETURNING id`, memberID, flightID, f.MilesPrice, now)
		if err != nil {
			return err
		}
		if _, err := db.Exec(ctx, `INSERT INTO miles_transactions (member_id, delta, reason, at) VALUES (?, ?, ?, ?)`,
			memberID, -f.MilesPrice, fmt.Sprintf("booking %d", b.ID), now); err != nil {
			return err
		}
		f.Seats--
		b.Flight, b.PaidMiles, b.BookedAt = f, f.MilesPrice, now
		return nil
	})
	if err != nil {
		return Booking{}, refusedOrFailed(span, err)
	}
	span.SetAttributes(attribute.Int64("engineroom.booking_id", b.ID))
	return b, nil
}

// CancelBooking cancels a confirmed booking in one transaction: the
// booking is marked cancelled, the miles paid go back to the member with
// a ledger entry, and the seat goes back to the flight. Cancelling a
// cancelled booking changes nothing and returns it as it is, so a client
// may safely repeat the request; a flown booking is refused.
func (a *App) CancelBooking(ctx context.Context, db querier, id int64) (Booking, error) {
	ctx, span := a.step(ctx, "cancel a booking", attribute.Int64("engineroom.booking_id", id))
	defer span.End()
	var b Booking
	err := sandbox.Immediate(ctx, db, func() error {
		var found bool
		var err error
		b, found, err = a.BookingByID(ctx, db, id)
		switch {
		case err != nil:
			return err
		case !found:
			return refuse(ErrNoSuchBooking, "There is no booking %d in your database.", id)
		case b.Status == Cancelled:
			return nil
		case b.Status == Flown:
			return refuse(ErrFlown, "Booking %d was flown on %s: it can no longer be cancelled.", id, b.Flight.DepartsAt)
		}
		if err := execOne(ctx, db, `UPDATE bookings SET status = 'cancelled' WHERE id = ?`, id); err != nil {
			return err
		}
		if b.PaidMiles > 0 {
			if err := execOne(ctx, db, `UPDATE members SET miles = miles + ? WHERE id = ?`, b.PaidMiles, b.MemberID); err != nil {
				return err
			}
			if _, err := db.Exec(ctx, `INSERT INTO miles_transactions (member_id, delta, reason, at) VALUES (?, ?, ?, ?)`,
				b.MemberID, b.PaidMiles, fmt.Sprintf("refund %d", id), time.Now().UTC().Format("2006-01-02 15:04")); err != nil {
				return err
			}
		}
		if err := execOne(ctx, db, `UPDATE flights SET seats = seats + 1 WHERE id = ?`, b.Flight.ID); err != nil {
			return err
		}
		b.Status = Cancelled
		b.Flight.Seats++
		return nil
	})
	if err != nil {
		return Booking{}, refusedOrFailed(span, err)
	}
	return b, nil
}

// refusedOrFailed records why a step did not happen: a refusal is the
// rules working, an attribute; anything else fails the span.
func refusedOrFailed(span trace.Span, err error) error {
	var r *Refusal
	if errors.As(err, &r) {
		span.SetAttributes(attribute.String("engineroom.refused", r.Detail))
		return err
	}
	return fail(span, err)
}

// execOne runs a statement that must change exactly one row; changing
// none means the demo data is not what the step expects.
func execOne(ctx context.Context, db querier, query string, args ...any) error {
	n, err := db.Exec(ctx, query, args...)
	if err != nil {
		return err
	}
	if n != 1 {
		return fmt.Errorf("%w: %q changed %d rows, not 1", ErrMissingData, query, n)
	}
	return nil
}

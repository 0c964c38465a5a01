package integrations

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/engineroom/engineroom/playground/airline"
	"github.com/engineroom/engineroom/playground/jobs"
	"github.com/engineroom/engineroom/playground/outbound"
	"github.com/engineroom/engineroom/playground/sandbox"
	"github.com/engineroom/engineroom/playground/upstream"
)

// The steps of a booking with miles, as spans and BookingError.Step name
// them.
const (
	StepHold    = "hold a seat"
	StepDebit   = "debit the miles and store the booking"
	StepConfirm = "confirm the seat"
)

// What became of the seat hold of a failed booking (BookingError.Hold),
// besides upstream.HoldReleased and upstream.HoldExpired.
const (
	// HoldNone: no seat was held.
	HoldNone = "none"
	// HoldUnknown: the reservation system did not say. A hold that was
	// made and not confirmed goes back by itself when its TTL passes.
	HoldUnknown = "unknown"
)

// maxHoldLinks caps the finished holds a booking's key chain is followed
// through (see holdSeat).
const maxHoldLinks = 8

// BookedTrip is a flight booked with miles, as the traveller sees it.
type BookedTrip struct {
	BookingID    int64          `json:"booking_id"`
	Flight       airline.Flight `json:"flight"`
	MilesPaid    int64          `json:"miles_paid"`
	BalanceAfter int64          `json:"balance_after"`
	HoldID       string         `json:"hold_id"`
	// Confirmation is the email to send; QueueTripConfirmation queues it
	// and sets JobID.
	Confirmation Email `json:"confirmation"`
	JobID        int64 `json:"job_id,omitempty"`
}

// BookingError is a booking with miles that did not happen. Whatever the
// failed step, nothing is left half-done: the seat hold is released (or
// lapses) and a stored booking is cancelled with its miles refunded.
type BookingError struct {
	StepFailure
	// HoldID is the seat hold, "" when none was made.
	HoldID string
	// Hold is what became of it: HoldNone, upstream.HoldReleased,
	// upstream.HoldExpired or HoldUnknown.
	Hold string
	// Undone is the booking that was stored, then cancelled and refunded
	// (0 when none was stored).
	Undone int64
}

func (e *BookingError) Error() string {
	return "integrations: booking with miles: " + e.Step + ": " + e.Err.Error()
}

// BookWithMiles books a seat on a flight for a member of the visitor's
// airline, paid with miles, in three steps, each a span:
//
//  1. hold a seat at the reservation system, with an Idempotency-Key
//     derived from the visitor, member and flight, so a retry finds the
//     seat it held before instead of holding a second one;
//  2. debit the miles and store the booking in one transaction of the
//     visitor's sandbox (airline.BookFlight);
//  3. confirm the hold.
//
// When step 2 fails the hold is released; when step 3 fails the booking
// is cancelled and its miles refunded (airline.CancelBooking) and the hold
// released. Those compensating actions are spans of their own and run
// even when ctx is cancelled. A failure is a *BookingError.
//
// The confirmation email is returned in BookedTrip.Confirmation, for
// QueueTripConfirmation: the job queue belongs to the caller.
func (a *App) BookWithMiles(ctx context.Context, open sandbox.Opener, visitor string, memberID, flightID int64) (BookedTrip, error) {
	ctx, span := a.tracer.Start(ctx, "book with miles", trace.WithAttributes(
		attribute.Int64("engineroom.member_id", memberID), attribute.Int64("engineroom.flight_id", flightID)))
	defer span.End()
	trip, err := a.bookWithMiles(ctx, open, visitor, memberID, flightID)
	if err != nil {
		var be *BookingError
		if errors.As(err, &be) {
			span.SetAttributes(attribute.String("booking.failed_step", be.Step), attribute.String("booking.hold", be.Hold),
				attribute.Int64("booking.undone", be.Undone))
		}
		span.SetStatus(codes.Error, err.Error())
		return BookedTrip{}, err
	}
	span.SetAttributes(attribute.Int64("engineroom.booking_id", trip.BookingID), attribute.String("booking.hold_id", trip.HoldID))
	return trip, nil
}

func (a *App) bookWithMiles(ctx context.Context, open sandbox.Opener, visitor string, memberID, flightID int64) (BookedTrip, error) {
	air := airline.New(a.tracer)
	h, err := a.holdSeat(ctx, visitor, memberID, flightID)
	if err != nil {
		fate := HoldNone
		if k := kindOf(err); k != outbound.KindRejected && k != outbound.KindBreakerOpen && k != 0 {
			fate = HoldUnknown
		}
		o := Explain(ReservationsService, err, true)
		o.Message += " No miles were taken."
		return BookedTrip{}, &BookingError{StepFailure: StepFailure{Step: StepHold, Outcome: o, Err: err}, Hold: fate}
	}

	b, m, err := a.debit(ctx, open, air, memberID, flightID)
	if err != nil {
		// The compensations must run even when the caller has gone.
		cctx := context.WithoutCancel(ctx)
		be := &BookingError{StepFailure: StepFailure{Step: StepDebit, Err: err}, HoldID: h.ID, Hold: a.release(cctx, visitor, h)}
		be.Outcome = debitOutcome(err, be.Hold)
		if b.ID != 0 { // stored, but reading the member back failed
			a.undo(cctx, open, air, b, be)
		}
		return BookedTrip{}, be
	}

	if err := a.confirm(ctx, visitor, h); err != nil {
		cctx := context.WithoutCancel(ctx)
		fate := upstream.HoldExpired
		if statusOf(err) != http.StatusGone {
			fate = a.release(cctx, visitor, h)
		}
		// A hold that cannot be released because it is confirmed means
		// the confirmation went through and only its answer was lost:
		// the booking stands.
		if fate != upstream.HoldConfirmed {
			be := &BookingError{StepFailure: StepFailure{Step: StepConfirm, Err: err, Outcome: confirmOutcome(err, fate, b.PaidMiles)}, HoldID: h.ID, Hold: fate}
			a.undo(cctx, open, air, b, be)
			return BookedTrip{}, be
		}
	}

	return BookedTrip{
		BookingID: b.ID, Flight: b.Flight, MilesPaid: b.PaidMiles, BalanceAfter: m.Miles, HoldID: h.ID,
		Confirmation: Email{To: m.Email, Subject: "Booking confirmed: " + b.Flight.FlightNo + " to " + b.Flight.Destination.City,
			Text: fmt.Sprintf("Hello %s,\n\nyour seat on %s from %s to %s, departing %s, is booked (booking %d).\n%d miles were paid; your balance is now %d miles.\n",
				m.Name, b.Flight.FlightNo, b.Flight.Origin.City, b.Flight.Destination.City, b.Flight.DepartsAt, b.ID, b.PaidMiles, m.Miles)},
	}, nil
}

// holdKey is the Idempotency-Key of a booking's first seat hold: a keyed
// hash, so the reservation system learns nothing from it.
func (a *App) holdKey(visitor string, memberID, flightID int64) string {
	m := hmac.New(sha256.New, a.refKey)
	fmt.Fprintf(m, "hold\x00%s\x00%d\x00%d", visitor, memberID, flightID)
	return "hold-" + hex.EncodeToString(m.Sum(nil)[:16])
}

// holdSeat holds one seat. The reservation system replays a known key's
// first answer, which says "held" however the hold has fared since, so a
// replayed hold is read back: one still held is the seat an earlier
// attempt of this booking left (reused, not held twice); one that is
// finished (confirmed, released, expired, or forgotten) belongs to an
// attempt that ended, and the next key of the chain, derived from it,
// makes a new hold. Concurrent attempts follow the same chain.
func (a *App) holdSeat(ctx context.Context, visitor string, memberID, flightID int64) (Hold, error) {
	ctx, span := a.tracer.Start(ctx, StepHold)
	defer span.End()
	first := a.holdKey(visitor, memberID, flightID)
	key := first
	for link := range maxHoldLinks {
		h, replayed, err := a.HoldSeats(ctx, visitor, flightID, 1, key)
		if err == nil && replayed {
			var now Hold
			if now, err = a.ReadHold(ctx, visitor, h.ID); err == nil {
				h.Status = now.Status
			} else if statusOf(err) == http.StatusNotFound {
				h.Status, err = HoldUnknown, nil
			}
		}
		if err != nil {
			span.SetStatus(codes.Error, err.Error())
			return Hold{}, err
		}
		if h.Status == upstream.HoldHeld {
			span.SetAttributes(attribute.String("booking.hold_id", h.ID), attribute.Bool("booking.hold_reused", replayed),
				attribute.Int("booking.hold_key_link", link))
			return h, nil
		}
		key = first + "-after-" + h.ID
	}
	err := fmt.Errorf("integrations: holding a seat: %d earlier attempts at this booking ended; try again later", maxHoldLinks)
	span.SetStatus(codes.Error, err.Error())
	return Hold{}, err
}

// debit runs airline.BookFlight in the visitor's sandbox and reads the
// member's balance after it. A booking stored before a later failure is
// returned with the error.
func (a *App) debit(ctx context.Context, open sandbox.Opener, air *airline.App, memberID, flightID int64) (b airline.Booking, m airline.Member, err error) {
	ctx, span := a.tracer.Start(ctx, StepDebit)
	defer span.End()
	err = open(ctx, func(ctx context.Context, db *sandbox.DB) error {
		var err error
		if b, err = air.BookFlight(ctx, db, memberID, flightID); err != nil {
			return err
		}
		var found bool
		if m, found, err = air.MemberByID(ctx, db, memberID); err == nil && !found {
			err = fmt.Errorf("integrations: member %d vanished after booking: %w", memberID, airline.ErrMissingData)
		}
		return err
	})
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
	}
	return b, m, err
}

// confirm confirms the hold.
func (a *App) confirm(ctx context.Context, visitor string, h Hold) error {
	ctx, span := a.tracer.Start(ctx, StepConfirm, trace.WithAttributes(attribute.String("booking.hold_id", h.ID)))
	defer span.End()
	_, err := a.ConfirmHold(ctx, visitor, h.ID)
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
	}
	return err
}

// release gives the hold's seat back (a compensating action) and returns
// what became of the hold.
func (a *App) release(ctx context.Context, visitor string, h Hold) string {
	ctx, span := a.tracer.Start(ctx, "release the seat hold", trace.WithAttributes(
		attribute.String("booking.hold_id", h.ID), attribute.Bool("booking.compensation", true)))
	defer span.End()
	got, err := a.ReleaseHold(ctx, visitor, h.ID)
	fate := got.Status
	switch status := statusOf(err); {
	case err == nil:
	case status == http.StatusGone:
		fate = upstream.HoldExpired
	case status == http.StatusConflict:
		fate = upstream.HoldConfirmed
	default:
		fate = HoldUnknown
		span.SetStatus(codes.Error, err.Error())
	}
	span.SetAttributes(attribute.String("booking.hold", fate))
	return fate
}

// undo cancels booking b and refunds its miles (a compensating action),
// recording the result in be.
func (a *App) undo(ctx context.Context, open sandbox.Opener, air *airline.App, b airline.Booking, be *BookingError) {
	ctx, span := a.tracer.Start(ctx, "undo the booking", trace.WithAttributes(
		attribute.Int64("engineroom.booking_id", b.ID), attribute.Bool("booking.compensation", true)))
	defer span.End()
	err := open(ctx, func(ctx context.Context, db *sandbox.DB) error {
		_, err := air.CancelBooking(ctx, db, b.ID)
		return err
	})
	if err == nil {
		be.Undone = b.ID
		return
	}
	span.SetStatus(codes.Error, err.Error())
	be.Stuck, be.Err = true, errors.Join(be.Err, fmt.Errorf("undoing booking %d: %w", b.ID, err))
	be.Outcome = Outcome{Title: "The booking needs attention",
		Message: fmt.Sprintf("The seat could not be confirmed, and cancelling booking %d failed too, so its %d miles are still taken. Cancel booking %d to get them back; do not book again first.",
			b.ID, b.PaidMiles, b.ID)}
}

// QueueTripConfirmation queues the trip's confirmation email as a
// ConfirmationJob (sent by the handler HandleJobs registers) and returns
// the trip with its JobID. The job is unique per booking: queueing the
// same trip again returns the same job.
func (a *App) QueueTripConfirmation(ctx context.Context, q *jobs.Queue, visitor string, trip BookedTrip) (BookedTrip, error) {
	ctx, span := a.tracer.Start(ctx, "queue the confirmation email", trace.WithAttributes(
		attribute.Int64("engineroom.booking_id", trip.BookingID)))
	defer span.End()
	id, err := q.Enqueue(ctx, ConfirmationJob, confirmation{Visitor: visitor, Email: trip.Confirmation}, jobs.EnqueueOptions{
		UniqueKey: "trip-" + a.CustomerRef(visitor) + "-" + trip.HoldID + "-" + strconv.FormatInt(trip.BookingID, 10)})
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
		return trip, fmt.Errorf("integrations: queueing the confirmation email: %w", err)
	}
	trip.JobID = id
	return trip, nil
}

// debitOutcome explains a failed step 2.
func debitOutcome(err error, fate string) Outcome {
	tail := holdSentence(fate) + " No miles were taken."
	var r *airline.Refusal
	if !errors.As(err, &r) {
		return Outcome{Title: "The booking could not be stored", Message: "Your database refused the booking (" + err.Error() + ")." + tail, Safe: true}
	}
	title := "Booking refused"
	switch {
	case errors.Is(r, airline.ErrNotEnoughMiles):
		title = "Not enough miles"
	case errors.Is(r, airline.ErrNoSeats):
		title = "No seats left"
	}
	return Outcome{Title: title, Message: r.Detail + tail, Safe: true}
}

// confirmOutcome explains a failed step 3, after the booking was undone.
func confirmOutcome(err error, fate string, miles int64) Outcome {
	refund := fmt.Sprintf(" The booking was cancelled and the %d miles are back in your balance.", miles)
	if statusOf(err) == http.StatusGone {
		return Outcome{Title: "The seat hold expired",
			Message: "The reservation system keeps a seat only for a while, and it let this one go before the booking was confirmed." + refund + " Trying again holds a new seat.",
			Safe:    true}
	}
	o := Explain(ReservationsService, err, true)
	o.Message = "The seat could not be confirmed." + refund + holdSentence(fate)
	o.Safe = true
	return o
}

// holdSentence says what became of the seat hold.
func holdSentence(fate string) string {
	switch fate {
	case upstream.HoldReleased:
		return " The seat held for you was released."
	case upstream.HoldExpired:
		return " The seat held for you went back when its hold expired."
	case HoldUnknown:
		return " The seat held for you could not be released now; the reservation system lets it go by itself when the hold expires."
	}
	return ""
}

// kindOf is the Kind of a failed call, 0 when err is not an *outbound.Error.
func kindOf(err error) outbound.Kind {
	var oe *outbound.Error
	if errors.As(err, &oe) {
		return oe.Kind
	}
	return 0
}

package integrations

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/engineroom/engineroom/playground/airline"
	"github.com/engineroom/engineroom/playground/jobs"
	"github.com/engineroom/engineroom/playground/outbound"
	"github.com/engineroom/engineroom/playground/sandbox"
	"github.com/engineroom/engineroom/playground/upstream"
)

// demoImage is the demo data the booking tests clone sandboxes from,
// built once.
var demoImage = sync.OnceValues(func() ([]byte, error) {
	m, err := sandbox.New(sandbox.Options{})
	if err != nil {
		return nil, err
	}
	defer m.Close()
	return m.Image(context.Background())
})

// bookingWorld is the services on a settable clock, an App calling them,
// and one visitor's sandbox with the demo data.
type bookingWorld struct {
	*world
	clock   *clock
	visitor string
	// after, when set, runs once right after the first sandbox step
	// (the debit), before the hold is confirmed.
	after func()
	opens atomic.Int32
	m     *sandbox.Manager
}

func newBookingWorld(t *testing.T, visitor string) *bookingWorld {
	t.Helper()
	bw := &bookingWorld{world: &world{rec: tracetest.NewSpanRecorder()}, visitor: visitor,
		clock: &clock{now: time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)}}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(bw.rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	bw.tracer = tp.Tracer("booking-test")
	var err error
	bw.services, err = upstream.Start(upstream.Options{Seed: 7, Now: bw.clock.Now,
		Reservations: upstream.ReservationOptions{MaxHang: 5 * time.Second}})
	if err != nil {
		t.Fatalf("starting the services: %v", err)
	}
	t.Cleanup(func() {
		if err := bw.services.Close(); err != nil {
			t.Errorf("closing the services: %v", err)
		}
	})
	// A short pause, so a retry after the faults go off is not kept
	// waiting by an open breaker.
	client := outbound.New(outbound.Options{Tracer: bw.tracer, Breaker: outbound.BreakerSettings{OpenFor: 50 * time.Millisecond}})
	t.Cleanup(client.Close)
	bw.app = New(Options{GatewayURL: bw.services.Gateway.URL(), MailerURL: bw.services.Mailer.URL(),
		ReservationsURL: bw.services.Reservations.URL(), Tracer: bw.tracer, Client: client, RefKey: []byte("test")})

	image, err := demoImage()
	if err != nil {
		t.Fatal(err)
	}
	// A long query budget: under the race detector SQLite is many times
	// slower, and the tests run side by side.
	bw.m, err = sandbox.New(sandbox.Options{Template: image, QueriesPerMinute: -1, QueryTimeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bw.m.Close() })
	return bw
}

// open is the visitor's sandbox.Opener; the first call runs after.
func (bw *bookingWorld) open(ctx context.Context, fn func(ctx context.Context, db *sandbox.DB) error) error {
	err := bw.m.With(ctx, bw.visitor, fn)
	if bw.opens.Add(1) == 1 && bw.after != nil {
		bw.after()
	}
	return err
}

// query runs q in the visitor's sandbox (without counting as a step).
func (bw *bookingWorld) query(t *testing.T, q string, args ...any) [][]any {
	t.Helper()
	var rows [][]any
	err := bw.m.With(context.Background(), bw.visitor, func(ctx context.Context, db *sandbox.DB) error {
		res, err := db.Query(ctx, q, args...)
		if err == nil {
			rows = res.Values
		}
		return err
	})
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return rows
}

// dbState is what a booking may change in the database.
type dbState struct {
	miles, ledger, seats int64
	bookings             string // the member's bookings of the flight, statuses by id
}

func (bw *bookingWorld) state(t *testing.T, member, flight int64) dbState {
	t.Helper()
	v := bw.query(t, `SELECT (SELECT miles FROM members WHERE id = ?1),
       (SELECT coalesce(sum(delta), 0) FROM miles_transactions WHERE member_id = ?1),
       (SELECT seats FROM flights WHERE id = ?2),
       (SELECT coalesce(group_concat(status, ','), '') FROM (SELECT status FROM bookings WHERE member_id = ?1 AND flight_id = ?2 ORDER BY id))`,
		member, flight)[0]
	return dbState{miles: sandbox.AsInt(v[0]), ledger: sandbox.AsInt(v[1]), seats: sandbox.AsInt(v[2]), bookings: sandbox.AsString(v[3])}
}

// pick chooses a flight with seats in the database and at least two at
// the reservation system, a member who can pay for it and one who cannot.
func (bw *bookingWorld) pick(t *testing.T) (flight, price, rich, poor int64, seats int) {
	t.Helper()
	for _, f := range bw.query(t, `SELECT id, miles_price FROM flights WHERE seats > 2 ORDER BY id LIMIT 50`) {
		n, err := bw.app.Availability(context.Background(), "probe", sandbox.AsInt(f[0]))
		if err != nil {
			t.Fatalf("Availability: %v", err)
		}
		if n >= 2 {
			flight, price, seats = sandbox.AsInt(f[0]), sandbox.AsInt(f[1]), n
			break
		}
	}
	if flight == 0 {
		t.Fatal("no flight with seats at both ends")
	}
	rich = sandbox.AsInt(bw.query(t, `SELECT id FROM members WHERE miles >= ? ORDER BY id LIMIT 1`, price)[0][0])
	poor = sandbox.AsInt(bw.query(t, `SELECT id FROM members WHERE miles < ? ORDER BY id LIMIT 1`, price)[0][0])
	return flight, price, rich, poor, seats
}

// hold reads a hold at the reservation system.
func (bw *bookingWorld) hold(t *testing.T, id string) string {
	t.Helper()
	h, err := bw.app.ReadHold(context.Background(), bw.visitor, id)
	if err != nil {
		t.Fatalf("ReadHold(%s): %v", id, err)
	}
	return h.Status
}

func (bw *bookingWorld) available(t *testing.T, flight int64) int {
	t.Helper()
	n, err := bw.app.Availability(context.Background(), bw.visitor, flight)
	if err != nil {
		t.Fatalf("Availability: %v", err)
	}
	return n
}

func TestBookWithMiles(t *testing.T) {
	tests := []struct {
		name string
		// setup may switch faults or set after; it returns the member.
		setup func(t *testing.T, bw *bookingWorld, rich, poor int64) int64
		// retry, when set, runs between a failed first call and a
		// second call that must succeed.
		retry func(t *testing.T, bw *bookingWorld, member, price int64)
		step  string // the failed step, "" for success
		title string // the outcome's title
		hold  string // what became of the hold of the failed call
		// undone: a booking was stored and then cancelled and refunded.
		undone bool
	}{
		{name: "booked", setup: func(_ *testing.T, _ *bookingWorld, rich, _ int64) int64 { return rich }},
		{
			name:  "not enough miles: hold released",
			setup: func(_ *testing.T, _ *bookingWorld, _, poor int64) int64 { return poor },
			step:  StepDebit, title: "Not enough miles", hold: upstream.HoldReleased,
		},
		{
			name: "reservation system failing: nothing booked",
			setup: func(t *testing.T, bw *bookingWorld, rich, _ int64) int64 {
				setFaults(t, bw.app, bw.visitor, ReservationsService, Faults{ErrorRate: 1})
				return rich
			},
			step: StepHold, title: "The reservation system is having trouble", hold: HoldUnknown,
		},
		{
			name: "hold expired before confirm: booking undone",
			setup: func(_ *testing.T, bw *bookingWorld, rich, _ int64) int64 {
				bw.after = func() { bw.clock.add(11 * time.Minute) }
				return rich
			},
			step: StepConfirm, title: "The seat hold expired", hold: upstream.HoldExpired, undone: true,
		},
		{
			name: "reservation system down at confirm: booking undone",
			setup: func(t *testing.T, bw *bookingWorld, rich, _ int64) int64 {
				bw.after = func() { setFaults(t, bw.app, bw.visitor, ReservationsService, Faults{ErrorRate: 1}) }
				return rich
			},
			step: StepConfirm, title: "The reservation system is having trouble", hold: HoldUnknown, undone: true,
		},
		{
			name: "retry after a lost answer: one seat held",
			setup: func(t *testing.T, bw *bookingWorld, rich, _ int64) int64 {
				// The hold is made, but every answer comes too late.
				setFaults(t, bw.app, bw.visitor, ReservationsService, Faults{LatencyMS: 1500})
				return rich
			},
			retry: func(t *testing.T, bw *bookingWorld, _, _ int64) {
				setFaults(t, bw.app, bw.visitor, ReservationsService, Faults{})
				time.Sleep(60 * time.Millisecond) // the breaker's pause
			},
			step: StepHold, title: "The reservation system did not answer in time", hold: HoldUnknown,
		},
		{
			name:  "retry after a refusal: a new hold",
			setup: func(_ *testing.T, _ *bookingWorld, _, poor int64) int64 { return poor },
			retry: func(t *testing.T, bw *bookingWorld, member, price int64) {
				bw.query(t, `INSERT INTO miles_transactions (member_id, delta, reason, at) VALUES (?, ?, 'bonus', '2026-05-04 09:00')`, member, price)
				bw.query(t, `UPDATE members SET miles = miles + ? WHERE id = ? RETURNING miles`, price, member)
			},
			step: StepDebit, title: "Not enough miles", hold: upstream.HoldReleased,
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			bw := newBookingWorld(t, "booker-"+string(rune('a'+i)))
			flight, price, rich, poor, seats := bw.pick(t)
			member := tt.setup(t, bw, rich, poor)
			before := bw.state(t, member, flight)
			if before.miles != before.ledger {
				t.Fatalf("demo data: miles %d, ledger %d", before.miles, before.ledger)
			}
			ctx, root := bw.traced(context.Background(), tt.name)
			trip, err := bw.app.BookWithMiles(ctx, bw.open, bw.visitor, member, flight)
			root.End()

			if tt.step != "" {
				var be *BookingError
				if !errors.As(err, &be) {
					t.Fatalf("err = %v (%T), want a *BookingError", err, err)
				}
				if trip != (BookedTrip{}) || be.Step != tt.step || be.Outcome.Title != tt.title || be.Hold != tt.hold ||
					be.Stuck || (be.Undone != 0) != tt.undone || !be.Outcome.Safe || be.Outcome.Message == "" {
					t.Errorf("trip %+v, error %+v", trip, be)
				}
				if tt.step != StepHold && !strings.HasPrefix(be.HoldID, "hold_") {
					t.Errorf("HoldID = %q", be.HoldID)
				}
				if tt.step == StepDebit && !errors.Is(err, airline.ErrNotEnoughMiles) {
					t.Errorf("err = %v, want airline.ErrNotEnoughMiles", err)
				}
				spans := bw.spansOf(root)
				if tt.step != StepHold && tt.hold != upstream.HoldExpired {
					one(t, spans, "release the seat hold")
				}
				if tt.undone {
					one(t, spans, "undo the booking")
				}
				// Nothing half-done: miles, ledger and seats as before;
				// a stored booking is cancelled.
				after := bw.state(t, member, flight)
				want := before
				if tt.undone {
					want.bookings = strings.Trim(before.bookings+","+airline.Cancelled, ",")
				}
				if after != want || after.miles != after.ledger {
					t.Errorf("database after %+v, want %+v", after, want)
				}
				if tt.undone {
					rows := bw.query(t, `SELECT delta, reason FROM miles_transactions WHERE member_id = ? ORDER BY id DESC LIMIT 2`, member)
					if len(rows) != 2 || sandbox.AsInt(rows[0][0]) != price || sandbox.AsInt(rows[1][0]) != -price ||
						sandbox.AsString(rows[0][1]) != "refund "+itoa(be.Undone) {
						t.Errorf("ledger tail = %v", rows)
					}
				}
				// At the reservation system.
				setFaults(t, bw.app, bw.visitor, ReservationsService, Faults{})
				switch be.Hold {
				case upstream.HoldReleased, upstream.HoldExpired:
					if got := bw.hold(t, be.HoldID); got != be.Hold {
						t.Errorf("hold %s is %s, want %s", be.HoldID, got, be.Hold)
					}
				case HoldUnknown:
					time.Sleep(60 * time.Millisecond) // the breakers' pause
					if be.HoldID != "" {
						if got := bw.hold(t, be.HoldID); got != upstream.HoldHeld {
							t.Errorf("hold %s is %s, want held until it expires", be.HoldID, got)
						}
					}
				}
				if tt.retry == nil {
					if be.Hold == HoldUnknown {
						bw.clock.add(11 * time.Minute) // an unconfirmed hold lapses
					}
					if got := bw.available(t, flight); got != seats {
						t.Errorf("seats available %d, want all %d back", got, seats)
					}
					return
				}
				tt.retry(t, bw, member, price)
				before = bw.state(t, member, flight)
				ctx, root = bw.traced(context.Background(), tt.name+": again")
				trip, err = bw.app.BookWithMiles(ctx, bw.open, bw.visitor, member, flight)
				root.End()
				reused := attrs(one(t, bw.spansOf(root), StepHold))["booking.hold_reused"]
				if want := be.Hold == HoldUnknown; reused != map[bool]string{true: "true", false: "false"}[want] {
					t.Errorf("hold reused = %s, want %v", reused, want)
				}
			}

			if err != nil {
				t.Fatalf("BookWithMiles: %v", err)
			}
			after := bw.state(t, member, flight)
			want := dbState{miles: before.miles - price, ledger: before.miles - price, seats: before.seats - 1,
				bookings: strings.Trim(before.bookings+","+airline.Confirmed, ",")}
			if after != want {
				t.Errorf("database after %+v, want %+v", after, want)
			}
			email := sandbox.AsString(bw.query(t, `SELECT email FROM members WHERE id = ?`, member)[0][0])
			if trip.BookingID == 0 || trip.Flight.ID != flight || trip.MilesPaid != price || trip.BalanceAfter != want.miles ||
				!strings.HasPrefix(trip.HoldID, "hold_") || trip.JobID != 0 || trip.Confirmation.To != email ||
				!strings.Contains(trip.Confirmation.Subject, trip.Flight.FlightNo) ||
				!strings.Contains(trip.Confirmation.Text, "booking "+itoa(trip.BookingID)) {
				t.Errorf("trip = %+v", trip)
			}
			if got := bw.hold(t, trip.HoldID); got != upstream.HoldConfirmed {
				t.Errorf("hold %s is %s, want confirmed", trip.HoldID, got)
			}
			if got := bw.available(t, flight); got != seats-1 {
				t.Errorf("seats available %d, want %d: one seat taken, no other held", got, seats-1)
			}
			spans := bw.spansOf(root)
			for _, name := range []string{StepHold, StepDebit, StepConfirm, "book a flight with miles"} {
				one(t, spans, name)
			}
			if n := len(named(spans, "release the seat hold")) + len(named(spans, "undo the booking")); n != 0 {
				t.Errorf("%d compensations on success", n)
			}

			// The confirmation email goes through the job queue, once.
			q := openQueue(t, bw.world, 50*time.Millisecond)
			queued, err := bw.app.QueueTripConfirmation(context.Background(), q, bw.visitor, trip)
			if err != nil || queued.JobID == 0 {
				t.Fatalf("QueueTripConfirmation = %+v, %v", queued, err)
			}
			again, err := bw.app.QueueTripConfirmation(context.Background(), q, bw.visitor, trip)
			if err != nil || again.JobID != queued.JobID {
				t.Errorf("queued again: job %d, %v; want the same job %d", again.JobID, err, queued.JobID)
			}
			if ji := finished(t, q, queued.JobID); ji.State != jobs.StateCompleted {
				t.Errorf("job = %+v", ji)
			}
			if _, e, err := bw.app.Confirmation(context.Background(), q, bw.visitor, queued.JobID); err != nil || e != trip.Confirmation {
				t.Errorf("Confirmation = %+v, %v", e, err)
			}
			inbox, err := bw.app.Inbox(context.Background(), bw.visitor, 10)
			if err != nil || len(inbox) != 1 || inbox[0].To != email || inbox[0].Subject != trip.Confirmation.Subject {
				t.Errorf("Inbox = %+v, %v", inbox, err)
			}
		})
	}
}

// TestBookWithMilesSoldOutUpstream: a flight the reservation system has no
// seat on is refused at the first step, before the database is touched.
func TestBookWithMilesSoldOutUpstream(t *testing.T) {
	bw := newBookingWorld(t, "sold-out")
	var flight int64
	for _, f := range bw.query(t, `SELECT id FROM flights WHERE seats > 0 ORDER BY id LIMIT 200`) {
		if n := bw.available(t, sandbox.AsInt(f[0])); n == 0 {
			flight = sandbox.AsInt(f[0])
			break
		}
	}
	if flight == 0 {
		// The seed decides the seats; it leaves some flights sold out.
		t.Fatal("no flight among the first 200 is sold out at the reservation system")
	}
	member := sandbox.AsInt(bw.query(t, `SELECT id FROM members ORDER BY miles DESC LIMIT 1`)[0][0])
	before := bw.state(t, member, flight)
	_, err := bw.app.BookWithMiles(context.Background(), bw.open, bw.visitor, member, flight)
	var be *BookingError
	if !errors.As(err, &be) || be.Step != StepHold || be.Hold != HoldNone || be.HoldID != "" ||
		be.Outcome.Title != "Refused by the reservation system" || kindOf(err) != outbound.KindRejected {
		t.Fatalf("err = %v (%+v)", err, be)
	}
	if after := bw.state(t, member, flight); after != before || bw.opens.Load() != 0 {
		t.Errorf("database %+v, want %+v untouched (%d opens)", after, before, bw.opens.Load())
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

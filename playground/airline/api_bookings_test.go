package airline

import (
	"context"
	"errors"
	"testing"

	"github.com/engineroom/engineroom/playground/sandbox"
)

// ledger is what a booking touches, read straight from the tables.
type ledger struct {
	miles, ledgerSum, entries, seats, bookings int64
}

func readLedger(t *testing.T, ctx context.Context, db *sandbox.DB, member, flight int64) ledger {
	t.Helper()
	one := func(q string, args ...any) int64 {
		n, err := oneInt(ctx, db, q, args...)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	return ledger{
		miles:     one(`SELECT miles FROM members WHERE id = ?`, member),
		ledgerSum: one(`SELECT coalesce(sum(delta), 0) FROM miles_transactions WHERE member_id = ?`, member),
		entries:   one(`SELECT count(*) FROM miles_transactions WHERE member_id = ?`, member),
		seats:     one(`SELECT seats FROM flights WHERE id = ?`, flight),
		bookings:  one(`SELECT count(*) FROM bookings WHERE member_id = ?`, member),
	}
}

// TestBookAndCancel books a flight with miles and cancels it: every table
// moves together, and the ledger always adds up to the balance.
func TestBookAndCancel(t *testing.T) {
	app, m := newAPIApp(t)
	ctx := context.Background()
	err := m.With(ctx, "v", func(ctx context.Context, db *sandbox.DB) error {
		const member = 1
		flight, err := oneInt(ctx, db, `SELECT id FROM flights WHERE seats > 0 AND miles_price <= (SELECT miles FROM members WHERE id = 1) ORDER BY id LIMIT 1`)
		if err != nil {
			return err
		}
		before := readLedger(t, ctx, db, member, flight)
		if before.miles != before.ledgerSum {
			t.Fatalf("seeded ledger: miles %d, ledger sum %d", before.miles, before.ledgerSum)
		}
		b, err := app.BookFlight(ctx, db, member, flight)
		if err != nil {
			return err
		}
		after := readLedger(t, ctx, db, member, flight)
		price := b.Flight.MilesPrice
		if b.ID == 0 || b.MemberID != member || b.Status != Confirmed || b.PaidMiles != price || b.Flight.ID != flight || b.BookedAt == "" {
			t.Errorf("booking = %+v", b)
		}
		want := ledger{before.miles - price, before.ledgerSum - price, before.entries + 1, before.seats - 1, before.bookings + 1}
		if after != want || b.Flight.Seats != after.seats {
			t.Errorf("after booking: %+v (flight shows %d seats), want %+v", after, b.Flight.Seats, want)
		}
		stored, found, err := app.BookingByID(ctx, db, b.ID)
		if err != nil || !found || stored != b {
			t.Errorf("stored booking = %+v, %v, %v; want %+v", stored, found, err, b)
		}

		c, err := app.CancelBooking(ctx, db, b.ID)
		if err != nil {
			return err
		}
		back := readLedger(t, ctx, db, member, flight)
		if c.Status != Cancelled || c.Flight.Seats != before.seats || back.miles != before.miles || back.ledgerSum != back.miles ||
			back.entries != before.entries+2 || back.seats != before.seats || back.bookings != before.bookings+1 {
			t.Errorf("after cancelling: %+v, booking %+v; want the miles and seat back (%+v)", back, c, before)
		}
		again, err := app.CancelBooking(ctx, db, b.ID)
		if err != nil || again != c || readLedger(t, ctx, db, member, flight) != back {
			t.Errorf("cancelling twice: %+v, %v; want the same booking and nothing changed", again, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestBookRefusals: each refusal names its reason and changes nothing.
func TestBookRefusals(t *testing.T) {
	app, m := newAPIApp(t)
	ctx := context.Background()
	tests := []struct {
		name   string
		setup  string
		member int64
		flight string // a query for the flight id
		want   error
	}{
		{name: "not enough miles", setup: `UPDATE members SET miles = 10 WHERE id = 2`, member: 2,
			flight: `SELECT id FROM flights WHERE seats > 0 ORDER BY id LIMIT 1`, want: ErrNotEnoughMiles},
		{name: "no seats", member: 1, flight: `SELECT id FROM flights WHERE seats = 0 ORDER BY id LIMIT 1`, want: ErrNoSeats},
		{name: "no such member", member: 999999, flight: `SELECT 1`, want: ErrNoSuchMember},
		{name: "no such flight", member: 1, flight: `SELECT 999999`, want: ErrNoSuchFlight},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := m.With(ctx, tt.name, func(ctx context.Context, db *sandbox.DB) error {
				if tt.setup != "" {
					if _, err := db.Exec(ctx, tt.setup); err != nil {
						return err
					}
				}
				flight, err := oneInt(ctx, db, tt.flight)
				if err != nil {
					return err
				}
				total, err := oneInt(ctx, db, `SELECT total_changes()`)
				if err != nil {
					return err
				}
				_, err = app.BookFlight(ctx, db, tt.member, flight)
				var r *Refusal
				if !errors.Is(err, tt.want) || !errors.As(err, &r) || r.Detail == "" {
					t.Fatalf("err = %v, want a refusal for %v", err, tt.want)
				}
				if now, _ := oneInt(ctx, db, `SELECT total_changes()`); now != total {
					t.Errorf("a refused booking changed %d rows", now-total)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestBookIsAtomic: when a late step fails, the steps before it are
// rolled back.
func TestBookIsAtomic(t *testing.T) {
	app, m := newAPIApp(t)
	ctx := context.Background()
	err := m.With(ctx, "v", func(ctx context.Context, db *sandbox.DB) error {
		flight, err := oneInt(ctx, db, `SELECT id FROM flights WHERE seats > 0 AND miles_price <= (SELECT miles FROM members WHERE id = 1) ORDER BY id LIMIT 1`)
		if err != nil {
			return err
		}
		// The ledger entry is the last step: make it fail.
		if _, err := db.Exec(ctx, `CREATE TRIGGER no_ledger BEFORE INSERT ON miles_transactions BEGIN SELECT RAISE(ABORT, 'ledger closed'); END`); err != nil {
			return err
		}
		before := readLedger(t, ctx, db, 1, flight)
		_, err = app.BookFlight(ctx, db, 1, flight)
		var se *sandbox.StmtError
		if !errors.As(err, &se) {
			t.Fatalf("err = %v, want the failed INSERT's StmtError", err)
		}
		if after := readLedger(t, ctx, db, 1, flight); after != before {
			t.Errorf("after a failed booking: %+v, want nothing changed: %+v", after, before)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestCancelRefusals(t *testing.T) {
	app, m := newAPIApp(t)
	ctx := context.Background()
	err := m.With(ctx, "v", func(ctx context.Context, db *sandbox.DB) error {
		flown, err := oneInt(ctx, db, `SELECT id FROM bookings WHERE status = 'flown' ORDER BY id LIMIT 1`)
		if err != nil {
			return err
		}
		for id, want := range map[int64]error{flown: ErrFlown, 999999: ErrNoSuchBooking} {
			if _, err := app.CancelBooking(ctx, db, id); !errors.Is(err, want) {
				t.Errorf("cancelling %d: %v, want %v", id, err, want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestMemberBookings pages through a frequent flyer's bookings, newest
// first.
func TestMemberBookings(t *testing.T) {
	app, m := newAPIApp(t)
	ctx := context.Background()
	err := m.With(ctx, "v", func(ctx context.Context, db *sandbox.DB) error {
		member, err := oneInt(ctx, db, `SELECT member_id FROM bookings GROUP BY member_id ORDER BY count(*) DESC LIMIT 1`)
		if err != nil {
			return err
		}
		count, _ := oneInt(ctx, db, `SELECT count(*) FROM bookings WHERE member_id = ?`, member)
		var ids []int64
		var before int64
		for {
			p, found, err := app.MemberBookings(ctx, db, member, 7, before)
			if err != nil || !found {
				t.Fatalf("found %v, err %v", found, err)
			}
			for _, b := range p.Bookings {
				if b.MemberID != member || b.Flight.FlightNo == "" {
					t.Errorf("booking %+v", b)
				}
				if len(ids) > 0 && b.ID >= ids[len(ids)-1] {
					t.Errorf("booking %d after %d: want newest first", b.ID, ids[len(ids)-1])
				}
				ids = append(ids, b.ID)
			}
			if p.Next == "" {
				break
			}
			if before, err = DecodeBookingCursor(p.Next); err != nil {
				t.Fatal(err)
			}
		}
		if int64(len(ids)) != count {
			t.Errorf("paged %d bookings, the member has %d", len(ids), count)
		}
		if _, found, err := app.MemberBookings(ctx, db, 999999, 7, 0); found || err != nil {
			t.Errorf("an unknown member: found %v, err %v", found, err)
		}
		if m, found, err := app.MemberByID(ctx, db, member); !found || err != nil || m.ID != member || m.Name == "" || m.Email == "" || m.Tier == "" {
			t.Errorf("MemberByID = %+v, %v, %v", m, found, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

package sandbox

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"
)

// book is a naive booking paid with miles: read the balance, check it,
// write the new balance. Without a transaction two of them can interleave.
func book(ctx context.Context, db *DB, member, price int, tx bool, between func()) error {
	if tx {
		if _, err := db.Exec(ctx, "BEGIN IMMEDIATE"); err != nil {
			return err
		}
	}
	res, err := db.Query(ctx, "SELECT miles FROM members WHERE id = ?", member)
	if err != nil {
		return err
	}
	miles := res.Values[0][0].(int64)
	between()
	if miles < int64(price) {
		if tx {
			db.Exec(ctx, "ROLLBACK")
		}
		return errors.New("not enough miles")
	}
	if _, err := db.Exec(ctx, "UPDATE members SET miles = ? WHERE id = ?", miles-int64(price), member); err != nil {
		return err
	}
	if _, err := db.Exec(ctx, "INSERT INTO bookings (member_id, flight_id, status, paid_miles, booked_at) VALUES (?, 1, 'confirmed', ?, '2026-04-15')", member, price); err != nil {
		return err
	}
	if tx {
		_, err = db.Exec(ctx, "COMMIT")
	}
	return err
}

func TestWithPairConcurrentBookings(t *testing.T) {
	tests := []struct {
		name        string
		tx          bool
		wantMiles   int64 // member 2's balance afterwards; it starts at 2000
		wantBooked  int   // bookings that succeeded
		wantRefused int
	}{
		// Both read 2000, both write 2000-1500: one booking's debit is lost
		// and 3000 miles were spent from a 2000 balance.
		{name: "without transaction loses an update", tx: false, wantMiles: 500, wantBooked: 2},
		// BEGIN IMMEDIATE makes the second booking wait for the first and
		// see its debit: it is refused.
		{name: "BEGIN IMMEDIATE serializes", tx: true, wantMiles: 500, wantBooked: 1, wantRefused: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newTestManager(t, Options{QueryTimeout: 5 * time.Second})
			ctx := context.Background()
			before := scalar(t, m, "pair", "SELECT count(*) FROM bookings WHERE member_id = 2")
			if got := scalar(t, m, "pair", "SELECT miles FROM members WHERE id = 2"); got != "2000" {
				t.Fatalf("member 2 starts with %s miles, want 2000", got)
			}
			var booked, refused int
			err := m.WithPair(ctx, "pair", func(ctx context.Context, a, b *DB) error {
				var wg sync.WaitGroup
				// Without a transaction both read before either writes; with one
				// the second waits in BEGIN IMMEDIATE, so only pause.
				var barrier sync.WaitGroup
				barrier.Add(2)
				between := func() {
					if tt.tx {
						time.Sleep(20 * time.Millisecond)
						return
					}
					barrier.Done()
					barrier.Wait()
				}
				errs := make([]error, 2)
				for i, db := range []*DB{a, b} {
					wg.Go(func() { errs[i] = book(ctx, db, 2, 1500, tt.tx, between) })
				}
				wg.Wait()
				for _, err := range errs {
					switch {
					case err == nil:
						booked++
					case err.Error() == "not enough miles":
						refused++
					default:
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatalf("WithPair: %v", err)
			}
			if booked != tt.wantBooked || refused != tt.wantRefused {
				t.Errorf("booked %d, refused %d; want %d, %d", booked, refused, tt.wantBooked, tt.wantRefused)
			}
			// The pair's work was copied back into the visitor's sandbox.
			if got := scalar(t, m, "pair", "SELECT miles FROM members WHERE id = 2"); got != strconv.FormatInt(tt.wantMiles, 10) {
				t.Errorf("member 2 has %s miles, want %d", got, tt.wantMiles)
			}
			n, _ := strconv.Atoi(before)
			if got := scalar(t, m, "pair", "SELECT count(*) FROM bookings WHERE member_id = 2"); got != strconv.Itoa(n+tt.wantBooked) {
				t.Errorf("member 2 has %s bookings, want %d", got, n+tt.wantBooked)
			}
		})
	}
}

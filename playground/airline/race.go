package airline

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/engineroom/engineroom/playground/sandbox"
)

// Attempt is one of two bookings that raced.
type Attempt struct {
	Conn     string  `json:"connection"`
	SawMiles int64   `json:"saw_miles"`
	Booked   bool    `json:"booked"`
	Reason   string  `json:"reason,omitempty"`
	WaitedMS float64 `json:"waited_for_lock_ms"`
}

// Race is two bookings of the same member made at the same moment.
type Race struct {
	Transaction   bool      `json:"transaction"`
	MemberID      int64     `json:"member_id"`
	FlightNo      string    `json:"flight_no"`
	Price         int64     `json:"price_miles"`
	StartMiles    int64     `json:"start_miles"`
	Attempts      []Attempt `json:"attempts"`
	Bookings      int       `json:"bookings_made"`
	FinalMiles    int64     `json:"final_miles"`
	ExpectedMiles int64     `json:"expected_miles"`
	LostMiles     int64     `json:"lost_miles"`
}

// raceMember is the member whose miles the race spends.
const raceMember = 7

// thinkTime is the pause between reading the balance and writing the new
// one: the app checking fare rules. It makes the race window wide enough
// to hit on every run, as a slow network or a busy server would.
const thinkTime = 30 * time.Millisecond

// DoubleBooking gives a member enough miles for one flight, then books it
// twice at the same moment, once on each connection. Without a transaction
// both read the same balance and both succeed (a lost update); with
// BEGIN IMMEDIATE the second waits for the first and is refused.
func (a *App) DoubleBooking(ctx context.Context, connA, connB querier, transaction bool) (Race, error) {
	ctx, span := a.step(ctx, "two bookings at once", attribute.Bool("engineroom.transaction", transaction))
	defer span.End()
	r := Race{Transaction: transaction, MemberID: raceMember}
	setupCtx, setup := a.step(ctx, "set up: give the member miles for one flight")
	flight, err := connA.Query(setupCtx, `SELECT id, flight_no, miles_price FROM flights
WHERE miles_price BETWEEN 20000 AND 60000 ORDER BY id LIMIT 1`)
	if err == nil && len(flight.Values) == 0 {
		err = fmt.Errorf("%w: no flight costs between 20,000 and 60,000 miles", ErrMissingData)
	}
	if err != nil {
		setup.End()
		return r, fail(span, err)
	}
	flightID := sandbox.AsInt(flight.Values[0][0])
	r.FlightNo, r.Price = sandbox.AsString(flight.Values[0][1]), sandbox.AsInt(flight.Values[0][2])
	r.StartMiles = r.Price + r.Price/2
	if _, err := connA.Exec(setupCtx, `UPDATE members SET miles = ? WHERE id = ?`, r.StartMiles, raceMember); err != nil {
		setup.End()
		return r, fail(span, err)
	}
	setup.End()

	r.Attempts = []Attempt{{Conn: "A"}, {Conn: "B"}}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, db := range []querier{connA, connB} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			a.book(ctx, db, &r.Attempts[i], flightID, r.Price, transaction)
		}()
	}
	close(start)
	wg.Wait()

	for _, at := range r.Attempts {
		if at.Booked {
			r.Bookings++
		}
	}
	if r.FinalMiles, err = oneInt(ctx, connA, `SELECT miles FROM members WHERE id = ?`, raceMember); err != nil {
		return r, fail(span, err)
	}
	r.ExpectedMiles = r.StartMiles - int64(r.Bookings)*r.Price
	r.LostMiles = r.FinalMiles - r.ExpectedMiles
	span.SetAttributes(attribute.Int("engineroom.bookings", r.Bookings), attribute.Int64("engineroom.lost_miles", r.LostMiles))
	return r, nil
}

// book is one booking request: read the balance, check it, write the new
// balance, the booking and the ledger entry.
func (a *App) book(ctx context.Context, db querier, at *Attempt, flightID, price int64, transaction bool) {
	ctx, span := a.step(ctx, "booking "+at.Conn)
	defer span.End()
	refuse := func(reason string) {
		at.Reason = reason
		span.SetAttributes(attribute.String("engineroom.refused", reason))
		if transaction {
			_, _ = db.Exec(ctx, "ROLLBACK")
		}
	}
	if transaction {
		start := time.Now()
		if _, err := db.Exec(ctx, "BEGIN IMMEDIATE"); err != nil {
			at.Reason = err.Error()
			return
		}
		at.WaitedMS = msSince(start)
	}
	miles, err := oneInt(ctx, db, `SELECT miles FROM members WHERE id = ?`, raceMember)
	if err != nil {
		refuse(err.Error())
		return
	}
	at.SawMiles = miles
	_, think := a.step(ctx, fmt.Sprintf("check fare rules (%d ms)", thinkTime.Milliseconds()))
	select {
	case <-time.After(thinkTime):
	case <-ctx.Done():
	}
	think.End()
	if miles < price {
		refuse(fmt.Sprintf("not enough miles: %d, the flight costs %d", miles, price))
		return
	}
	now := time.Now().UTC().Format("2006-01-02 15:04")
	steps := []struct {
		query string
		args  []any
	}{
		{`UPDATE members SET miles = ? WHERE id = ?`, []any{miles - price, raceMember}},
		{`INSERT INTO bookings (member_id, flight_id, status, paid_miles, booked_at) VALUES (?, ?, 'confirmed', ?, ?)`, []any{raceMember, flightID, price, now}},
		{`INSERT INTO miles_transactions (member_id, delta, reason, at) VALUES (?, ?, 'booking', ?)`, []any{raceMember, -price, now}},
	}
	for _, s := range steps {
		if _, err := db.Exec(ctx, s.query, s.args...); err != nil {
			refuse(err.Error())
			return
		}
	}
	if transaction {
		if _, err := db.Exec(ctx, "COMMIT"); err != nil {
			refuse(err.Error())
			return
		}
	}
	at.Booked = true
}

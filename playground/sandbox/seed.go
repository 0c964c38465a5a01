package sandbox

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// Seed volumes. They are large enough that a missing index shows up in the
// query plan and in the timings, and small enough to keep the template image
// around 2 MiB.
const (
	seedRoutes    = 205
	seedMembers   = 2000
	seedCustomers = 800
	seedProducts  = 320
	seedOrders    = 5000
)

// SeededBookings is how many bookings the demo data starts with, ids 1 to
// SeededBookings in the order they were booked.
const SeededBookings = 20000

// seedNow is "today" inside the demo data: flights before it have flown.
func seedNow() time.Time { return time.Date(2026, 4, 15, 12, 0, 0, 0, time.UTC) }

const (
	minuteLayout = "2006-01-02 15:04"
	dateLayout   = "2006-01-02"
)

// seeder fills the demo tables inside one transaction from a fixed-seed
// random source, so every template image is byte-for-byte the same.
type seeder struct {
	ctx context.Context
	tx  *sql.Tx
	rng *rand.Rand
}

func (s *seeder) run() error {
	flights, err := s.airline()
	if err != nil {
		return err
	}
	if err := s.members(flights); err != nil {
		return err
	}
	if err := s.shop(); err != nil {
		return err
	}
	return s.users()
}

// flight is what the booking generator needs to know about a seeded flight.
type flight struct {
	departs time.Time
	miles   int
}

func (s *seeder) airline() ([]flight, error) {
	aps := airports()
	ab := s.batch("airports", "code", "city", "country")
	for _, a := range aps {
		if err := ab.add(a.code, a.city, a.country); err != nil {
			return nil, err
		}
	}
	if err := ab.flush(); err != nil {
		return nil, err
	}
	type route struct{ from, to int }
	seen := map[route]bool{}
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var flights []flight
	fb := s.batch("flights", "flight_no", "origin", "destination", "departs_at", "arrives_at", "seats", "miles_price")
	for n := 0; n < seedRoutes; {
		r := route{s.rng.IntN(len(aps)), s.rng.IntN(len(aps))}
		if r.from == r.to || seen[r] {
			continue
		}
		seen[r] = true
		n++
		from, to := aps[r.from], aps[r.to]
		minutes, miles := routeBase(from.region, to.region)
		minutes += s.rng.IntN(61) - 30
		miles += 500 * (s.rng.IntN(9) - 4)
		flightNo := fmt.Sprintf("ER%d", 100+n*3)
		dep := start.Add(time.Duration(5*60+5*s.rng.IntN(216)) * time.Minute)
		every := 3 + s.rng.IntN(6)
		for ; dep.Before(start.AddDate(0, 4, 0)); dep = dep.AddDate(0, 0, every) {
			seats := s.rng.IntN(181)
			if s.rng.IntN(20) == 0 {
				seats = 0
			}
			arr := dep.Add(time.Duration(minutes) * time.Minute)
			if err := fb.add(flightNo, from.code, to.code, dep.Format(minuteLayout), arr.Format(minuteLayout), seats, miles); err != nil {
				return nil, err
			}
			flights = append(flights, flight{departs: dep, miles: miles})
		}
	}
	return flights, fb.flush()
}

// booking is generated first and inserted in booked_at order, so booking ids
// grow with time and the miles ledger never goes negative along the way.
type booking struct {
	member, flight int
	at             time.Time
}

func (s *seeder) members(flights []flight) error {
	first, last := firstNames(), lastNames()
	names := make([]string, seedMembers)
	balance := make([]int, seedMembers)
	ledger := s.batch("miles_transactions", "member_id", "delta", "reason", "at")
	mb := s.batch("members", "name", "email", "tier", "miles", "joined_on")
	for i := range names {
		names[i] = first[s.rng.IntN(len(first))] + " " + last[s.rng.IntN(len(last))]
	}
	// The first members are the people behind the demo logins (see users).
	copy(names, []string{"Alice Martin", "Bob Nguyen", "Carol Okafor", "Dave Svensson", "Erin Kowalski"})
	joined := make([]time.Time, seedMembers)
	for i := range joined {
		joined[i] = time.Date(2014, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, s.rng.IntN(4300))
	}
	// Every member starts the year with the balance earned before it;
	// bookings paid with miles and their refunds follow in the ledger.
	type credit struct {
		member, delta int
		reason, at    string
	}
	var credits []credit
	opening := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Format(dateLayout)
	for i := range seedMembers {
		balance[i] = 1000 * (2 + s.rng.IntN(12)*s.rng.IntN(12))
		credits = append(credits, credit{i, balance[i], "opening balance", opening})
	}
	bookings := make([]booking, SeededBookings)
	for i := range bookings {
		// Three bookings in ten come from the 200 frequent flyers.
		member := s.rng.IntN(seedMembers)
		if s.rng.IntN(10) < 3 {
			member = s.rng.IntN(200)
		}
		f := s.rng.IntN(len(flights))
		at := flights[f].departs.Add(-time.Duration(2+s.rng.IntN(60*24)) * time.Hour)
		if at.After(seedNow()) {
			at = seedNow().Add(-time.Duration(s.rng.IntN(24*14)) * time.Hour)
		}
		bookings[i] = booking{member: member, flight: f, at: at}
	}
	slices.SortStableFunc(bookings, func(a, b booking) int { return a.at.Compare(b.at) })
	type row struct {
		b      booking
		status string
		paid   int
	}
	rows := make([]row, len(bookings))
	var redemptions []credit
	for i, b := range bookings {
		r := row{b: b, status: "confirmed"}
		if flights[b.flight].departs.Before(seedNow()) {
			r.status = "flown"
		}
		if s.rng.IntN(11) == 0 {
			r.status = "cancelled"
		}
		price := flights[b.flight].miles
		if s.rng.IntN(5) == 0 && balance[b.member] >= price {
			r.paid = price
			balance[b.member] -= price
			redemptions = append(redemptions, credit{b.member, -price, fmt.Sprintf("booking %d", i+1), b.at.Format(dateLayout)})
			if r.status == "cancelled" {
				balance[b.member] += price
				redemptions = append(redemptions, credit{b.member, price, fmt.Sprintf("refund %d", i+1), b.at.Add(24 * time.Hour).Format(dateLayout)})
			}
		}
		rows[i] = r
	}
	for i, name := range names {
		email := strings.ToLower(strings.ReplaceAll(name, " ", ".")) + fmt.Sprintf("%d@example.%s", i+1, []string{"com", "org", "net"}[i%3])
		if i < len(demoUsers())-1 {
			email = demoUsers()[i] + "@example.com"
		}
		tier := "blue"
		switch x := s.rng.IntN(100); {
		case x < 3:
			tier = "platinum"
		case x < 15:
			tier = "gold"
		case x < 40:
			tier = "silver"
		}
		if err := mb.add(name, email, tier, balance[i], joined[i].Format(dateLayout)); err != nil {
			return err
		}
	}
	if err := mb.flush(); err != nil {
		return err
	}
	bb := s.batch("bookings", "member_id", "flight_id", "status", "paid_miles", "booked_at")
	for _, r := range rows {
		if err := bb.add(r.b.member+1, r.b.flight+1, r.status, r.paid, r.b.at.Format(dateLayout)); err != nil {
			return err
		}
	}
	if err := bb.flush(); err != nil {
		return err
	}
	all := append(credits, redemptions...)
	slices.SortStableFunc(all, func(a, b credit) int { return cmp.Compare(a.at, b.at) })
	for _, c := range all {
		if err := ledger.add(c.member+1, c.delta, c.reason, c.at); err != nil {
			return err
		}
	}
	return ledger.flush()
}

package upstream

import (
	"math/rand/v2"
	"time"
)

// Limits of the reservation system.
const (
	// MaxFlightID is the largest flight id; ids start at 1.
	MaxFlightID = 1_000_000
	// MaxHoldSeats caps the seats of one hold.
	MaxHoldSeats = 9
	// MaxHolds caps the holds kept per account. Finished holds (confirmed,
	// released, expired) are dropped oldest first to make room; when all
	// are still held, a new hold is refused with 429.
	MaxHolds = 100
	// maxFlights caps the flights whose seats an account has changed;
	// beyond it the least recently used flight without live holds
	// forgets its bookings and starts again from its first count.
	maxFlights = 1_000
)

// Hold statuses.
const (
	HoldHeld      = "held"
	HoldConfirmed = "confirmed" // the seats are taken for good
	HoldReleased  = "released"  // the seats went back
	HoldExpired   = "expired"   // HoldTTL passed first; the seats went back
)

// ReservationOptions configures a Reservations. Zero values mean the
// documented default.
type ReservationOptions struct {
	// Seed seeds every random decision: the seats each flight starts
	// with, hold ids, jitter and error_rate faults.
	Seed uint64
	// Now is the clock of holds and their expiry, created times and
	// idempotency keys. Default time.Now.
	Now func() time.Time
	// HoldTTL is how long a hold keeps its seats unless confirmed.
	// Default 10 minutes.
	HoldTTL time.Duration
	// MaxHang caps how long the hang fault holds a request. Default 30s.
	MaxHang time.Duration
	// IdempotencyTTL is how long an idempotency key is remembered, on the
	// Now clock. Default 24h.
	IdempotencyTTL time.Duration
	// MaxIdempotencyKeys caps the keys remembered per account; the oldest
	// are dropped first. Default 10,000.
	MaxIdempotencyKeys int
	// MaxAccounts caps the accounts kept; the least recently used one is
	// dropped (with its holds and bookings) to make room. Default 10,000.
	MaxAccounts int
}

// Reservations is a simulated flight reservation system serving HTTP on
// a loopback port. Each account sees its own seat inventory: a flight
// starts with the same 0 to 9 free seats (0: sold out) for everyone,
// given the Seed, and only that account's holds change it.
type Reservations struct {
	svc     *service[*inventory]
	holdTTL time.Duration
}

// Hold is a hold on seats as the API shows it.
type Hold struct {
	ID        string `json:"id"`
	FlightID  int    `json:"flight_id"`
	Seats     int    `json:"seats"`
	Status    string `json:"status"`
	Created   int64  `json:"created"`
	ExpiresAt int64  `json:"expires_at"`

	expires time.Time
}

// Availability is the body of GET /v1/flights/{id}/availability.
type Availability struct {
	FlightID       int `json:"flight_id"`
	SeatsAvailable int `json:"seats_available"`
}

// StartReservations starts a reservation system on a free loopback port.
func StartReservations(opts ReservationOptions) (*Reservations, error) {
	if opts.HoldTTL <= 0 {
		opts.HoldTTL = 10 * time.Minute
	}
	res := &Reservations{holdTTL: opts.HoldTTL}
	seed := opts.Seed
	res.svc = newService("reservation system", config{
		seed: opts.Seed, now: opts.Now, maxHang: opts.MaxHang, idempotencyTTL: opts.IdempotencyTTL,
		maxIdemKeys: opts.MaxIdempotencyKeys, maxAccounts: opts.MaxAccounts,
	}, func() *inventory { return newInventory(seed) })
	if err := res.svc.start(res.routes()); err != nil {
		return nil, err
	}
	return res, nil
}

// routes is the reservation system's route table (the service adds
// /v1/faults).
func (res *Reservations) routes() []route[*inventory] {
	return []route[*inventory]{
		{"GET /v1/flights/{id}/availability", res.getAvailability},
		{"POST /v1/holds", res.createHold},
		{"GET /v1/holds/{id}", res.getHold},
		{"DELETE /v1/holds/{id}", res.releaseHold},
		{"POST /v1/holds/{id}/confirm", res.confirmHold},
	}
}

// URL is the reservation system's base URL, http://127.0.0.1:<port>.
func (res *Reservations) URL() string { return res.svc.url }

// Close stops the server, releases held requests and waits for the
// server's goroutines. It is safe to call more than once.
func (res *Reservations) Close() error { return res.svc.close() }

// initialSeats is the free seats flight id starts with: 0 to 9, drawn
// from seed and id alone, so a flight starts the same for every account.
func initialSeats(seed uint64, id int) int {
	return rand.New(rand.NewPCG(seed, 0xf1187^uint64(id))).IntN(MaxHoldSeats + 1)
}

package upstream

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// inventory is one account's view of the seats: what its holds changed.
type inventory struct {
	seed    uint64
	flights map[int]*flight
	holds   map[string]*Hold
	order   []*Hold // the holds, oldest first
	uses    uint64  // counts flight look-ups, ordering them for the LRU cap
}

// flight is the seats an account holds and took on one flight.
type flight struct {
	held, confirmed int
	lastUse         uint64
}

func newInventory(seed uint64) *inventory {
	return &inventory{seed: seed, flights: make(map[int]*flight), holds: make(map[string]*Hold)}
}

// available is the free seats of flight id.
func (v *inventory) available(id int) int {
	n := initialSeats(v.seed, id)
	if f, ok := v.flights[id]; ok {
		n -= f.held + f.confirmed
	}
	return n
}

// flight returns the record of flight id, creating it on first use. At
// the cap it first forgets the least recently used flight without live
// holds (one exists: live holds are fewer than maxFlights).
func (v *inventory) flight(id int) *flight {
	v.uses++
	f, ok := v.flights[id]
	if !ok {
		if len(v.flights) >= maxFlights {
			oldest, at := 0, uint64(0)
			for k, f := range v.flights {
				if f.held == 0 && (oldest == 0 || f.lastUse < at) {
					oldest, at = k, f.lastUse
				}
			}
			delete(v.flights, oldest)
		}
		f = &flight{}
		v.flights[id] = f
	}
	f.lastUse = v.uses
	return f
}

// expire gives back the seats of the holds whose time is up at now.
func (v *inventory) expire(now time.Time) {
	for _, h := range v.order {
		if h.Status == HoldHeld && !now.Before(h.expires) {
			h.Status = HoldExpired
			v.flights[h.FlightID].held -= h.Seats
		}
	}
}

// makeRoom makes room for one more hold, dropping the oldest finished
// one at the cap; it reports false when every hold is still held.
func (v *inventory) makeRoom() bool {
	if len(v.holds) < MaxHolds {
		return true
	}
	for i, h := range v.order {
		if h.Status != HoldHeld {
			delete(v.holds, h.ID)
			v.order = append(v.order[:i], v.order[i+1:]...)
			return true
		}
	}
	return false
}

// getAvailability shows the free seats of a flight.
func (res *Reservations) getAvailability(r *http.Request, a *account[*inventory], _ []byte) response {
	id, err := strconv.Atoi(r.PathValue("id"))
	if err != nil || id < 1 || id > MaxFlightID {
		return notFound("flight")
	}
	a.state.expire(res.svc.now())
	return jsonResponse(http.StatusOK, Availability{FlightID: id, SeatsAvailable: a.state.available(id)})
}

// createHold holds seats on a flight for HoldTTL.
func (res *Reservations) createHold(_ *http.Request, a *account[*inventory], body []byte) response {
	var req struct {
		FlightID *int `json:"flight_id"`
		Seats    *int `json:"seats"`
	}
	if e := decode(body, &req, false); e != nil {
		return *e
	}
	switch {
	case req.FlightID == nil:
		return errorResponse(http.StatusBadRequest, "missing_field", "flight_id is required", "flight_id")
	case *req.FlightID < 1 || *req.FlightID > MaxFlightID:
		return errorResponse(http.StatusBadRequest, "invalid_flight_id",
			"flight_id must be between 1 and 1000000", "flight_id")
	case req.Seats == nil:
		return errorResponse(http.StatusBadRequest, "missing_field", "seats is required", "seats")
	case *req.Seats < 1 || *req.Seats > MaxHoldSeats:
		return errorResponse(http.StatusBadRequest, "invalid_seats", "seats must be between 1 and 9", "seats")
	}
	now, v, id, seats := res.svc.now(), a.state, *req.FlightID, *req.Seats
	v.expire(now)
	if left := v.available(id); seats > left {
		return errorResponse(http.StatusConflict, "sold_out",
			fmt.Sprintf("flight %d has %d seats available", id, left), "seats")
	}
	if !v.makeRoom() {
		return errorResponse(http.StatusTooManyRequests, "too_many_holds",
			"this account has 100 holds in progress; confirm or release some first", "")
	}
	h := &Hold{ID: randomID("hold", a.rng), FlightID: id, Seats: seats, Status: HoldHeld,
		Created: unix(now), ExpiresAt: unix(now.Add(res.holdTTL)), expires: now.Add(res.holdTTL)}
	v.flight(id).held += seats
	v.holds[h.ID] = h
	v.order = append(v.order, h)
	return jsonResponse(http.StatusCreated, h)
}

// getHold shows one hold of the account.
func (res *Reservations) getHold(r *http.Request, a *account[*inventory], _ []byte) response {
	a.state.expire(res.svc.now())
	h, ok := a.state.holds[r.PathValue("id")]
	if !ok {
		return notFound("hold")
	}
	return jsonResponse(http.StatusOK, h)
}

// confirmHold takes a held hold's seats for good.
func (res *Reservations) confirmHold(r *http.Request, a *account[*inventory], body []byte) response {
	h, fail := res.change(r, a, body)
	if fail != nil {
		return *fail
	}
	if h.Status != HoldHeld {
		return errorResponse(http.StatusConflict, "invalid_state",
			"only a held hold can be confirmed; this one is "+h.Status, "")
	}
	f := a.state.flight(h.FlightID)
	f.held -= h.Seats
	f.confirmed += h.Seats
	h.Status = HoldConfirmed
	return jsonResponse(http.StatusOK, h)
}

// releaseHold gives a held hold's seats back. Releasing a released hold
// again changes nothing and answers the same.
func (res *Reservations) releaseHold(r *http.Request, a *account[*inventory], body []byte) response {
	h, fail := res.change(r, a, body)
	if fail != nil {
		return *fail
	}
	switch h.Status {
	case HoldHeld:
		a.state.flight(h.FlightID).held -= h.Seats
		h.Status = HoldReleased
	case HoldConfirmed:
		return errorResponse(http.StatusConflict, "invalid_state", "a confirmed hold cannot be released", "")
	}
	return jsonResponse(http.StatusOK, h)
}

// change finds the hold a confirm or release is about, refusing a body
// other than {} and a hold that expired.
func (res *Reservations) change(r *http.Request, a *account[*inventory], body []byte) (*Hold, *response) {
	var req struct{}
	if e := decode(body, &req, true); e != nil {
		return nil, e
	}
	a.state.expire(res.svc.now())
	h, ok := a.state.holds[r.PathValue("id")]
	if !ok {
		e := notFound("hold")
		return nil, &e
	}
	if h.Status == HoldExpired {
		e := errorResponse(http.StatusGone, "hold_expired", "the hold expired and its seats went back", "")
		return nil, &e
	}
	return h, nil
}

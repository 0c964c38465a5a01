package upstream

import (
	"fmt"
	"net/http"
	"testing"
)

func TestHoldsCapped(t *testing.T) {
	const seed = 14
	c := newClient(t, startReservations(t, ReservationOptions{Seed: seed}), "acct_many")
	var first Hold
	id := 1
	for n := 0; n < MaxHolds; id++ {
		for range initialSeats(seed, id) {
			if h := c.hold(id, 1); n == 0 {
				first = h
			}
			if n++; n == MaxHolds {
				break
			}
		}
	}
	for initialSeats(seed, id) == 0 { // an untouched flight with a free seat
		id++
	}
	one := fmt.Sprintf(`{"flight_id":%d,"seats":1}`, id)
	r := c.do("POST", "/v1/holds", "k", one)
	if e := r.apiError(t); r.status != http.StatusTooManyRequests || e.Code != "too_many_holds" {
		t.Fatalf("hold %d: status %d, body %s", MaxHolds+1, r.status, r.body)
	}
	c.do("DELETE", "/v1/holds/"+first.ID, "", "")
	if r := c.do("POST", "/v1/holds", "k", one); r.status != http.StatusCreated {
		t.Fatalf("after a release (same key, not kept after 429): status %d, body %s", r.status, r.body)
	}
	if r := c.do("GET", "/v1/holds/"+first.ID, "", ""); r.status != http.StatusNotFound {
		t.Errorf("the released hold was not dropped to make room: status %d", r.status)
	}
}

func TestFlightsCapped(t *testing.T) {
	v := newInventory(1)
	live := v.flight(1)
	live.held = 1
	for id := 2; id <= maxFlights+5; id++ {
		v.flight(id).confirmed = 1
	}
	if len(v.flights) != maxFlights || v.flights[1] != live {
		t.Fatalf("%d flights kept, live flight kept: %v", len(v.flights), v.flights[1] == live)
	}
	for id := 2; id <= 6; id++ {
		if _, ok := v.flights[id]; ok {
			t.Errorf("flight %d kept; the least recently used should go first", id)
		}
	}
}

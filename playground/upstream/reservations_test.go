package upstream

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// flightWith returns the first flight id starting with seats free seats
// for seed.
func flightWith(t *testing.T, seed uint64, seats int) int {
	t.Helper()
	for id := 1; id <= 1000; id++ {
		if initialSeats(seed, id) == seats {
			return id
		}
	}
	t.Fatalf("no flight with %d seats for seed %d", seats, seed)
	return 0
}

// seatsOf reads the free seats of a flight over HTTP.
func (c *client) seatsOf(id int) int {
	c.t.Helper()
	var av Availability
	r := c.do("GET", fmt.Sprintf("/v1/flights/%d/availability", id), "", "")
	if r.status != http.StatusOK {
		c.t.Fatalf("availability of %d: status %d, body %s", id, r.status, r.body)
	}
	r.into(c.t, &av)
	if av.FlightID != id {
		c.t.Fatalf("availability of %d shows flight %d", id, av.FlightID)
	}
	return av.SeatsAvailable
}

// hold holds seats on a flight and returns the hold.
func (c *client) hold(id, seats int) Hold {
	c.t.Helper()
	r := c.do("POST", "/v1/holds", "", fmt.Sprintf(`{"flight_id":%d,"seats":%d}`, id, seats))
	if r.status != http.StatusCreated {
		c.t.Fatalf("hold %d on %d: status %d, body %s", seats, id, r.status, r.body)
	}
	var h Hold
	r.into(c.t, &h)
	return h
}

func TestAvailabilityDeterministic(t *testing.T) {
	count := func(seed uint64, token string) []int {
		c := newClient(t, startReservations(t, ReservationOptions{Seed: seed}), token)
		var out []int
		for id := 1; id <= 30; id++ {
			out = append(out, c.seatsOf(id))
		}
		return out
	}
	a, b, other := count(7, "alice"), count(7, "bob"), count(8, "alice")
	full := 0
	for i := range a {
		if a[i] != b[i] || a[i] != initialSeats(7, i+1) {
			t.Errorf("flight %d: %d for alice, %d for bob, %d initially", i+1, a[i], b[i], initialSeats(7, i+1))
		}
		if a[i] < 0 || a[i] > MaxHoldSeats {
			t.Errorf("flight %d starts with %d seats", i+1, a[i])
		}
		if a[i] == 0 {
			full++
		}
	}
	if full == 0 || full == len(a) || fmt.Sprint(a) == fmt.Sprint(other) {
		t.Errorf("seed 7 gives %v (%d full), seed 8 %v", a, full, other)
	}
	c := newClient(t, startReservations(t, ReservationOptions{}), "routes")
	for _, id := range []string{"0", "-1", "1000001", "abc", "1.5"} {
		r := c.do("GET", "/v1/flights/"+id+"/availability", "", "")
		if e := r.apiError(t); r.status != http.StatusNotFound || e.Code != "not_found" || e.Field != "id" {
			t.Errorf("flight %q: status %d, error %+v", id, r.status, e)
		}
	}
}

func TestCreateHold(t *testing.T) {
	clock := newClock()
	const seed = 11
	res := startReservations(t, ReservationOptions{Seed: seed, Now: clock.Now, HoldTTL: 5 * time.Minute})
	c := newClient(t, res, "acct_hold")
	nine, full := flightWith(t, seed, 9), flightWith(t, seed, 0)
	tests := []struct {
		name   string
		body   string
		status int
		code   string
		field  string
		left   int // seats left on flight nine afterwards
	}{
		{"hold 4", fmt.Sprintf(`{"flight_id":%d,"seats":4}`, nine), 201, "", "", 5},
		{"hold 5 more", fmt.Sprintf(`{"flight_id":%d,"seats":5}`, nine), 201, "", "", 0},
		{"sold out", fmt.Sprintf(`{"flight_id":%d,"seats":1}`, nine), 409, "sold_out", "seats", 0},
		{"full from the start", fmt.Sprintf(`{"flight_id":%d,"seats":1}`, full), 409, "sold_out", "seats", 0},
		{"flight missing", `{"seats":1}`, 400, "missing_field", "flight_id", 0},
		{"flight zero", `{"flight_id":0,"seats":1}`, 400, "invalid_flight_id", "flight_id", 0},
		{"flight too big", `{"flight_id":1000001,"seats":1}`, 400, "invalid_flight_id", "flight_id", 0},
		{"flight a string", `{"flight_id":"7","seats":1}`, 400, "invalid_type", "flight_id", 0},
		{"seats missing", fmt.Sprintf(`{"flight_id":%d}`, nine), 400, "missing_field", "seats", 0},
		{"seats zero", fmt.Sprintf(`{"flight_id":%d,"seats":0}`, nine), 400, "invalid_seats", "seats", 0},
		{"seats ten", fmt.Sprintf(`{"flight_id":%d,"seats":10}`, nine), 400, "invalid_seats", "seats", 0},
		{"seats a fraction", fmt.Sprintf(`{"flight_id":%d,"seats":1.5}`, nine), 400, "invalid_type", "seats", 0},
		{"unknown field", fmt.Sprintf(`{"flight_id":%d,"seats":1,"class":"F"}`, nine), 400, "unknown_field", "class", 0},
		{"not json", `flight_id=1`, 400, "invalid_json", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.do("POST", "/v1/holds", "", tt.body)
			if r.status != tt.status {
				t.Fatalf("status = %d, want %d (body %s)", r.status, tt.status, r.body)
			}
			if tt.status == 201 {
				var h Hold
				r.into(t, &h)
				now := clock.Now()
				if !strings.HasPrefix(h.ID, "hold_") || h.FlightID != nine || h.Status != HoldHeld || h.Seats < 4 ||
					h.Created != now.Unix() || h.ExpiresAt != now.Add(5*time.Minute).Unix() {
					t.Errorf("hold = %+v", h)
				}
			} else if e := r.apiError(t); e.Code != tt.code || e.Field != tt.field || e.Message == "" {
				t.Errorf("error = %+v, want code %q field %q", e, tt.code, tt.field)
			}
			if got := c.seatsOf(nine); got != tt.left {
				t.Errorf("seats left = %d, want %d", got, tt.left)
			}
		})
	}
	if got := newClient(t, res, "acct_hold_other").seatsOf(nine); got != 9 {
		t.Errorf("another account sees %d seats, want 9", got)
	}
}

func TestHoldLifecycle(t *testing.T) {
	clock := newClock()
	const seed = 12
	res := startReservations(t, ReservationOptions{Seed: seed, Now: clock.Now})
	c := newClient(t, res, "acct_life")
	id := flightWith(t, seed, 9)
	kept, let, lapsed := c.hold(id, 2), c.hold(id, 3), c.hold(id, 4)
	path := func(h Hold) string { return "/v1/holds/" + h.ID }
	steps := []struct {
		name         string
		advance      time.Duration
		method, path string
		body         string
		status       int
		code         string
		hold         Hold   // whose status is checked afterwards
		state        string // its status afterwards
		seatsAfter   int
	}{
		{"confirm", 0, "POST", path(kept) + "/confirm", "", 200, "", kept, HoldConfirmed, 0},
		{"confirm twice", 0, "POST", path(kept) + "/confirm", "{}", 409, "invalid_state", kept, HoldConfirmed, 0},
		{"confirm with a body", 0, "POST", path(let) + "/confirm", `{"seats":1}`, 400, "unknown_field", let, HoldHeld, 0},
		{"release a confirmed hold", 0, "DELETE", path(kept), "", 409, "invalid_state", kept, HoldConfirmed, 0},
		{"release", 0, "DELETE", path(let), "", 200, "", let, HoldReleased, 3},
		{"release twice changes nothing", 0, "DELETE", path(let), "", 200, "", let, HoldReleased, 3},
		{"confirm a released hold", 0, "POST", path(let) + "/confirm", "", 409, "invalid_state", let, HoldReleased, 3},
		{"still held just before expiry", 10*time.Minute - time.Second, "GET", path(lapsed), "", 200, "", lapsed, HoldHeld, 3},
		{"expired on time", time.Second, "GET", path(lapsed), "", 200, "", lapsed, HoldExpired, 7},
		{"confirm after expiry", 0, "POST", path(lapsed) + "/confirm", "", 410, "hold_expired", lapsed, HoldExpired, 7},
		{"release after expiry", 0, "DELETE", path(lapsed), "", 410, "hold_expired", lapsed, HoldExpired, 7},
		{"confirmed seats stay taken", 24 * time.Hour, "GET", path(kept), "", 200, "", kept, HoldConfirmed, 7},
		{"unknown hold", 0, "GET", "/v1/holds/hold_0000000000000000", "", 404, "not_found", kept, HoldConfirmed, 7},
		{"confirm unknown hold", 0, "POST", "/v1/holds/nope/confirm", "", 404, "not_found", kept, HoldConfirmed, 7},
		{"release unknown hold", 0, "DELETE", "/v1/holds/nope", "", 404, "not_found", kept, HoldConfirmed, 7},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			clock.Add(s.advance)
			r := c.do(s.method, s.path, "", s.body)
			if r.status != s.status {
				t.Fatalf("status = %d, want %d (body %s)", r.status, s.status, r.body)
			}
			if s.code != "" {
				if e := r.apiError(t); e.Code != s.code {
					t.Errorf("code = %q, want %q", e.Code, s.code)
				}
			}
			var got Hold
			c.do("GET", path(s.hold), "", "").into(t, &got)
			want := s.hold
			want.Status = s.state
			if got != want {
				t.Errorf("hold = %+v, want %+v", got, want)
			}
			if n := c.seatsOf(id); n != s.seatsAfter {
				t.Errorf("seats left = %d, want %d", n, s.seatsAfter)
			}
		})
	}
	if r := newClient(t, res, "acct_life_other").do("GET", path(kept), "", ""); r.status != 404 {
		t.Errorf("another account reads the hold: status %d", r.status)
	}
}

func TestHoldIsIdempotent(t *testing.T) {
	const seed = 13
	c := newClient(t, startReservations(t, ReservationOptions{Seed: seed}), "acct_hold_idem")
	id := flightWith(t, seed, 9)
	body := fmt.Sprintf(`{"flight_id":%d,"seats":3}`, id)
	first := c.do("POST", "/v1/holds", "booking-7", body)
	retry := c.do("POST", "/v1/holds", "booking-7", body)
	if first.status != 201 || !bytes.Equal(first.body, retry.body) || retry.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retry: %d %s, first %d %s", retry.status, retry.body, first.status, first.body)
	}
	if n := c.seatsOf(id); n != 6 {
		t.Errorf("seats left = %d after a retried hold of 3, want 6", n)
	}
	var h Hold
	first.into(t, &h)
	confirm := "/v1/holds/" + h.ID + "/confirm"
	a, b := c.do("POST", confirm, "confirm-7", ""), c.do("POST", confirm, "confirm-7", "")
	if a.status != 200 || b.status != 200 || !bytes.Equal(a.body, b.body) || b.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("retried confirm: %d %s then %d %s", a.status, a.body, b.status, b.body)
	}
	if n := c.seatsOf(id); n != 6 {
		t.Errorf("seats left = %d after confirming, want 6", n)
	}
}

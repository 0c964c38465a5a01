package web_test

import (
	"net/http"
	"testing"

	"github.com/engineroom/engineroom/web"
)

// TestAPIIdempotencyKey covers what a POST with an Idempotency-Key
// answers, step by step for one visitor: the first request runs, a repeat
// gets its answer again without running, and only what the operation
// itself decided is kept.
func TestAPIIdempotencyKey(t *testing.T) {
	srv := newServer(t, web.Config{})
	sqlReady(t, srv)
	c := newClient(t, srv)
	other := newClient(t, srv)
	key := func(k string) http.Header { return hdr("Idempotency-Key", k) }
	const book = `{"member_id": 1, "flight_id": 42}`
	var first reply
	steps := []struct {
		name         string
		c            *client
		path, body   string
		header       http.Header
		setup        string // SQL run first
		wantStatus   int
		wantReplayed bool
		wantSame     bool // the same answer as the first booking
		wantType     string
		wantMiles    int64 // member 1's miles after the step
	}{
		{name: "first request", c: c, path: "/api/v1/bookings", body: book, header: key("k-1"), wantStatus: 201, wantMiles: 2000},
		{name: "repeat", c: c, path: "/api/v1/bookings", body: book, header: key("k-1"), wantStatus: 201, wantReplayed: true, wantSame: true, wantMiles: 2000},
		{name: "repeat, fields in another order", c: c, path: "/api/v1/bookings", body: "{\"flight_id\":42,\n \"member_id\":1}", header: key("k-1"),
			wantStatus: 422, wantType: keyReused, wantMiles: 2000},
		{name: "repeat, compacted", c: c, path: "/api/v1/bookings", body: `{"member_id":1,"flight_id":42}`, header: key("k-1"),
			wantStatus: 201, wantReplayed: true, wantSame: true, wantMiles: 2000},
		{name: "another body", c: c, path: "/api/v1/bookings", body: `{"member_id": 1, "flight_id": 43}`, header: key("k-1"),
			wantStatus: 422, wantType: keyReused, wantMiles: 2000},
		{name: "another endpoint", c: c, path: "/api/v1/orders", body: book, header: key("k-1"),
			wantStatus: 422, wantType: keyReused, wantMiles: 2000},
		{name: "another visitor, the same key", c: other, path: "/api/v1/bookings", body: book, header: key("k-1"), wantStatus: 201, wantMiles: 2000},
		{name: "no key runs again", c: c, path: "/api/v1/bookings", body: `{"member_id": 1, "flight_id": 1}`, setup: "UPDATE members SET miles = 50000 WHERE id = 1",
			wantStatus: 201, wantMiles: 50000 - 8500},
		{name: "a refusal is kept", c: c, path: "/api/v1/bookings", body: book, header: key("k-2"), setup: "UPDATE members SET miles = 100 WHERE id = 1",
			wantStatus: 409, wantType: notEnoughMiles, wantMiles: 100},
		{name: "and replayed", c: c, path: "/api/v1/bookings", body: book, header: key("k-2"), setup: "UPDATE members SET miles = 100000 WHERE id = 1",
			wantStatus: 409, wantReplayed: true, wantType: notEnoughMiles, wantMiles: 100000},
		{name: "bad input is not kept", c: c, path: "/api/v1/bookings", body: `{"member_id": 1}`, header: key("k-3"),
			wantStatus: 422, wantType: invalidBody, wantMiles: 100000},
		{name: "so the fixed body runs", c: c, path: "/api/v1/bookings", body: book, header: key("k-3"), wantStatus: 201, wantMiles: 100000 - 9500},
		{name: "trouble is not kept", c: c, path: "/api/v1/bookings", body: book, header: key("k-4"), setup: "DROP TABLE miles_transactions",
			wantStatus: 409, wantType: databaseChanged, wantMiles: 100000 - 9500},
		{name: "so a retry runs", c: c, path: "/api/v1/bookings", body: book, header: key("k-4"), setup: "CREATE TABLE miles_transactions (id INTEGER PRIMARY KEY, member_id INTEGER, delta INTEGER, reason TEXT, at TEXT)",
			wantStatus: 201, wantMiles: 100000 - 2*9500},
		{name: "the key twice", c: c, path: "/api/v1/bookings", body: book, header: hdr("Idempotency-Key", "a", "Idempotency-Key", "b"),
			wantStatus: 400, wantType: invalidParams, wantMiles: 100000 - 2*9500},
		{name: "an empty key", c: c, path: "/api/v1/bookings", body: book, header: key(""),
			wantStatus: 400, wantType: invalidParams, wantMiles: 100000 - 2*9500},
		{name: "an order", c: c, path: "/api/v1/orders", body: `{"customer_id": 1, "items": [{"product_id": 5, "quantity": 1}]}`, header: key("k-5"),
			wantStatus: 201, wantMiles: 100000 - 2*9500},
		{name: "the order again", c: c, path: "/api/v1/orders", body: `{"customer_id": 1, "items": [{"product_id": 5, "quantity": 1}]}`, header: key("k-5"),
			wantStatus: 201, wantReplayed: true, wantMiles: 100000 - 2*9500},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			sc := sqlClientFor(t, st.c)
			if st.setup != "" {
				sqlPost(t, sc, st.setup, false)
			}
			r := sc.postJSON(st.path, st.body, st.header)
			if r.StatusCode != st.wantStatus {
				t.Fatalf("status %d, want %d: %s", r.StatusCode, st.wantStatus, r.text)
			}
			if got := r.Header.Get("Idempotent-Replayed"); (got == "true") != st.wantReplayed || (got != "" && got != "true") {
				t.Errorf("Idempotent-Replayed = %q, want it set: %v", got, st.wantReplayed)
			}
			if st.wantType != "" {
				if p := decodeProblem(t, r); p.Type != st.wantType {
					t.Errorf("problem type %q, want %q: %s", p.Type, st.wantType, p.Detail)
				}
			}
			if first.Response == nil {
				first = r
			}
			if st.wantSame && (r.text != first.text || r.Header.Get("Location") != first.Header.Get("Location")) {
				t.Errorf("answer %s (Location %q), want the first one again: %s (Location %q)",
					r.text, r.Header.Get("Location"), first.text, first.Header.Get("Location"))
			}
			var m apiMember
			decodeJSON(t, sc.get("/api/v1/members/1", nil), &m)
			if st.c == c && m.Miles != st.wantMiles {
				t.Errorf("member 1 has %d miles, want %d", m.Miles, st.wantMiles)
			}
		})
	}
	var m apiMember
	decodeJSON(t, other.get("/api/v1/members/1", nil), &m)
	if m.Miles != 2000 {
		t.Errorf("the other visitor's member 1 has %d miles, want 2000: their key ran for them", m.Miles)
	}
}

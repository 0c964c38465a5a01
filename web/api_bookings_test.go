package web_test

import (
	"net/http"
	"slices"
	"strconv"
	"testing"

	"github.com/engineroom/engineroom/web"
)

type apiMember struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Email    string `json:"email"`
	Tier     string `json:"tier"`
	Miles    int64  `json:"miles"`
	JoinedOn string `json:"joined_on"`
}

type apiBooking struct {
	ID        int64     `json:"id"`
	MemberID  int64     `json:"member_id"`
	Status    string    `json:"status"`
	PaidMiles int64     `json:"paid_miles"`
	BookedAt  string    `json:"booked_at"`
	Flight    apiFlight `json:"flight"`
}

// airlineState is what a booking touches, read through the API and SQL.
type airlineState struct {
	miles, ledger, seats, bookings string
}

func readAirline(t *testing.T, c *client, member, flight int64) airlineState {
	t.Helper()
	m, f := strconv.FormatInt(member, 10), strconv.FormatInt(flight, 10)
	var mem apiMember
	decodeJSON(t, c.get("/api/v1/members/"+m, nil), &mem)
	return airlineState{
		miles:    strconv.FormatInt(mem.Miles, 10),
		ledger:   sqlScalar(t, c, "SELECT sum(delta) FROM miles_transactions WHERE member_id = "+m),
		seats:    sqlScalar(t, c, "SELECT seats FROM flights WHERE id = "+f),
		bookings: sqlScalar(t, c, "SELECT count(*) FROM bookings WHERE member_id = "+m),
	}
}

// TestAPIBookAndCancel books a flight with miles through the API and
// cancels it: the balance, the ledger, the seats and the bookings move
// together, each SQL step of the one transaction shows in the trace, and
// cancelling twice changes nothing the second time.
func TestAPIBookAndCancel(t *testing.T) {
	srv := newServer(t, web.Config{})
	sqlReady(t, srv)
	c := newClient(t, srv)
	before := readAirline(t, c, 1, 42)
	if before.miles != before.ledger {
		t.Fatalf("seeded member 1: miles %s, ledger %s", before.miles, before.ledger)
	}
	r := c.postJSON("/api/v1/bookings", `{"member_id": 1, "flight_id": 42}`, nil)
	if r.StatusCode != http.StatusCreated {
		t.Fatalf("status %d: %s", r.StatusCode, r.text)
	}
	var b apiBooking
	decodeJSON(t, r, &b)
	if r.Header.Get("Location") != "/api/v1/bookings/"+strconv.FormatInt(b.ID, 10) || r.Header.Get("Idempotent-Replayed") != "" {
		t.Errorf("Location %q, Idempotent-Replayed %q", r.Header.Get("Location"), r.Header.Get("Idempotent-Replayed"))
	}
	price := b.Flight.MilesPrice
	if b.MemberID != 1 || b.Status != "confirmed" || b.PaidMiles != price || b.Flight.ID != 42 || b.BookedAt == "" {
		t.Errorf("booking = %+v", b)
	}
	atoi := func(s string) int64 { n, _ := strconv.ParseInt(s, 10, 64); return n }
	after := readAirline(t, c, 1, 42)
	want := airlineState{strconv.FormatInt(atoi(before.miles)-price, 10), strconv.FormatInt(atoi(before.ledger)-price, 10),
		strconv.FormatInt(atoi(before.seats)-1, 10), strconv.FormatInt(atoi(before.bookings)+1, 10)}
	if after != want || strconv.FormatInt(b.Flight.SeatsLeft, 10) != after.seats {
		t.Errorf("after booking: %+v (the booking shows %d seats), want %+v", after, b.Flight.SeatsLeft, want)
	}
	if got := sqlTexts(storedTrace(t, c, r)); !slices.Equal(got, []string{
		"BEGIN IMMEDIATE",
		"SELECT miles FROM members WHERE id = ?",
		"SELECT f.id, f.flight_no, f.origin, o.city, f.destination, d.city,",
		"UPDATE members SET miles = miles - ? WHERE id = ? AND miles >= ?",
		"UPDATE flights SET seats = seats - 1 WHERE id = ? AND seats > 0",
		"INSERT INTO bookings (member_id, flight_id, status, paid_miles, booked_at)",
		"INSERT INTO miles_transactions (member_id, delta, reason, at) VALUES (?, ?, ?, ?)",
		"COMMIT",
	}) {
		t.Errorf("SQL spans of the booking:\n%q", got)
	}
	shown := c.get(r.Header.Get("Location"), nil)
	if shown.StatusCode != http.StatusOK || shown.text != r.text {
		t.Errorf("GET Location: status %d, body\n%s\nwant\n%s", shown.StatusCode, shown.text, r.text)
	}
	var list struct {
		Bookings   []apiBooking `json:"bookings"`
		NextCursor *string      `json:"next_cursor"`
	}
	decodeJSON(t, c.get("/api/v1/members/1/bookings?limit=1", nil), &list)
	if len(list.Bookings) != 1 || list.Bookings[0] != b || list.NextCursor == nil {
		t.Errorf("the member's newest booking = %+v, want %+v", list.Bookings, b)
	}

	del := c.send(http.MethodDelete, r.Header.Get("Location"), "", nil)
	var cancelled apiBooking
	decodeJSON(t, del, &cancelled)
	if del.StatusCode != http.StatusOK || cancelled.Status != "cancelled" || cancelled.ID != b.ID || cancelled.PaidMiles != price {
		t.Errorf("DELETE: status %d, booking %+v", del.StatusCode, cancelled)
	}
	back := readAirline(t, c, 1, 42)
	if back.miles != before.miles || back.ledger != before.ledger || back.seats != before.seats || back.bookings != after.bookings {
		t.Errorf("after cancelling: %+v, want the miles and the seat back: %+v", back, before)
	}
	if got := sqlTexts(storedTrace(t, c, del)); len(got) != 7 || got[0] != "BEGIN IMMEDIATE" || got[6] != "COMMIT" {
		t.Errorf("SQL spans of the cancellation:\n%q", got)
	}
	again := c.send(http.MethodDelete, r.Header.Get("Location"), "", nil)
	if again.StatusCode != http.StatusOK || again.text != del.text || readAirline(t, c, 1, 42) != back {
		t.Errorf("DELETE again: status %d, body %s; want the same answer and nothing changed", again.StatusCode, again.text)
	}
	if shown := c.get(r.Header.Get("Location"), nil); shown.text != del.text {
		t.Errorf("GET after DELETE = %s, want the cancelled booking", shown.text)
	}
}

// TestAPIBookingRefusals: a refused booking says why in the visitor's
// own numbers, rolls back, and changes nothing.
func TestAPIBookingRefusals(t *testing.T) {
	srv := newServer(t, web.Config{})
	sqlReady(t, srv)
	tests := []struct {
		name       string
		setup      string
		body       string
		wantStatus int
		wantType   string
		wantDetail string
	}{
		{name: "not enough miles", setup: "UPDATE members SET miles = 1200 WHERE id = 2", body: `{"member_id": 2, "flight_id": 42}`,
			wantStatus: 409, wantType: notEnoughMiles, wantDetail: "Member 2 has 1200 miles; flight ER106 costs 9500, so 8300 more are needed."},
		{name: "no seats", setup: "UPDATE flights SET seats = 0 WHERE id = 42", body: `{"member_id": 1, "flight_id": 42}`,
			wantStatus: 409, wantType: noSeats, wantDetail: "Flight ER106 departing 2026-04-10 05:45 has no seats left."},
		{name: "no such flight", body: `{"member_id": 1, "flight_id": 777777}`,
			wantStatus: 422, wantType: invalidBody, wantDetail: "There is no flight 777777 in your database."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, srv)
			if tt.setup != "" {
				sqlPost(t, c, tt.setup, false)
			}
			before := readAirline(t, c, 2, 42)
			r := c.postJSON("/api/v1/bookings", tt.body, nil)
			p := decodeProblem(t, r)
			if r.StatusCode != tt.wantStatus || p.Type != tt.wantType || p.Detail != tt.wantDetail {
				t.Errorf("status %d, problem %+v; want %d %s %q", r.StatusCode, p, tt.wantStatus, tt.wantType, tt.wantDetail)
			}
			if got := sqlTexts(storedTrace(t, c, r)); got[0] != "BEGIN IMMEDIATE" || got[len(got)-1] != "ROLLBACK" {
				t.Errorf("SQL spans = %q, want a transaction rolled back", got)
			}
			if after := readAirline(t, c, 2, 42); after != before {
				t.Errorf("a refused booking changed %+v to %+v", before, after)
			}
		})
	}
}

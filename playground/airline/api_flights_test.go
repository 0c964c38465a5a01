package airline

import (
	"context"
	"encoding/base64"
	"errors"
	"testing"

	"github.com/engineroom/engineroom/playground/sandbox"
)

// TestListFlightsPages walks every page of a filtered list and checks it
// against one unpaged query: same flights, in order, none twice.
func TestListFlightsPages(t *testing.T) {
	app, m := newAPIApp(t)
	ctx := context.Background()
	tests := []struct {
		name   string
		filter FlightFilter
		where  string
		args   []any
	}{
		{name: "origin", filter: FlightFilter{Origin: "LHR", Limit: 7}, where: "origin = ?", args: []any{"LHR"}},
		{name: "route", filter: FlightFilter{Origin: "LHR", Destination: "ORD", Limit: 3}, where: "origin = ? AND destination = ?", args: []any{"LHR", "ORD"}},
		{name: "date", filter: FlightFilter{Date: "2026-04-15", Limit: 10}, where: "departs_at LIKE '2026-04-15%'"},
		{name: "max miles", filter: FlightFilter{MaxMiles: 6000, Limit: 100}, where: "miles_price <= 6000"},
		{name: "nothing", filter: FlightFilter{Origin: "XXX"}, where: "origin = 'XXX'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := m.With(ctx, "v", func(ctx context.Context, db *sandbox.DB) error {
				want, err := db.Query(ctx, "SELECT id FROM flights WHERE "+tt.where+" ORDER BY departs_at, id", tt.args...)
				if err != nil {
					return err
				}
				if want.Truncated || len(want.Values) == 0 && tt.name != "nothing" {
					t.Fatalf("the filter matches %d flights (truncated %v): pick one that fits a result", len(want.Values), want.Truncated)
				}
				var got []int64
				f := tt.filter
				for pages := 0; ; pages++ {
					if pages > 500 {
						t.Fatal("the pages never end")
					}
					p, err := app.ListFlights(ctx, db, f)
					if err != nil {
						return err
					}
					if len(p.Flights) > f.Limit && f.Limit > 0 {
						t.Fatalf("page of %d flights, limit %d", len(p.Flights), f.Limit)
					}
					for _, fl := range p.Flights {
						if fl.FlightNo == "" || fl.Origin.City == "" || fl.Destination.City == "" || fl.MilesPrice <= 0 {
							t.Errorf("incomplete flight %+v", fl)
						}
						got = append(got, fl.ID)
					}
					if p.Next == "" {
						break
					}
					if len(p.Flights) != pageSize(f.Limit) {
						t.Errorf("a page with a next cursor has %d flights, want %d", len(p.Flights), pageSize(f.Limit))
					}
					c, err := DecodeFlightCursor(p.Next)
					if err != nil {
						t.Fatalf("decoding our own cursor %q: %v", p.Next, err)
					}
					f.After = &c
				}
				if len(got) != len(want.Values) {
					t.Fatalf("paged %d flights, the table has %d", len(got), len(want.Values))
				}
				for i, v := range want.Values {
					if got[i] != sandbox.AsInt(v[0]) {
						t.Fatalf("flight %d is id %d, want %d", i, got[i], sandbox.AsInt(v[0]))
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestFlightCursor(t *testing.T) {
	c := FlightCursor{DepartsAt: "2026-04-15 10:05", ID: 42}
	back, err := DecodeFlightCursor(c.Encode())
	if err != nil || back != c {
		t.Fatalf("round trip: %+v, %v; want %+v", back, err, c)
	}
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for _, bad := range []string{
		"", "!!!", "not base64 at all", c.Encode() + "=",
		enc("flights|2026-04-15 10:05"), enc("products|2026-04-15 10:05|42"), enc("flights||42"),
		enc("flights|2026-04-15 10:05|0"), enc("flights|2026-04-15 10:05|-1"), enc("flights|2026-04-15 10:05|042"),
		enc("flights|2026-04-15 10:05|99999999999999999999"), enc("flights|x|1|2"), enc("flights|\xff|1"),
		EncodeBookingCursor(42),
	} {
		if _, err := DecodeFlightCursor(bad); !errors.Is(err, ErrBadCursor) {
			t.Errorf("DecodeFlightCursor(%q) = %v, want ErrBadCursor", bad, err)
		}
	}
	if _, err := DecodeBookingCursor(c.Encode()); !errors.Is(err, ErrBadCursor) {
		t.Errorf("a flight cursor read as a booking cursor: %v", err)
	}
	if id, err := DecodeBookingCursor(EncodeBookingCursor(7)); id != 7 || err != nil {
		t.Errorf("booking cursor round trip: %d, %v", id, err)
	}
}

package airline

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/engineroom/engineroom/playground/sandbox"
)

// seededBookings finds, in the demo data, a booking of alice's (member
// 1), one of bob's (member 2), and an id no booking has.
func seededBookings(t *testing.T, m *sandbox.Manager, visitor string) (alices, bobs, none int64) {
	t.Helper()
	err := m.With(context.Background(), visitor, func(ctx context.Context, db *sandbox.DB) error {
		var err error
		if alices, err = oneInt(ctx, db, "SELECT min(id) FROM bookings WHERE member_id = 1"); err != nil {
			return err
		}
		if bobs, err = oneInt(ctx, db, "SELECT min(id) FROM bookings WHERE member_id = 2"); err != nil {
			return err
		}
		none, err = oneInt(ctx, db, "SELECT max(id) + 1 FROM bookings")
		return err
	})
	if err != nil || alices == 0 || bobs == 0 {
		t.Fatalf("finding seeded bookings: alice %d, bob %d, %v", alices, bobs, err)
	}
	return alices, bobs, none
}

func TestShowBooking(t *testing.T) {
	app, m := newAPIApp(t)
	alices, bobs, none := seededBookings(t, m, "idor")
	tests := []struct {
		name      string
		viewer    int64
		booking   int64
		check     bool
		wantErr   error // nil: shown
		wantOwner string
		wantYours bool
	}{
		{name: "own booking, unchecked", viewer: 1, booking: alices, wantOwner: "Alice Martin", wantYours: true},
		{name: "own booking, checked", viewer: 1, booking: alices, check: true, wantOwner: "Alice Martin", wantYours: true},
		{name: "bob's booking, unchecked: leaked", viewer: 1, booking: bobs, wantOwner: "Bob Nguyen"},
		{name: "bob's booking, checked: refused", viewer: 1, booking: bobs, check: true, wantErr: ErrNotYours},
		{name: "bob reads his own", viewer: 2, booking: bobs, check: true, wantOwner: "Bob Nguyen", wantYours: true},
		{name: "no member (staff) is refused", viewer: 0, booking: bobs, check: true, wantErr: ErrNotYours},
		{name: "missing, unchecked", viewer: 1, booking: none, wantErr: ErrNoSuchBooking},
		{name: "missing, checked", viewer: 1, booking: none, check: true, wantErr: ErrNoSuchBooking},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got ShownBooking
			err := m.With(context.Background(), "idor", func(ctx context.Context, db *sandbox.DB) error {
				var err error
				got, err = app.ShowBooking(ctx, db, tt.viewer, tt.booking, tt.check)
				return err
			})
			if tt.wantErr != nil {
				var r *Refusal
				if !errors.As(err, &r) || !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want a *Refusal wrapping %v", err, tt.wantErr)
				}
				// Not yours and not there read the same.
				if want := fmt.Sprintf("There is no booking %d.", tt.booking); r.Detail != want {
					t.Errorf("detail = %q, want %q", r.Detail, want)
				}
				if tt.wantErr == ErrNoSuchBooking && errors.Is(err, ErrNotYours) {
					t.Error("a missing booking is reported as another member's")
				}
				if got.Booking.ID != 0 || got.OwnerName != "" {
					t.Errorf("a refusal returned the booking: %+v", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Booking.ID != tt.booking || got.OwnerName != tt.wantOwner || got.Yours != tt.wantYours || got.Checked != tt.check {
				t.Errorf("got booking %d of %q, yours %v, checked %v; want %d of %q, %v, %v",
					got.Booking.ID, got.OwnerName, got.Yours, got.Checked, tt.booking, tt.wantOwner, tt.wantYours, tt.check)
			}
			if got.Booking.Flight.FlightNo == "" || got.Booking.Status == "" || got.Booking.BookedAt == "" {
				t.Errorf("incomplete booking %+v", got.Booking)
			}
		})
	}
	if !errors.Is(ErrNotYours, ErrNoSuchBooking) {
		t.Error("ErrNotYours does not wrap ErrNoSuchBooking: a handler mapping it would answer differently")
	}
}

func TestShowBookingSpans(t *testing.T) {
	_, m := newAPIApp(t)
	_, bobs, _ := seededBookings(t, m, "spans")
	tests := []struct {
		name      string
		check     bool
		wantSpans []string
		wantAttrs map[string]any // of the authorize span
	}{
		{name: "checked", check: true,
			wantSpans: []string{"load booking", fmt.Sprintf("authorize: is booking %d member 1's?", bobs), fmt.Sprintf("show booking %d", bobs)},
			wantAttrs: map[string]any{"engineroom.authz.owner_member_id": int64(2), "engineroom.authz.viewer_member_id": int64(1), "engineroom.authz.allowed": false}},
		{name: "unchecked", check: false,
			wantSpans: []string{"load booking", "load member", fmt.Sprintf("show booking %d", bobs)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := tracetest.NewSpanRecorder()
			app := New(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)).Tracer("test"))
			_ = m.With(context.Background(), "spans", func(ctx context.Context, db *sandbox.DB) error {
				_, err := app.ShowBooking(ctx, db, 1, bobs, tt.check)
				return err
			})
			var names []string
			for _, s := range rec.Ended() {
				names = append(names, s.Name())
				attrs := map[string]any{}
				for _, kv := range s.Attributes() {
					attrs[string(kv.Key)] = kv.Value.AsInterface()
				}
				switch {
				case s.Name() == fmt.Sprintf("show booking %d", bobs):
					if attrs["engineroom.authz.owner_checked"] != tt.check || attrs["engineroom.viewer_member_id"] != int64(1) {
						t.Errorf("show booking attributes = %v", attrs)
					}
				case tt.wantAttrs != nil && s.Name() == tt.wantSpans[1]:
					for k, v := range tt.wantAttrs {
						if attrs[k] != v {
							t.Errorf("%s = %v, want %v", k, attrs[k], v)
						}
					}
				}
			}
			if !slices.Equal(names, tt.wantSpans) {
				t.Errorf("spans ended = %v, want %v", names, tt.wantSpans)
			}
		})
	}
}

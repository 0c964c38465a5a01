package airline

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/engineroom/engineroom/playground/sandbox"
)

var reviewAt = time.Date(2026, 4, 16, 9, 30, 0, 0, time.UTC)

// reviewCount counts a flight's reviews in the visitor's sandbox.
func reviewCount(t *testing.T, m *sandbox.Manager, visitor string, flightID int64) int64 {
	t.Helper()
	var n int64
	err := m.With(context.Background(), visitor, func(ctx context.Context, db *sandbox.DB) error {
		var err error
		n, err = oneInt(ctx, db, "SELECT count(*) FROM reviews WHERE flight_id = ?", flightID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestLeaveReviewStoresTheTextAsTyped(t *testing.T) {
	app, m := newAPIApp(t)
	tests := []struct {
		name, author, body string
	}{
		{name: "script and onerror", author: "Mallory", body: `Great crew! <img src=x onerror="alert(document.cookie)"> <script>alert(1)</script>`},
		{name: "attribute breakout", author: `" onmouseover="alert(1)`, body: `'><svg onload=alert(1)>`},
		{name: "SQL in the text", author: "Bobby", body: `'); DROP TABLE reviews; --`},
		{name: "entities stay entities", author: "Ann &amp; Bo", body: "&lt;b&gt; is not <b>, &#34;"},
		{name: "line breaks and tabs", author: "Tab\tby", body: "line one\r\nline two\n\ttabbed"},
		{name: "unicode", author: "Zoë 🛫", body: "RTL \u202Egnp.exe\u202C and 漢字 and \u2028 separator"},
		{name: "longest", author: strings.Repeat("n", MaxAuthorLen), body: strings.Repeat("é", MaxReviewLen)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p ReviewPost
			err := m.With(context.Background(), "typed", func(ctx context.Context, db *sandbox.DB) error {
				var err error
				p, err = app.LeaveReview(ctx, db, 42, tt.author, tt.body, reviewAt)
				if err != nil {
					return err
				}
				res, err := db.Query(ctx, "SELECT author, body, created_at, flight_id FROM reviews WHERE id = ?", p.Review.ID)
				if err != nil {
					return err
				}
				v := res.Values[0]
				if sandbox.AsString(v[0]) != tt.author || sandbox.AsString(v[1]) != tt.body {
					t.Errorf("stored author %q, body %q; want them exactly as typed: %q, %q", v[0], v[1], tt.author, tt.body)
				}
				if sandbox.AsString(v[2]) != "2026-04-16 09:30:00" || sandbox.AsInt(v[3]) != 42 {
					t.Errorf("stored created_at %v, flight_id %v; want 2026-04-16 09:30:00, 42", v[2], v[3])
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			want := Review{ID: p.Review.ID, FlightID: 42, Author: tt.author, Body: tt.body, CreatedAt: "2026-04-16 09:30:00"}
			if p.Review != want || p.Review.ID <= 0 {
				t.Errorf("review = %+v, want %+v", p.Review, want)
			}
			if len(p.Latest) == 0 || p.Latest[0] != want {
				t.Errorf("latest[0] = %+v, want the review just left", p.Latest)
			}
			if p.Flight.ID != 42 || p.Flight.FlightNo != "ER106" || p.Flight.Origin.Code != "DUB" || p.Flight.Destination.Code != "OSL" {
				t.Errorf("flight = %+v, want 42, ER106 DUB → OSL", p.Flight)
			}
			if p.InsertSQL != insertReviewSQL || p.SelectSQL != latestReviewsSQL || strings.Contains(p.InsertSQL, tt.body) {
				t.Errorf("the SQL shown is not the parameterised statements: %q, %q", p.InsertSQL, p.SelectSQL)
			}
		})
	}
	if n := reviewCount(t, m, "typed", 42); n != int64(len(tests)) {
		t.Errorf("%d reviews of flight 42, want %d: the table survived every text", n, len(tests))
	}
}

func TestLeaveReviewLatestFirst(t *testing.T) {
	app, m := newAPIApp(t)
	var last ReviewPost
	err := m.With(context.Background(), "latest", func(ctx context.Context, db *sandbox.DB) error {
		if _, err := app.LeaveReview(ctx, db, 7, "Other flight", "Not on 42.", reviewAt); err != nil {
			return err
		}
		for i := range ReviewsShown + 2 {
			var err error
			last, err = app.LeaveReview(ctx, db, 42, "Traveller", strings.Repeat("★", i+1), reviewAt.Add(time.Duration(i)*time.Minute))
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(last.Latest) != ReviewsShown {
		t.Fatalf("%d latest reviews, want %d", len(last.Latest), ReviewsShown)
	}
	var bodies []string
	for i, r := range last.Latest {
		if r.FlightID != 42 {
			t.Errorf("latest[%d] is of flight %d, want 42 only", i, r.FlightID)
		}
		if i > 0 && r.ID >= last.Latest[i-1].ID {
			t.Errorf("latest[%d].id %d is not older than %d: want newest first", i, r.ID, last.Latest[i-1].ID)
		}
		bodies = append(bodies, r.Body)
	}
	want := []string{"★★★★★★★", "★★★★★★", "★★★★★", "★★★★", "★★★"}
	if !slices.Equal(bodies, want) {
		t.Errorf("latest bodies = %q, want %q", bodies, want)
	}
	if last.Latest[0].CreatedAt != "2026-04-16 09:36:00" {
		t.Errorf("newest created_at = %q, want 2026-04-16 09:36:00", last.Latest[0].CreatedAt)
	}
}

func TestLeaveReviewRefused(t *testing.T) {
	app, m := newAPIApp(t)
	tests := []struct {
		name         string
		flight       int64
		author, body string
		wantErr      error
		wantDetail   string
	}{
		{name: "empty name", flight: 42, author: "", body: "Fine.", wantErr: ErrBadReview, wantDetail: "Your name is empty"},
		{name: "blank name", flight: 42, author: " \t", body: "Fine.", wantErr: ErrBadReview, wantDetail: "Your name is empty"},
		{name: "empty review", flight: 42, author: "Ann", body: "", wantErr: ErrBadReview, wantDetail: "The review is empty"},
		{name: "blank review", flight: 42, author: "Ann", body: "\r\n  \n", wantErr: ErrBadReview, wantDetail: "The review is empty"},
		{name: "long name", flight: 42, author: strings.Repeat("a", MaxAuthorLen+1), body: "Fine.", wantErr: ErrBadReview, wantDetail: "longer than 40 characters"},
		{name: "long review", flight: 42, author: "Ann", body: strings.Repeat("a", MaxReviewLen+1), wantErr: ErrBadReview, wantDetail: "longer than 2000 characters"},
		{name: "no such flight", flight: 999999, author: "Ann", body: "Fine.", wantErr: ErrNoSuchFlight, wantDetail: "There is no flight 999999 in your database."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := m.With(context.Background(), "refused", func(ctx context.Context, db *sandbox.DB) error {
				_, err := app.LeaveReview(ctx, db, tt.flight, tt.author, tt.body, reviewAt)
				return err
			})
			var r *Refusal
			if !errors.Is(err, tt.wantErr) || !errors.As(err, &r) || !strings.Contains(r.Detail, tt.wantDetail) {
				t.Fatalf("err = %v, want a refusal %v saying %q", err, tt.wantErr, tt.wantDetail)
			}
		})
	}
	if n := reviewCount(t, m, "refused", 42); n != 0 {
		t.Errorf("%d reviews stored, want none", n)
	}
}

func TestLeaveReviewSpans(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tracer := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)).Tracer("test")
	app := New(tracer)
	_, m := newAPIApp(t)
	err := m.With(context.Background(), "spans", func(ctx context.Context, db *sandbox.DB) error {
		_, err := app.LeaveReview(ctx, db, 42, "Ann", "<b>hi</b>", reviewAt)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range rec.Ended() {
		names = append(names, s.Name())
		if s.Name() == "leave a review" {
			attrs := map[string]any{}
			for _, kv := range s.Attributes() {
				attrs[string(kv.Key)] = kv.Value.AsInterface()
			}
			if attrs["engineroom.flight_id"] != int64(42) || attrs["engineroom.review_chars"] != int64(9) || attrs["engineroom.review_id"] == nil {
				t.Errorf("leave a review attributes = %v", attrs)
			}
		}
	}
	if want := []string{"load flight", "leave a review"}; !slices.Equal(names, want) {
		t.Errorf("spans ended = %v, want %v (the SQL spans belong to the sandbox's own tracer)", names, want)
	}
}

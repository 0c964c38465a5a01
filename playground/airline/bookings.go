package airline

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/engineroom/engineroom/playground/sandbox"
)

// BookingLine is one row of the "recent bookings" page.
type BookingLine struct {
	ID       int64  `json:"id"`
	BookedAt string `json:"booked_at"`
	Member   string `json:"member"`
}

// Recent is the "recent bookings" page and what it cost the database.
type Recent struct {
	Strategy  string        `json:"strategy"`
	Lines     []BookingLine `json:"bookings"`
	Queries   int           `json:"queries"`
	ElapsedMS float64       `json:"elapsed_ms"`
}

// Strategies for loading recent bookings.
const (
	NPlusOne = "n+1"
	Join     = "join"
)

// RecentBookings loads the latest limit bookings with their members'
// names, either one query per booking (N+1) or with one JOIN. Booking ids
// grow with time, so the latest are the highest ids, which the primary key
// hands over in order: no sort of the whole table hides the difference
// between the two.
func (a *App) RecentBookings(ctx context.Context, db querier, limit int, strategy string) (Recent, error) {
	ctx, span := a.step(ctx, "load recent bookings ("+strategy+")", attribute.Int("engineroom.limit", limit))
	defer span.End()
	start := time.Now()
	r := Recent{Strategy: strategy}
	if strategy == Join {
		res, err := db.Query(ctx, `SELECT b.id, b.booked_at, m.name
FROM bookings b JOIN members m ON m.id = b.member_id
ORDER BY b.id DESC LIMIT ?`, limit)
		if err != nil {
			return r, fail(span, err)
		}
		r.Queries = 1
		for _, v := range res.Values {
			r.Lines = append(r.Lines, BookingLine{ID: sandbox.AsInt(v[0]), BookedAt: sandbox.AsString(v[1]), Member: sandbox.AsString(v[2])})
		}
	} else {
		res, err := db.Query(ctx, `SELECT id, booked_at, member_id
FROM bookings ORDER BY id DESC LIMIT ?`, limit)
		if err != nil {
			return r, fail(span, err)
		}
		r.Queries = 1
		for _, v := range res.Values {
			name, err := db.Query(ctx, `SELECT name FROM members WHERE id = ?`, sandbox.AsInt(v[2]))
			r.Queries++
			if err != nil {
				return r, fail(span, err)
			}
			line := BookingLine{ID: sandbox.AsInt(v[0]), BookedAt: sandbox.AsString(v[1])}
			if len(name.Values) > 0 {
				line.Member = sandbox.AsString(name.Values[0][0])
			}
			r.Lines = append(r.Lines, line)
		}
	}
	r.ElapsedMS = float64(time.Since(start).Microseconds()) / 1000
	span.SetAttributes(attribute.Int("engineroom.queries", r.Queries))
	return r, nil
}

package airline

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/engineroom/engineroom/playground/sandbox"
)

// A member's statement is a page of the airline app with a slow query
// planted in it: each of the latest trips carries its trip number, counted
// by a subquery that reads the whole bookings table once per trip. The
// testing-and-debugging lesson finds it in the trace and fixes it.

// The fixes the lesson offers.
const (
	FixNone    = "none"
	FixIndex   = "add an index on bookings(member_id)"
	FixRewrite = "rewrite with a window function"
)

// StatementFixes lists the fixes, the first doing nothing.
func StatementFixes() []string { return []string{FixNone, FixIndex, FixRewrite} }

// The statement's queries, in the order the page runs them. The page
// lists a member's three latest bookings: each costs the planted query
// one more read of the whole bookings table.
const (
	statementMemberSQL = `SELECT name, tier, miles FROM members WHERE id = ?`
	// statementTripsSQL is the planted slow query: the trip number is a
	// correlated subquery, run once for every row the outer query keeps.
	// Without an index on member_id the outer query walks bookings newest
	// first until it has three of the member's, and every run of the
	// subquery reads the whole table.
	statementTripsSQL = `SELECT b.id, b.booked_at, f.flight_no, f.origin, f.destination, b.status,
       (SELECT count(*) FROM bookings x
         WHERE x.member_id = b.member_id
           AND (x.booked_at, x.id) <= (b.booked_at, b.id)) AS trip_no
FROM bookings b JOIN flights f ON f.id = b.flight_id
WHERE b.member_id = ?
ORDER BY b.id DESC
LIMIT 3`
	// statementTripsRewrittenSQL numbers the member's trips in one pass
	// with a window function instead.
	statementTripsRewrittenSQL = `SELECT id, booked_at, flight_no, origin, destination, status, trip_no
FROM (SELECT b.id, b.booked_at, f.flight_no, f.origin, f.destination, b.status,
             count(*) OVER (ORDER BY b.booked_at, b.id) AS trip_no
      FROM bookings b JOIN flights f ON f.id = b.flight_id
      WHERE b.member_id = ?)
ORDER BY id DESC
LIMIT 3`
	statementLedgerSQL = `SELECT count(*), coalesce(sum(delta), 0) FROM miles_transactions WHERE member_id = ?`

	statementIndex       = "bookings_member_id"
	statementCreateIndex = "CREATE INDEX bookings_member_id ON bookings(member_id)"
)

// Trip is one line of a member's statement.
type Trip struct {
	BookingID int64  `json:"booking_id"`
	BookedAt  string `json:"booked_at"`
	FlightNo  string `json:"flight_no"`
	Route     string `json:"route"`
	Status    string `json:"status"`
	TripNo    int64  `json:"trip_no"`
}

// Statement is the page as the member sees it.
type Statement struct {
	MemberID      int64  `json:"member_id"`
	Name          string `json:"name"`
	Tier          string `json:"tier"`
	Miles         int64  `json:"miles"`
	LedgerEntries int64  `json:"ledger_entries"`
	LedgerMiles   int64  `json:"ledger_miles"`
	Trips         []Trip `json:"trips"`
}

// PlanLine is one line of an EXPLAIN QUERY PLAN, at its depth in the tree.
type PlanLine struct {
	Depth  int    `json:"depth"`
	Detail string `json:"detail"`
}

// PageQuery is one query the page ran and the plan SQLite chose for it.
type PageQuery struct {
	SQL  string     `json:"sql"`
	Plan []PlanLine `json:"plan"`
}

// StatementLoad is one load of the page: what it showed, how long its
// queries took together, and their plans in the order they ran.
type StatementLoad struct {
	Page      Statement   `json:"page"`
	ElapsedMS float64     `json:"elapsed_ms"`
	Queries   []PageQuery `json:"queries"`
}

// Hunt is the slow-query hunt: the page as planted and, when a fix was
// chosen, the page again with the fix in place.
type Hunt struct {
	Fix    string         `json:"fix"`
	Before StatementLoad  `json:"before"`
	FixSQL string         `json:"fix_sql,omitempty"`
	FixMS  float64        `json:"fix_ms,omitempty"`
	After  *StatementLoad `json:"after,omitempty"`
	// Speedup is the before time over the after time.
	Speedup float64 `json:"speedup,omitempty"`
}

// HuntSlowQuery loads member's statement as planted, then, unless fix is
// FixNone, applies the fix and loads it again. It starts without the
// index the fix adds (dropping one the visitor made) and drops it again
// at the end, so every run starts alike. The load before, the fix and the
// load after each open the sandbox anew, so each has the whole time limit.
func (a *App) HuntSlowQuery(ctx context.Context, open sandbox.Opener, memberID int64, fix string) (Hunt, error) {
	h := Hunt{Fix: fix}
	if !slices.Contains(StatementFixes(), fix) {
		return h, fmt.Errorf("airline: no fix %q", fix)
	}
	err := open(ctx, func(ctx context.Context, db *sandbox.DB) error {
		if _, err := db.Exec(ctx, "DROP INDEX IF EXISTS "+statementIndex); err != nil {
			return err
		}
		var err error
		h.Before, err = a.LoadStatement(ctx, db, memberID, false)
		return err
	})
	if err != nil || fix == FixNone {
		return h, err
	}
	rewritten := fix == FixRewrite
	if rewritten {
		h.FixSQL = statementTripsRewrittenSQL
	} else {
		h.FixSQL = statementCreateIndex
		err = open(ctx, func(ctx context.Context, db *sandbox.DB) (err error) {
			h.FixMS, err = a.timedExec(ctx, db, "apply the fix", statementCreateIndex)
			return err
		})
		if err != nil {
			return h, err
		}
	}
	err = open(ctx, func(ctx context.Context, db *sandbox.DB) error {
		after, err := a.LoadStatement(ctx, db, memberID, rewritten)
		if err != nil {
			return err
		}
		h.After = &after
		if !rewritten {
			_, err = a.timedExec(ctx, db, "drop the index again", "DROP INDEX "+statementIndex)
		}
		return err
	})
	if err != nil {
		return h, err
	}
	if h.After.ElapsedMS > 0 {
		h.Speedup = math.Floor(h.Before.ElapsedMS/h.After.ElapsedMS*10) / 10
	}
	return h, nil
}

// timedExec runs one statement as a step of its own and says how long it
// took.
func (a *App) timedExec(ctx context.Context, db querier, step, stmt string) (float64, error) {
	ctx, span := a.step(ctx, step)
	defer span.End()
	start := time.Now()
	if _, err := db.Exec(ctx, stmt); err != nil {
		return 0, fail(span, err)
	}
	return msSince(start), nil
}

// LoadStatement builds member's statement as the airline app does — the
// member, the latest trips (with the planted query, or rewritten), the
// ledger — and then asks SQLite how it planned each of those queries.
func (a *App) LoadStatement(ctx context.Context, db querier, memberID int64, rewritten bool) (StatementLoad, error) {
	trips := statementTripsSQL
	if rewritten {
		trips = statementTripsRewrittenSQL
	}
	var out StatementLoad
	err := func() error {
		ctx, span := a.step(ctx, "load the statement page", attribute.Int64("engineroom.member_id", memberID))
		defer span.End()
		start := time.Now()
		p, err := a.statementPage(ctx, db, memberID, trips)
		if err != nil {
			return fail(span, err)
		}
		out.Page, out.ElapsedMS = p, msSince(start)
		return nil
	}()
	if err != nil {
		return out, err
	}
	ctx, span := a.step(ctx, "EXPLAIN QUERY PLAN of each query")
	defer span.End()
	for _, q := range []string{statementMemberSQL, trips, statementLedgerSQL} {
		plan, err := explain(ctx, db, q, memberID)
		if err != nil {
			return out, fail(span, err)
		}
		out.Queries = append(out.Queries, PageQuery{SQL: q, Plan: plan})
	}
	return out, nil
}

func (a *App) statementPage(ctx context.Context, db querier, memberID int64, tripsSQL string) (Statement, error) {
	p := Statement{MemberID: memberID, Trips: []Trip{}}
	m, err := db.Query(ctx, statementMemberSQL, memberID)
	if err != nil {
		return p, err
	}
	if len(m.Values) == 0 {
		return p, fmt.Errorf("%w: member %d", ErrMissingData, memberID)
	}
	p.Name, p.Tier, p.Miles = sandbox.AsString(m.Values[0][0]), sandbox.AsString(m.Values[0][1]), sandbox.AsInt(m.Values[0][2])
	t, err := db.Query(ctx, tripsSQL, memberID)
	if err != nil {
		return p, err
	}
	for _, v := range t.Values {
		p.Trips = append(p.Trips, Trip{
			BookingID: sandbox.AsInt(v[0]), BookedAt: sandbox.AsString(v[1]), FlightNo: sandbox.AsString(v[2]),
			Route:  sandbox.AsString(v[3]) + " → " + sandbox.AsString(v[4]),
			Status: sandbox.AsString(v[5]), TripNo: sandbox.AsInt(v[6]),
		})
	}
	l, err := db.Query(ctx, statementLedgerSQL, memberID)
	if err != nil {
		return p, err
	}
	if len(l.Values) > 0 {
		p.LedgerEntries, p.LedgerMiles = sandbox.AsInt(l.Values[0][0]), sandbox.AsInt(l.Values[0][1])
	}
	return p, nil
}

// explain returns the EXPLAIN QUERY PLAN of query, each line at its depth
// (SQLite lists a line after its parent).
func explain(ctx context.Context, db querier, query string, args ...any) ([]PlanLine, error) {
	res, err := db.Query(ctx, "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		return nil, err
	}
	depth := map[int64]int{}
	var out []PlanLine
	for _, v := range res.Values {
		if len(v) < 4 {
			continue
		}
		id, parent := sandbox.AsInt(v[0]), sandbox.AsInt(v[1])
		d := 0
		if pd, ok := depth[parent]; ok {
			d = pd + 1
		}
		depth[id] = d
		out = append(out, PlanLine{Depth: d, Detail: sandbox.AsString(v[3])})
	}
	return out, nil
}

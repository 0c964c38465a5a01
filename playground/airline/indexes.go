package airline

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/engineroom/engineroom/playground/sandbox"
)

// IndexCase is a question the indexes lesson asks before and after adding
// an index that answers it.
type IndexCase struct {
	Name   string // what a visitor picks
	Query  string // the question, with one ? for the visitor's value
	Index  string // the index's name
	Create string // the statement that builds it
}

// IndexCases are the questions the indexes lesson offers.
var IndexCases = []IndexCase{
	{
		Name:   "bookings of one member",
		Query:  "SELECT count(*), sum(paid_miles) FROM bookings WHERE member_id = ?",
		Index:  "bookings_member_id",
		Create: "CREATE INDEX bookings_member_id ON bookings(member_id)",
	},
	{
		Name:   "flights from one airport",
		Query:  "SELECT count(*), min(departs_at) FROM flights WHERE origin = ?",
		Index:  "flights_origin",
		Create: "CREATE INDEX flights_origin ON flights(origin)",
	},
}

// PlanRun is one side of the comparison: how the database planned the
// query and how long it took.
type PlanRun struct {
	Plan   []string  `json:"plan"`
	Answer []string  `json:"answer"`
	Runs   int       `json:"runs"`
	AvgMS  float64   `json:"avg_ms"`
	Times  []float64 `json:"times_ms"`
}

// IndexComparison is the same query before and after an index.
type IndexComparison struct {
	Query    string  `json:"query"`
	Value    any     `json:"value"`
	Create   string  `json:"create_index"`
	Before   PlanRun `json:"before"`
	After    PlanRun `json:"after"`
	CreateMS float64 `json:"create_index_ms"`
	Speedup  float64 `json:"speedup"`
}

// timedRuns is how many times each side runs the query, for a steadier
// average.
const timedRuns = 5

// CompareIndex runs c's query with value before and after creating its
// index, then drops the index so the experiment can be repeated. An index
// of the same name the visitor made is dropped first.
func (a *App) CompareIndex(ctx context.Context, db querier, c IndexCase, value any) (IndexComparison, error) {
	ctx, span := a.step(ctx, "compare with and without "+c.Index)
	defer span.End()
	out := IndexComparison{Query: c.Query, Value: value, Create: c.Create}
	if _, err := db.Exec(ctx, "DROP INDEX IF EXISTS "+c.Index); err != nil {
		return out, fail(span, err)
	}
	var err error
	if out.Before, err = a.planAndTime(ctx, db, "before the index", c.Query, value); err != nil {
		return out, fail(span, err)
	}
	start := time.Now()
	if _, err := db.Exec(ctx, c.Create); err != nil {
		return out, fail(span, err)
	}
	out.CreateMS = msSince(start)
	if out.After, err = a.planAndTime(ctx, db, "after the index", c.Query, value); err != nil {
		return out, fail(span, err)
	}
	if _, err := db.Exec(ctx, "DROP INDEX "+c.Index); err != nil {
		return out, fail(span, err)
	}
	if out.After.AvgMS > 0 {
		out.Speedup = float64(int(out.Before.AvgMS/out.After.AvgMS*10)) / 10
	}
	span.SetAttributes(attribute.Float64("engineroom.speedup", out.Speedup))
	return out, nil
}

func (a *App) planAndTime(ctx context.Context, db querier, label, query string, value any) (PlanRun, error) {
	ctx, span := a.step(ctx, label)
	defer span.End()
	var r PlanRun
	plan, err := db.Query(ctx, "EXPLAIN QUERY PLAN "+query, value)
	if err != nil {
		return r, err
	}
	for _, v := range plan.Values {
		if len(v) >= 4 {
			r.Plan = append(r.Plan, sandbox.AsString(v[3]))
		}
	}
	for range timedRuns {
		start := time.Now()
		res, err := db.Query(ctx, query, value)
		if err != nil {
			return r, err
		}
		r.Times = append(r.Times, msSince(start))
		if r.Answer == nil && len(res.Values) > 0 {
			for _, cell := range res.Values[0] {
				r.Answer = append(r.Answer, sandbox.AsString(cell))
			}
		}
	}
	r.Runs = timedRuns
	var sum float64
	for _, t := range r.Times {
		sum += t
	}
	r.AvgMS = float64(int(sum/float64(timedRuns)*1000)) / 1000
	return r, nil
}

// IndexCaseNamed finds an index case by name.
func IndexCaseNamed(name string) (IndexCase, error) {
	for _, c := range IndexCases {
		if c.Name == name {
			return c, nil
		}
	}
	names := make([]string, len(IndexCases))
	for i, c := range IndexCases {
		names[i] = c.Name
	}
	return IndexCase{}, fmt.Errorf("airline: no index case %q (try %s)", name, strings.Join(names, ", "))
}

func msSince(t time.Time) float64 {
	return float64(time.Since(t).Microseconds()) / 1000
}

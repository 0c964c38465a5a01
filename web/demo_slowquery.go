package web

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/engineroom/engineroom/playground/airline"
	ertrace "github.com/engineroom/engineroom/playground/trace"
	"github.com/engineroom/engineroom/web/view"
)

// The testing lesson's slow-query hunt: the airline's statement page, with
// a slow query planted in it, on the visitor's own sandbox.

func (s *Server) demoSlowQueryHunt() *demo {
	fixes := airline.StatementFixes()
	return &demo{
		ID: "slow-query-hunt", Title: "A slow page", Lesson: "testing-and-debugging",
		Description: "A member's statement in the airline app. Members say it feels slow. Load it, find the slow step in the trace, then choose a fix.",
		Button:      "Load the statement",
		Wide:        true,
		Params: []param{
			{Name: "member", Label: "Member id", Kind: "number", Default: "42", Min: 1, Max: 2000, Hint: "1 to 2000."},
			{Name: "fix", Label: "Fix", Kind: "select", Options: fixes, Default: fixes[0]},
		},
		Run: func(ctx context.Context, in demoInput) (demoOutput, error) {
			h, err := s.airline.HuntSlowQuery(ctx, s.openSandbox(in), int64(in.Int("member")), in.Params["fix"])
			if err != nil {
				return demoOutput{}, err
			}
			return demoOutput{Data: h, View: view.SlowQuery(slowQueryView(h))}, nil
		},
	}
}

func slowQueryView(h airline.Hunt) view.SlowQueryOutput {
	p := h.Before.Page
	o := view.SlowQueryOutput{
		Member:   fmt.Sprintf("%s · member %d · %s", p.Name, p.MemberID, p.Tier),
		Balance:  miles(p.Miles) + " miles",
		Ledger:   fmt.Sprintf("%d ledger entries adding up to %s", p.LedgerEntries, miles(p.LedgerMiles)),
		PageTime: fmt.Sprintf("%.1f ms", h.Before.ElapsedMS),
	}
	for _, t := range p.Trips {
		o.Trips = append(o.Trips, view.SlowQueryTrip{No: "#" + strconv.FormatInt(t.TripNo, 10), Flight: t.FlightNo + " " + t.Route, Booked: t.BookedAt, Status: t.Status})
	}
	if h.After == nil {
		// As the page is: no line marked, so the trace is where to look.
		for _, q := range h.Before.Queries {
			o.Queries = append(o.Queries, view.SlowQueryPlan{SQL: q.SQL, Plan: planLines(q.Plan, false)})
		}
		return o
	}
	c := &view.SlowQueryCompare{
		Fix: h.Fix, FixSQL: h.FixSQL, Speedup: fmt.Sprintf("%.1f×", h.Speedup),
		Before: slowSide("Before: as planted", h.Before),
		After:  slowSide("After: "+h.Fix, *h.After),
	}
	if h.Fix == airline.FixIndex {
		c.FixNote = fmt.Sprintf("Building the index took %.1f ms. The demo dropped it again afterwards, so the next run starts from the planted page.", h.FixMS)
	} else {
		c.FixNote = "The same page from one pass over the member's bookings: no subquery runs once per row. Nothing in your database changed."
	}
	o.Compare = c
	return o
}

// slowSide is one load of the page: its time and the trips query's plan.
func slowSide(label string, l airline.StatementLoad) view.SlowQuerySide {
	side := view.SlowQuerySide{Label: label, Time: fmt.Sprintf("%.1f ms", l.ElapsedMS)}
	if len(l.Queries) > 1 {
		side.Plan = planLines(l.Queries[1].Plan, true)
	}
	return side
}

// planLines turns an engine's plan into indented rows, marking scans
// when asked to.
func planLines(plan []airline.PlanLine, markScans bool) []view.PlanRow {
	out := make([]view.PlanRow, len(plan))
	for i, l := range plan {
		out[i] = view.PlanRow{Depth: min(l.Depth, ertrace.MaxDepth), Detail: l.Detail, Scan: markScans && strings.HasPrefix(l.Detail, "SCAN")}
	}
	return out
}

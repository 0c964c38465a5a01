package web

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/trace"

	ertrace "github.com/engineroom/engineroom/playground/trace"
	"github.com/engineroom/engineroom/web/view"
)

// showTraceCompare is GET /traces/compare?a=<id>&b=<id>: two stored
// traces side by side, the time b gained or lost, and a row per span
// name with both durations. Like the JSON twin of a trace it shows only
// traces named by their (random, 128-bit) ids.
func (s *Server) showTraceCompare(c echo.Context) error {
	_, span := s.tracer.Start(c.Request().Context(), "handler compare traces", trace.WithAttributes(kindAttr(ertrace.KindHandler)))
	idA, idB := c.QueryParam("a"), c.QueryParam("b")
	if idA == "" || idB == "" {
		span.End()
		return echo.NewHTTPError(http.StatusBadRequest, "Comparing needs two trace ids: /traces/compare?a=…&b=…. Pin a run's trace, run the demo again and follow “Compare with pinned”.")
	}
	ta, okA := s.traces.Store().Get(idA)
	tb, okB := s.traces.Store().Get(idB)
	span.End()
	if !okA || !okB {
		which := map[[2]bool]string{{false, true}: "a", {true, false}: "b", {false, false}: "a or b"}[[2]bool{okA, okB}]
		return echo.NewHTTPError(http.StatusNotFound, "There is no stored trace for "+which+": traces are kept in memory for a while, then dropped. Run the demo again, pin the new trace and compare once more.")
	}
	now := time.Now()
	wa, wb := ertrace.BuildWaterfall(ta, now), ertrace.BuildWaterfall(tb, now)
	swap := url.Values{"a": {tb.ID}, "b": {ta.ID}}
	return s.page(c, view.PageCompare(view.ComparePage{
		Page:    s.pageMeta(csrfToken(c), "Compare two traces"),
		A:       s.compareSide("a", ta, wa),
		B:       s.compareSide("b", tb, wb),
		Verdict: compareVerdict(wa.Total, wb.Total),
		Rows:    compareSpans(wa.Rows, wb.Rows),
		SwapURL: "/traces/compare?" + swap.Encode(),
	}))
}

// compareSide is one trace of a comparison, drawn as the back end pane
// draws it.
func (s *Server) compareSide(label string, t ertrace.Trace, w ertrace.Waterfall) view.CompareSide {
	return view.CompareSide{Label: label, TraceID: t.ID, Total: formatDuration(w.Total),
		JSONURL: "/api/v1/traces/" + t.ID, Trace: s.waterfallView(t)}
}

// compareVerdict says how much faster or slower b was than a, in time
// and as a share of a.
func compareVerdict(a, b time.Duration) view.CompareVerdict {
	d := b - a
	v := view.CompareVerdict{Change: changeOf(d, 0)}
	if v.Change == "same" {
		v.Text = "a and b took the same time (" + formatDuration(a) + ")"
		return v
	}
	v.Diff = signedDuration(d)
	word := "faster"
	if d > 0 {
		word = "slower"
	}
	v.Text = "b was " + formatDuration(absDuration(d)) + " " + word
	if a > 0 {
		v.Pct = signedPct(d, a)
		v.Text += " (" + v.Pct + ")"
	}
	return v
}

// spanTotal is every span of one name in a trace: how many, and their
// time added up.
type spanTotal struct {
	kind string
	n    int
	d    time.Duration
}

// compareSpans matches spans by name: a row per name, in a's order and
// then the names only b has, with both durations and the difference.
func compareSpans(a, b []ertrace.Row) []view.CompareRow {
	order, inA := totalsByName(a, nil)
	order, inB := totalsByName(b, order)
	rows := make([]view.CompareRow, 0, len(order))
	for _, name := range order {
		x, okA := inA[name]
		y, okB := inB[name]
		kind := x.kind
		if !okA {
			kind = y.kind
		}
		r := view.CompareRow{Name: name, Kind: kind, KindLabel: kindLabels[kind]}
		if r.KindLabel == "" {
			r.KindLabel = kind
		}
		switch {
		case !okB:
			r.A, r.B, r.Change, r.Diff = totalText(x), "", "only-a", "not in b"
		case !okA:
			r.A, r.B, r.Change, r.Diff = "", totalText(y), "only-b", "not in a"
		default:
			r.A, r.B, r.Change, r.Diff = totalText(x), totalText(y), changeOf(y.d-x.d, spanNoise), signedDuration(y.d-x.d)
		}
		rows = append(rows, r)
	}
	return rows
}

// totalsByName adds up the spans of each name, appending names not seen
// before to order.
func totalsByName(rows []ertrace.Row, order []string) ([]string, map[string]spanTotal) {
	seen := make(map[string]bool, len(order))
	for _, n := range order {
		seen[n] = true
	}
	totals := make(map[string]spanTotal, len(rows))
	for _, r := range rows {
		t := totals[r.Name]
		if t.n == 0 {
			t.kind = r.Kind
		}
		t.n++
		t.d += r.Duration
		totals[r.Name] = t
		if !seen[r.Name] {
			seen[r.Name] = true
			order = append(order, r.Name)
		}
	}
	return order, totals
}

// totalText is a name's time, with how many spans it adds up when more
// than one.
func totalText(t spanTotal) string {
	if t.n > 1 {
		return fmt.Sprintf("%s (%d×)", formatDuration(t.d), t.n)
	}
	return formatDuration(t.d)
}

// spanNoise is a difference in a span's time too small to point out: a
// middleware step that took 9 µs once and 60 µs the next time.
const spanNoise = 100 * time.Microsecond

// changeOf names a difference in time; within tolerance either way is
// the same.
func changeOf(d, tolerance time.Duration) string {
	switch {
	case d < -tolerance:
		return "faster"
	case d > tolerance:
		return "slower"
	default:
		return "same"
	}
}

// signedDuration is a difference with its sign: "+2.1 ms", "−38.2 ms",
// "±0" under a microsecond.
func signedDuration(d time.Duration) string {
	switch {
	case absDuration(d) < time.Microsecond:
		return "±0"
	case d < 0:
		return "−" + formatDuration(-d)
	}
	return "+" + formatDuration(d)
}

// signedPct is d as a whole percentage of base, with d's sign (a real
// minus sign): "−92%", "+3%".
func signedPct(d, base time.Duration) string {
	p := math.Abs(math.Round(float64(d) / float64(base) * 100))
	if d < 0 {
		return fmt.Sprintf("−%.0f%%", p)
	}
	return fmt.Sprintf("+%.0f%%", p)
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

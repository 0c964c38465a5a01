package web_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// TestSlowQueryHuntDemo loads the planted statement page with each fix
// and checks what the panel shows by selector, the SQL the trace holds and
// the JSON twin.
func TestSlowQueryHuntDemo(t *testing.T) {
	srv := newDemoServer(t)
	sqlReady(t, srv)
	const page = "/lessons/testing-and-debugging"
	planted := []string{"SCAN b", "SEARCH f USING INTEGER PRIMARY KEY (rowid=?)", "CORRELATED SCALAR SUBQUERY 1", "SCAN x"}
	tests := []struct {
		fix         string
		wantBig     string   // the .big-number, as text, after the number
		wantScans   []string // the plan lines marked as scans
		wantAfter   []string // the trips query's plan after the fix; nil when the page is shown as it is
		wantSQL     int      // SQL spans in the trace
		wantFixNote string
	}{
		{fix: "none", wantBig: "to load this page: 3 queries", wantSQL: 7},
		{fix: "add an index on bookings(member_id)", wantBig: "faster page after the fix",
			wantScans:   []string{"SCAN b", "SCAN x"},
			wantAfter:   []string{"SEARCH b USING INDEX bookings_member_id (member_id=?)", "SEARCH f USING INTEGER PRIMARY KEY (rowid=?)", "CORRELATED SCALAR SUBQUERY 1", "SEARCH x USING INDEX bookings_member_id (member_id=?)"},
			wantSQL:     15,
			wantFixNote: "Building the index took"},
		{fix: "rewrite with a window function", wantBig: "faster page after the fix",
			wantScans: []string{"SCAN b", "SCAN x", "SCAN b", "SCAN (subquery-3)", "SCAN (subquery-1)"},
			wantAfter: []string{"CO-ROUTINE (subquery-1)", "CO-ROUTINE (subquery-3)", "SCAN b", "SEARCH f USING INTEGER PRIMARY KEY (rowid=?)", "USE TEMP B-TREE FOR ORDER BY", "SCAN (subquery-3)", "SCAN (subquery-1)", "USE TEMP B-TREE FOR ORDER BY"},
			wantSQL:   13, wantFixNote: "Nothing in your database changed."},
	}
	for _, tt := range tests {
		t.Run(tt.fix, func(t *testing.T) {
			r, doc := demoPanelRun(t, srv, page, "slow-query-hunt", map[string]string{"fix": tt.fix})
			if r.StatusCode != http.StatusOK {
				t.Fatalf("status = %d; body:\n%.1000s", r.StatusCode, r.text)
			}
			out := doc.Find(".pane-front .output")
			if got := squash(out.Find(".lead-out")); !strings.Contains(got, "· member 42 ·") {
				t.Errorf("lead = %q, want member 42", got)
			}
			var trips []string
			out.Find("ol.trip-lines li").Each(func(_ int, li *goquery.Selection) {
				trips = append(trips, li.Find("strong").Text())
				if !strings.Contains(li.Text(), " → ") || !strings.HasPrefix(li.Find(".meta").Text(), "booked 2026-") {
					t.Errorf("trip line %q", squash(li))
				}
			})
			if !slices.Equal(trips, []string{"#26", "#25", "#24"}) {
				t.Errorf("trips %q, want #26, #25, #24", trips)
			}
			big := squash(out.Find(".big-number"))
			if _, after, ok := strings.Cut(big, " "); !ok || !strings.HasSuffix(after, tt.wantBig) {
				t.Errorf("big number = %q, want it to end %q", big, tt.wantBig)
			}
			var scans []string
			out.Find(".plan-tree li.is-scan").Each(func(_ int, li *goquery.Selection) { scans = append(scans, li.Text()) })
			if !slices.Equal(scans, tt.wantScans) {
				t.Errorf("marked scans %q, want %q", scans, tt.wantScans)
			}
			if tt.wantAfter == nil {
				plans := out.Find("details.page-plans .plan-tree")
				if plans.Length() != 3 || out.Find("details.page-plans pre.sql-sent").Length() != 3 {
					t.Fatalf("%d plans shown, want the page's 3 queries", plans.Length())
				}
				if got := planTexts(plans.Eq(1)); !slices.Equal(got, planted) {
					t.Errorf("trips plan %q, want %q", got, planted)
				}
				if out.Find(".compare").Length() != 0 {
					t.Error("a comparison without a fix")
				}
			} else {
				sides := out.Find(".compare .compare-side")
				if sides.Length() != 2 {
					t.Fatalf("%d sides, want 2", sides.Length())
				}
				if got := planTexts(sides.Eq(0).Find(".plan-tree")); !slices.Equal(got, planted) {
					t.Errorf("plan before = %q, want %q", got, planted)
				}
				if got := planTexts(sides.Eq(1).Find(".plan-tree")); !slices.Equal(got, tt.wantAfter) {
					t.Errorf("plan after = %q, want %q", got, tt.wantAfter)
				}
				if got := sides.Eq(1).Find(".compare-title").Text(); got != "After: "+tt.fix {
					t.Errorf("after title = %q", got)
				}
				if got := squash(out.Find("p.note")); !strings.Contains(got, tt.wantFixNote) {
					t.Errorf("note = %q, want %q in it", got, tt.wantFixNote)
				}
			}
			if n := doc.Find(".pane-back li.span.kind-sql").Length(); n != tt.wantSQL {
				t.Errorf("%d SQL spans, want %d", n, tt.wantSQL)
			}
			var steps []string
			doc.Find(".pane-back li.span .span-name").Each(func(_ int, s *goquery.Selection) {
				if n := s.Text(); strings.HasPrefix(n, "load the") || strings.HasPrefix(n, "EXPLAIN QUERY PLAN of") {
					steps = append(steps, n)
				}
			})
			want := 2 // one load of the page: its queries and their plans
			if tt.wantAfter != nil {
				want = 4
			}
			if len(steps) != want {
				t.Errorf("steps %q, want %d", steps, want)
			}
		})
	}
	t.Run("json", func(t *testing.T) {
		_, got := demoAPIRunAs(t, newClient(t, srv), "slow-query-hunt", `{"member": 7, "fix": "add an index on bookings(member_id)"}`)
		var h struct {
			Fix    string `json:"fix"`
			Before struct {
				ElapsedMS float64 `json:"elapsed_ms"`
				Page      struct {
					MemberID int64 `json:"member_id"`
				} `json:"page"`
			} `json:"before"`
			FixSQL string  `json:"fix_sql"`
			FixMS  float64 `json:"fix_ms"`
			After  *struct {
				ElapsedMS float64 `json:"elapsed_ms"`
			} `json:"after"`
			Speed float64 `json:"speedup"`
		}
		if err := json.Unmarshal(got.Output, &h); err != nil {
			t.Fatal(err)
		}
		if h.Before.Page.MemberID != 7 || h.FixSQL != "CREATE INDEX bookings_member_id ON bookings(member_id)" || h.FixMS <= 0 || h.After == nil || h.Speed <= 0 {
			t.Errorf("output = %s", got.Output)
		}
		var sql []string
		for _, s := range sqlSpansOf(got.Trace) {
			sql = append(sql, strings.Fields(s.Attributes["db.query.text"])[0])
		}
		if !slices.Contains(sql, "CREATE") || sql[0] != "DROP" || sql[len(sql)-1] != "DROP" {
			t.Errorf("SQL statements %q", sql)
		}
	})
	t.Run("bad member", func(t *testing.T) {
		r := newClient(t, srv).postJSON("/api/v1/demos/slow-query-hunt", `{"member": 2001}`, nil)
		if r.StatusCode != http.StatusBadRequest || !strings.Contains(r.text, "member: must be between 1 and 2000") {
			t.Errorf("status %d, body %.300s", r.StatusCode, r.text)
		}
	})
}

// planTexts is a plan tree's lines as text.
func planTexts(s *goquery.Selection) []string {
	var out []string
	s.Find("li").Each(func(_ int, li *goquery.Selection) { out = append(out, li.Text()) })
	return out
}

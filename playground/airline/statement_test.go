package airline

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/engineroom/engineroom/playground/sandbox"
)

// planDetails is a plan as "depth:detail" lines.
func planDetails(p []PlanLine) []string {
	out := make([]string, len(p))
	for i, l := range p {
		out[i] = strings.Repeat("  ", l.Depth) + l.Detail
	}
	return out
}

func TestHuntSlowQuery(t *testing.T) {
	app, m := newApp(t)
	const member = 42
	var wantTrips int64
	err := m.With(context.Background(), "count", func(ctx context.Context, db *sandbox.DB) error {
		var err error
		wantTrips, err = oneInt(ctx, db, "SELECT count(*) FROM bookings WHERE member_id = ?", member)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	planted := []string{
		"SCAN b",
		"SEARCH f USING INTEGER PRIMARY KEY (rowid=?)",
		"CORRELATED SCALAR SUBQUERY 1",
		"  SCAN x",
	}
	tests := []struct {
		fix       string
		wantFix   string   // the statement the fix ran or used
		wantAfter []string // the trips query's plan after the fix; nil for no second load
	}{
		{fix: FixNone},
		{fix: FixIndex, wantFix: "CREATE INDEX bookings_member_id ON bookings(member_id)", wantAfter: []string{
			"SEARCH b USING INDEX bookings_member_id (member_id=?)",
			"SEARCH f USING INTEGER PRIMARY KEY (rowid=?)",
			"CORRELATED SCALAR SUBQUERY 1",
			"  SEARCH x USING INDEX bookings_member_id (member_id=?)",
		}},
		{fix: FixRewrite, wantFix: statementTripsRewrittenSQL, wantAfter: []string{
			"CO-ROUTINE (subquery-1)",
			"  CO-ROUTINE (subquery-3)",
			"    SCAN b",
			"    SEARCH f USING INTEGER PRIMARY KEY (rowid=?)",
			"    USE TEMP B-TREE FOR ORDER BY",
			"  SCAN (subquery-3)",
			"SCAN (subquery-1)",
			"USE TEMP B-TREE FOR ORDER BY",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.fix, func(t *testing.T) {
			open := func(ctx context.Context, fn func(context.Context, *sandbox.DB) error) error {
				return m.With(ctx, "hunt "+tt.fix, fn)
			}
			for run := range 2 { // every run starts alike
				h, err := app.HuntSlowQuery(context.Background(), open, member, tt.fix)
				if err != nil {
					t.Fatalf("run %d: %v", run+1, err)
				}
				if h.Fix != tt.fix || h.FixSQL != tt.wantFix {
					t.Errorf("fix %q running %q, want %q running %q", h.Fix, h.FixSQL, tt.fix, tt.wantFix)
				}
				checkLoad(t, "before", h.Before, member, wantTrips, statementTripsSQL)
				if got := planDetails(h.Before.Queries[1].Plan); !slices.Equal(got[:len(planted)], planted) {
					t.Errorf("planted plan =\n%s\nwant it to start\n%s", strings.Join(got, "\n"), strings.Join(planted, "\n"))
				}
				if tt.wantAfter == nil {
					if h.After != nil || h.FixMS != 0 || h.Speedup != 0 {
						t.Errorf("no fix, yet after = %+v, fix %v ms, speed-up %v", h.After, h.FixMS, h.Speedup)
					}
					continue
				}
				if h.After == nil {
					t.Fatal("no second load")
				}
				wantSQL := statementTripsSQL
				if tt.fix == FixRewrite {
					wantSQL = statementTripsRewrittenSQL
				}
				checkLoad(t, "after", *h.After, member, wantTrips, wantSQL)
				if got := planDetails(h.After.Queries[1].Plan); !slices.Equal(got[:min(len(got), len(tt.wantAfter))], tt.wantAfter) {
					t.Errorf("plan after the fix =\n%s\nwant it to start\n%s", strings.Join(got, "\n"), strings.Join(tt.wantAfter, "\n"))
				}
				if !slices.Equal(h.Before.Page.Trips, h.After.Page.Trips) || h.Before.Page.Name != h.After.Page.Name {
					t.Errorf("the fix changed the page:\n%+v\n%+v", h.Before.Page, h.After.Page)
				}
				if (h.FixMS > 0) != (tt.fix == FixIndex) || h.Speedup <= 0 {
					t.Errorf("fix took %v ms, speed-up %v", h.FixMS, h.Speedup)
				}
			}
			err := m.With(context.Background(), "hunt "+tt.fix, func(ctx context.Context, db *sandbox.DB) error {
				n, err := oneInt(ctx, db, "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = ?", statementIndex)
				if n != 0 {
					t.Errorf("the index %s is still there after the hunt", statementIndex)
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// checkLoad checks one load of the statement page: the member, the three
// latest trips numbered down from their count, a ledger that adds up to
// the balance, and the plans of the three queries in order.
func checkLoad(t *testing.T, label string, l StatementLoad, member, wantTrips int64, wantTripsSQL string) {
	t.Helper()
	p := l.Page
	if p.MemberID != member || p.Name == "" || p.Tier == "" || p.LedgerEntries < 1 || p.LedgerMiles != p.Miles {
		t.Errorf("%s: page = %+v, want member %d whose ledger adds up to the balance", label, p, member)
	}
	if len(p.Trips) != 3 {
		t.Fatalf("%s: %d trips, want 3", label, len(p.Trips))
	}
	for i, tr := range p.Trips {
		if tr.TripNo != wantTrips-int64(i) || tr.BookingID <= 0 || tr.FlightNo == "" || !strings.Contains(tr.Route, " → ") || tr.Status == "" || tr.BookedAt == "" {
			t.Errorf("%s: trip %d = %+v, want trip number %d", label, i, tr, wantTrips-int64(i))
		}
		if i > 0 && tr.BookingID >= p.Trips[i-1].BookingID {
			t.Errorf("%s: trips not newest first: %+v", label, p.Trips)
		}
	}
	if l.ElapsedMS <= 0 {
		t.Errorf("%s: elapsed %v ms", label, l.ElapsedMS)
	}
	want := []string{statementMemberSQL, wantTripsSQL, statementLedgerSQL}
	if len(l.Queries) != len(want) {
		t.Fatalf("%s: %d queries explained, want %d", label, len(l.Queries), len(want))
	}
	for i, q := range l.Queries {
		if q.SQL != want[i] || len(q.Plan) == 0 {
			t.Errorf("%s: query %d = %q with plan %v, want %q with a plan", label, i, q.SQL, q.Plan, want[i])
		}
	}
	if got := planDetails(l.Queries[0].Plan); !slices.Equal(got, []string{"SEARCH members USING INTEGER PRIMARY KEY (rowid=?)"}) {
		t.Errorf("%s: member plan = %q", label, got)
	}
	if got := planDetails(l.Queries[2].Plan); !slices.Equal(got, []string{"SEARCH miles_transactions USING INDEX miles_transactions_member_id (member_id=?)"}) {
		t.Errorf("%s: ledger plan = %q", label, got)
	}
}

func TestHuntSlowQueryRefuses(t *testing.T) {
	app, m := newApp(t)
	open := func(ctx context.Context, fn func(context.Context, *sandbox.DB) error) error {
		return m.With(ctx, "refuse", fn)
	}
	if _, err := app.HuntSlowQuery(context.Background(), open, 42, "drop the table"); err == nil || !strings.Contains(err.Error(), `no fix "drop the table"`) {
		t.Errorf("unknown fix: err = %v", err)
	}
	if _, err := app.HuntSlowQuery(context.Background(), open, 999999, FixNone); !errors.Is(err, ErrMissingData) {
		t.Errorf("unknown member: err = %v, want ErrMissingData", err)
	}
}

package airline

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace/noop"

	"github.com/engineroom/engineroom/playground/sandbox"
)

func newApp(t *testing.T) (*App, *sandbox.Manager) {
	t.Helper()
	// A long query budget: these tests check what the queries answer, and
	// under the race detector on a busy machine SQLite is many times
	// slower than the 2 s a visitor gets.
	m, err := sandbox.New(sandbox.Options{QueryTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return New(noop.NewTracerProvider().Tracer("")), m
}

func TestRecentBookings(t *testing.T) {
	app, m := newApp(t)
	ctx := context.Background()
	got := map[string]Recent{}
	for _, tt := range []struct {
		strategy    string
		limit       int
		wantQueries int
	}{
		{NPlusOne, 20, 21},
		{Join, 20, 1},
		{NPlusOne, 5, 6},
	} {
		t.Run(tt.strategy, func(t *testing.T) {
			err := m.With(ctx, "v1", func(ctx context.Context, db *sandbox.DB) error {
				r, err := app.RecentBookings(ctx, db, tt.limit, tt.strategy)
				if err != nil {
					return err
				}
				if r.Queries != tt.wantQueries || len(r.Lines) != tt.limit || r.Strategy != tt.strategy {
					t.Errorf("queries = %d, lines = %d, strategy %q; want %d, %d, %q", r.Queries, len(r.Lines), r.Strategy, tt.wantQueries, tt.limit, tt.strategy)
				}
				for _, l := range r.Lines {
					if l.Member == "" || l.BookedAt == "" || l.ID == 0 {
						t.Errorf("incomplete line %+v", l)
					}
				}
				if tt.limit == 20 {
					got[tt.strategy] = r
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
	if !slices.Equal(got[NPlusOne].Lines, got[Join].Lines) {
		t.Errorf("the two strategies disagree:\n%v\n%v", got[NPlusOne].Lines, got[Join].Lines)
	}
}

func TestCompareIndex(t *testing.T) {
	app, m := newApp(t)
	for _, tt := range []struct {
		c     IndexCase
		value any
	}{
		{IndexCases[0], 42},
		{IndexCases[1], "LHR"},
	} {
		t.Run(tt.c.Name, func(t *testing.T) {
			for run := range 2 { // the experiment can be repeated
				err := m.With(context.Background(), "v2", func(ctx context.Context, db *sandbox.DB) error {
					r, err := app.CompareIndex(ctx, db, tt.c, tt.value)
					if err != nil {
						return err
					}
					before, after := strings.Join(r.Before.Plan, "\n"), strings.Join(r.After.Plan, "\n")
					if !strings.Contains(before, "SCAN") || !strings.Contains(after, "USING") || !strings.Contains(after, tt.c.Index) {
						t.Errorf("run %d: plans before %q, after %q", run, before, after)
					}
					if !slices.Equal(r.Before.Answer, r.After.Answer) || len(r.Before.Answer) == 0 {
						t.Errorf("run %d: answers differ: %v vs %v", run, r.Before.Answer, r.After.Answer)
					}
					if r.Before.Runs != timedRuns || len(r.After.Times) != timedRuns {
						t.Errorf("run %d: runs = %d, times = %d", run, r.Before.Runs, len(r.After.Times))
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			res, err := m.Run(context.Background(), "v2", "SELECT count(*) FROM sqlite_schema WHERE name = '"+tt.c.Index+"'", sandbox.RunOptions{})
			if err != nil || res.Statements[0].Rows[0][0].Text != "0" {
				t.Errorf("the index was left behind: %v %+v", err, res)
			}
		})
	}
	if _, err := IndexCaseNamed("nope"); err == nil {
		t.Error("IndexCaseNamed accepted an unknown name")
	}
}

func TestDoubleBooking(t *testing.T) {
	app, m := newApp(t)
	for _, tt := range []struct {
		transaction  bool
		wantBookings int
	}{
		{false, 2},
		{true, 1},
	} {
		t.Run(map[bool]string{false: "without a transaction", true: "with a transaction"}[tt.transaction], func(t *testing.T) {
			var r Race
			err := m.WithPair(context.Background(), "v3", func(ctx context.Context, a, b *sandbox.DB) error {
				var err error
				r, err = app.DoubleBooking(ctx, a, b, tt.transaction)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if r.Bookings != tt.wantBookings {
				t.Errorf("bookings = %d, want %d (%+v)", r.Bookings, tt.wantBookings, r)
			}
			if tt.transaction {
				if r.LostMiles != 0 || r.FinalMiles != r.StartMiles-r.Price {
					t.Errorf("with a transaction the balance is wrong: %+v", r)
				}
			} else if r.LostMiles != r.Price || r.FinalMiles != r.StartMiles-r.Price {
				t.Errorf("without a transaction want one lost update of %d miles: %+v", r.Price, r)
			}
			// The visitor's sandbox holds what the two connections committed.
			res, err := m.Run(context.Background(), "v3", "SELECT miles FROM members WHERE id = 7", sandbox.RunOptions{})
			if err != nil || res.Statements[0].Rows[0][0].Text == "" {
				t.Fatal(err)
			}
			if got := res.Statements[0].Rows[0][0].Text; got != strconv.FormatInt(r.FinalMiles, 10) {
				t.Errorf("sandbox balance %s, race says %d", got, r.FinalMiles)
			}
		})
	}
}

func TestLogIn(t *testing.T) {
	app, m := newApp(t)
	for _, tt := range []struct {
		name          string
		user, pass    string
		parameterised bool
		wantIn        bool
		wantUser      string
		wantError     bool
	}{
		{"alice, concatenated", "alice", "alice-demo", false, true, "alice", false},
		{"alice, parameterised", "alice", "alice-demo", true, true, "alice", false},
		{"wrong password", "alice", "nope", false, false, "", false},
		{"comment out the password check", "admin' --", "x", false, true, "admin", false},
		{"comment out the password check, parameterised", "admin' --", "x", true, false, "", false},
		{"always true", "' OR 1=1 --", "", false, true, "alice", false},
		{"always true, parameterised", "' OR 1=1 --", "", true, false, "", false},
		{"invented user", "x' UNION SELECT 1, 'hacker', 'admin' --", "", false, true, "hacker", false},
		{"broken quote", "o'brien", "", false, false, "", true},
		{"broken quote, parameterised", "o'brien", "", true, false, "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := m.With(context.Background(), "v4", func(ctx context.Context, db *sandbox.DB) error {
				l, err := app.LogIn(ctx, db, tt.user, tt.pass, tt.parameterised)
				if err != nil {
					return err
				}
				if l.LoggedIn != tt.wantIn || l.Username != tt.wantUser || (l.Error != "") != tt.wantError {
					t.Errorf("got %+v", l)
				}
				if tt.parameterised == strings.Contains(l.SQL, tt.user) && tt.user != "" {
					t.Errorf("SQL %q: parameterised=%v but the username is in the text=%v", l.SQL, tt.parameterised, strings.Contains(l.SQL, tt.user))
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

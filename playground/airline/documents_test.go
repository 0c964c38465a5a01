package airline

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/engineroom/engineroom/playground/sandbox"
)

// withDB runs fn on visitor's sandbox and fails the test on an error.
func withDB(t *testing.T, m *sandbox.Manager, visitor string, fn func(ctx context.Context, db *sandbox.DB) error) {
	t.Helper()
	if err := m.With(context.Background(), visitor, fn); err != nil {
		t.Fatal(err)
	}
}

// scalar reads one value as text.
func scalar(t *testing.T, ctx context.Context, db *sandbox.DB, q string, args ...any) string {
	t.Helper()
	res, err := db.Query(ctx, q, args...)
	if err != nil || len(res.Values) == 0 {
		t.Fatalf("%q: %v", q, err)
	}
	return sandbox.AsString(res.Values[0][0])
}

// bookingDoc is the shape of a stored document.
type bookingDoc struct {
	ID     int64  `json:"id"`
	Status string `json:"status"`
	Member struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
		Tier string `json:"tier"`
	} `json:"member"`
	Flight struct {
		FlightNo    string `json:"flight_no"`
		Destination string `json:"destination"`
	} `json:"flight"`
	Miles []struct {
		Delta  int64  `json:"delta"`
		Reason string `json:"reason"`
	} `json:"miles"`
}

func TestBookingDocsIdempotent(t *testing.T) {
	app, m := newApp(t)
	withDB(t, m, "docs1", func(ctx context.Context, db *sandbox.DB) error {
		first, err := app.bookingDocs(ctx, db)
		if err != nil {
			return err
		}
		second, err := app.bookingDocs(ctx, db)
		if err != nil {
			return err
		}
		if !first.Built || second.Built || first.Documents != DocsLimit || second != (DocsTable{Documents: DocsLimit, FirstID: first.FirstID, LastID: first.LastID}) {
			t.Errorf("first %+v, second %+v; want one build of %d documents", first, second, DocsLimit)
		}
		if first.LastID != 20000 || first.FirstID != 20000-DocsLimit+1 {
			t.Errorf("documents cover ids %d to %d, want the latest bookings", first.FirstID, first.LastID)
		}
		var d bookingDoc
		if err := json.Unmarshal([]byte(scalar(t, ctx, db, readDocSQL, 19987)), &d); err != nil {
			t.Fatal(err)
		}
		if d.ID != 19987 || d.Member.Name == "" || d.Flight.FlightNo == "" || len(d.Miles) != 2 || d.Miles[1].Reason != "refund 19987" {
			t.Errorf("document = %+v, want booking 19987 with its member, flight and two ledger entries", d)
		}
		return nil
	})
}

func TestReadBooking(t *testing.T) {
	app, m := newApp(t)
	for _, tt := range []struct {
		name     string
		change   string // run first, on a fresh sandbox
		id       int64
		wantRows int
		wantDoc  bool
		wantMsg  string
	}{
		{name: "paid and refunded", id: 19987, wantRows: 2, wantDoc: true},
		{name: "older than the documents", id: 42, wantRows: 1, wantMsg: "in the tables but has no document"},
		{name: "no such booking", id: 999999, wantMsg: "There is no booking 999999"},
		{name: "deleted after the copy", change: "build, then DELETE FROM bookings WHERE id = 19987", id: 19987, wantDoc: true, wantMsg: "gone from the tables"},
		{name: "every booking deleted", change: "DELETE FROM bookings", id: 19987, wantMsg: "bookings table is empty"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			withDB(t, m, "read "+tt.name, func(ctx context.Context, db *sandbox.DB) error {
				if q, ok := strings.CutPrefix(tt.change, "build, then "); ok {
					if _, err := app.bookingDocs(ctx, db); err != nil {
						return err
					}
					tt.change = q
				}
				if tt.change != "" {
					if _, err := db.Exec(ctx, tt.change); err != nil {
						return err
					}
				}
				r, err := app.ReadBooking(ctx, db, tt.id)
				if err != nil {
					return err
				}
				if len(r.Rows) != tt.wantRows || (r.Doc != "") != tt.wantDoc || !strings.Contains(r.Message, tt.wantMsg) || (tt.wantMsg == "") != (r.Message == "") {
					t.Errorf("%d rows, doc %q, message %q; want %d rows, a doc %v, message with %q", len(r.Rows), r.Doc, r.Message, tt.wantRows, tt.wantDoc, tt.wantMsg)
				}
				if tt.wantRows == 2 {
					var d bookingDoc
					if err := json.Unmarshal([]byte(r.Doc), &d); err != nil {
						return err
					}
					if r.Columns[3] != "member" || r.Rows[0][3] != d.Member.Name || r.Rows[1][0] != r.Rows[0][0] {
						t.Errorf("rows %v do not repeat booking %d of %s", r.Rows, d.ID, d.Member.Name)
					}
				}
				return nil
			})
		})
	}
}

func TestFilterDocs(t *testing.T) {
	app, m := newApp(t)
	for _, tt := range []struct {
		dest, method string
		wantMatches  bool
	}{
		{"CPH", ExpressionIndex, true},
		{"CPH", GeneratedColumn, true},
		{"JFK", GeneratedColumn, true},
		{"' OR 1=1 --", ExpressionIndex, false},
		{"CPH'; DROP TABLE booking_docs; --", GeneratedColumn, false},
		{"København ✈ 東京", ExpressionIndex, false},
		{strings.Repeat("%_\\\"", 50), ExpressionIndex, false},
		{"", GeneratedColumn, false},
	} {
		t.Run(tt.method+" "+tt.dest, func(t *testing.T) {
			for run := range 2 { // it can be repeated
				withDB(t, m, "filter "+tt.method+tt.dest, func(ctx context.Context, db *sandbox.DB) error {
					f, err := app.FilterDocs(ctx, db, tt.dest, tt.method)
					if err != nil {
						return err
					}
					before, after := strings.Join(f.Before.Plan, "\n"), strings.Join(f.After.Plan, "\n")
					if before != "SCAN booking_docs" || !strings.Contains(after, "USING") || !strings.Contains(after, "INDEX booking_docs_dest") {
						t.Errorf("run %d: plans before %q, after %q", run, before, after)
					}
					want := scalar(t, ctx, db, "SELECT count(*) FROM bookings b JOIN flights f ON f.id = b.flight_id WHERE b.id > ? AND f.destination = ?", 20000-DocsLimit, tt.dest)
					if got := f.Before.Answer[0]; got != want || f.After.Answer[0] != want || (f.Matches > 0) != tt.wantMatches {
						t.Errorf("run %d: counts %v and %v (%d matches), the tables say %s", run, f.Before.Answer, f.After.Answer, f.Matches, want)
					}
					if tt.wantMatches && (len(f.Sample) == 0 || f.Message != "") || !tt.wantMatches && (len(f.Sample) != 0 || !strings.Contains(f.Message, "No document")) {
						t.Errorf("run %d: sample %v, message %q", run, f.Sample, f.Message)
					}
					if n := scalar(t, ctx, db, "SELECT count(*) FROM pragma_table_xinfo('booking_docs')"); n != "2" {
						t.Errorf("run %d: booking_docs has %s columns afterwards, want 2", run, n)
					}
					if n := scalar(t, ctx, db, "SELECT count(*) FROM sqlite_schema WHERE name = 'booking_docs_dest'"); n != "0" {
						t.Errorf("run %d: the index was left behind", run)
					}
					return nil
				})
			}
		})
	}
}

func TestUpdateCopies(t *testing.T) {
	app, m := newApp(t)
	for _, tt := range []struct {
		change   string
		key, alt string // the paths that hold the fact; alt for a city's other use
		label    string
		source   string // reads the fact from its table
		minDocs  int64
		wantDocs int // document statements
	}{
		{ChangeDeparture, "$.flight.id", "$.flight.id", "$.flight.flight_no", "SELECT departs_at FROM flights WHERE id = ?", 1, 1},
		{ChangeTier, "$.member.id", "$.member.id", "$.member.tier", "SELECT tier FROM members WHERE id = ?", 3, 1},
		{ChangeCity, "$.flight.destination", "$.flight.origin", "$.flight.destination_city", "SELECT city FROM airports WHERE code = ?", 50, 2},
	} {
		t.Run(tt.change, func(t *testing.T) {
			withDB(t, m, "update", func(ctx context.Context, db *sandbox.DB) error {
				if _, err := app.bookingDocs(ctx, db); err != nil {
					return err
				}
				res, err := db.Query(ctx, docsMostCopied, tt.key, tt.label)
				if err != nil {
					return err
				}
				target := res.Values[0][0]
				const where = " FROM booking_docs WHERE doc ->> ? = ? OR doc ->> ? = ?"
				args := []any{tt.key, target, tt.alt, target}
				snapshot := func() string {
					return scalar(t, ctx, db, tt.source, target) + scalar(t, ctx, db, "SELECT group_concat(doc, '')"+where, args...)
				}
				before := snapshot()
				copies := sandbox.AsInt(res.Values[0][2])
				if tt.change == ChangeCity {
					copies, _ = strconv.ParseInt(scalar(t, ctx, db, "SELECT count(*)"+where, args...), 10, 64)
				}
				u, err := app.UpdateCopies(ctx, db, tt.change)
				if err != nil {
					return err
				}
				if u.RowsChanged != 1 || u.DocsChanged != copies || u.DocsChanged < tt.minDocs || len(u.Relational) != 1 || len(u.Document) != tt.wantDocs || !u.RolledBack || u.Message != "" {
					t.Errorf("%+v; want 1 row and %d documents (at least %d) changed", u, copies, tt.minDocs)
				}
				for _, w := range append(u.Relational, u.Document...) {
					if w.MS <= 0 || len(w.Args) == 0 {
						t.Errorf("write %q: %v ms, args %v", w.SQL, w.MS, w.Args)
					}
				}
				if after := snapshot(); after != before {
					t.Error("the demo's changes were not rolled back")
				}
				return nil
			})
		})
	}
	withDB(t, m, "update empty", func(ctx context.Context, db *sandbox.DB) error {
		if _, err := db.Exec(ctx, "DELETE FROM bookings"); err != nil {
			return err
		}
		u, err := app.UpdateCopies(ctx, db, ChangeTier)
		if err != nil {
			return err
		}
		if u.DocsChanged != 0 || !strings.Contains(u.Message, "bookings table is empty") {
			t.Errorf("%+v, want the empty-table message", u)
		}
		return nil
	})
}

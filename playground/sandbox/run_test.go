package sandbox

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	null := Cell{Null: true}
	text := func(s string) Cell { return Cell{Text: s} }
	tests := []struct {
		name string
		sql  string
		plan bool
		want []Statement // ElapsedMS is not compared; Plan only when set here
		// wantRolledBack is Result.RolledBack.
		wantRolledBack bool
	}{
		{
			name: "values and NULL",
			sql:  "SELECT 1 AS i, 2.0 AS r, 'NULL' AS t, NULL AS n, x'cafe' AS b, 1e308 * 10 AS inf",
			want: []Statement{{Columns: []string{"i", "r", "t", "n", "b", "inf"},
				Rows: [][]Cell{{text("1"), text("2.0"), text("NULL"), null, text("x'cafe'"), text("Inf")}}}},
		},
		{
			name: "insert, update, delete report rows affected",
			sql: `INSERT INTO airports VALUES ('XXX', 'Nowhere', 'Atlantis'), ('YYY', 'Elsewhere', 'Atlantis');
				UPDATE airports SET city = upper(city) WHERE country = 'Atlantis';
				CREATE TABLE t (x);
				DELETE FROM airports WHERE code = 'YYY'`,
			want: []Statement{{RowsAffected: 2}, {RowsAffected: 2}, {}, {RowsAffected: 1}},
		},
		{
			name: "returning",
			sql:  "UPDATE members SET miles = miles + 1 WHERE id IN (1, 2) RETURNING id",
			want: []Statement{{Columns: []string{"id"}, Rows: [][]Cell{{text("1")}, {text("2")}}, RowsAffected: 2}},
		},
		{
			name: "constraint error stops the run",
			sql:  "INSERT INTO members (name, email, joined_on) VALUES ('Eve', 'alice@example.com', '2026-01-01'); SELECT 1",
			want: []Statement{
				{Error: &StmtError{Code: 2067, Name: "SQLITE_CONSTRAINT_UNIQUE", Message: "UNIQUE constraint failed: members.email"}},
				{NotRun: true},
			},
		},
		{
			name: "check constraint",
			sql:  "UPDATE members SET miles = -1 WHERE id = 1",
			want: []Statement{{Error: &StmtError{Code: 275, Name: "SQLITE_CONSTRAINT_CHECK", Message: "CHECK constraint failed: miles >= 0"}}},
		},
		{
			name: "foreign key",
			sql:  "INSERT INTO bookings (member_id, flight_id, status, booked_at) VALUES (999999, 1, 'confirmed', '2026-04-15')",
			want: []Statement{{Error: &StmtError{Code: 787, Name: "SQLITE_CONSTRAINT_FOREIGNKEY", Message: "FOREIGN KEY constraint failed"}}},
		},
		{
			name: "syntax error",
			sql:  "SELEC 1",
			want: []Statement{{Error: &StmtError{Code: 1, Name: "SQLITE_ERROR", Message: `near "SELEC": syntax error`}}},
		},
		{
			name:           "open transaction is rolled back",
			sql:            "BEGIN; DELETE FROM users",
			want:           []Statement{{}, {RowsAffected: 6}},
			wantRolledBack: true,
		},
		{
			name: "plan of a join",
			sql:  "SELECT m.name FROM members m JOIN bookings b ON b.member_id = m.id WHERE m.id = 1 LIMIT 1",
			plan: true,
			want: []Statement{{Columns: []string{"name"}, Rows: [][]Cell{{text("Alice Martin")}},
				Plan: []PlanNode{{Detail: "SEARCH m USING INTEGER PRIMARY KEY (rowid=?)"}, {Detail: "SCAN b"}}}},
		},
		{
			name: "an index changes the plan",
			sql:  "CREATE INDEX bookings_member_id ON bookings (member_id); SELECT count(*) FROM bookings WHERE member_id = 1",
			plan: true,
			want: []Statement{{}, {Columns: []string{"count(*)"}, Rows: [][]Cell{{text("41")}},
				Plan: []PlanNode{{Detail: "SEARCH bookings USING COVERING INDEX bookings_member_id (member_id=?)"}}}},
		},
	}
	m := newTestManager(t, Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			visitor := "run-" + tt.name
			res, err := m.Run(context.Background(), visitor, tt.sql, RunOptions{Plan: tt.plan})
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if res.RolledBack != tt.wantRolledBack || res.Recycled || res.Truncated {
				t.Errorf("RolledBack, Recycled, Truncated = %v, %v, %v; want %v, false, false", res.RolledBack, res.Recycled, res.Truncated, tt.wantRolledBack)
			}
			if len(res.Statements) != len(tt.want) {
				t.Fatalf("got %d statements, want %d", len(res.Statements), len(tt.want))
			}
			stmts := Split(tt.sql)
			for i, got := range res.Statements {
				want := tt.want[i]
				want.SQL = stmts[i]
				if want.Columns == nil && !want.NotRun && want.Error == nil {
					want.Columns = []string{}
				}
				if got.ElapsedMS < 0 || got.NotRun && got.ElapsedMS != 0 {
					t.Errorf("statement %d: ElapsedMS = %v", i, got.ElapsedMS)
				}
				got.ElapsedMS = 0
				if got.Columns != nil && len(got.Columns) == 0 {
					got.Columns = []string{}
				}
				if want.Plan == nil {
					got.Plan = nil
				} else {
					got.Plan = planDetails(got.Plan)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("statement %d:\n got %+v\nwant %+v", i, got, want)
				}
			}
		})
	}
}

// planDetails drops the ids of a plan, which vary between SQLite versions.
func planDetails(nodes []PlanNode) []PlanNode {
	var out []PlanNode
	for _, n := range nodes {
		out = append(out, PlanNode{Detail: n.Detail, Children: planDetails(n.Children)})
	}
	return out
}

func TestOutputCaps(t *testing.T) {
	tests := []struct {
		name          string
		sql           string
		wantRows      int
		wantCellBytes int
		wantTruncated bool
		wantResultCut bool
	}{
		{name: "row cap", sql: "SELECT * FROM bookings", wantRows: maxRows, wantTruncated: true},
		{name: "cell cap", sql: "SELECT printf('%.5000c', 'é')", wantRows: 1, wantCellBytes: maxCellBytes},
		{name: "blob cell cap", sql: "SELECT randomblob(5000)", wantRows: 1, wantCellBytes: maxCellBytes},
		{name: "result cap", sql: "SELECT printf('%.3000c', 'x') AS a, printf('%.3000c', 'y') AS b FROM bookings LIMIT 490; SELECT 1; " +
			strings.Repeat("SELECT printf('%.3000c', 'z') FROM bookings LIMIT 400; ", 2), wantRows: 0, wantTruncated: true, wantResultCut: true},
	}
	m := newTestManager(t, Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := mustRun(t, m, "caps", tt.sql)
			last := res.Statements[0]
			for _, st := range res.Statements {
				if !st.NotRun {
					last = st
				}
			}
			if res.Truncated != tt.wantResultCut || last.Truncated != tt.wantTruncated {
				t.Errorf("Result.Truncated = %v, Statement.Truncated = %v; want %v, %v", res.Truncated, last.Truncated, tt.wantResultCut, tt.wantTruncated)
			}
			if tt.wantResultCut {
				total := 0
				for _, st := range res.Statements {
					for _, row := range st.Rows {
						for _, c := range row {
							total += len(c.Text)
						}
					}
				}
				if total > maxResultBytes || total < maxResultBytes/2 {
					t.Errorf("result holds %d bytes of cells, want just under %d", total, maxResultBytes)
				}
				if !res.Statements[len(res.Statements)-1].NotRun {
					t.Errorf("statements after the cap ran")
				}
				return
			}
			if len(last.Rows) != tt.wantRows {
				t.Errorf("got %d rows, want %d", len(last.Rows), tt.wantRows)
			}
			if tt.wantCellBytes > 0 {
				c := last.Rows[0][0].Text
				if len(c) > tt.wantCellBytes || len(c) < tt.wantCellBytes-8 || !strings.HasSuffix(c, "…") {
					t.Errorf("cell of %d bytes ending %q, want about %d ending in …", len(c), c[len(c)-6:], tt.wantCellBytes)
				}
			}
		})
	}
}

func TestCellJSON(t *testing.T) {
	got, err := json.Marshal([]Cell{{Text: "a"}, {Null: true}, {Text: ""}})
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != `["a",null,""]` {
		t.Errorf("JSON = %s", got)
	}
}

func TestEmptyInput(t *testing.T) {
	m := newTestManager(t, Options{})
	res := mustRun(t, m, "v", " -- nothing\n;")
	if len(res.Statements) != 0 || m.Stats().Sandboxes != 0 {
		t.Errorf("got %d statements and %d sandboxes, want none", len(res.Statements), m.Stats().Sandboxes)
	}
}

// TestRowsAffectedAfterFailure checks the rows-affected count of a query
// that follows a failed write in an earlier Run.
func TestRowsAffectedAfterFailure(t *testing.T) {
	m := newTestManager(t, Options{})
	steps := []struct {
		sql          string
		wantAffected int64
		wantErr      bool
	}{
		{"UPDATE members SET tier = 'gold' WHERE id <= 3", 3, false},
		{"INSERT INTO airports VALUES ('AAA', 'a', 'a'), ('AMS', 'dup', 'x')", 0, true},
		{"SELECT count(*) FROM airports", 0, false},
		{"DELETE FROM users WHERE id = 6", 1, false},
		{"CREATE TABLE t (x)", 0, false},
	}
	for _, s := range steps {
		st := mustRun(t, m, "v", s.sql).Statements[0]
		if st.RowsAffected != s.wantAffected || (st.Error != nil) != s.wantErr {
			t.Errorf("%s: RowsAffected = %d, error %v; want %d, error %v", s.sql, st.RowsAffected, st.Error, s.wantAffected, s.wantErr)
		}
	}
}

package sandbox

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// Cached statements must answer as if prepared afresh: after the schema
// changes, after a reset, and with their plans shown as they are now.
func TestStmtCacheFollowsTheSchema(t *testing.T) {
	m := newTestManager(t, Options{})
	const v = "cache"
	const q = "SELECT * FROM notes ORDER BY 1"
	steps := []struct {
		name    string
		before  string // run first, outside the query under test
		wantCol []string
		wantErr string
	}{
		{"first", "CREATE TABLE notes (a); INSERT INTO notes VALUES (1)", []string{"a"}, ""},
		{"a column added", "ALTER TABLE notes ADD COLUMN b DEFAULT 'x'", []string{"a", "b"}, ""},
		{"table dropped", "DROP TABLE notes", nil, "no such table: notes"},
		{"made again differently", "CREATE TABLE notes (c, d, e)", []string{"c", "d", "e"}, ""},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			mustRun(t, m, v, s.before)
			st := mustRun(t, m, v, q).Statements[0]
			if s.wantErr != "" {
				if st.Error == nil || !strings.Contains(st.Error.Message, s.wantErr) {
					t.Fatalf("error = %+v, want %q", st.Error, s.wantErr)
				}
				return
			}
			if st.Error != nil || !slices.Equal(st.Columns, s.wantCol) {
				t.Fatalf("columns = %v, error %+v; want %v", st.Columns, st.Error, s.wantCol)
			}
		})
	}

	t.Run("plans are made now", func(t *testing.T) {
		const sel = "SELECT count(*) FROM bookings WHERE member_id = 7"
		plan := func() string {
			res, err := m.Run(context.Background(), v, sel, RunOptions{Plan: true})
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for _, n := range res.Statements[0].Plan {
				b.WriteString(n.Detail)
			}
			return b.String()
		}
		if p := plan(); !strings.Contains(p, "SCAN") {
			t.Fatalf("plan without an index = %q", p)
		}
		mustRun(t, m, v, "CREATE INDEX b_member ON bookings(member_id)")
		if p := plan(); !strings.Contains(p, "b_member") {
			t.Fatalf("plan with the index = %q", p)
		}
		mustRun(t, m, v, "DROP INDEX b_member")
		if p := plan(); !strings.Contains(p, "SCAN") {
			t.Fatalf("plan after dropping the index = %q", p)
		}
	})

	t.Run("bounded, and emptied by a reset", func(t *testing.T) {
		for i := range 2 * stmtCacheSize {
			mustRun(t, m, v, fmt.Sprintf("SELECT %d", i))
		}
		if n := cachedStatements(t, m, v); n != stmtCacheSize {
			t.Errorf("%d statements cached, want the cap %d", n, stmtCacheSize)
		}
		if err := m.Reset(context.Background(), v); err != nil {
			t.Fatal(err)
		}
		if n := cachedStatements(t, m, v); n != 0 {
			t.Errorf("%d statements cached after a reset, want 0", n)
		}
		if got := scalar(t, m, v, "SELECT count(*) FROM members"); got != "2000" {
			t.Errorf("members after reset = %s", got)
		}
	})
}

func cachedStatements(t *testing.T, m *Manager, visitor string) int {
	t.Helper()
	l, err := m.acquire(context.Background(), visitor)
	if err != nil {
		t.Fatal(err)
	}
	defer l.release()
	return len(l.b.stmts.stmts)
}

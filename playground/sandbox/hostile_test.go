package sandbox

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// hostileCase is one attack from SQLite's "Defense against the dark arts"
// checklist, or a close relative.
type hostileCase struct {
	name string
	sql  string
	// wantErr is the error Run itself must return (input checks), or nil.
	wantErr error
	// wantCode prefixes the StmtError.Name of the last statement that ran;
	// "" means every statement must succeed.
	wantCode string
	// wantMsg is a substring of that error's message.
	wantMsg string
	// wantTruncated expects the last statement's rows to be cut.
	wantTruncated bool
	// check makes extra assertions on the visitor's sandbox afterwards.
	check func(t *testing.T, m *Manager, visitor string)
}

const (
	runaway    = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
	timeLimit  = "(time limit)"
	notAllowed = "not allowed in the sandbox"
	tooBig     = "string or blob too big"
)

func hostileCases(dir string) []hostileCase {
	nested := func(n int, open, close string) string {
		return "SELECT " + strings.Repeat(open, n) + "1" + strings.Repeat(close, n)
	}
	compound := strings.TrimSuffix(strings.Repeat("SELECT 1 UNION ALL ", 25), " UNION ALL ")
	args := "SELECT max(" + strings.TrimSuffix(strings.Repeat("1, ", 40), ", ") + ")"
	names := make([]string, 101)
	for i := range names {
		names[i] = fmt.Sprintf("c%d", i)
	}
	cols := "CREATE TABLE wide (" + strings.Join(names, ", ") + ")"
	file := func(name string) string { return filepath.Join(dir, name) }
	return []hostileCase{
		{name: "runaway recursive CTE counted", sql: runaway + "SELECT count(*) FROM c", wantCode: "SQLITE_INTERRUPT", wantMsg: timeLimit},
		{name: "runaway recursive CTE listed", sql: runaway + "SELECT x FROM c", wantTruncated: true},
		{name: "runaway CTE sorted", sql: runaway + "SELECT x FROM c ORDER BY random()", wantCode: "SQLITE_", wantMsg: ""},
		{name: "randomblob 2e9", sql: "SELECT randomblob(2e9)", wantCode: "SQLITE_TOOBIG", wantMsg: tooBig},
		{name: "zeroblob huge", sql: "SELECT zeroblob(2000000000)", wantCode: "SQLITE_TOOBIG", wantMsg: tooBig},
		{name: "printf width", sql: "SELECT printf('%.*c', 2000000000, 'x')", wantCode: "SQLITE_TOOBIG", wantMsg: tooBig},
		{name: "replace explosion", sql: "SELECT replace(printf('%.*c', 100000, 'x'), 'x', 'xxxxxxxxxxxxxxxxxxxx')", wantCode: "SQLITE_TOOBIG", wantMsg: tooBig},
		{name: "substr of concatenation", sql: "SELECT substr(zeroblob(999999) || zeroblob(999999), 1, 10)", wantCode: "SQLITE_TOOBIG", wantMsg: tooBig},
		{name: "string doubling", sql: "WITH RECURSIVE c(s) AS (SELECT 'x' UNION ALL SELECT s || s FROM c) SELECT length(s) FROM c", wantCode: "SQLITE_TOOBIG", wantMsg: tooBig},
		{name: "group_concat explosion", sql: "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5000) SELECT length(group_concat(printf('%.1000c', 'x'))) FROM c", wantCode: "SQLITE_TOOBIG", wantMsg: tooBig},
		{name: "deep function nesting", sql: nested(60, "abs(", ")"), wantCode: "SQLITE_ERROR", wantMsg: "too large"},
		{name: "deep subqueries", sql: nested(60, "(SELECT ", ")"), wantCode: "SQLITE_ERROR", wantMsg: "too large"},
		{name: "long sum", sql: "SELECT " + strings.Repeat("1 + ", 80) + "1", wantCode: "SQLITE_ERROR", wantMsg: "too large"},
		{name: "giant compound select", sql: compound, wantCode: "SQLITE_ERROR", wantMsg: "too many terms in compound SELECT"},
		{name: "too many function arguments", sql: args, wantCode: "SQLITE_ERROR", wantMsg: "too many arguments"},
		{name: "too many columns", sql: cols, wantCode: "SQLITE_ERROR", wantMsg: "too many columns"},
		{name: "long LIKE pattern", sql: "SELECT 'a' LIKE '" + strings.Repeat("%a", 60) + "'", wantCode: "SQLITE_ERROR", wantMsg: "pattern too complex"},
		{name: "cross join counted", sql: "SELECT count(*) FROM bookings, orders, order_items", wantCode: "SQLITE_INTERRUPT", wantMsg: timeLimit},
		{name: "cross join listed", sql: "SELECT * FROM bookings, orders", wantTruncated: true},
		{name: "attach memory", sql: "ATTACH ':memory:' AS x", wantCode: "SQLITE_AUTH", wantMsg: notAllowed},
		{name: "attach file", sql: "ATTACH '" + file("attach.db") + "' AS x", wantCode: "SQLITE_AUTH", wantMsg: notAllowed},
		{name: "attach URI behind a comment", sql: "/* hi */ attach 'file:" + file("uri.db") + "?mode=rwc' AS y", wantCode: "SQLITE_AUTH", wantMsg: notAllowed},
		{name: "detach main", sql: "DETACH main", wantCode: "SQLITE_AUTH", wantMsg: notAllowed},
		{name: "load_extension", sql: "SELECT load_extension('/usr/lib/x86_64-linux-gnu/libm.so.6')", wantCode: "SQLITE_AUTH", wantMsg: "load_extension() is " + notAllowed},
		{name: "writable_schema", sql: "PRAGMA writable_schema = 1", wantCode: "SQLITE_AUTH", wantMsg: notAllowed},
		{name: "write sqlite_schema", sql: "UPDATE sqlite_schema SET sql = 'x'", wantCode: "SQLITE_ERROR", wantMsg: "may not be modified"},
		{name: "journal_mode off", sql: "PRAGMA journal_mode = OFF", wantCode: "SQLITE_AUTH", wantMsg: "can be read but not set"},
		{name: "journal_mode qualified", sql: "PRAGMA main.journal_mode = DELETE", wantCode: "SQLITE_AUTH", wantMsg: "can be read but not set"},
		{name: "journal_mode read", sql: "PRAGMA journal_mode"},
		{name: "max_page_count raised", sql: "PRAGMA max_page_count = 2147483647", wantCode: "SQLITE_AUTH", wantMsg: "can be read but not set"},
		{name: "cache_size raised", sql: "PRAGMA cache_size = -1000000", wantCode: "SQLITE_AUTH", wantMsg: "can be read but not set"},
		{name: "hard_heap_limit lifted", sql: "PRAGMA hard_heap_limit = 0", wantCode: "SQLITE_AUTH", wantMsg: notAllowed},
		{name: "hard_heap_limit read", sql: "PRAGMA hard_heap_limit", wantCode: "SQLITE_AUTH", wantMsg: notAllowed},
		{name: "soft_heap_limit", sql: "PRAGMA soft_heap_limit = 1", wantCode: "SQLITE_AUTH", wantMsg: notAllowed},
		{name: "temp_store_directory", sql: "PRAGMA temp_store_directory = '" + dir + "'", wantCode: "SQLITE_AUTH", wantMsg: notAllowed},
		{name: "temp_store to file", sql: "PRAGMA temp_store = FILE", wantCode: "SQLITE_AUTH", wantMsg: "can be read but not set"},
		{name: "foreign_keys off", sql: "PRAGMA foreign_keys = OFF", wantCode: "SQLITE_AUTH", wantMsg: "can be read but not set"},
		{name: "trusted_schema on", sql: "PRAGMA trusted_schema = ON", wantCode: "SQLITE_AUTH", wantMsg: notAllowed},
		{name: "pragma function with a value", sql: "SELECT * FROM pragma_journal_mode('off')", wantCode: "SQLITE_", wantMsg: ""},
		{name: "vacuum", sql: "VACUUM", wantCode: "SQLITE_AUTH", wantMsg: "VACUUM is " + notAllowed},
		{name: "vacuum into", sql: "VACUUM INTO '" + file("vacuum.db") + "'", wantCode: "SQLITE_AUTH", wantMsg: "VACUUM is " + notAllowed},
		{name: "vacuum behind a comment", sql: "-- tidy up\nvacuum main INTO '" + file("vacuum2.db") + "'", wantCode: "SQLITE_AUTH", wantMsg: notAllowed},
		{name: "sqlite_dbpage read", sql: "SELECT * FROM sqlite_dbpage", wantCode: "SQLITE_AUTH", wantMsg: "sqlite_dbpage is " + notAllowed},
		{name: "sqlite_dbpage write", sql: "INSERT INTO sqlite_dbpage VALUES (1, zeroblob(4096))", wantCode: "SQLITE_AUTH", wantMsg: notAllowed},
		{name: "fts5 table", sql: "CREATE VIRTUAL TABLE docs USING fts5(body)", wantCode: "SQLITE_AUTH", wantMsg: "virtual tables are " + notAllowed},
		{name: "rtree table", sql: "CREATE VIRTUAL TABLE boxes USING rtree(id, x0, x1)", wantCode: "SQLITE_AUTH", wantMsg: notAllowed},
		{name: "dbstat table", sql: "CREATE VIRTUAL TABLE temp.s USING dbstat(main)", wantCode: "SQLITE_AUTH", wantMsg: notAllowed},
		{name: "recursive triggers", sql: "PRAGMA recursive_triggers = ON; CREATE TABLE t (x)", wantCode: "SQLITE_AUTH", wantMsg: "can be read but not set",
			check: func(t *testing.T, m *Manager, v string) {
				if got := scalar(t, m, v, "SELECT count(*) FROM sqlite_schema WHERE name = 't'"); got != "0" {
					t.Errorf("statement after the failing one ran: table t exists")
				}
			}},
		{name: "trigger loop stays bounded", sql: `CREATE TABLE t (x);
			CREATE TRIGGER grow AFTER INSERT ON t BEGIN INSERT INTO t VALUES (new.x + 1); END;
			INSERT INTO t VALUES (1)`,
			check: func(t *testing.T, m *Manager, v string) {
				if got := scalar(t, m, v, "SELECT count(*) FROM t"); got != "2" {
					t.Errorf("trigger fired %s times, want it not to recurse", got)
				}
			}},
		{name: "slow trigger", sql: `CREATE TABLE t (x);
			CREATE TRIGGER slow AFTER INSERT ON t BEGIN SELECT count(*) FROM bookings, orders, order_items; END;
			INSERT INTO t VALUES (1)`, wantCode: "SQLITE_INTERRUPT", wantMsg: timeLimit},
		{name: "fill the database", sql: "CREATE TABLE big (b); " + runaway + "INSERT INTO big SELECT zeroblob(900000) FROM c",
			wantCode: "SQLITE_FULL", wantMsg: "16 MiB sandbox limit"},
		{name: "fill temp storage", sql: "CREATE TEMP TABLE big (b); " + runaway + "INSERT INTO big SELECT zeroblob(900000) FROM c",
			wantCode: "SQLITE_FULL", wantMsg: "16 MiB sandbox limit"},
		{name: "transaction left open", sql: "BEGIN; DELETE FROM users; UPDATE members SET miles = 0",
			check: func(t *testing.T, m *Manager, v string) {
				if got := scalar(t, m, v, "SELECT count(*) || '/' || (SELECT max(miles) > 0 FROM members) FROM users"); got != "6/1" {
					t.Errorf("users/any miles = %s after rollback, want 6/1", got)
				}
			}},
		{name: "drop table then reset", sql: "DROP TABLE order_items; DROP TABLE orders",
			check: func(t *testing.T, m *Manager, v string) {
				if err := m.Reset(context.Background(), v); err != nil {
					t.Fatalf("Reset: %v", err)
				}
				if got := scalar(t, m, v, "SELECT count(*) FROM orders"); got != "5000" {
					t.Errorf("orders = %s after Reset, want 5000", got)
				}
			}},
		{name: "markup returned verbatim", sql: `SELECT '<script>alert(1)</script>' AS "<b onclick=x>col</b>"`,
			check: func(t *testing.T, m *Manager, v string) {
				st := mustRun(t, m, v, `SELECT '<script>alert(1)</script>' AS "<b onclick=x>col</b>"`).Statements[0]
				if st.Columns[0] != "<b onclick=x>col</b>" || st.Rows[0][0].Text != "<script>alert(1)</script>" {
					t.Errorf("got column %q cell %q, want both verbatim", st.Columns[0], st.Rows[0][0].Text)
				}
			}},
		{name: "21 statements", sql: strings.Repeat("SELECT 1;", 21), wantErr: ErrTooManyStatements},
		{name: "NUL byte", sql: "SELECT 1\x00; ATTACH 'x' AS y", wantErr: ErrInvalidInput},
		{name: "invalid UTF-8", sql: "SELECT '\xff\xfe'", wantErr: ErrInvalidInput},
		{name: "over 100 KB", sql: "SELECT '" + strings.Repeat("x", 100_000) + "'", wantErr: ErrTooLarge},
	}
}

func TestHostileInput(t *testing.T) {
	const timeout = 1500 * time.Millisecond
	m := newTestManager(t, Options{QueryTimeout: timeout})
	dir := t.TempDir()
	cwd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	before := listFiles(t, cwd, dir, os.TempDir())
	fingerprint := "SELECT (SELECT count(*) FROM members) || '/' || (SELECT sum(miles) FROM members) || '/' || " +
		"(SELECT count(*) FROM bookings) || '/' || (SELECT count(*) FROM orders) || '/' || (SELECT count(*) FROM sqlite_schema)"
	bystander := scalar(t, m, "bystander", fingerprint)
	cases := hostileCases(dir)
	if len(cases) < 40 {
		t.Fatalf("only %d hostile cases", len(cases))
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			visitor := fmt.Sprintf("hostile-%d", i)
			start := time.Now()
			res, err := m.Run(context.Background(), visitor, tc.sql, RunOptions{Plan: true})
			if elapsed := time.Since(start); elapsed > timeout+2*time.Second {
				t.Errorf("took %v, the time limit is %v", elapsed, timeout)
			}
			switch {
			case tc.wantErr != nil:
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("Run error = %v, want %v", err, tc.wantErr)
				}
			case err != nil:
				t.Fatalf("Run error = %v", err)
			default:
				checkHostileResult(t, tc, res)
			}
			if got := scalar(t, m, visitor, "SELECT 1"); got != "1" {
				t.Errorf("SELECT 1 afterwards = %q", got)
			}
			if got := scalar(t, m, "bystander", fingerprint); got != bystander {
				t.Errorf("second visitor's data changed: %q, was %q", got, bystander)
			}
			if tc.check != nil {
				tc.check(t, m, visitor)
			}
			if after := listFiles(t, cwd, dir, os.TempDir()); after != before {
				t.Errorf("files changed on disk:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

func checkHostileResult(t *testing.T, tc hostileCase, res *Result) {
	t.Helper()
	var last *Statement
	for i := range res.Statements {
		if !res.Statements[i].NotRun {
			last = &res.Statements[i]
		}
	}
	if last == nil {
		t.Fatalf("no statement ran")
	}
	switch {
	case tc.wantCode == "" && last.Error != nil:
		t.Errorf("%q failed: %v", last.SQL, last.Error)
	case tc.wantCode != "" && last.Error == nil:
		t.Errorf("%q succeeded, want %s", last.SQL, tc.wantCode)
	case tc.wantCode != "":
		if !strings.HasPrefix(last.Error.Name, tc.wantCode) || !strings.Contains(last.Error.Message, tc.wantMsg) {
			t.Errorf("error = %s (%d): %q, want %s…: …%q…", last.Error.Name, last.Error.Code, last.Error.Message, tc.wantCode, tc.wantMsg)
		}
	}
	if last.Truncated != tc.wantTruncated {
		t.Errorf("Truncated = %v, want %v", last.Truncated, tc.wantTruncated)
	}
	if tc.wantTruncated && len(last.Rows) != maxRows {
		t.Errorf("got %d rows, want the %d-row cap", len(last.Rows), maxRows)
	}
}

// listFiles names the entries of dirs that SQLite or these tests could
// have created: everything in the working and test directories, and
// SQLite's temporary files ("etilqs_…") in the system temp directory.
func listFiles(t *testing.T, cwd, testDir, tmp string) string {
	t.Helper()
	var names []string
	for _, dir := range []string{cwd, testDir, tmp} {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if dir == tmp && !strings.HasPrefix(e.Name(), "etilqs") {
				continue
			}
			names = append(names, filepath.Join(dir, e.Name()))
		}
	}
	return strings.Join(names, " ")
}

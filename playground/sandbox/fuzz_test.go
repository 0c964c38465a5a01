package sandbox

import (
	"context"
	"errors"
	"testing"
	"time"
)

func FuzzRun(f *testing.F) {
	for _, s := range []string{
		"SELECT * FROM members WHERE tier = 'gold' LIMIT 5",
		"BEGIN; UPDATE members SET miles = miles - 100 WHERE id = 1 RETURNING miles; COMMIT",
		"CREATE TABLE t (x CHECK (x > 0)); INSERT INTO t VALUES (0)",
		"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c",
		"ATTACH ':memory:' AS x; PRAGMA writable_schema = 1; VACUUM",
		"SELECT printf('%.*c', 2000000000, 'x')",
		"CREATE TRIGGER t AFTER INSERT ON users BEGIN SELECT 1; END; SELECT 2",
		"SELECT x'00ff', 1.5, NULL, '<b>'",
	} {
		f.Add(s)
	}
	m := newTestManager(f, Options{QueryTimeout: 200 * time.Millisecond})
	f.Fuzz(func(t *testing.T, src string) {
		res, err := m.Run(context.Background(), "fuzz", src, RunOptions{Plan: true})
		switch {
		case errors.Is(err, ErrInvalidInput), errors.Is(err, ErrTooLarge), errors.Is(err, ErrTooManyStatements):
			return
		case err != nil:
			t.Fatalf("Run(%q): undocumented error %v", src, err)
		}
		if got, want := len(res.Statements), len(Split(src)); got != want {
			t.Fatalf("Run(%q): %d statements reported, Split finds %d", src, got, want)
		}
		for _, st := range res.Statements {
			if len(st.Rows) > maxRows {
				t.Fatalf("Run(%q): %d rows", src, len(st.Rows))
			}
			for _, row := range st.Rows {
				for _, c := range row {
					if len(c.Text) > maxCellBytes {
						t.Fatalf("Run(%q): %d-byte cell", src, len(c.Text))
					}
				}
			}
		}
	})
}

package sandbox

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
)

// sharedTemplate builds the demo image once per test binary; building it
// through New first switches on SQLite's memory statistics, as in production.
var sharedTemplate = sync.OnceValues(func() ([]byte, error) {
	m, err := New(Options{})
	if err != nil {
		return nil, err
	}
	defer m.Close()
	return m.Image(context.Background())
})

// newTestManager returns a Manager on the shared template, without rate
// limits unless opts asks for them, closed when the test ends.
func newTestManager(t testing.TB, opts Options) *Manager {
	t.Helper()
	image, err := sharedTemplate()
	if err != nil {
		t.Fatalf("building template: %v", err)
	}
	opts.Template = image
	for _, rate := range []*int{&opts.CreationsPerMinute, &opts.NewVisitorCreationsPerMinute, &opts.QueriesPerMinute} {
		if *rate == 0 {
			*rate = -1
		}
	}
	m, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// mustRun runs src for visitor and fails the test on a Run error.
func mustRun(t testing.TB, m *Manager, visitor, src string) *Result {
	t.Helper()
	res, err := m.Run(context.Background(), visitor, src, RunOptions{})
	if err != nil {
		t.Fatalf("Run(%q): %v", src, err)
	}
	return res
}

// scalar runs a one-value query and returns its text, failing the test on
// any error.
func scalar(t testing.TB, m *Manager, visitor, src string) string {
	t.Helper()
	res := mustRun(t, m, visitor, src)
	st := res.Statements[len(res.Statements)-1]
	if st.Error != nil {
		t.Fatalf("Run(%q): statement error %v", src, st.Error)
	}
	if len(st.Rows) != 1 || len(st.Rows[0]) != 1 {
		t.Fatalf("Run(%q): got %d rows, want one value", src, len(st.Rows))
	}
	return st.Rows[0][0].Text
}

// openImage opens a copy of image in SQLite's own in-memory database, on
// one connection, closed with the test.
func openImage(t testing.TB, image []byte) *sql.Conn {
	t.Helper()
	db, err := sql.Open("sqlite", "file::memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	err = conn.Raw(func(dc any) error {
		d, ok := dc.(interface{ Deserialize([]byte) error })
		if !ok {
			return fmt.Errorf("driver connection %T cannot deserialize", dc)
		}
		return d.Deserialize(image)
	})
	if err != nil {
		t.Fatal(err)
	}
	return conn
}

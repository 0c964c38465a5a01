package sandbox

import (
	"context"
	"fmt"
	"sync"
)

// DB is a visitor's sandbox handed to application code (a demo's back end)
// by With or WithPair. Every call runs under the sandbox's guards and is
// traced as a client span whose attributes include the bound parameters
// (db.query.parameter.<index>). A DB is valid only during the callback it
// was passed to; its methods may be called from several goroutines, one
// call at a time.
type DB struct {
	mu       sync.Mutex
	r        *runner
	recycled bool
}

// QueryResult is the output of DB.Query: the display form that Run also
// returns, plus the raw values for application code.
type QueryResult struct {
	Statement
	// Values holds the same rows as Statement.Rows, each cell an int64,
	// float64, string, []byte or nil.
	Values [][]any
}

// Query runs one statement with bound args and returns its rows (at most
// 500). A failed statement returns its *StmtError.
func (d *DB) Query(ctx context.Context, query string, args ...any) (*QueryResult, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.r.values, d.r.raw = true, nil
	st := d.r.statement(ctx, query, false, args...)
	res := &QueryResult{Statement: st, Values: d.r.raw}
	d.r.values, d.r.raw = false, nil
	if st.Error != nil {
		return res, st.Error
	}
	return res, nil
}

// Exec runs one statement with bound args and returns how many rows it
// inserted, updated or deleted. A failed statement returns its *StmtError.
func (d *DB) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	st := d.r.statement(ctx, query, false, args...)
	if st.Error != nil {
		return 0, st.Error
	}
	return st.RowsAffected, nil
}

// Recycled reports whether the visitor's previous sandbox had been dropped
// (so their earlier changes are gone) and this is the first call to tell.
func (d *DB) Recycled() bool {
	return d.recycled
}

// Opener runs fn with a visitor's sandbox, as With does. Application code
// takes one where only some steps need the database (a cache hit needs
// none), so the sandbox is opened only then.
type Opener func(ctx context.Context, fn func(ctx context.Context, db *DB) error) error

// With runs fn with the visitor's sandbox, creating it on first use. It
// holds the sandbox and one global slot for the whole callback, so the
// visitor's other requests get ErrBusy meanwhile (fn must not call Run for
// the same visitor). The ctx passed to fn carries the QueryTimeout deadline
// (a heavy visitor's is shorter, see usage.go);
// a transaction fn leaves open is rolled back. fn's error is returned as
// is. fn's statements are the app's own: they may move into the long lane
// but are never stopped to let others run (see lane.go).
func (m *Manager) With(ctx context.Context, visitor string, fn func(ctx context.Context, db *DB) error) error {
	l, err := m.acquire(ctx, visitor)
	if err != nil {
		return err
	}
	defer l.release()
	db := &DB{r: m.runner(ctx, l.b.conn, l.b.deny, l.b.total), recycled: l.recycled}
	db.r.stmts = l.b.stmts
	l.limit(db.r)
	defer func() { l.b.total = db.r.total }()
	ctx, cancel := l.begin(ctx, true)
	defer cancel()
	defer db.r.rollback()
	return fn(ctx, db)
}

// AsInt reads a cell of QueryResult.Values as an integer: 0 for NULL, text
// or a blob.
func AsInt(v any) int64 {
	switch v := v.(type) {
	case int64:
		return v
	case float64:
		return int64(v)
	default:
		return 0
	}
}

// AsString reads a cell of QueryResult.Values as text: "" for NULL.
func AsString(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case []byte:
		return string(v)
	default:
		return fmt.Sprint(v)
	}
}

// Execer runs a statement: a *DB, or a pair's connection.
type Execer interface {
	Exec(ctx context.Context, query string, args ...any) (int64, error)
}

// Immediate runs fn between BEGIN IMMEDIATE and COMMIT on db, and rolls
// back when fn (or the commit) fails. IMMEDIATE takes the write lock at
// the start, so no other connection can change the rows fn reads before
// fn writes them.
func Immediate(ctx context.Context, db Execer, fn func() error) error {
	if _, err := db.Exec(ctx, "BEGIN IMMEDIATE"); err != nil {
		return err
	}
	if err := fn(); err != nil {
		_, _ = db.Exec(ctx, "ROLLBACK")
		return err
	}
	if _, err := db.Exec(ctx, "COMMIT"); err != nil {
		_, _ = db.Exec(ctx, "ROLLBACK")
		return err
	}
	return nil
}

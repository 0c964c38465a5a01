package sandbox

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Input caps of one Run.
const (
	maxInputBytes = 100_000
	maxStatements = 20
)

// RunOptions tunes a Run.
type RunOptions struct {
	// Plan asks for the EXPLAIN QUERY PLAN tree of every statement that
	// reads or writes tables.
	Plan bool
}

// Run executes the SQL a visitor typed against their sandbox, creating it
// on first use. The statements run in order within one QueryTimeout budget
// and stop at the first one that fails; a transaction left open is rolled
// back at the end. SQL errors, refusals by the guards and the time limit
// are reported per statement, never as the returned error, which is one of
// ErrInvalidInput, ErrTooLarge, ErrTooManyStatements (all wrapped with a
// message), ErrBusy, ErrSaturated, ErrRateLimited, ErrClosed, or the
// context's error while waiting for a slot. Input without statements
// returns an empty Result.
func (m *Manager) Run(ctx context.Context, visitor, src string, opts RunOptions) (*Result, error) {
	stmts, err := parseInput(src)
	if err != nil {
		return nil, err
	}
	res := &Result{Statements: make([]Statement, 0, len(stmts))}
	if len(stmts) == 0 {
		return res, nil
	}
	l, err := m.acquire(ctx, visitor)
	if err != nil {
		return nil, err
	}
	defer l.release()
	start := time.Now()
	res.Recycled = l.recycled
	runCtx, cancel := l.begin(ctx, false)
	defer cancel()
	r := m.runner(ctx, l.b.conn, l.b.deny, l.b.total)
	l.limit(r)
	r.stmts = l.b.stmts
	defer func() { l.b.total = r.total }()
	stopped := false
	for _, s := range stmts {
		if stopped {
			res.Statements = append(res.Statements, Statement{SQL: s, NotRun: true})
			continue
		}
		st := r.statement(runCtx, s, opts.Plan)
		res.Statements = append(res.Statements, st)
		stopped = st.Error != nil || r.full
	}
	res.Truncated = r.full
	res.RolledBack = r.rollback()
	res.ElapsedMS = ms(time.Since(start))
	return res, nil
}

// parseInput checks a submission against the input caps and splits it.
func parseInput(src string) ([]string, error) {
	if len(src) > maxInputBytes {
		return nil, fmt.Errorf("%w: %d bytes of SQL, the limit is %d", ErrTooLarge, len(src), maxInputBytes)
	}
	if strings.IndexByte(src, 0) >= 0 {
		return nil, fmt.Errorf("%w: the SQL contains a NUL byte", ErrInvalidInput)
	}
	if !utf8.ValidString(src) {
		return nil, fmt.Errorf("%w: the SQL is not valid UTF-8", ErrInvalidInput)
	}
	stmts := Split(src)
	if len(stmts) > maxStatements {
		return nil, fmt.Errorf("%w: %d statements, the limit is %d per run", ErrTooManyStatements, len(stmts), maxStatements)
	}
	return stmts, nil
}

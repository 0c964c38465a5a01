package sandbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// runner executes statements on one sandbox connection and keeps the
// output budget of one Run or one With.
type runner struct {
	parent  context.Context // the caller's context, without the time limit
	conn    *sql.Conn
	deny    *denial
	tracer  trace.Tracer
	timeout time.Duration
	note    string               // added to the time-limit message (see lease.limit)
	attrs   []attribute.KeyValue // added to every span
	bytes   int                  // output produced so far
	full    bool                 // output reached maxResultBytes
	total   int64                // total_changes() after the last statement
	values  bool                 // keep raw values (for DB.Query)
	raw     [][]any
	txMaybe bool       // a BEGIN or SAVEPOINT ran, so a transaction may be open
	stmts   *stmtCache // the sandbox's prepared statements; nil runs each afresh
	// gated runners take a global slot for each statement (see exec)
	// instead of holding one for the whole operation.
	gated bool
	m     *Manager
}

// runner starts a runner on conn, whose total_changes() is total.
func (m *Manager) runner(parent context.Context, conn *sql.Conn, deny *denial, total int64) *runner {
	return &runner{parent: parent, conn: conn, deny: deny, tracer: m.opts.Tracer, timeout: m.opts.QueryTimeout, total: total, m: m}
}

// changes returns changes() and total_changes() of the connection. They
// are read outside the submission's deadline: they answer instantly.
func (r *runner) changes() (total int64, last int64) {
	err := r.conn.QueryRowContext(context.Background(), "SELECT total_changes(), changes()").Scan(&total, &last)
	if err != nil {
		return r.total, 0
	}
	return total, last
}

// statement runs one statement with optional bound args, traced as a
// client span, and reads at most maxRows rows of output.
func (r *runner) statement(ctx context.Context, src string, plan bool, args ...any) (st Statement) {
	st.SQL = src
	kw := firstKeyword(src)
	ctx, span := r.tracer.Start(ctx, spanName(kw), trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(r.attrs...),
		trace.WithAttributes(
			attribute.String("db.system", "sqlite"),
			attribute.String("db.system.name", "sqlite"),
			attribute.String("db.query.text", clip(src, maxCellBytes)),
			attribute.String("db.operation.name", kw),
		))
	defer span.End()
	for i, a := range args {
		span.SetAttributes(attribute.String(fmt.Sprintf("db.query.parameter.%d", i), clip(fmt.Sprint(a), 256)))
	}
	start := time.Now()
	defer func() {
		st.ElapsedMS = ms(time.Since(start))
		span.SetAttributes(
			attribute.Int("db.response.returned_rows", len(st.Rows)),
			attribute.Int64("db.response.rows_affected", st.RowsAffected),
		)
		if st.Truncated {
			span.SetAttributes(attribute.Bool("db.response.truncated", true))
		}
		if e := st.Error; e != nil {
			span.SetAttributes(attribute.String("error.type", e.Name),
				attribute.String("db.response.status_code", fmt.Sprint(e.Code)))
			span.RecordError(e)
			span.SetStatus(codes.Error, e.Message)
		}
	}()
	if reason := refusedKeyword(kw); reason != "" {
		st.Error = refusedError(reason)
		return st
	}
	if kw == "BEGIN" || kw == "SAVEPOINT" {
		r.txMaybe = true
	}
	if plan && planned(kw) {
		st.Plan = r.plan(ctx, src)
	}
	err := r.exec(ctx, kw, src, &st, args)
	if err != nil {
		st.Error = stmtError(r.parent, ctx, err, r.deny, r.timeout)
		if st.Error.Code == sqlite3.SQLITE_INTERRUPT && r.note != "" && ctx.Err() != nil && r.parent.Err() == nil {
			st.Error.Message += r.note
		}
		// A failed statement may still have counted changes (a trigger's,
		// say): start the next count from the connection's figure.
		r.total, _ = r.changes()
		return st
	}
	if readOnly(kw) {
		return st // nothing changed: no need to ask how much
	}
	total, last := r.changes()
	if total != r.total {
		st.RowsAffected = last
	}
	r.total = total
	return st
}

// exec runs one statement and reads its rows into st. A gated runner
// holds a global slot only while SQLite works: a statement that finds the
// lock it needs taken by the other connection (SQLITE_BUSY) gives the slot
// back and tries again shortly, until ctx's deadline, rather than sleeping
// inside SQLite's busy handler with the slot held.
func (r *runner) exec(ctx context.Context, kw, src string, st *Statement, args []any) error {
	if !r.gated {
		return r.execOnce(ctx, kw, src, st, args)
	}
	bytes := r.bytes
	pause := 250 * time.Microsecond
	for {
		if err := r.m.waitSlot(ctx); err != nil {
			return err
		}
		err := r.execOnce(ctx, kw, src, st, args)
		r.m.releaseSlot()
		if !isBusy(err) {
			return err
		}
		*st = Statement{SQL: st.SQL}
		r.bytes = bytes
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		pause = min(2*pause, 4*time.Millisecond)
	}
}

// execOnce runs one statement and reads its rows into st.
func (r *runner) execOnce(ctx context.Context, kw, src string, st *Statement, args []any) error {
	r.deny.clear()
	var rows *sql.Rows
	var err error
	if r.stmts != nil && cacheable(kw) {
		rows, err = r.stmts.query(ctx, src, args...)
	} else {
		rows, err = r.conn.QueryContext(ctx, src, args...)
	}
	if err != nil {
		return err
	}
	err = r.read(rows, st)
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	return err
}

// isBusy reports SQLITE_BUSY (any extended code): another connection holds
// a lock this one needs.
func isBusy(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY
}

// read collects rows into st within the row and size caps.
func (r *runner) read(rows *sql.Rows, st *Statement) error {
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	st.Columns = cols
	if len(cols) == 0 {
		return rows.Err()
	}
	for _, c := range cols {
		r.bytes += len(c)
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if len(st.Rows) == maxRows {
			st.Truncated = true
			break
		}
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		row := make([]Cell, len(vals))
		n := 0
		for i, v := range vals {
			row[i] = cell(v)
			n += len(row[i].Text) + 8
		}
		if r.bytes+n > maxResultBytes {
			st.Truncated, r.full = true, true
			break
		}
		r.bytes += n
		st.Rows = append(st.Rows, row)
		if r.values {
			r.raw = append(r.raw, append([]any(nil), vals...))
		}
	}
	return rows.Err()
}

// plan returns the EXPLAIN QUERY PLAN tree of src, or nil if SQLite has
// none for it.
func (r *runner) plan(ctx context.Context, src string) []PlanNode {
	rows, err := r.conn.QueryContext(ctx, "EXPLAIN QUERY PLAN "+src)
	if err != nil {
		return nil
	}
	defer rows.Close()
	var ids, parents []int
	var details []string
	for rows.Next() && len(ids) < maxRows {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			return nil
		}
		ids, parents, details = append(ids, id), append(parents, parent), append(details, detail)
	}
	if rows.Err() != nil {
		return nil
	}
	return buildPlan(ids, parents, details)
}

// rollback ends a transaction the statements left open and reports
// whether there was one. Only BEGIN and SAVEPOINT open one, so without
// them there is nothing to ask SQLite.
func (r *runner) rollback() bool {
	if !r.txMaybe {
		return false
	}
	r.txMaybe = false
	_, err := r.conn.ExecContext(context.Background(), "ROLLBACK")
	return err == nil
}

// readOnly reports statements that cannot change any row (the PRAGMAs
// the authorizer lets through only read).
func readOnly(kw string) bool {
	switch kw {
	case "SELECT", "VALUES", "EXPLAIN", "PRAGMA":
		return true
	}
	return false
}

// planned reports statements EXPLAIN QUERY PLAN has something to say about.
func planned(kw string) bool {
	switch kw {
	case "SELECT", "WITH", "VALUES", "INSERT", "UPDATE", "DELETE", "REPLACE":
		return true
	}
	return false
}

// spanName names a statement's span after its first keyword.
func spanName(kw string) string {
	if kw == "" {
		return "SQL"
	}
	return kw
}

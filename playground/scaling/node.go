package scaling

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	// The pure-Go SQLite driver, registered as "sqlite".
	_ "modernc.org/sqlite"
)

// schema is the members table every node holds: the columns of the
// sandbox's own that the demos need, with its balance check.
const schema = `CREATE TABLE members (
  id    INTEGER PRIMARY KEY,
  name  TEXT    NOT NULL,
  tier  TEXT    NOT NULL,
  miles INTEGER NOT NULL CHECK (miles >= 0)
)`

// node is one database: an in-memory SQLite database on one connection,
// whose statements are traced as SQL spans naming the node.
type node struct {
	name   string
	db     *sql.DB
	tracer trace.Tracer
}

// openNode opens an empty in-memory database and fills it with members.
func openNode(ctx context.Context, name string, tr trace.Tracer, members []Member) (*node, error) {
	db, err := sql.Open("sqlite", "file::memory:")
	if err != nil {
		return nil, fmt.Errorf("scaling: opening %s: %w", name, err)
	}
	// One connection holds the in-memory database: a second would open
	// another, empty one. Keep it open for the node's whole life.
	db.SetMaxOpenConns(1)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	n := &node{name: name, db: db, tracer: tr}
	if err := n.fill(ctx, members); err != nil {
		db.Close()
		return nil, err
	}
	return n, nil
}

// fillBatch is how many members one INSERT of fill copies.
const fillBatch = 250

// fill creates the table and copies members in, untraced: it stands for
// the copy a new replica or shard starts from. It inserts fillBatch rows
// a statement, with the statement of a whole batch prepared once: one
// statement a row took 1.8 times as long (BenchmarkOpenNode), and one JSON
// array read with json_each three times as long.
func (n *node) fill(ctx context.Context, members []Member) error {
	tx, err := n.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("scaling: filling %s: %w", n.name, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, schema); err != nil {
		return fmt.Errorf("scaling: filling %s: %w", n.name, err)
	}
	insert := func(rows int) string {
		return "INSERT INTO members (id, name, tier, miles) VALUES " + strings.Repeat("(?, ?, ?, ?), ", rows-1) + "(?, ?, ?, ?)"
	}
	var full *sql.Stmt // the statement of a whole batch, prepared once
	if len(members) >= fillBatch {
		if full, err = tx.PrepareContext(ctx, insert(fillBatch)); err != nil {
			return fmt.Errorf("scaling: filling %s: %w", n.name, err)
		}
		defer full.Close()
	}
	args := make([]any, 0, 4*fillBatch)
	for len(members) > 0 {
		batch := members[:min(fillBatch, len(members))]
		members = members[len(batch):]
		args = args[:0]
		for _, m := range batch {
			args = append(args, m.ID, m.Name, m.Tier, m.Miles)
		}
		if len(batch) == fillBatch {
			_, err = full.ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, insert(len(batch)), args...)
		}
		if err != nil {
			return fmt.Errorf("scaling: filling %s: %w", n.name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("scaling: filling %s: %w", n.name, err)
	}
	return nil
}

func (n *node) close() error { return n.db.Close() }

// span starts the SQL span of one statement on the node.
func (n *node) span(ctx context.Context, query string, args []any) (context.Context, trace.Span) {
	kw, _, _ := strings.Cut(strings.TrimSpace(query), " ")
	kw = strings.ToUpper(kw)
	attrs := []attribute.KeyValue{
		attribute.String("db.system", "sqlite"),
		attribute.String("db.system.name", "sqlite"),
		attribute.String("db.query.text", query),
		attribute.String("db.operation.name", kw),
		NodeKey.String(n.name),
	}
	for i, a := range args {
		attrs = append(attrs, attribute.String(fmt.Sprintf("db.query.parameter.%d", i), fmt.Sprint(a)))
	}
	return n.tracer.Start(ctx, kw+" on "+n.name, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
}

// Statement is one statement a demo ran, as its panel lists it.
type Statement struct {
	Node   string  `json:"node"`
	SQL    string  `json:"sql"`
	Args   []any   `json:"args,omitempty"`
	Rows   int     `json:"rows"`
	Error  string  `json:"error,omitempty"`
	TookMS float64 `json:"took_ms"`
}

// exec runs a statement that returns no rows on the node.
func (n *node) exec(ctx context.Context, ex execer, query string, args ...any) (Statement, error) {
	st := Statement{Node: n.name, SQL: query, Args: args}
	ctx, span := n.span(ctx, query, args)
	defer span.End()
	start := time.Now()
	res, err := ex.ExecContext(ctx, query, args...)
	st.TookMS = msSince(start)
	if err != nil {
		st.Error = err.Error()
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
		return st, fmt.Errorf("scaling: on %s: %w", n.name, err)
	}
	affected, _ := res.RowsAffected()
	st.Rows = int(affected)
	span.SetAttributes(attribute.Int64("db.response.rows_affected", affected))
	return st, nil
}

// members runs a query whose columns are id, name, tier, miles.
func (n *node) members(ctx context.Context, query string, args ...any) ([]Member, Statement, error) {
	st := Statement{Node: n.name, SQL: query, Args: args}
	ctx, span := n.span(ctx, query, args)
	defer span.End()
	start := time.Now()
	out, err := scanMembers(ctx, n.db, query, args)
	st.TookMS, st.Rows = msSince(start), len(out)
	span.SetAttributes(attribute.Int("db.response.returned_rows", len(out)))
	if err != nil {
		st.Error = err.Error()
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
		return nil, st, fmt.Errorf("scaling: on %s: %w", n.name, err)
	}
	return out, st, nil
}

func scanMembers(ctx context.Context, db *sql.DB, query string, args []any) ([]Member, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Member
	for rows.Next() {
		var m Member
		if err := rows.Scan(&m.ID, &m.Name, &m.Tier, &m.Miles); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// execer is a *sql.DB or a *sql.Tx.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func msSince(t time.Time) float64 {
	return float64(time.Since(t).Microseconds()) / 1000
}

package events

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	ertrace "github.com/engineroom/engineroom/playground/trace"

	// The pure-Go SQLite driver, registered as "sqlite".
	_ "modernc.org/sqlite"
)

// schema is the consumers' database: the events published, the job that
// delivers each to each consumer, every attempt, and the consumers' own
// work (sent emails, miles accounts, analytics rows, processed events).
const schema = `
CREATE TABLE IF NOT EXISTS events (
	id INTEGER PRIMARY KEY,
	visitor TEXT NOT NULL,
	type TEXT NOT NULL,
	booking TEXT NOT NULL,
	email TEXT NOT NULL,
	miles INTEGER NOT NULL,
	published_at INTEGER NOT NULL,
	idempotent_before INTEGER NOT NULL,
	naive_before INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS events_visitor ON events (visitor, id);
CREATE TABLE IF NOT EXISTS deliveries (
	job_id INTEGER PRIMARY KEY,
	event_id INTEGER NOT NULL,
	consumer TEXT NOT NULL,
	fault TEXT NOT NULL,
	fail_times INTEGER NOT NULL,
	replay_of INTEGER NOT NULL DEFAULT 0,
	replayed INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS deliveries_event ON deliveries (event_id);
CREATE TABLE IF NOT EXISTS attempts (
	job_id INTEGER NOT NULL,
	attempt INTEGER NOT NULL,
	started_at INTEGER NOT NULL,
	ended_at INTEGER NOT NULL DEFAULT 0,
	outcome TEXT NOT NULL DEFAULT 'running',
	detail TEXT NOT NULL DEFAULT '',
	trace_id TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (job_id, attempt)
);
CREATE TABLE IF NOT EXISTS accounts (
	visitor TEXT NOT NULL,
	account TEXT NOT NULL,
	miles INTEGER NOT NULL,
	PRIMARY KEY (visitor, account)
);
CREATE TABLE IF NOT EXISTS processed (
	consumer TEXT NOT NULL,
	event_id INTEGER NOT NULL,
	processed_at INTEGER NOT NULL,
	PRIMARY KEY (consumer, event_id)
);
CREATE TABLE IF NOT EXISTS sent_emails (
	id INTEGER PRIMARY KEY,
	visitor TEXT NOT NULL,
	event_id INTEGER NOT NULL,
	to_addr TEXT NOT NULL,
	subject TEXT NOT NULL,
	sent_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS analytics (
	id INTEGER PRIMARY KEY,
	visitor TEXT NOT NULL,
	event_id INTEGER NOT NULL,
	name TEXT NOT NULL,
	recorded_at INTEGER NOT NULL
);`

// storeParams are applied to the one connection.
var storeParams = url.Values{
	"_pragma": {
		// Write-ahead log: a panel reading progress never waits for a
		// consumer's commit.
		"journal_mode(WAL)",
		// Survives a crash of the process; the lab's data is disposable.
		"synchronous(NORMAL)",
		// Wait for a lock rather than fail with SQLITE_BUSY.
		"busy_timeout(5000)",
		// A small page cache: the tables hold a few rows per visitor.
		"cache_size(-512)",
	},
	// BEGIN IMMEDIATE: a consumer's check-then-write holds the write lock.
	"_txlock": {"immediate"},
}

// openStore opens the consumers' database at path with one connection
// (SQLite has one writer; the workers take turns) and creates its tables.
func openStore(ctx context.Context, path string) (*sql.DB, error) {
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + storeParams.Encode()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("events: opening %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	db.SetConnMaxIdleTime(0)
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("events: creating tables in %s: %w", path, err)
	}
	return db, nil
}

// execer is a *sql.DB or a *sql.Tx.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// sqlSpan starts a client span for one statement, as the back end pane
// shows SQL.
func (l *Lab) sqlSpan(ctx context.Context, query string, args []any) (context.Context, trace.Span) {
	op, _, _ := strings.Cut(strings.TrimSpace(query), " ")
	op = strings.ToUpper(op)
	attrs := []attribute.KeyValue{
		ertrace.KindKey.String(ertrace.KindSQL),
		attribute.String("db.system", "sqlite"),
		attribute.String("db.system.name", "sqlite"),
		attribute.String("db.query.text", strings.Join(strings.Fields(query), " ")),
		attribute.String("db.operation.name", op),
	}
	for i, a := range args {
		attrs = append(attrs, attribute.String(fmt.Sprintf("db.query.parameter.%d", i), fmt.Sprint(a)))
	}
	return l.tracer.Start(ctx, "sql "+op, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
}

// exec runs one traced statement.
func (l *Lab) exec(ctx context.Context, db execer, query string, args ...any) (sql.Result, error) {
	ctx, span := l.sqlSpan(ctx, query, args)
	defer span.End()
	res, err := db.ExecContext(ctx, query, args...)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
		return nil, err
	}
	if n, err := res.RowsAffected(); err == nil {
		span.SetAttributes(attribute.Int64("db.response.rows_affected", n))
	}
	return res, nil
}

// scan runs one traced single-row query into dest; found is false when
// there is no row.
func (l *Lab) scan(ctx context.Context, db execer, query string, args []any, dest ...any) (found bool, err error) {
	ctx, span := l.sqlSpan(ctx, query, args)
	defer span.End()
	err = db.QueryRowContext(ctx, query, args...).Scan(dest...)
	if err == sql.ErrNoRows {
		span.SetAttributes(attribute.Int("db.response.returned_rows", 0))
		return false, nil
	}
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
		return false, err
	}
	span.SetAttributes(attribute.Int("db.response.returned_rows", 1))
	return true, nil
}

// balance reads (creating at StartingMiles) a visitor's account.
func (l *Lab) balance(ctx context.Context, db execer, visitor, account string) (int, error) {
	if _, err := l.exec(ctx, db, `INSERT INTO accounts (visitor, account, miles) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
		visitor, account, StartingMiles); err != nil {
		return 0, fmt.Errorf("events: opening the %s account: %w", account, err)
	}
	var miles int
	if _, err := l.scan(ctx, db, `SELECT miles FROM accounts WHERE visitor = ? AND account = ?`, []any{visitor, account}, &miles); err != nil {
		return 0, fmt.Errorf("events: reading the %s account: %w", account, err)
	}
	return miles, nil
}

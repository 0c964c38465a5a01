package sandbox

import (
	"context"
	"database/sql"
	_ "embed"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed schema.sql
var schemaSQL string

// slackPages is how many free pages the template carries for new rows.
const slackPages = 16

// seedKey fixes the demo data: the same key always yields the same image.
const seedKey = 20260415

// buildTemplate creates the demo database in a private in-memory SQLite
// database and returns its serialized image, the bytes every sandbox is
// cloned from.
func buildTemplate(ctx context.Context) ([]byte, error) {
	db, err := sql.Open("sqlite", "file::memory:")
	if err != nil {
		return nil, fmt.Errorf("sandbox: opening template database: %w", err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("sandbox: opening template database: %w", err)
	}
	defer conn.Close()
	// The seed checks its own references as it goes.
	if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = ON"); err != nil {
		return nil, fmt.Errorf("sandbox: enabling foreign keys: %w", err)
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("sandbox: beginning seed: %w", err)
	}
	defer tx.Rollback()
	// Rows are inserted in batches per table, so references are checked
	// once, at commit, instead of row by row.
	if _, err := tx.ExecContext(ctx, "PRAGMA defer_foreign_keys = ON"); err != nil {
		return nil, fmt.Errorf("sandbox: deferring foreign keys: %w", err)
	}
	if _, err := tx.ExecContext(ctx, schemaSQL); err != nil {
		return nil, fmt.Errorf("sandbox: creating schema: %w", err)
	}
	s := &seeder{ctx: ctx, tx: tx, rng: rand.New(rand.NewPCG(seedKey, seedKey))}
	if err := s.run(); err != nil {
		return nil, fmt.Errorf("sandbox: seeding demo data: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("sandbox: committing seed: %w", err)
	}
	// Rebuilding packs the pages that batch inserts and index updates
	// left part-empty, which keeps every sandbox smaller.
	if _, err := conn.ExecContext(ctx, "VACUUM"); err != nil {
		return nil, fmt.Errorf("sandbox: compacting template: %w", err)
	}
	// A few free pages at the end let a visitor's first inserts reuse them:
	// an in-memory image that has to grow is reallocated at twice its size.
	slack := fmt.Sprintf(`CREATE TABLE slack(b);
		INSERT INTO slack SELECT zeroblob(3900) FROM (SELECT 1 UNION ALL SELECT 2) a, (SELECT value FROM json_each('[%s]'));
		DROP TABLE slack`, strings.TrimSuffix(strings.Repeat("0,", slackPages/2), ","))
	if _, err := conn.ExecContext(ctx, slack); err != nil {
		return nil, fmt.Errorf("sandbox: reserving free pages: %w", err)
	}
	image, err := serialize(conn)
	if err != nil {
		return nil, fmt.Errorf("sandbox: serializing template: %w", err)
	}
	return image, nil
}

// batch inserts rows into one table with multi-row INSERT statements, which
// is several times faster than one statement per row.
type batch struct {
	s     *seeder
	table string
	cols  []string
	args  []any
	rows  int
	full  string
}

// batchRows is how many rows one INSERT carries.
const batchRows = 200

func (s *seeder) batch(table string, cols ...string) *batch {
	return &batch{s: s, table: table, cols: cols}
}

func (b *batch) add(vals ...any) error {
	b.args = append(b.args, vals...)
	b.rows++
	if b.rows == batchRows {
		return b.flush()
	}
	return nil
}

func (b *batch) flush() error {
	if b.rows == 0 {
		return nil
	}
	q := b.full
	if b.rows != batchRows || q == "" {
		q = b.sql(b.rows)
		if b.rows == batchRows {
			b.full = q
		}
	}
	if _, err := b.s.tx.ExecContext(b.s.ctx, q, b.args...); err != nil {
		return fmt.Errorf("inserting into %s: %w", b.table, err)
	}
	b.args, b.rows = b.args[:0], 0
	return nil
}

func (b *batch) sql(rows int) string {
	var sb strings.Builder
	sb.WriteString("INSERT INTO " + b.table + " (" + strings.Join(b.cols, ", ") + ") VALUES ")
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(b.cols)), ", ") + ")"
	for i := range rows {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(one)
	}
	return sb.String()
}

// configureSQLite sets up the process-wide parts of the policy. It switches
// on SQLite's memory statistics, without which the hard heap limit is never
// checked (modernc.org/sqlite is built with SQLITE_DEFAULT_MEMSTATUS=0),
// caps in-memory databases at maxPages so a growing sandbox is never
// reallocated past 16 MiB, and sets the hard heap limit when limit > 0.
// The first two are only possible before SQLite initializes, that is before
// the process opens its first connection; later calls keep what an earlier
// one managed. It reports whether the heap limit is enforced.
func configureSQLite(limit int64) bool {
	tls := libc.NewTLS()
	defer tls.Close()
	config := func(op int32, arg any) {
		if va := libc.NewVaList(arg); va != 0 {
			sqlite3.Xsqlite3_config(tls, op, va)
			libc.Xfree(tls, va)
		}
	}
	config(sqlite3.SQLITE_CONFIG_MEMSTATUS, int32(1))
	config(sqlite3.SQLITE_CONFIG_MEMDB_MAXSIZE, int64(maxPages*pageSize))
	if sqlite3.Xsqlite3_initialize(tls) != sqlite3.SQLITE_OK || limit <= 0 {
		return false
	}
	// With statistics off SQLite counts nothing, so a live allocation
	// shows up in the figure only when they are on.
	p := sqlite3.Xsqlite3_malloc(tls, 64)
	counted := sqlite3.Xsqlite3_memory_used(tls) > 0
	sqlite3.Xsqlite3_free(tls, p)
	if !counted {
		return false
	}
	sqlite3.Xsqlite3_hard_heap_limit64(tls, limit)
	return true
}

// memProbe reads SQLite's process-wide memory figure.
type memProbe struct {
	mu     sync.Mutex
	tls    *libc.TLS
	closed bool
}

// used returns the bytes SQLite has allocated process-wide; 0 when memory
// statistics are off.
func (p *memProbe) used() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return 0
	}
	if p.tls == nil {
		p.tls = libc.NewTLS()
	}
	return sqlite3.Xsqlite3_memory_used(p.tls)
}

func (p *memProbe) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	if p.tls != nil {
		p.tls.Close()
		p.tls = nil
	}
}

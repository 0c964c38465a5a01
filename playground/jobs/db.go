package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"

	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	// The pure-Go SQLite driver, registered as "sqlite".
	_ "modernc.org/sqlite"
)

// dsnParams are applied by the driver to every connection it opens.
var dsnParams = url.Values{
	"_pragma": {
		// Write-ahead log: readers (Get, a panel polling) never wait for
		// the writer, and a commit is one append.
		"journal_mode(WAL)",
		// With WAL, NORMAL survives a crash of the process; only a power
		// cut can lose the last commits.
		"synchronous(NORMAL)",
		// Wait up to 5 s for a lock another connection (or process) holds
		// instead of failing with SQLITE_BUSY.
		"busy_timeout(5000)",
		// River's schema has no foreign keys today; keep them enforced in
		// case the state database's other tables do.
		"foreign_keys(ON)",
		// At most 512 KiB of page cache: the queue's tables are small and
		// idle memory is budgeted.
		"cache_size(-512)",
	},
	// BEGIN IMMEDIATE: a transaction takes the write lock up front, so the
	// pending count and the insert of Enqueue cannot be split by another
	// writer, and lock waits go through busy_timeout.
	"_txlock": {"immediate"},
}

// openDB opens the state database at path with one connection: River
// runs its statements in parallel and SQLite allows one writer, so one
// connection avoids SQLITE_BUSY inside the process.
func openDB(ctx context.Context, path string) (*sql.DB, error) {
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + dsnParams.Encode()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("jobs: opening %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	// Keep the connection: reopening would run the pragmas again.
	db.SetConnMaxIdleTime(0)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("jobs: opening %s: %w", path, err)
	}
	return db, nil
}

// migrate creates or upgrades River's tables to the version this build
// knows.
func migrate(ctx context.Context, driver *riversqlite.Driver, log *slog.Logger) error {
	m, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: log})
	if err != nil {
		return fmt.Errorf("jobs: preparing migrations: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("jobs: migrating the state database: %w", err)
	}
	return nil
}

// Pending counts the jobs waiting to run (or left running by a process
// that stopped) in the state database at path, without starting a queue:
// 0 when the file does not exist yet or holds no queue. A caller can
// start the queue at boot only when there is work waiting for it.
func Pending(ctx context.Context, path string) (int, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	db, err := openDB(ctx, path)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var exists int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'river_job'`).Scan(&exists); err != nil {
		return 0, fmt.Errorf("jobs: reading %s: %w", path, err)
	}
	if exists == 0 {
		return 0, nil
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM river_job WHERE state IN (`+pendingStates+`)`).Scan(&n); err != nil {
		return 0, fmt.Errorf("jobs: counting pending jobs in %s: %w", path, err)
	}
	return n, nil
}

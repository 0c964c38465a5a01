package sandbox

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// A sandbox holds at most maxPages pages of pageSize bytes: 16 MiB.
const (
	pageSize = 4096
	maxPages = 16 << 20 / pageSize
)

// limits are the sqlite3_limit values of every sandbox connection, after
// SQLite's "Defense against the dark arts".
func limits() []struct{ id, value int } {
	return []struct{ id, value int }{
		{sqlite3.SQLITE_LIMIT_LENGTH, 1_000_000},
		{sqlite3.SQLITE_LIMIT_SQL_LENGTH, maxInputBytes},
		{sqlite3.SQLITE_LIMIT_COLUMN, 100},
		{sqlite3.SQLITE_LIMIT_EXPR_DEPTH, 50},
		{sqlite3.SQLITE_LIMIT_COMPOUND_SELECT, 20},
		{sqlite3.SQLITE_LIMIT_VDBE_OP, 25_000_000},
		{sqlite3.SQLITE_LIMIT_FUNCTION_ARG, 32},
		{sqlite3.SQLITE_LIMIT_ATTACHED, 0},
		{sqlite3.SQLITE_LIMIT_LIKE_PATTERN_LENGTH, 100},
		{sqlite3.SQLITE_LIMIT_TRIGGER_DEPTH, 10},
		{sqlite3.SQLITE_LIMIT_WORKER_THREADS, 0},
	}
}

// guardPragmas run on every sandbox connection after its database is open
// (for the concurrency demos' shared copy, after a Deserialize, which
// reopens the main database and forgets per-database settings) and before
// the authorizer, which refuses them afterwards. tempStore is where
// temporary tables and sorts go: MEMORY, or FILE for a connection whose
// VFS keeps its files in memory (see box.open).
func guardPragmas(tempStore string) []string {
	return []string{
		// First: changing it drops the temp database and its settings.
		"PRAGMA temp_store = " + tempStore,
		// The demo schema declares foreign keys; enforce them.
		"PRAGMA foreign_keys = ON",
		// Triggers and views in the schema run with the visitor's rights only.
		"PRAGMA trusted_schema = OFF",
		// Growing past 16 MiB fails with SQLITE_FULL (main and temp alike).
		fmt.Sprintf("PRAGMA main.max_page_count = %d", maxPages),
		fmt.Sprintf("PRAGMA temp.max_page_count = %d", maxPages/4),
		// Pages are copied out of memory (see cow.go), so cache misses are
		// cheap: a small cache is enough.
		"PRAGMA cache_size = -64",
		"PRAGMA temp.cache_size = -64",
	}
}

// guard applies the sandbox policy to a connection whose data is loaded:
// limits, pragmas, then the authorizer (which must come last, after any
// Deserialize, because Deserialize attaches internally).
func guard(ctx context.Context, conn *sql.Conn, deny *denial, tempStore string, extra ...string) error {
	for _, l := range limits() {
		if _, err := sqlite.Limit(conn, l.id, l.value); err != nil {
			return fmt.Errorf("sandbox: setting limit %d: %w", l.id, err)
		}
	}
	for _, p := range append(guardPragmas(tempStore), extra...) {
		if _, err := conn.ExecContext(ctx, p); err != nil {
			return fmt.Errorf("sandbox: applying %q: %w", p, err)
		}
	}
	err := conn.Raw(func(dc any) error {
		r, ok := dc.(sqlite.AuthorizerRegisterer)
		if !ok {
			return fmt.Errorf("driver connection %T has no authorizer", dc)
		}
		return r.RegisterAuthorizer(deny.authorize)
	})
	if err != nil {
		return fmt.Errorf("sandbox: installing authorizer: %w", err)
	}
	return nil
}

// denial is the authorizer of one connection. It remembers why it last
// refused something, so the refusal can be explained to the visitor.
type denial struct {
	mu     sync.Mutex
	reason string
}

func (d *denial) last() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.reason
}

func (d *denial) clear() {
	d.mu.Lock()
	d.reason = ""
	d.mu.Unlock()
}

func (d *denial) authorize(action sqlite.AuthorizerActionCode, arg1, arg2, _, _ string) sqlite.AuthorizerReturnCode {
	reason := refusal(action, arg1, arg2)
	if reason == "" {
		return sqlite.AuthorizerOK
	}
	d.mu.Lock()
	d.reason = reason
	d.mu.Unlock()
	return sqlite.AuthorizerDeny
}

// refusal returns why action is not allowed in a sandbox, or "" when it is.
func refusal(action sqlite.AuthorizerActionCode, arg1, arg2 string) string {
	switch action {
	case sqlite.AuthAttach, sqlite.AuthDetach:
		// VACUUM attaches a scratch database, so this blocks it too.
		return "ATTACH, DETACH and VACUUM are not allowed in the sandbox"
	case sqlite.AuthCreateVTable, sqlite.AuthDropVTable:
		return "virtual tables are not allowed in the sandbox"
	case sqlite.AuthFunction:
		if strings.EqualFold(arg2, "load_extension") {
			return "load_extension() is not allowed in the sandbox"
		}
	case sqlite.AuthPragma:
		return pragmaRefusal(strings.ToLower(arg1), arg2)
	case sqlite.AuthRead, sqlite.AuthInsert, sqlite.AuthUpdate, sqlite.AuthDelete:
		if strings.EqualFold(arg1, "sqlite_dbpage") {
			return "sqlite_dbpage is not allowed in the sandbox"
		}
	}
	return ""
}

// pragmaRefusal allows the PRAGMAs that only read: the schema-inspecting
// ones may name a table or index; the rest must have no argument at all,
// since an argument sets the value.
func pragmaRefusal(name, arg string) string {
	switch name {
	case "table_info", "table_xinfo", "table_list", "index_list", "index_info", "index_xinfo",
		"foreign_key_list", "foreign_key_check", "integrity_check", "quick_check":
		return ""
	case "collation_list", "compile_options", "data_version", "database_list", "encoding",
		"foreign_keys", "freelist_count", "function_list", "module_list", "page_count",
		"page_size", "pragma_list", "schema_version", "user_version", "application_id",
		"max_page_count", "cache_size", "journal_mode", "temp_store", "recursive_triggers",
		"auto_vacuum", "busy_timeout", "defer_foreign_keys":
		if arg == "" {
			return ""
		}
		return "PRAGMA " + name + " can be read but not set in the sandbox"
	}
	return "PRAGMA " + name + " is not allowed in the sandbox (read-only PRAGMAs such as table_info are)"
}

package sandbox

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"modernc.org/sqlite"
)

func TestRefusal(t *testing.T) {
	tests := []struct {
		action     sqlite.AuthorizerActionCode
		arg1, arg2 string
		want       string // substring of the refusal; "" = allowed
	}{
		{sqlite.AuthSelect, "", "", ""},
		{sqlite.AuthRead, "members", "email", ""},
		{sqlite.AuthInsert, "bookings", "", ""},
		{sqlite.AuthCreateTable, "t", "", ""},
		{sqlite.AuthCreateTempTrigger, "t", "x", ""},
		{sqlite.AuthTransaction, "BEGIN", "", ""},
		{sqlite.AuthRecursive, "", "", ""},
		{sqlite.AuthFunction, "", "printf", ""},
		{sqlite.AuthFunction, "", "LOAD_EXTENSION", "load_extension() is not allowed"},
		{sqlite.AuthAttach, ":memory:", "", "ATTACH, DETACH and VACUUM"},
		{sqlite.AuthDetach, "main", "", "ATTACH, DETACH and VACUUM"},
		{sqlite.AuthCreateVTable, "v", "fts5", "virtual tables"},
		{sqlite.AuthDropVTable, "v", "fts5", "virtual tables"},
		{sqlite.AuthRead, "sqlite_dbpage", "data", "sqlite_dbpage"},
		{sqlite.AuthUpdate, "SQLITE_DBPAGE", "data", "sqlite_dbpage"},
		{sqlite.AuthPragma, "table_info", "members", ""},
		{sqlite.AuthPragma, "INDEX_LIST", "members", ""},
		{sqlite.AuthPragma, "foreign_keys", "", ""},
		{sqlite.AuthPragma, "foreign_keys", "0", "can be read but not set"},
		{sqlite.AuthPragma, "journal_mode", "wal", "can be read but not set"},
		{sqlite.AuthPragma, "writable_schema", "", "PRAGMA writable_schema is not allowed"},
		{sqlite.AuthPragma, "hard_heap_limit", "", "not allowed"},
		{sqlite.AuthPragma, "optimize", "", "not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.arg1+"/"+tt.arg2, func(t *testing.T) {
			got := refusal(tt.action, tt.arg1, tt.arg2)
			if tt.want == "" && got != "" || tt.want != "" && !strings.Contains(got, tt.want) {
				t.Errorf("refusal(%d, %q, %q) = %q, want %q", tt.action, tt.arg1, tt.arg2, got, tt.want)
			}
		})
	}
}

// TestDefensiveMode checks SQLITE_DBCONFIG_DEFENSIVE on its own: even with
// writable_schema on and no authorizer, the schema cannot be written.
func TestDefensiveMode(t *testing.T) {
	ctx := context.Background()
	dsn, name, err := cowDSN(nil) // a sandbox's DSN, on an empty file
	if err != nil {
		t.Fatal(err)
	}
	defer forgetCow(name)
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, "CREATE TABLE t (x)"); err != nil {
		t.Fatal(err)
	}
	_, err = db.ExecContext(ctx, "PRAGMA writable_schema = ON; UPDATE sqlite_schema SET sql = 'CREATE TABLE t (y)' WHERE name = 't'")
	if err == nil || !strings.Contains(err.Error(), "may not be modified") {
		t.Errorf("writing sqlite_schema = %v, want it refused", err)
	}
}

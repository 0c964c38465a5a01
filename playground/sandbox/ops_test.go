package sandbox

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"
)

func TestSchema(t *testing.T) {
	m := newTestManager(t, Options{})
	mustRun(t, m, "v", `CREATE TABLE "<i>notes</i>" (id INTEGER PRIMARY KEY, body TEXT NOT NULL DEFAULT 'hi');
		CREATE VIEW gold AS SELECT * FROM members WHERE tier = 'gold'`)
	s, err := m.Schema(context.Background(), "v")
	if err != nil {
		t.Fatalf("Schema: %v", err)
	}
	tables := map[string]Table{}
	var names []string
	for _, tb := range s.Tables {
		tables[tb.Name] = tb
		names = append(names, tb.Name)
	}
	wantNames := []string{"<i>notes</i>", "airports", "bookings", "customers", "flights", "gold", "members",
		"miles_transactions", "order_items", "orders", "products", "reviews", "sessions", "travel_documents", "users"}
	if !reflect.DeepEqual(names, wantNames) {
		t.Errorf("tables = %q, want %q", names, wantNames)
	}
	tests := []struct {
		table string
		want  Table
	}{
		{table: "<i>notes</i>", want: Table{Name: "<i>notes</i>", Kind: "table", Rows: 0, Columns: []Column{
			{Name: "id", Type: "INTEGER", PK: 1},
			{Name: "body", Type: "TEXT", NotNull: true, Default: "'hi'"},
		}}},
		{table: "gold", want: Table{Name: "gold", Kind: "view", Rows: -1, Columns: []Column{
			{Name: "id", Type: "INTEGER"}, {Name: "name", Type: "TEXT"}, {Name: "email", Type: "TEXT"},
			{Name: "tier", Type: "TEXT"}, {Name: "miles", Type: "INTEGER"}, {Name: "joined_on", Type: "TEXT"},
		}}},
		{table: "users", want: Table{Name: "users", Kind: "table", Rows: 6, Columns: []Column{
			{Name: "id", Type: "INTEGER", PK: 1},
			{Name: "username", Type: "TEXT", NotNull: true},
			{Name: "password_hash", Type: "TEXT", NotNull: true},
			{Name: "role", Type: "TEXT", NotNull: true, Default: "'member'"},
			{Name: "member_id", Type: "INTEGER"},
		}, Indexes: []Index{{Name: "sqlite_autoindex_users_1", Unique: true, Origin: "u", Columns: []string{"username"}}}}},
		{table: "orders", want: Table{Name: "orders", Kind: "table", Rows: 5000, Columns: tables["orders"].Columns,
			Indexes: []Index{{Name: "orders_customer_id", Origin: "c", Columns: []string{"customer_id"}}}}},
		{table: "order_items", want: Table{Name: "order_items", Kind: "table", Rows: tables["order_items"].Rows, Columns: tables["order_items"].Columns,
			Indexes: []Index{{Name: "sqlite_autoindex_order_items_1", Unique: true, Origin: "pk", Columns: []string{"order_id", "product_id"}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.table, func(t *testing.T) {
			if got := tables[tt.table]; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// TestDemoData checks the seed's promises: volumes, the miles ledger, order
// totals and the demo logins.
func TestDemoData(t *testing.T) {
	// Checking every foreign key reads every table: give it room on a
	// slow machine (under the race detector it takes seconds).
	m := newTestManager(t, Options{QueryTimeout: 30 * time.Second})
	tests := []struct {
		name, sql, want string
	}{
		{"airports", "SELECT count(*) >= 50 FROM airports", "1"},
		{"flights", "SELECT count(*) >= 5000 FROM flights", "1"},
		{"members", "SELECT count(*) >= 2000 FROM members", "1"},
		{"bookings", "SELECT count(*) >= 20000 FROM bookings", "1"},
		{"products", "SELECT count(*) >= 300 FROM products", "1"},
		{"orders", "SELECT count(*) >= 5000 FROM orders", "1"},
		{"ledger matches balances", `SELECT count(*) FROM members m
			WHERE miles <> (SELECT sum(delta) FROM miles_transactions t WHERE t.member_id = m.id)`, "0"},
		{"order totals match items", `SELECT count(*) FROM orders o
			WHERE total_cents <> (SELECT sum(quantity * unit_price_cents) FROM order_items i WHERE i.order_id = o.id)`, "0"},
		{"miles bookings are in the ledger", `SELECT count(*) FROM bookings WHERE paid_miles > 0`,
			"" + scalarText(t, m, "SELECT count(*) FROM miles_transactions WHERE delta < 0")},
		{"alice's login", "SELECT role || '/' || member_id FROM users WHERE username = 'alice' AND password_hash = '" + DemoPasswordHash("alice") + "'", "member/1"},
		{"admin's login", "SELECT role FROM users WHERE member_id IS NULL", "admin"},
		{"foreign keys hold", "SELECT count(*) FROM pragma_foreign_key_check", "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := scalar(t, m, "data", tt.sql); got != tt.want {
				t.Errorf("%s = %q, want %q", tt.sql, got, tt.want)
			}
		})
	}
}

func scalarText(t *testing.T, m *Manager, src string) string {
	return scalar(t, m, "data", src)
}

func TestWith(t *testing.T) {
	m := newTestManager(t, Options{})
	ctx := context.Background()
	err := m.With(ctx, "v", func(ctx context.Context, db *DB) error {
		// The classic injectable login, run safely with bound parameters.
		res, err := db.Query(ctx, "SELECT id, role FROM users WHERE username = ? AND password_hash = ?", "bob", DemoPasswordHash("bob"))
		if err != nil {
			return err
		}
		if len(res.Values) != 1 || res.Values[0][1] != "member" || res.Rows[0][0].Text != "2" {
			t.Errorf("login rows = %v", res.Values)
		}
		n, err := db.Exec(ctx, "UPDATE members SET miles = miles + ? WHERE id = ?", 100, 2)
		if err != nil || n != 1 {
			t.Errorf("Exec = %d, %v; want 1 row", n, err)
		}
		if _, err := db.Exec(ctx, "ATTACH ':memory:' AS x"); err == nil {
			t.Errorf("ATTACH through DB succeeded")
		} else if se := new(StmtError); !errors.As(err, &se) || se.Name != "SQLITE_AUTH" {
			t.Errorf("ATTACH error = %v, want a SQLITE_AUTH StmtError", err)
		}
		_, err = db.Exec(ctx, "BEGIN")
		return err
	})
	if err != nil {
		t.Fatalf("With: %v", err)
	}
	if got := scalar(t, m, "v", "SELECT miles FROM members WHERE id = 2"); got != "2100" {
		t.Errorf("miles = %s, want 2100", got)
	}
}

func TestHeapLimit(t *testing.T) {
	base := newTestManager(t, Options{})
	if base.Stats().HeapLimit == 0 {
		t.Skip("SQLite was initialized before memory statistics could be switched on")
	}
	// The limit is process-wide: put the default back for the other tests.
	t.Cleanup(func() { configureSQLite(928 << 20) })
	m := newTestManager(t, Options{HeapLimit: base.Stats().SQLiteMemory + 32<<20})
	res := mustRun(t, m, "v", runaway+"SELECT x, zeroblob(10000) || x FROM c ORDER BY x DESC; SELECT 1")
	if e := res.Statements[0].Error; e == nil || e.Name != "SQLITE_NOMEM" || e.Message != "query used too much memory" {
		t.Errorf("error = %+v, want SQLITE_NOMEM", e)
	}
	if got := scalar(t, m, "v", "SELECT count(*) FROM users"); got != "6" {
		t.Errorf("after NOMEM: users = %s, want 6", got)
	}
}

func TestMemoryPressureEvicts(t *testing.T) {
	base := newTestManager(t, Options{Spares: -1})
	if base.Stats().HeapLimit == 0 {
		t.Skip("SQLite was initialized before memory statistics could be switched on")
	}
	t.Cleanup(func() { configureSQLite(928 << 20) })
	// Room for about two dozen sandboxes of 1 MiB below seven eighths of
	// the limit: each visitor writes 250 pages of their own.
	m := newTestManager(t, Options{Spares: -1, HeapLimit: base.Stats().SQLiteMemory + 32<<20})
	const pad = "CREATE TABLE pad AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 250) SELECT zeroblob(4000) AS b FROM c"
	for i := range 40 {
		if st := mustRun(t, m, fmt.Sprint(i), pad).Statements[0]; st.Error != nil {
			t.Fatalf("visitor %d: %v", i, st.Error)
		}
		if got := scalar(t, m, fmt.Sprint(i), "SELECT count(*) FROM users"); got != "6" {
			t.Fatalf("visitor %d: users = %s", i, got)
		}
		// Evicted sandboxes close in the background; on a busy machine
		// they would still hold their memory when the next pad is written.
		m.closers.Wait()
	}
	st := m.Stats()
	if st.EvictedMemory == 0 || st.EvictedLRU != 0 || st.Sandboxes >= 40 {
		t.Errorf("Stats = %+v, want sandboxes dropped for memory", st)
	}
	if st.SQLiteMemory > st.HeapLimit {
		t.Errorf("SQLite uses %d bytes, over the %d limit", st.SQLiteMemory, st.HeapLimit)
	}
}

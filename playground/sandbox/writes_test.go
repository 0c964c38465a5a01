package sandbox

import (
	"context"
	"strconv"
	"testing"
	"time"
)

// TestWritesCostTheirPages: the lessons' writes (an index built and
// dropped, rows added, a concurrency demo's copy and restore) cost the
// sandbox the pages they change, not a copy of the demo data, and the data
// stays sound.
func TestWritesCostTheirPages(t *testing.T) {
	// integrity_check reads every page: under the race detector that
	// takes longer than the default limit.
	m := newTestManager(t, Options{Spares: -1, QueryTimeout: 30 * time.Second})
	if m.Stats().HeapLimit == 0 {
		t.Skip("SQLite was initialized before memory statistics could be switched on")
	}
	mustRun(t, m, "v", "SELECT count(*) FROM members")
	start := m.Stats().SQLiteMemory
	steps := []string{
		"CREATE INDEX bookings_member_id ON bookings(member_id)",
		"DROP INDEX bookings_member_id",
		"CREATE INDEX flights_origin ON flights(origin)",
		"DROP INDEX flights_origin",
		"INSERT INTO members (name, email, tier, miles, joined_on) VALUES ('Grace Hopper', 'grace@example.com', 'gold', 1000, '2026-11-21')",
		"INSERT INTO bookings (member_id, flight_id, status, booked_at) SELECT member_id, flight_id, status, booked_at FROM bookings LIMIT 200",
	}
	for _, q := range steps {
		if st := mustRun(t, m, "v", q).Statements[0]; st.Error != nil {
			t.Fatalf("%s: %v", q, st.Error)
		}
	}
	err := m.WithPair(context.Background(), "v", func(ctx context.Context, a, b *DB) error {
		_, err := a.Exec(ctx, "UPDATE members SET miles = miles + 1 WHERE id = 7")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	image, err := m.Image(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	grew := m.Stats().SQLiteMemory - start
	t.Logf("the sandbox grew by %d KiB", grew>>10)
	if grew > int64(len(image))/2 {
		t.Errorf("the sandbox grew by %d KiB, want well under the %d KiB of the demo data", grew>>10, len(image)>>10)
	}
	if got := scalar(t, m, "v", "PRAGMA integrity_check"); got != "ok" {
		t.Errorf("integrity_check = %q", got)
	}
	if got := scalar(t, m, "v", "SELECT count(*) FROM bookings"); got != "20200" {
		t.Errorf("bookings = %s, want 20200", got)
	}
}

// TestDownloadIsTheDatabase: the file a visitor downloads is the pages in
// use, and it opens with everything in it.
func TestDownloadIsTheDatabase(t *testing.T) {
	m := newTestManager(t, Options{})
	mustRun(t, m, "v", "CREATE TABLE mine (x); INSERT INTO mine VALUES (42)")
	image, err := m.Download(context.Background(), "v")
	if err != nil {
		t.Fatal(err)
	}
	pages := scalar(t, m, "v", "PRAGMA page_count")
	if got := len(image) / pageSize; len(image)%pageSize != 0 || pages != strconv.Itoa(got) {
		t.Errorf("download is %d bytes, want %s pages of %d", len(image), pages, pageSize)
	}
	conn := openImage(t, image)
	var x int
	if err := conn.QueryRowContext(context.Background(), "SELECT x FROM mine").Scan(&x); err != nil || x != 42 {
		t.Errorf("SELECT x FROM mine = %d, %v; want 42", x, err)
	}
}

package sandbox

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"
	"unsafe"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// cowScript changes a sandbox in the ways the VFS must get right: pages
// written and written back, files grown and truncated again by a
// rollback, overflow pages, freed pages reused, a journal rolled back.
var cowScript = []string{
	"CREATE TABLE t (id INTEGER PRIMARY KEY, b TEXT)",
	"INSERT INTO t (b) WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300) SELECT printf('%.*c', 100 + x * 17 % 9000, 'a') FROM c",
	"BEGIN; INSERT INTO t (b) SELECT b || b FROM t; UPDATE bookings SET status = 'flown' WHERE id % 5 = 0; ROLLBACK",
	"UPDATE bookings SET status = 'cancelled' WHERE id % 7 = 0",
	"DELETE FROM bookings WHERE id % 3 = 0",
	"CREATE INDEX bookings_status ON bookings(status)",
	"DROP INDEX bookings_status",
	"DELETE FROM t WHERE id % 2 = 0",
	"INSERT INTO t (b) SELECT upper(b) FROM t WHERE id < 50",
	"BEGIN; DELETE FROM t; DROP TABLE t; ROLLBACK",
	"UPDATE members SET miles = miles + 1",
	"UPDATE members SET miles = miles - 1",
}

// cowChecks read back everything the script touched.
var cowChecks = []string{
	"SELECT count(*) || '/' || coalesce(sum(length(b)), 0) || '/' || coalesce(sum(id * length(b) % 1013), 0) FROM t",
	"SELECT status || ':' || count(*) FROM bookings GROUP BY status ORDER BY status",
	"SELECT sum(miles) FROM members",
	"SELECT count(*) FROM sqlite_schema",
	"PRAGMA integrity_check",
	"PRAGMA page_count",
	"PRAGMA freelist_count",
}

// TestCowMatchesSQLite runs the same changes on a sandbox and on SQLite's
// own in-memory copy of the demo data, and reads the same back from both.
func TestCowMatchesSQLite(t *testing.T) {
	ctx := context.Background()
	// integrity_check reads every page: under the race detector that
	// takes longer than the default limit.
	m := newTestManager(t, Options{Spares: -1, QueryTimeout: 30 * time.Second})
	image, err := m.Image(ctx)
	if err != nil {
		t.Fatal(err)
	}
	before := bytes.Clone(image)

	conn := openImage(t, image)
	if _, err := conn.ExecContext(ctx, "PRAGMA cache_size = -64"); err != nil {
		t.Fatal(err)
	}
	readRef := func(q string) string {
		rows, err := conn.QueryContext(ctx, q)
		if err != nil {
			t.Fatalf("reference: %s: %v", q, err)
		}
		defer rows.Close()
		var out string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out += s + "\n"
		}
		return out
	}
	readBox := func(q string) string {
		st := mustRun(t, m, "v", q).Statements[0]
		if st.Error != nil {
			t.Fatalf("sandbox: %s: %v", q, st.Error)
		}
		var out string
		for _, r := range st.Rows {
			out += r[0].Text + "\n"
		}
		return out
	}

	for i, q := range cowScript {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("reference: %s: %v", q, err)
		}
		for _, st := range mustRun(t, m, "v", q).Statements {
			if st.Error != nil {
				t.Fatalf("sandbox: %s: %v", q, st.Error)
			}
		}
		for _, c := range cowChecks {
			if got, want := readBox(c), readRef(c); got != want {
				t.Fatalf("after step %d (%s): %s = %q, want %q", i, q, c, got, want)
			}
		}
	}
	if got := readBox("PRAGMA integrity_check"); got != "ok\n" {
		t.Errorf("integrity_check = %q", got)
	}
	if !bytes.Equal(image, before) {
		t.Error("the shared image changed")
	}
	// Another visitor still has the demo data as built.
	if got := scalar(t, m, "w", "SELECT count(*) FROM bookings"); got != "20000" {
		t.Errorf("another visitor's bookings = %s, want 20000", got)
	}
}

// TestSandboxesShareTheImage: a new sandbox costs SQLite's heap a small
// fraction of the demo data, pages a visitor changes cost only those
// pages, and closing the sandboxes gives all of it back.
func TestSandboxesShareTheImage(t *testing.T) {
	m := newTestManager(t, Options{Spares: -1})
	if m.Stats().HeapLimit == 0 {
		t.Skip("SQLite was initialized before memory statistics could be switched on")
	}
	mustRun(t, m, "first", "SELECT 1")
	start := m.Stats().SQLiteMemory
	const n = 40
	for i := range n {
		mustRun(t, m, fmt.Sprint("v", i), "SELECT origin, count(*) FROM flights GROUP BY origin")
	}
	each := (m.Stats().SQLiteMemory - start) / n
	t.Logf("a sandbox costs %d KiB; the demo data is %d KiB", each>>10, m.Stats().TemplateBytes>>10)
	if each > boxOverhead || each > int64(m.Stats().TemplateBytes)/8 {
		t.Errorf("a sandbox costs %d KiB, want at most %d KiB", each>>10, boxOverhead>>10)
	}

	// One visitor rewrites every booking: those pages become theirs.
	if st := mustRun(t, m, "v0", "UPDATE bookings SET paid_miles = paid_miles + 1").Statements[0]; st.Error != nil {
		t.Fatal(st.Error)
	}
	m.mu.Lock()
	b := m.boxes["v0"]
	m.mu.Unlock()
	b.mu.Lock()
	private := b.file.privateBytes()
	b.mu.Unlock()
	if private < 400<<10 || private > int64(m.Stats().TemplateBytes) {
		t.Errorf("after rewriting the bookings the sandbox holds %d KiB of its own, want most of the bookings' pages and less than the demo data", private>>10)
	}

	var probe memProbe
	defer probe.close()
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if left := probe.used() - start; left > 1<<20 {
		t.Errorf("after Close SQLite still holds %d KiB more than before the sandboxes", left>>10)
	}
}

// FuzzCowFile drives one file of the VFS with reads, writes and truncates
// at any offset and checks every read against a plain byte slice.
func FuzzCowFile(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add([]byte{1, 200, 3, 2, 10, 0, 0, 0, 2, 250, 1, 1, 1, 1, 0, 0})
	f.Add([]byte{2, 0, 1, 0, 3, 0, 0, 1, 4, 2, 2, 2, 0, 5, 5, 5})
	f.Fuzz(func(t *testing.T, ops []byte) {
		tls := libc.NewTLS()
		defer tls.Close()
		image := make([]byte, 3*pageSize+100)
		for i := range image {
			image[i] = byte(i*7 + i/pageSize)
		}
		pristine := bytes.Clone(image)
		model := bytes.Clone(image)
		file := &cowFile{base: image, baseN: int64(len(image)), size: int64(len(image))}
		cow.mu.Lock()
		if cow.files == nil {
			cow.files = make(map[uintptr]*cowFile)
		}
		cow.next++
		h := cowHandle{handle: cow.next}
		cow.files[h.handle] = file
		cow.mu.Unlock()
		pFile := uintptr(unsafe.Pointer(&h))
		defer cowClose(tls, pFile)

		buf := libc.Xmalloc(tls, 3*pageSize)
		defer libc.Xfree(tls, buf)
		mem := (*libc.RawMem)(cptr(buf))[: 3*pageSize : 3*pageSize]
		for len(ops) >= 4 {
			op, off, n, v := ops[0]%3, int64(ops[1])*97, int(ops[2])*48+1, ops[3]
			ops = ops[4:]
			switch op {
			case 0: // write n bytes of v at off
				for i := range n {
					mem[i] = v + byte(i)
				}
				if rc := cowWrite(tls, pFile, buf, int32(n), off); rc != 0 {
					t.Fatalf("write: rc %d", rc)
				}
				if end := off + int64(n); end > int64(len(model)) {
					model = append(model, make([]byte, end-int64(len(model)))...)
				}
				copy(model[off:], mem[:n])
			case 1: // read n bytes at off
				rc := cowRead(tls, pFile, buf, int32(n), off)
				want := make([]byte, n)
				if off < int64(len(model)) {
					copy(want, model[off:])
				}
				if short := off+int64(n) > int64(len(model)); short != (rc == sqlite3.SQLITE_IOERR_SHORT_READ) || !short && rc != 0 {
					t.Fatalf("read %d at %d of %d: rc %d", n, off, len(model), rc)
				}
				if !bytes.Equal(mem[:n], want) {
					t.Fatalf("read %d at %d: bytes differ from the model", n, off)
				}
			case 2: // truncate to off
				if rc := cowTruncate(tls, pFile, off); rc != 0 {
					t.Fatalf("truncate: rc %d", rc)
				}
				if off < int64(len(model)) {
					model = model[:off]
				}
			}
			var size int64
			cowFileSize(tls, pFile, uintptr(unsafe.Pointer(&size)))
			if size != int64(len(model)) {
				t.Fatalf("size %d, want %d", size, len(model))
			}
		}
		if !bytes.Equal(image, pristine) {
			t.Fatal("the image changed")
		}
	})
}

// TestTempFilesCountForTheirSandbox: a TEMP table lives in the VFS's
// memory, and what it holds counts for the sandbox it belongs to, so
// eviction weighs the sandbox with it.
func TestTempFilesCountForTheirSandbox(t *testing.T) {
	m := newTestManager(t, Options{Spares: -1})
	held := func(visitor string) int64 {
		m.mu.Lock()
		b := m.boxes[visitor]
		m.mu.Unlock()
		b.mu.Lock()
		defer b.mu.Unlock()
		return b.file.privateBytes()
	}
	mustRun(t, m, "v", "SELECT 1")
	mustRun(t, m, "w", "SELECT 1")
	before := held("v")
	st := mustRun(t, m, "v", "CREATE TEMP TABLE big AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 250) SELECT zeroblob(4000) AS b FROM c").Statements[0]
	if st.Error != nil {
		t.Fatal(st.Error)
	}
	if grew := held("v") - before; grew < 900<<10 || grew > 2<<20 {
		t.Errorf("a TEMP table of 250 pages added %d KiB to its sandbox, want about 1 MiB", grew>>10)
	}
	if got := held("w"); got != 0 {
		t.Errorf("another sandbox holds %d KiB, want nothing", got>>10)
	}
	if got := scalar(t, m, "v", "SELECT count(*) FROM temp.big"); got != "250" {
		t.Errorf("temp.big has %s rows, want 250", got)
	}
}

package sandbox

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// waitWarm waits until n sandboxes are set aside, or fails the test.
func waitWarm(t *testing.T, m *Manager, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for m.Stats().Warm != n {
		if time.Now().After(deadline) {
			t.Fatalf("sandboxes set aside: %d, want %d", m.Stats().Warm, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestWarm sets a sandbox aside for a visitor who opened a lesson, and
// gives it to them on their first query: created then, within the
// address's budget, with the demo data intact.
func TestWarm(t *testing.T) {
	m := newTestManager(t, Options{Spares: -1, CreationsPerMinute: 1, CreationBurst: 1})
	ctx := ContextWithClient(context.Background(), Client{Addr: "203.0.113.7"})
	m.Warm("a")
	m.Warm("b")
	m.Warm("a")
	waitWarm(t, m, 2)
	if s := m.Stats(); s.Sandboxes != 0 || s.Created != 0 {
		t.Fatalf("before any query: %d sandboxes, %d created; want none", s.Sandboxes, s.Created)
	}

	res, err := m.Run(ctx, "a", "SELECT count(*) FROM members", RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Statements[0].Rows[0][0].Text; got != "2000" || res.Recycled {
		t.Errorf("first query on the sandbox set aside: count %v, recycled %v; want 2000, false", got, res.Recycled)
	}
	if s := m.Stats(); s.Warm != 1 || s.Sandboxes != 1 || s.Created != 1 {
		t.Errorf("after a's query: %d set aside, %d sandboxes, %d created; want 1, 1, 1", s.Warm, s.Sandboxes, s.Created)
	}

	// Setting b's aside took no token: b is refused when it first uses it,
	// as it would be without Warm, and the sandbox stays set aside.
	if _, err := m.Run(ctx, "b", "SELECT 1", RunOptions{}); !errors.Is(err, ErrRateLimited) {
		t.Errorf("b's first query with the address's budget spent: %v, want ErrRateLimited", err)
	}
	if s := m.Stats(); s.Warm != 1 {
		t.Errorf("after b was refused: %d set aside, want 1", s.Warm)
	}

	// A visitor with a sandbox gets nothing set aside.
	m.Warm("a")
	if m.warmOne("a") {
		t.Error("cloned a sandbox for a visitor who has one")
	}
}

// TestWarmBounds: nothing is set aside beyond MaxSandboxes, and what is
// set aside and not used goes after warmFor without a notice that the
// visitor's database was reset.
func TestWarmBounds(t *testing.T) {
	clk := newClock()
	m := newTestManager(t, Options{Spares: -1, MaxSandboxes: 2, Now: clk.Now})
	mustRun(t, m, "a", "SELECT 1")
	if !m.warmOne("b") {
		t.Fatal("nothing cloned for b with room for one more")
	}
	if m.warmOne("c") {
		t.Error("cloned a sandbox for c beyond MaxSandboxes")
	}
	if s := m.Stats(); s.Warm != 1 {
		t.Fatalf("%d set aside, want 1", s.Warm)
	}

	clk.Advance(warmFor + time.Second)
	m.sweep()
	m.closers.Wait()
	if s := m.Stats(); s.Warm != 0 || s.Sandboxes != 1 {
		t.Errorf("after warmFor: %d set aside, %d sandboxes; want 0, 1", s.Warm, s.Sandboxes)
	}
	if res := mustRun(t, m, "b", "SELECT 1"); res.Recycled {
		t.Error("b was told its database was reset, but never used the one set aside")
	}
}

// TestDropWarmOldestFirst: when memory runs short, the sandboxes set aside
// longest ago go first.
func TestDropWarmOldestFirst(t *testing.T) {
	clk := newClock()
	m := newTestManager(t, Options{Spares: -1, Now: clk.Now})
	for _, v := range []string{"old", "middle", "new"} {
		if !m.warmOne(v) {
			t.Fatalf("nothing cloned for %s", v)
		}
		clk.Advance(time.Second)
	}
	m.mu.Lock()
	victims := m.dropWarm(2*boxOverhead, time.Time{}) // two fresh sandboxes' worth
	_, kept := m.warm["new"]
	m.mu.Unlock()
	m.closeBoxes(victims)
	if len(victims) != 2 || !kept {
		t.Errorf("dropped %d, kept the newest: %v; want 2 dropped and the newest kept", len(victims), kept)
	}
}

// TestWarmMemory: sandboxes are set aside only while SQLite's heap has
// room for them, and when visitors' sandboxes need the room, those set
// aside go first.
func TestWarmMemory(t *testing.T) {
	base := newTestManager(t, Options{Spares: -1})
	if base.Stats().HeapLimit == 0 {
		t.Skip("SQLite was initialized before memory statistics could be switched on")
	}
	t.Cleanup(func() { configureSQLite(928 << 20) })
	// Room for a few dozen fresh sandboxes below seven eighths of the limit.
	m := newTestManager(t, Options{Spares: -1, HeapLimit: base.Stats().SQLiteMemory + 4<<20})
	for i := range 80 {
		m.warmOne(fmt.Sprint("w", i))
	}
	warm := m.Stats().Warm
	if warm < 3 || warm >= 80 {
		t.Fatalf("%d set aside, want a few and fewer than 80", warm)
	}
	for i := range 3 {
		mustRun(t, m, fmt.Sprint("v", i), "SELECT 1")
	}
	m.closers.Wait()
	if s := m.Stats(); s.EvictedMemory != 0 || s.Sandboxes != 3 || s.Warm >= warm {
		t.Errorf("after 3 visitors: %d evicted for memory, %d sandboxes, %d of %d still set aside; want none evicted, 3, fewer", s.EvictedMemory, s.Sandboxes, s.Warm, warm)
	}
}

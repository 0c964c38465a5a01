package sandbox

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestUsageDecays: slot time counts fully at first, half after a
// half-life, and a visitor is heavy only while it stays above heavyHeld.
func TestUsageDecays(t *testing.T) {
	t0 := time.Date(2026, 4, 15, 9, 0, 0, 0, time.UTC)
	var u usage
	if u.heavy(t0) {
		t.Fatal("no usage is heavy")
	}
	half := heavyHeld / 2
	u.add(t0, half)
	if u.heavy(t0) {
		t.Errorf("%v of slot time is heavy", half)
	}
	u.add(t0, half+time.Millisecond)
	if !u.heavy(t0) {
		t.Errorf("%v of slot time at once is not heavy", 2*half+time.Millisecond)
	}
	if got, want := u.decayed(t0.Add(usageHalfLife)), (heavyHeld+time.Millisecond).Seconds()/2; got < want*0.99 || got > want*1.01 {
		t.Errorf("after a half-life: %.3f s, want %.3f", got, want)
	}
	if u.heavy(t0.Add(usageHalfLife)) {
		t.Error("still heavy a half-life later")
	}
	u.add(t0.Add(-time.Minute), -time.Second) // a clock going back counts nothing
	if got := u.decayed(t0.Add(-time.Minute)); got < 0 {
		t.Errorf("usage went negative: %.3f", got)
	}
}

// TestGateHeavy: a heavy operation never takes a slot, only a place in
// the long lane, and waits for that while the lane is full; light ones
// keep every slot, and leaving the lane hands it to the next heavy one.
func TestGateHeavy(t *testing.T) {
	g := newGate(2) // two slots, a lane of one
	if !g.tryAcquire(heavyOp) {
		t.Fatal("a heavy operation was refused the empty long lane")
	}
	if g.tryAcquire(heavyOp) {
		t.Fatal("a second heavy operation got into the full long lane")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := g.acquire(ctx, heavyOp); err == nil {
		t.Fatal("a heavy operation got into the full long lane by waiting")
	}
	for i := range 2 {
		if !g.tryAcquire(newOp) {
			t.Fatalf("light operation %d was refused a free slot while a heavy one ran", i+1)
		}
	}
	if running, waiting := g.counts(); running != 3 || waiting != 0 {
		t.Errorf("counts = %d running, %d waiting; want 2 slots and the lane", running, waiting)
	}

	// A heavy waiter gets the lane when the heavy one in it leaves, not
	// when a slot frees.
	heavy := make(chan error, 1)
	go func() { heavy <- g.acquire(context.Background(), heavyOp) }()
	waitQueued(t, g, 1)
	g.release()
	select {
	case <-heavy:
		t.Fatal("the heavy waiter took a slot")
	case <-time.After(20 * time.Millisecond):
	}
	g.leaveLongLane()
	if err := <-heavy; err != nil {
		t.Fatal(err)
	}
	g.release()
	g.leaveLongLane()
	if running, waiting := g.counts(); running != 0 || waiting != 0 {
		t.Errorf("counts = %d running, %d waiting at the end; want none", running, waiting)
	}

	// A light operation past its grace does not wait for the lane: with
	// the lane full it keeps its slot.
	if !g.tryAcquire(heavyOp) || !g.tryAcquire(newOp) {
		t.Fatal("the lane or a slot was refused")
	}
	if g.toLongLane() {
		t.Error("an operation moved into the full long lane")
	}
}

// waitQueued waits until n operations wait at g.
func waitQueued(t *testing.T, g *gate, n int) {
	t.Helper()
	for start := time.Now(); time.Since(start) < 5*time.Second; time.Sleep(time.Millisecond) {
		if _, waiting := g.counts(); waiting == n {
			return
		}
	}
	t.Fatalf("%d operations never queued", n)
}

// TestHeavyVisitor: a visitor whose operation held a slot for seconds is
// queued as heavy next time, and the others are not.
func TestHeavyVisitor(t *testing.T) {
	clk := newClock()
	m := newTestManager(t, Options{Now: clk.Now, MaxConcurrent: 2})
	ctx := context.Background()
	// Slow operations that end within their budget never count, however
	// many: a lesson's slow query is not an attack.
	for range 10 {
		if err := m.With(ctx, "student", func(context.Context, *DB) error { clk.Advance(time.Second); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	// One that holds its slot to the end of its budget makes its visitor
	// heavy.
	slow := func(context.Context, *DB) error { clk.Advance(heavyHeld + time.Second); return nil }
	if err := m.With(ctx, "attacker", slow); err != nil {
		t.Fatal(err)
	}
	mustRun(t, m, "student", "SELECT 1")
	if got := m.Stats().Heavy; got != 0 {
		t.Fatalf("Heavy = %d before the heavy visitor came back, want 0", got)
	}
	// Now heavy: an endless query is stopped after heavyTimeout, and the
	// message says why.
	start := time.Now()
	res := mustRun(t, m, "attacker", "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) SELECT count(*) FROM r")
	took := time.Since(start)
	if e := res.Statements[0].Error; e == nil || !strings.Contains(e.Message, "stopped after 250ms") || !strings.Contains(e.Message, "ran long while others waited") {
		t.Errorf("the heavy visitor's endless query: error %+v, want it stopped after 250ms, saying why", e)
	}
	if took > time.Second {
		t.Errorf("the heavy visitor's endless query ran %v", took)
	}
	if got := m.Stats().Heavy; got != 1 {
		t.Errorf("Heavy = %d after the heavy visitor's next query, want 1", got)
	}
	// A light visitor's statement keeps the full budget.
	if res := mustRun(t, m, "student", "SELECT 1"); res.Statements[0].Error != nil {
		t.Fatal(res.Statements[0].Error)
	}
	clk.Advance(6 * usageHalfLife)
	mustRun(t, m, "attacker", "SELECT 1")
	if got := m.Stats().Heavy; got != 1 {
		t.Errorf("Heavy = %d: the visitor is still heavy long after", got)
	}
}

package sandbox

import (
	"context"
	"errors"
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

// TestUsageRunaway: a visitor is a runaway for usageHalfLife after an
// operation of its own ran into its limit; being stopped to make way
// counts slot time but makes no runaway.
func TestUsageRunaway(t *testing.T) {
	t0 := time.Date(2026, 4, 15, 9, 0, 0, 0, time.UTC)
	var u usage
	u.add(t0, 2*heavyHeld) // stopped to make way
	if !u.heavy(t0) || u.runaway(t0) {
		t.Fatalf("stopped to make way: heavy %v, runaway %v; want heavy, no runaway", u.heavy(t0), u.runaway(t0))
	}
	u.ranInto(t0, time.Second)
	if !u.runaway(t0) || !u.runaway(t0.Add(usageHalfLife-time.Millisecond)) {
		t.Error("not a runaway just after running into its limit")
	}
	if u.runaway(t0.Add(usageHalfLife)) {
		t.Error("still a runaway a half-life after")
	}
}

// TestGateRunaway: waiting for the long lane, a heavy operation goes
// before a runaway's that came first.
func TestGateRunaway(t *testing.T) {
	g := newGate(2) // a lane of one
	if !g.tryAcquire(runawayOp) {
		t.Fatal("a runaway was refused the empty long lane")
	}
	order := make(chan int, 2)
	for i, p := range []int{runawayOp, heavyOp} {
		go func() {
			if err := g.acquire(context.Background(), p); err != nil {
				t.Error(err)
			}
			order <- p
		}()
		waitQueued(t, g, i+1)
	}
	if g.tryAcquire(heavyOp) || g.tryAcquire(runawayOp) {
		t.Fatal("an operation got into the full lane past the waiters")
	}
	g.leaveLongLane()
	if got := <-order; got != heavyOp {
		t.Errorf("priority %d got the lane first, want the heavy one (%d)", got, heavyOp)
	}
	g.leaveLongLane()
	if got := <-order; got != runawayOp {
		t.Errorf("priority %d got the lane second, want the runaway (%d)", got, runawayOp)
	}
	g.leaveLongLane()
	if running, waiting := g.counts(); running != 0 || waiting != 0 {
		t.Errorf("counts = %d running, %d waiting at the end; want none", running, waiting)
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

// TestStoppedOnceNoRunaway: a student made heavy by one query stopped to
// make way is served in the long lane before a runaway who came first,
// and refused for want of a place it does not stay heavy; a runaway
// refused keeps counting.
func TestStoppedOnceNoRunaway(t *testing.T) {
	clk := newClock()
	m := newTestManager(t, Options{Now: clk.Now, MaxConcurrent: 2, QueueWait: 200 * time.Millisecond})
	ctx := context.Background()
	for _, v := range []string{"student", "runaway"} {
		mustRun(t, m, v, "SELECT 1")
	}
	// The runaway's operation held its slot past its budget; the
	// student's was stopped to make way, which counts twice the budget
	// (see pause).
	if err := m.With(ctx, "runaway", func(context.Context, *DB) error { clk.Advance(heavyHeld + time.Second); return nil }); err != nil {
		t.Fatal(err)
	}
	student, _, err := m.lookup("student")
	if err != nil {
		t.Fatal(err)
	}
	student.mu.Lock()
	student.held.add(clk.Now(), 2*m.opts.QueryTimeout)
	student.mu.Unlock()
	held := func(v string) float64 {
		b, _, err := m.lookup(v)
		if err != nil {
			t.Fatal(err)
		}
		b.mu.Lock()
		defer b.mu.Unlock()
		return b.held.decayed(clk.Now())
	}

	// The lane is full; the runaway queues first, the student second.
	if !m.slots.tryAcquire(heavyOp) {
		t.Fatal("the long lane was refused")
	}
	// The lane has one place, so the order the operations run in is the
	// order they got it.
	order := make(chan string, 2)
	done := make(chan struct{}, 2)
	for i, v := range []string{"runaway", "student"} {
		go func() {
			defer func() { done <- struct{}{} }()
			if err := m.With(ctx, v, func(context.Context, *DB) error { order <- v; return nil }); err != nil {
				t.Errorf("%s: %v", v, err)
			}
		}()
		waitQueued(t, m.slots, i+1)
	}
	m.slots.leaveLongLane()
	<-done
	<-done
	if first, second := <-order, <-order; first != "student" || second != "runaway" {
		t.Errorf("the lane served %s, then %s; want the student first", first, second)
	}

	// Refused for want of a place: the runaway keeps counting, the
	// student does not. (The lane's rest after the runaway's operation
	// ends on a timer of its own.)
	for start := time.Now(); !m.slots.tryAcquire(heavyOp); time.Sleep(time.Millisecond) {
		if time.Since(start) > 5*time.Second {
			t.Fatal("the long lane was refused")
		}
	}
	defer m.slots.leaveLongLane()
	for _, v := range []string{"student", "runaway"} {
		before := held(v)
		_, err := m.Run(ctx, v, "SELECT 1", RunOptions{})
		if !errors.Is(err, ErrSaturated) {
			t.Fatalf("%s with the lane full: %v, want ErrSaturated", v, err)
		}
		grew := held(v) > before
		if want := v == "runaway"; grew != want {
			t.Errorf("%s refused: its usage grew %v, want %v", v, grew, want)
		}
	}
}

// TestOverloadWaitsLess: after an operation waited all of QueueWait for a
// slot and was refused, new ones wait overloadWait for overloadHold
// QueueWaits, then QueueWait again; a heavy visitor refused a place in the long lane
// changes nothing.
func TestOverloadWaitsLess(t *testing.T) {
	clk := newClock()
	const queueWait = 3 * time.Second
	m := newTestManager(t, Options{Now: clk.Now, MaxConcurrent: 1, QueueWait: queueWait})
	for _, v := range []string{"a", "b"} {
		mustRun(t, m, v, "SELECT 1")
	}
	if got := m.slotWait(); got != queueWait {
		t.Fatalf("slotWait = %v before any refusal, want QueueWait", got)
	}
	if !m.slots.tryAcquire(newOp) {
		t.Fatal("the slot was refused")
	}
	defer m.slots.release()
	if _, err := m.Run(context.Background(), "a", "SELECT 1", RunOptions{}); !errors.Is(err, ErrSaturated) {
		t.Fatalf("with the slot held: %v, want ErrSaturated", err)
	}
	if got := m.slotWait(); got != overloadWait {
		t.Fatalf("slotWait = %v after a refusal, want %v", got, overloadWait)
	}
	start := time.Now()
	if _, err := m.Run(context.Background(), "b", "SELECT 1", RunOptions{}); !errors.Is(err, ErrSaturated) {
		t.Fatalf("with the slot still held: %v, want ErrSaturated", err)
	}
	if took := time.Since(start); took >= queueWait {
		t.Errorf("the next operation was refused after %v, the whole QueueWait", took)
	}
	clk.Advance(overloadHold*queueWait - time.Millisecond)
	if got := m.slotWait(); got != overloadWait {
		t.Errorf("slotWait = %v just before the hold ends, want %v", got, overloadWait)
	}
	clk.Advance(time.Millisecond)
	if got := m.slotWait(); got != queueWait {
		t.Errorf("slotWait = %v once the hold ended, want QueueWait", got)
	}

	// A heavy visitor refused for want of a place in the lane.
	h := newTestManager(t, Options{Now: clk.Now, MaxConcurrent: 2, QueueWait: 50 * time.Millisecond})
	mustRun(t, h, "attacker", "SELECT 1")
	if err := h.With(context.Background(), "attacker", func(context.Context, *DB) error { clk.Advance(heavyHeld + time.Second); return nil }); err != nil {
		t.Fatal(err)
	}
	if !h.slots.tryAcquire(heavyOp) {
		t.Fatal("the long lane was refused")
	}
	defer h.slots.leaveLongLane()
	if _, err := h.Run(context.Background(), "attacker", "SELECT 1", RunOptions{}); !errors.Is(err, ErrSaturated) {
		t.Fatalf("the heavy visitor with the lane full: %v, want ErrSaturated", err)
	}
	if got := h.slotWait(); got != 50*time.Millisecond {
		t.Errorf("slotWait = %v after a heavy visitor's refusal, want QueueWait", got)
	}
}

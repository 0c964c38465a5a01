package sandbox

import (
	"container/list"
	"context"
	"sync"
)

// gate is the set of global query slots: a counting semaphore whose
// waiters are served in the order they came, except that operations
// already under way (a concurrency demo's next statement, after a pause)
// go before new ones: without that, a demo that gives its slot back
// between statements would queue behind the whole class once per
// statement.
//
// Beside the slots runs a long lane, of half as many places (at least
// one). An operation that has held a slot for a while (see lane.go) moves
// into it, handing its slot to the next waiter, if the lane has room: a few
// long queries run beside the class's short ones instead of in front of
// them. Heavy visitors — those whose recent queries ran into their time
// limit (see usage.go) — run in the long lane only, waiting for a place
// there, and never take a slot: a few visitors sending statements that run
// until their limit would otherwise hold the slots, and a class's
// millisecond queries would wait seconds behind them. Among them, those
// whose own statements ran into their limit lately wait after the others
// (see usage.go): a student made heavy once by a query stopped on a
// crowded server is served ahead of visitors who keep sending runaways.
type gate struct {
	mu       sync.Mutex
	size     int
	free     int
	long     int // operations in the long lane
	longSize int
	waiting  [4]list.List // of chan struct{}: [under way, new] for a slot, [heavy, runaway] for the long lane
}

// Priorities of a wait.
const (
	underWay = 0
	newOp    = 1
	heavyOp  = 2 // waits for a place in the long lane, not a slot
	// runawayOp is an operation of a heavy visitor whose own statements
	// ran into their limit lately: it waits for the long lane after every
	// heavyOp.
	runawayOp = 3
)

// laneOnly reports whether operations of priority p run in the long lane.
func laneOnly(p int) bool { return p >= heavyOp }

func newGate(size int) *gate {
	return &gate{size: size, free: size, longSize: max(1, size/2)}
}

// canTake reports whether an operation of priority p may start now,
// nobody waiting before it. The caller holds mu.
func (g *gate) canTake(p int) bool {
	first := 0
	if laneOnly(p) {
		first = heavyOp
	}
	for q := first; q <= p; q++ {
		if g.waiting[q].Len() > 0 {
			return false
		}
	}
	if laneOnly(p) {
		return g.long < g.longSize
	}
	return g.free > 0
}

// take starts an operation of priority p: a slot, or for a heavy one a
// place in the long lane. The caller holds mu.
func (g *gate) take(p int) {
	if laneOnly(p) {
		g.long++
		return
	}
	g.free--
}

// tryAcquire starts an operation of priority p if there is room for it and
// nobody waits before it.
func (g *gate) tryAcquire(p int) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.canTake(p) {
		g.take(p)
		return true
	}
	return false
}

// acquire starts an operation of priority p, waiting as long as ctx
// allows.
func (g *gate) acquire(ctx context.Context, priority int) error {
	g.mu.Lock()
	if g.canTake(priority) {
		g.take(priority)
		g.mu.Unlock()
		return nil
	}
	ready := make(chan struct{})
	e := g.waiting[priority].PushBack(ready)
	g.mu.Unlock()
	select {
	case <-ready:
		return nil
	case <-ctx.Done():
	}
	g.mu.Lock()
	select {
	case <-ready:
		// The room came as ctx ended: pass it on.
		g.mu.Unlock()
		if laneOnly(priority) {
			g.leaveLongLane()
		} else {
			g.release()
		}
	default:
		g.waiting[priority].Remove(e)
		g.mu.Unlock()
	}
	return ctx.Err()
}

// release gives a slot back.
func (g *gate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.handOff()
}

// handOff frees a slot and passes it to the first waiter under way, else
// the first new one. The caller holds mu.
func (g *gate) handOff() {
	g.free++
	for _, p := range [...]int{underWay, newOp} {
		if e := g.waiting[p].Front(); e != nil {
			g.free--
			close(g.waiting[p].Remove(e).(chan struct{}))
			return
		}
	}
}

// toLongLane moves an operation holding a slot into the long lane, handing
// its slot on, if the lane has room.
func (g *gate) toLongLane() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.long >= g.longSize {
		return false
	}
	g.long++
	g.handOff()
	return true
}

// leaveLongLane ends an operation's stay in the long lane, passing its
// place to the first heavy waiter, else the first runaway one.
func (g *gate) leaveLongLane() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, p := range [...]int{heavyOp, runawayOp} {
		if e := g.waiting[p].Front(); e != nil {
			close(g.waiting[p].Remove(e).(chan struct{}))
			return
		}
	}
	g.long--
}

// othersWaiting reports whether operations wait for a slot.
func (g *gate) othersWaiting() bool { return g.lightWaiting() > 0 }

// lightWaiting counts the operations waiting for a slot.
func (g *gate) lightWaiting() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.waiting[underWay].Len() + g.waiting[newOp].Len()
}

// counts returns how many operations run (in slots or the long lane) and
// how many wait.
func (g *gate) counts() (running, waiting int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for i := range g.waiting {
		waiting += g.waiting[i].Len()
	}
	return g.size - g.free + g.long, waiting
}

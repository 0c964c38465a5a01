package sandbox

import (
	"container/list"
	"context"
	"sync"
)

// gate is the set of global query slots: a counting semaphore whose
// waiters are served in the order they came, except that
//
//   - operations already under way (a concurrency demo's next statement,
//     after a pause) go before new ones: without that, a demo that gives
//     its slot back between statements would queue behind the whole class
//     once per statement;
//   - heavy visitors — those whose recent queries held slots for a long
//     time (see box.heavy) — go after everyone else and never take the
//     last free slot. A few visitors sending statements that run until
//     their time limit would otherwise hold every slot, and a class's
//     millisecond queries would wait seconds behind them; this way one
//     slot is always left to the light ones.
//
// Beside the slots runs a long lane: an operation that has held a slot for
// a while (see lane.go) moves into it, giving its slot to the next waiter,
// if the lane has room. So a few long queries run beside the class's
// short ones instead of in front of them.
type gate struct {
	mu       sync.Mutex
	size     int
	free     int
	long     int // operations in the long lane
	longSize int
	waiting  [3]list.List // of chan struct{}: [under way, new, heavy]
}

// Priorities of a wait for a slot.
const (
	underWay = 0
	newOp    = 1
	heavyOp  = 2
)

func newGate(size int) *gate {
	return &gate{size: size, free: size, longSize: max(1, size/2)}
}

// reserve is how many slots a heavy operation must leave free: one, when
// there are at least two.
func (g *gate) reserve() int { return min(1, g.size-1) }

// canTake reports whether an operation of priority p may take a free slot
// now, nobody waiting before it. The caller holds mu.
func (g *gate) canTake(p int) bool {
	for q := range p + 1 {
		if g.waiting[q].Len() > 0 {
			return false
		}
	}
	if p == heavyOp {
		return g.free > g.reserve()
	}
	return g.free > 0
}

// tryAcquire takes a slot if one is free for priority p and nobody waits
// before it.
func (g *gate) tryAcquire(p int) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.canTake(p) {
		g.free--
		return true
	}
	return false
}

// acquire takes a slot, waiting as long as ctx allows.
func (g *gate) acquire(ctx context.Context, priority int) error {
	g.mu.Lock()
	if g.canTake(priority) {
		g.free--
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
		// The slot came as ctx ended: pass it on.
		g.mu.Unlock()
		g.release()
	default:
		g.waiting[priority].Remove(e)
		g.mu.Unlock()
	}
	return ctx.Err()
}

// release gives a slot back: to the first waiter under way, else the first
// new one, else the first heavy one if that leaves the reserve free.
func (g *gate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.handOff()
}

// handOff frees a slot and passes it on. The caller holds mu.
func (g *gate) handOff() {
	g.free++
	for p := range g.waiting {
		e := g.waiting[p].Front()
		if e == nil {
			continue
		}
		if p == heavyOp && g.free <= g.reserve() {
			return
		}
		g.free--
		close(g.waiting[p].Remove(e).(chan struct{}))
		return
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

// leaveLongLane ends an operation's stay in the long lane.
func (g *gate) leaveLongLane() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.long--
}

// othersWaiting reports whether operations other than heavy visitors'
// wait for a slot.
func (g *gate) othersWaiting() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.waiting[underWay].Len()+g.waiting[newOp].Len() > 0
}

// counts returns how many operations run (in slots or the long lane) and
// how many wait.
func (g *gate) counts() (running, waiting int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.size - g.free + g.long, g.waiting[underWay].Len() + g.waiting[newOp].Len() + g.waiting[heavyOp].Len()
}

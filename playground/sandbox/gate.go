package sandbox

import (
	"container/list"
	"context"
	"sync"
)

// gate is the set of global query slots: a counting semaphore whose
// waiters are served in the order they came, except that operations
// already under way (a concurrency demo's next statement, after a pause)
// go before new ones. Without that, a demo that gives its slot back between
// statements would queue behind the whole class once per statement.
type gate struct {
	mu      sync.Mutex
	size    int
	free    int
	waiting [2]list.List // of chan struct{}: [under way, new]
}

// Priorities of a wait for a slot.
const (
	underWay = 0
	newOp    = 1
)

func newGate(size int) *gate {
	return &gate{size: size, free: size}
}

// tryAcquire takes a slot if one is free and nobody waits for it.
func (g *gate) tryAcquire() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.free > 0 && g.waiting[underWay].Len() == 0 && g.waiting[newOp].Len() == 0 {
		g.free--
		return true
	}
	return false
}

// acquire takes a slot, waiting as long as ctx allows.
func (g *gate) acquire(ctx context.Context, priority int) error {
	g.mu.Lock()
	if g.free > 0 && g.waiting[underWay].Len() == 0 && g.waiting[newOp].Len() == 0 {
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

// release gives a slot back, to the first waiter if there is one.
func (g *gate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for p := range g.waiting {
		if e := g.waiting[p].Front(); e != nil {
			close(g.waiting[p].Remove(e).(chan struct{}))
			return
		}
	}
	g.free++
}

// counts returns how many slots are taken and how many operations wait.
func (g *gate) counts() (running, waiting int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.size - g.free, g.waiting[underWay].Len() + g.waiting[newOp].Len()
}

package scaling

import (
	"container/list"
	"context"
	"errors"
	"sync"
	"time"
)

// Why the gate refused a query.
var (
	// ErrQueueFull: every slot is taken and the queue is full.
	ErrQueueFull = errors.New("scaling: every slot is taken and the queue is full")
	// ErrWaitedTooLong: the query waited its longest in the queue.
	ErrWaitedTooLong = errors.New("scaling: no slot came free in time")
)

// Gate lets Slots queries run at once, queues up to Queue more in the
// order they came, for at most MaxWait each, and refuses the rest at
// once. It works like the sandbox's global query gate, with limits small
// enough to see, and it is private to its caller: loading it loads no
// one else. Its methods are safe for concurrent use.
type Gate struct {
	slots, queue int
	maxWait      time.Duration

	mu      sync.Mutex
	free    int
	waiting list.List // of chan struct{}
}

// NewGate returns a gate with slots slots (at least 1), a queue of queue
// places and a longest wait of maxWait.
func NewGate(slots, queue int, maxWait time.Duration) *Gate {
	slots = max(slots, 1)
	return &Gate{slots: slots, queue: max(queue, 0), maxWait: maxWait, free: slots}
}

// Acquire takes a slot. It reports whether the query had to queue, and
// fails with ErrQueueFull when the queue is full, ErrWaitedTooLong after
// MaxWait in the queue, or ctx's error.
func (g *Gate) Acquire(ctx context.Context) (queued bool, err error) {
	g.mu.Lock()
	if g.free > 0 && g.waiting.Len() == 0 {
		g.free--
		g.mu.Unlock()
		return false, nil
	}
	if g.waiting.Len() >= g.queue {
		g.mu.Unlock()
		return false, ErrQueueFull
	}
	ready := make(chan struct{})
	e := g.waiting.PushBack(ready)
	g.mu.Unlock()
	timer := time.NewTimer(g.maxWait)
	defer timer.Stop()
	select {
	case <-ready:
		return true, nil
	case <-ctx.Done():
		err = ctx.Err()
	case <-timer.C:
		err = ErrWaitedTooLong
	}
	g.mu.Lock()
	select {
	case <-ready:
		// The slot came as the wait ended: take it after all.
		g.mu.Unlock()
		return true, nil
	default:
		g.waiting.Remove(e)
		g.mu.Unlock()
	}
	return true, err
}

// Release gives a slot back, to the first query in the queue if any.
func (g *Gate) Release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if e := g.waiting.Front(); e != nil {
		close(g.waiting.Remove(e).(chan struct{}))
		return
	}
	g.free = min(g.free+1, g.slots)
}

// Counts returns how many slots are taken and how many queries queue.
func (g *Gate) Counts() (running, queued int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.slots - g.free, g.waiting.Len()
}

// RetryAfter is how long a refused client is asked to wait: the time for
// a full queue to drain, whole seconds, at least one.
func (g *Gate) RetryAfter(hold time.Duration) time.Duration {
	drain := time.Duration((g.queue+g.slots-1)/g.slots+1) * hold
	return max((drain+time.Second-1)/time.Second*time.Second, time.Second)
}

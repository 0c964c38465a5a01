package sandbox

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestGateOrder: waiters get slots in the order they came, operations
// under way before new ones, and a waiter that gives up leaves its place.
func TestGateOrder(t *testing.T) {
	g := newGate(1)
	if !g.tryAcquire(newOp) {
		t.Fatal("the free slot was refused")
	}
	if g.tryAcquire(newOp) {
		t.Fatal("a second slot was handed out")
	}
	var (
		mu     sync.Mutex
		served []string
		wg     sync.WaitGroup
	)
	queued := 0
	wait := func(name string, priority int, ctx context.Context) {
		queued++
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := g.acquire(ctx, priority); err != nil {
				return
			}
			mu.Lock()
			served = append(served, name)
			mu.Unlock()
			g.release()
		}()
		// Queue in a known order.
		for {
			if _, waiting := g.counts(); waiting == queued {
				break
			}
			time.Sleep(time.Millisecond)
		}
	}
	gaveUp, cancel := context.WithCancel(context.Background())
	wait("new 1", newOp, context.Background())
	wait("new 2 gives up", newOp, gaveUp)
	wait("new 3", newOp, context.Background())
	wait("under way 1", underWay, context.Background())
	wait("under way 2", underWay, context.Background())
	cancel()
	for {
		if _, waiting := g.counts(); waiting == 4 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	g.release()
	wg.Wait()
	want := []string{"under way 1", "under way 2", "new 1", "new 3"}
	if !slices.Equal(served, want) {
		t.Errorf("served %q, want %q", served, want)
	}
	if running, waiting := g.counts(); running != 0 || waiting != 0 {
		t.Errorf("counts = %d running, %d waiting; want 0, 0", running, waiting)
	}
}

// TestGateGrantAsContextEnds: a slot granted just as its waiter gives up
// is passed on, never lost.
func TestGateGrantAsContextEnds(t *testing.T) {
	g := newGate(2)
	for range 500 {
		g.tryAcquire(newOp)
		g.tryAcquire(newOp)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- g.acquire(ctx, newOp) }()
		for {
			if _, waiting := g.counts(); waiting == 1 {
				break
			}
			time.Sleep(10 * time.Microsecond)
		}
		go cancel()
		g.release()
		if err := <-done; err == nil {
			g.release()
		}
		g.release()
		if running, waiting := g.counts(); running != 0 || waiting != 0 {
			t.Fatalf("counts = %d running, %d waiting; want 0, 0", running, waiting)
		}
	}
}

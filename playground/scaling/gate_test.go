package scaling

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// waitCounts waits until the gate shows running and queued.
func waitCounts(t *testing.T, g *Gate, running, queued int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		r, q := g.Counts()
		if r == running && q == queued {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("counts = %d running, %d queued; want %d, %d", r, q, running, queued)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestGateRunsQueuesAndRefuses(t *testing.T) {
	g := NewGate(2, 4, time.Minute)
	release := make(chan struct{})
	var (
		mu                   sync.Mutex
		ran, waited, refused int
		wg                   sync.WaitGroup
	)
	fire := func(k int) {
		for range k {
			wg.Go(func() {
				queued, err := g.Acquire(context.Background())
				mu.Lock()
				switch {
				case errors.Is(err, ErrQueueFull):
					refused++
				case err != nil:
					t.Errorf("Acquire: %v", err)
				case queued:
					waited++
				default:
					ran++
				}
				mu.Unlock()
				if err == nil {
					<-release
					g.Release()
				}
			})
		}
	}
	fire(2)
	waitCounts(t, g, 2, 0)
	fire(4)
	waitCounts(t, g, 2, 4)
	fire(6)
	// The six beyond the queue are refused at once, while all slots
	// are still held.
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := refused
		mu.Unlock()
		if n == 6 || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	if ran != 2 || waited != 4 || refused != 6 {
		t.Errorf("ran %d, waited %d, refused %d; want 2, 4, 6", ran, waited, refused)
	}
	if r, q := g.Counts(); r != 0 || q != 0 {
		t.Errorf("after the burst: %d running, %d queued", r, q)
	}
}

func TestGateRefusesAfterMaxWait(t *testing.T) {
	g := NewGate(1, 4, 30*time.Millisecond)
	if _, err := g.Acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	queued, err := g.Acquire(context.Background())
	if !queued || !errors.Is(err, ErrWaitedTooLong) {
		t.Errorf("Acquire = %v, %v; want queued, ErrWaitedTooLong", queued, err)
	}
	g.Release()
	if r, q := g.Counts(); r != 0 || q != 0 {
		t.Errorf("%d running, %d queued; want none", r, q)
	}
	if got := g.RetryAfter(120 * time.Millisecond); got != time.Second {
		t.Errorf("RetryAfter = %v, want 1s", got)
	}
}

func TestBurst(t *testing.T) {
	rep, err := Burst(context.Background(), testMembers(20), 12, BurstOptions{Hold: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Ran != 2 || rep.Waited != 4 || rep.Refused != 6 {
		t.Errorf("ran %d, waited %d, refused %d; want 2, 4, 6", rep.Ran, rep.Waited, rep.Refused)
	}
	for _, q := range rep.Queries {
		switch q.Outcome {
		case Refused:
			if q.Status != 503 || q.RetryAfter != 1 || q.Reason != "queue full" {
				t.Errorf("query %d: %+v", q.N, q)
			}
		case Waited:
			if q.Status != 200 || q.WaitedMS < 250 {
				t.Errorf("query %d waited %v ms: %+v", q.N, q.WaitedMS, q)
			}
		case RanAtOnce:
			if q.Status != 200 || q.EndedMS-q.StartedMS < 290 {
				t.Errorf("query %d: %+v", q.N, q)
			}
		}
	}
}

package sandbox

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestCreationLimits(t *testing.T) {
	clk := newClock()
	m := newTestManager(t, Options{
		CreationsPerMinute: 6, CreationBurst: 5,
		NewVisitorCreationsPerMinute: 2, NewVisitorCreationBurst: 2,
		Now: clk.Now,
	})
	class := func(newVisitor bool) context.Context {
		return ContextWithClient(context.Background(), Client{Addr: "203.0.113.7", NewVisitor: newVisitor})
	}
	other := ContextWithClient(context.Background(), Client{Addr: "198.51.100.1", NewVisitor: true})
	steps := []struct {
		name      string
		ctx       context.Context
		visitor   string
		advance   time.Duration
		want      error
		wantRetry time.Duration
	}{
		{"returning visitor", class(false), "k1", 0, nil, 0},
		{"another returning visitor", class(false), "k2", 0, nil, 0},
		{"new visitor id", class(true), "n1", 0, nil, 0},
		{"second new visitor id", class(true), "n2", 0, nil, 0},
		{"third new visitor id: its budget is spent", class(true), "n3", 0, ErrRateLimited, 30 * time.Second},
		{"returning visitors still get one", class(false), "k3", 0, nil, 0},
		{"until the address's burst is spent", class(false), "k4", 0, ErrRateLimited, 10 * time.Second},
		{"an existing sandbox is no creation", class(true), "n1", 0, nil, 0},
		{"another address has its own budget", other, "o1", 0, nil, 0},
		{"both budgets refill", class(true), "n3", 30 * time.Second, nil, 0},
		{"the address's refilled too", class(false), "k4", 0, nil, 0},
	}
	for _, s := range steps {
		clk.Advance(s.advance)
		_, err := m.Run(s.ctx, s.visitor, "SELECT 1", RunOptions{})
		if !errors.Is(err, s.want) {
			t.Fatalf("%s: Run = %v, want %v", s.name, err, s.want)
		}
		if got := RetryAfter(err); got != s.wantRetry {
			t.Errorf("%s: RetryAfter = %v, want %v", s.name, got, s.wantRetry)
		}
	}
	if st := m.Stats(); st.Sandboxes != 8 || st.RateLimited != 2 {
		t.Errorf("Stats = %+v, want 8 sandboxes and 2 refusals", st)
	}
}

func TestQueryRate(t *testing.T) {
	clk := newClock()
	m := newTestManager(t, Options{QueriesPerMinute: 60, QueryBurst: 3, Now: clk.Now})
	steps := []struct {
		name      string
		visitor   string
		advance   time.Duration
		want      error
		wantRetry time.Duration
	}{
		{"first", "v", 0, nil, 0},
		{"second", "v", 0, nil, 0},
		{"third", "v", 0, nil, 0},
		{"fourth at once: too fast", "v", 0, ErrTooFast, time.Second},
		{"another visitor is not slowed", "w", 0, nil, 0},
		{"half a second later: not yet", "v", 500 * time.Millisecond, ErrTooFast, 500 * time.Millisecond},
		{"a second later: one more", "v", 500 * time.Millisecond, nil, 0},
		{"and no more", "v", 0, ErrTooFast, time.Second},
	}
	for _, s := range steps {
		clk.Advance(s.advance)
		_, err := m.Run(context.Background(), s.visitor, "SELECT 1", RunOptions{})
		if !errors.Is(err, s.want) {
			t.Fatalf("%s: Run = %v, want %v", s.name, err, s.want)
		}
		if got := RetryAfter(err); got != s.wantRetry {
			t.Errorf("%s: RetryAfter = %v, want %v", s.name, got, s.wantRetry)
		}
	}
	if st := m.Stats(); st.TooFast != 3 {
		t.Errorf("TooFast = %d, want 3", st.TooFast)
	}
}

// TestRefusedOperationsCostNoBudget: operations the busy server refused
// for want of a slot (ErrSaturated) do not spend the visitor's query
// budget: once a slot frees, they are served, not refused as too fast.
func TestRefusedOperationsCostNoBudget(t *testing.T) {
	clk := newClock()
	m := newTestManager(t, Options{QueriesPerMinute: 60, QueryBurst: 3, MaxConcurrent: 1, QueueWait: 20 * time.Millisecond, Now: clk.Now})
	ctx := context.Background()
	mustRun(t, m, "v", "SELECT 1") // v's sandbox exists; two tokens left
	hold, held := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	var once sync.Once
	release := func() { once.Do(func() { close(hold) }) }
	defer release() // a failed step must not leave the slot held
	go func() {
		done <- m.With(ctx, "hog", func(context.Context, *DB) error {
			close(held)
			<-hold
			return nil
		})
	}()
	<-held
	for i := range 4 {
		if _, err := m.Run(ctx, "v", "SELECT 1", RunOptions{}); !errors.Is(err, ErrSaturated) {
			t.Fatalf("attempt %d with the only slot held: %v, want ErrSaturated", i+1, err)
		}
	}
	release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if _, err := m.Run(ctx, "v", "SELECT 1", RunOptions{}); err != nil {
			t.Errorf("query %d once the slot is free: %v, want it served", i+1, err)
		}
	}
	if _, err := m.Run(ctx, "v", "SELECT 1", RunOptions{}); !errors.Is(err, ErrTooFast) {
		t.Errorf("a fourth query served at once: %v, want ErrTooFast", err)
	}
}

// TestScriptCannotEvictStudents: students who came back keep their
// sandboxes while a script fills the Manager with sandboxes it uses once.
func TestScriptCannotEvictStudents(t *testing.T) {
	m := newTestManager(t, Options{MaxSandboxes: 10})
	ctx := context.Background()
	students := []string{"s1", "s2", "s3", "s4", "s5"}
	for _, s := range students {
		mustRun(t, m, s, "CREATE TABLE mine (x)")
	}
	for _, s := range students {
		mustRun(t, m, s, "INSERT INTO mine VALUES (1)")
	}
	for i := range 40 {
		if _, err := m.Run(ctx, fmt.Sprintf("script-%d", i), "SELECT 1", RunOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range students {
		res := mustRun(t, m, s, "SELECT count(*) FROM mine")
		if res.Recycled || res.Statements[0].Error != nil {
			t.Errorf("student %s lost their sandbox: recycled %v, %v", s, res.Recycled, res.Statements[0].Error)
		}
	}
	if st := m.Stats(); st.Sandboxes != 10 || st.EvictedLRU != 35 {
		t.Errorf("Stats = %+v, want 10 sandboxes and 35 evicted", st)
	}
}

// TestPairHoldsNoSlotWhileWaiting: a concurrency demo pausing between
// statements, or waiting for a lock, leaves the global slots to others.
func TestPairHoldsNoSlotWhileWaiting(t *testing.T) {
	m := newTestManager(t, Options{MaxConcurrent: 1, QueueWait: 50 * time.Millisecond, QueryTimeout: 5 * time.Second})
	ctx := context.Background()
	mustRun(t, m, "other", "SELECT 1")
	paused := make(chan struct{})
	resume := make(chan struct{})
	var wg sync.WaitGroup
	var pairErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		pairErr = m.WithPair(ctx, "v", func(ctx context.Context, a, b *DB) error {
			if _, err := a.Exec(ctx, "BEGIN IMMEDIATE"); err != nil {
				return err
			}
			locked := make(chan error, 1)
			go func() {
				// b waits for a's write lock.
				_, err := b.Exec(ctx, "BEGIN IMMEDIATE")
				if err == nil {
					_, err = b.Exec(ctx, "COMMIT")
				}
				locked <- err
			}()
			close(paused)
			<-resume
			if _, err := a.Exec(ctx, "UPDATE members SET miles = miles + 1 WHERE id = 1"); err != nil {
				return err
			}
			if _, err := a.Exec(ctx, "COMMIT"); err != nil {
				return err
			}
			return <-locked
		})
	}()
	<-paused
	// a holds the write lock and b is waiting for it: neither holds the
	// only slot, so another visitor's query runs.
	for range 5 {
		if _, err := m.Run(ctx, "other", "SELECT 1", RunOptions{}); err != nil {
			t.Errorf("another visitor's query while the pair waits: %v", err)
		}
	}
	close(resume)
	wg.Wait()
	if pairErr != nil {
		t.Fatalf("WithPair: %v", pairErr)
	}
	if got := scalar(t, m, "v", "SELECT miles FROM members WHERE id = 1"); got == "" {
		t.Error("the pair's write was not copied back")
	}
}

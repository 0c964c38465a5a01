package jobs

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestJobSurvivesReopen(t *testing.T) {
	f := newFixture(t, nil)
	f.q.Handle("send-confirmation-email", func(context.Context, Job) error { return nil })
	id, err := f.q.Enqueue(context.Background(), "send-confirmation-email", emailArgs{To: "ada@example.com"}, EnqueueOptions{})
	if err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	if err := f.q.Close(context.Background()); err != nil {
		t.Fatalf("Close: %v", err)
	}

	q := f.open(t)
	ji, err := q.Get(context.Background(), id)
	if err != nil || ji.State != StateAvailable || len(ji.Attempts) != 0 || ji.NextRunAt.IsZero() {
		t.Fatalf("after reopen: %+v, %v", ji, err)
	}
	got := make(chan string, 1)
	q.Handle("send-confirmation-email", func(ctx context.Context, j Job) error {
		var a emailArgs
		err := j.Decode(&a)
		got <- a.To
		return err
	})
	f.start(t, q)
	if to := <-got; to != "ada@example.com" {
		t.Errorf("handler got %q", to)
	}
	if ji := waitFinished(t, q, id); ji.State != StateCompleted {
		t.Errorf("state = %s", ji.State)
	}
}

func TestCloseWaitsForRunningJob(t *testing.T) {
	f := newFixture(t, nil)
	started, finished := make(chan struct{}), make(chan struct{})
	f.q.Handle("slow", func(ctx context.Context, j Job) error {
		close(started)
		time.Sleep(200 * time.Millisecond)
		close(finished)
		return nil
	})
	f.start(t, f.q)
	id, err := f.q.Enqueue(context.Background(), "slow", nil, EnqueueOptions{})
	if err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	<-started
	if err := f.q.Close(context.Background()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case <-finished:
	default:
		t.Fatal("Close returned before the running job finished")
	}
	q := f.open(t)
	if ji, err := q.Get(context.Background(), id); err != nil || ji.State != StateCompleted {
		t.Errorf("after reopen: %+v, %v", ji, err)
	}
}

func TestCloseCancelsJobAfterBound(t *testing.T) {
	f := newFixture(t, nil)
	started := make(chan struct{})
	f.q.Handle("stuck", func(ctx context.Context, j Job) error {
		close(started)
		<-ctx.Done()
		return ctx.Err()
	})
	f.start(t, f.q)
	id, err := f.q.Enqueue(context.Background(), "stuck", nil, EnqueueOptions{})
	if err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	begin := time.Now()
	err = f.q.Close(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close = %v, want a deadline error", err)
	}
	if d := time.Since(begin); d > time.Second {
		t.Errorf("Close took %v", d)
	}
	q := f.open(t)
	ji, err := q.Get(context.Background(), id)
	// An attempt cut short by Close is not charged.
	if err != nil || ji.State != StateAvailable || len(ji.Attempts) != 0 {
		t.Fatalf("after reopen: %+v, %v", ji, err)
	}
	q.Handle("stuck", func(context.Context, Job) error { return nil })
	f.start(t, q)
	ji = waitFinished(t, q, id)
	spans := f.spans("job stuck (attempt 1)")
	if ji.State != StateCompleted || len(ji.Attempts) != 1 || len(spans) != 2 {
		t.Fatalf("rerun: %+v, %d attempt spans", ji, len(spans))
	}
	if got, want := ji.Attempts[0].TraceID, spans[1].SpanContext.TraceID().String(); got != want {
		t.Errorf("attempt trace = %s, want the rerun's %s", got, want)
	}
	if got := attr(spans[0], "engineroom.job.outcome"); got != "interrupted" || spans[0].Status.Description != "context canceled" {
		t.Errorf("interrupted attempt: outcome %q, status %+v", got, spans[0].Status)
	}
}

func TestCloseLeavesNoGoroutines(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	f := newFixture(t, nil)
	f.q.Handle("k", func(context.Context, Job) error { return nil })
	f.start(t, f.q)
	id, err := f.q.Enqueue(context.Background(), "k", nil, EnqueueOptions{})
	if err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	waitFinished(t, f.q, id)
	if err := f.q.Close(context.Background()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := f.q.Close(context.Background()); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := f.q.Start(context.Background()); err == nil {
		t.Error("Start after Close succeeded")
	}
}

func TestHandleMisuse(t *testing.T) {
	f := newFixture(t, nil)
	f.q.Handle("k", func(context.Context, Job) error { return nil })
	mustPanic(t, "twice", func() { f.q.Handle("k", func(context.Context, Job) error { return nil }) })
	f.start(t, f.q)
	mustPanic(t, "after Start", func() { f.q.Handle("other", func(context.Context, Job) error { return nil }) })
	if err := f.q.Start(context.Background()); err == nil {
		t.Error("second Start succeeded")
	}
}

func mustPanic(t *testing.T, what string, fn func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s: no panic", what)
		}
	}()
	fn()
}

func TestOpenPaths(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/state db?#%.sqlite"
	q, err := Open(context.Background(), Options{Path: path})
	if err != nil {
		t.Fatalf("Open with odd characters in the path: %v", err)
	}
	if err := q.Close(context.Background()); err != nil {
		t.Errorf("Close: %v", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database file: %v", err)
	}
	if _, err := Open(context.Background(), Options{Path: dir + "/missing/state.db"}); err == nil {
		t.Error("Open in a missing directory succeeded")
	}
}

func TestJobWithoutHandlerAfterReopen(t *testing.T) {
	f := newFixture(t, nil)
	f.q.Handle("retired", func(context.Context, Job) error { return nil })
	id, err := f.q.Enqueue(context.Background(), "retired", nil, EnqueueOptions{MaxAttempts: 1})
	if err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	if err := f.q.Close(context.Background()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	q := f.open(t)
	q.Handle("other", func(context.Context, Job) error { return nil })
	f.start(t, q)
	ji := waitFinished(t, q, id)
	if ji.State != StateDiscarded || len(ji.Attempts) != 1 || ji.Attempts[0].Error != "jobs: running job 1: no handler for kind retired" {
		t.Errorf("info = %+v", ji)
	}
}

func TestPending(t *testing.T) {
	ctx := context.Background()
	missing := t.TempDir() + "/missing.db"
	if n, err := Pending(ctx, missing); n != 0 || err != nil {
		t.Fatalf("Pending of a missing file = %d, %v; want 0, nil", n, err)
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Pending made %s: %v", missing, err)
	}
	empty := t.TempDir() + "/empty.db"
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if n, err := Pending(ctx, empty); n != 0 || err != nil {
		t.Fatalf("Pending of an empty database = %d, %v; want 0, nil", n, err)
	}

	f := newFixture(t, nil)
	f.q.Handle("send-confirmation-email", func(context.Context, Job) error { return nil })
	for range 2 {
		if _, err := f.q.Enqueue(ctx, "send-confirmation-email", emailArgs{To: "ada@example.com"}, EnqueueOptions{}); err != nil {
			t.Fatalf("Enqueue: %v", err)
		}
	}
	if err := f.q.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if n, err := Pending(ctx, f.opts.Path); n != 2 || err != nil {
		t.Errorf("Pending = %d, %v; want 2, nil", n, err)
	}
	if n, err := Pending(ctx, t.TempDir()); err == nil {
		t.Errorf("Pending of a folder = %d, nil; want an error", n)
	}
}

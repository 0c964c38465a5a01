package jobs

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/codes"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestQueueFull(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.MaxPending = 3 })
	f.q.Handle("k", func(context.Context, Job) error { return nil })
	ctx := context.Background()
	for i := range 3 {
		if _, err := f.q.Enqueue(ctx, "k", i, EnqueueOptions{}); err != nil {
			t.Fatalf("Enqueue %d: %v", i, err)
		}
	}
	_, err := f.q.Enqueue(ctx, "k", 3, EnqueueOptions{})
	if !errors.Is(err, ErrQueueFull) || !strings.Contains(err.Error(), "3 jobs waiting or running") {
		t.Fatalf("4th Enqueue = %v, want ErrQueueFull", err)
	}
	spans := f.spans("enqueue job k")
	if last := spans[len(spans)-1]; last.Status.Code != codes.Error {
		t.Errorf("refused enqueue span status = %+v", last.Status)
	}
	f.start(t, f.q)
	waitFinished(t, f.q, 3)
	if _, err := f.q.Enqueue(ctx, "k", 4, EnqueueOptions{}); err != nil {
		t.Errorf("Enqueue after the queue drained: %v", err)
	}
}

func TestQueueFullConcurrent(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.MaxPending = 5 })
	f.q.Handle("k", func(context.Context, Job) error { return nil })
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, full := 0, 0
	for i := range 20 {
		wg.Go(func() {
			_, err := f.q.Enqueue(context.Background(), "k", i, EnqueueOptions{})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, ErrQueueFull):
				full++
			default:
				t.Errorf("Enqueue: %v", err)
			}
		})
	}
	wg.Wait()
	if ok != 5 || full != 15 {
		t.Errorf("accepted %d, refused %d; want 5 and 15", ok, full)
	}
}

func TestUniqueKey(t *testing.T) {
	f := newFixture(t, nil)
	f.q.Handle("email", func(context.Context, Job) error { return nil })
	f.q.Handle("sms", func(context.Context, Job) error { return nil })
	ctx := context.Background()
	enqueue := func(kind, key string, args any) int64 {
		t.Helper()
		id, err := f.q.Enqueue(ctx, kind, args, EnqueueOptions{UniqueKey: key})
		if err != nil {
			t.Fatalf("Enqueue(%s, %q): %v", kind, key, err)
		}
		return id
	}
	first := enqueue("email", "order-42", 1)
	if again := enqueue("email", "order-42", 2); again != first {
		t.Errorf("same key: id %d, want %d", again, first)
	}
	if other := enqueue("email", "order-43", 1); other == first {
		t.Error("another key got the same job")
	}
	if sms := enqueue("sms", "order-42", 1); sms == first {
		t.Error("another kind with the same key got the same job")
	}
	if a, b := enqueue("email", "", 1), enqueue("email", "", 1); a == b {
		t.Error("jobs without a key were merged")
	}
	f.start(t, f.q)
	waitFinished(t, f.q, first)
	if again := enqueue("email", "order-42", 3); again != first {
		t.Errorf("same key after completion: id %d, want %d", again, first)
	}
	spans := f.spans("enqueue job email")
	if got := attr(spans[1], "engineroom.job.duplicate"); got != "true" {
		t.Errorf("duplicate attribute = %q", got)
	}
}

func TestEnqueueRefusals(t *testing.T) {
	f := newFixture(t, nil)
	f.q.Handle("k", func(context.Context, Job) error { return nil })
	ctx := context.Background()
	if _, err := f.q.Enqueue(ctx, "nope", nil, EnqueueOptions{}); err == nil || !strings.Contains(err.Error(), "no handler") {
		t.Errorf("unknown kind: %v", err)
	}
	if _, err := f.q.Enqueue(ctx, "k", func() {}, EnqueueOptions{}); err == nil || !strings.Contains(err.Error(), "encoding k args") {
		t.Errorf("unencodable args: %v", err)
	}
}

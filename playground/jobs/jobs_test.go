package jobs

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRunsJob(t *testing.T) {
	f := newFixture(t, nil)
	got := make(chan emailArgs, 1)
	f.q.Handle("send-confirmation-email", func(ctx context.Context, j Job) error {
		var a emailArgs
		if err := j.Decode(&a); err != nil {
			return err
		}
		if j.Attempt != 1 || j.MaxAttempts != DefaultMaxAttempts || j.Kind != "send-confirmation-email" {
			t.Errorf("job = %+v", j)
		}
		got <- a
		return nil
	})
	f.start(t, f.q)
	id, err := f.q.Enqueue(context.Background(), "send-confirmation-email", emailArgs{To: "ada@example.com", OrderID: 42}, EnqueueOptions{})
	if err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	if a := <-got; a.To != "ada@example.com" || a.OrderID != 42 {
		t.Errorf("handler got %+v", a)
	}
	ji := waitFinished(t, f.q, id)
	if ji.ID != id || ji.Kind != "send-confirmation-email" || ji.State != StateCompleted || ji.MaxAttempts != 5 {
		t.Errorf("info = %+v", ji)
	}
	if string(ji.Args) != `{"to":"ada@example.com","order_id":42}` {
		t.Errorf("Args = %s", ji.Args)
	}
	if len(ji.Attempts) != 1 || ji.Attempts[0].N != 1 || ji.Attempts[0].Error != "" || len(ji.Attempts[0].TraceID) != 32 {
		t.Errorf("Attempts = %+v", ji.Attempts)
	}
	if ji.CreatedAt.IsZero() || ji.FinishedAt.Before(ji.CreatedAt) || !ji.NextRunAt.IsZero() {
		t.Errorf("times: created %v next %v finished %v", ji.CreatedAt, ji.NextRunAt, ji.FinishedAt)
	}
}

func TestRetriesWithBackoff(t *testing.T) {
	var mu sync.Mutex
	var backoffFor []int
	f := newFixture(t, func(o *Options) {
		o.Backoff = func(attempt int) time.Duration {
			mu.Lock()
			defer mu.Unlock()
			backoffFor = append(backoffFor, attempt)
			return time.Duration(attempt) * 100 * time.Millisecond
		}
	})
	var starts []time.Time
	f.q.Handle("flaky", func(ctx context.Context, j Job) error {
		mu.Lock()
		starts = append(starts, time.Now())
		mu.Unlock()
		if j.Attempt < 3 {
			return errors.New("smtp: 451 try again later")
		}
		return nil
	})
	f.start(t, f.q)
	id, err := f.q.Enqueue(context.Background(), "flaky", nil, EnqueueOptions{})
	if err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	ji := waitFinished(t, f.q, id)
	if ji.State != StateCompleted || len(ji.Attempts) != 3 {
		t.Fatalf("info = %+v", ji)
	}
	for i, a := range ji.Attempts {
		wantErr := ""
		if i < 2 {
			wantErr = "smtp: 451 try again later"
		}
		if a.N != i+1 || a.Error != wantErr || len(a.TraceID) != 32 || (wantErr != "") == a.FailedAt.IsZero() {
			t.Errorf("attempt %d = %+v", i+1, a)
		}
	}
	if ji.Attempts[0].TraceID == ji.Attempts[1].TraceID {
		t.Errorf("attempts share trace %s", ji.Attempts[0].TraceID)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(backoffFor) != 2 || backoffFor[0] != 1 || backoffFor[1] != 2 {
		t.Errorf("Backoff called for attempts %v, want [1 2]", backoffFor)
	}
	for i, want := range []time.Duration{100 * time.Millisecond, 200 * time.Millisecond} {
		if gap := starts[i+1].Sub(starts[i]); gap < want {
			t.Errorf("attempt %d started %v after attempt %d, want ≥ %v", i+2, gap, i+1, want)
		}
	}
	var outcomes []string
	for n := 1; n <= 3; n++ {
		for _, s := range f.spans("job flaky (attempt " + string(rune('0'+n)) + ")") {
			outcomes = append(outcomes, attr(s, "engineroom.job.outcome"))
		}
	}
	if strings.Join(outcomes, ",") != "retry,retry,completed" {
		t.Errorf("outcomes = %v", outcomes)
	}
}

func TestExhaustsAttempts(t *testing.T) {
	f := newFixture(t, nil)
	calls := 0
	f.q.Handle("doomed", func(ctx context.Context, j Job) error {
		calls++
		if j.Attempt == 2 {
			panic("mail server on fire")
		}
		return errors.New("mailbox unavailable")
	})
	f.start(t, f.q)
	id, err := f.q.Enqueue(context.Background(), "doomed", nil, EnqueueOptions{MaxAttempts: 3})
	if err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	ji := waitFinished(t, f.q, id)
	if ji.State != StateDiscarded || ji.MaxAttempts != 3 || len(ji.Attempts) != 3 || calls != 3 || ji.FinishedAt.IsZero() {
		t.Fatalf("calls %d, info = %+v", calls, ji)
	}
	want := []string{"mailbox unavailable", "jobs: doomed handler panicked: mail server on fire", "mailbox unavailable"}
	for i, a := range ji.Attempts {
		if a.Error != want[i] {
			t.Errorf("attempt %d error = %q, want %q", i+1, a.Error, want[i])
		}
	}
	last := f.spans("job doomed (attempt 3)")
	if len(last) != 1 || attr(last[0], "engineroom.job.outcome") != "discarded" || last[0].Status.Description != "mailbox unavailable" {
		t.Errorf("last attempt span = %+v", last)
	}
}

func TestPermanentErrorCancels(t *testing.T) {
	f := newFixture(t, nil)
	f.q.Handle("bad-address", func(ctx context.Context, j Job) error {
		return Permanent(errors.New("no such mailbox"))
	})
	f.start(t, f.q)
	id, err := f.q.Enqueue(context.Background(), "bad-address", nil, EnqueueOptions{})
	if err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	ji := waitFinished(t, f.q, id)
	if ji.State != StateCancelled || len(ji.Attempts) != 1 || !strings.Contains(ji.Attempts[0].Error, "no such mailbox") {
		t.Errorf("info = %+v", ji)
	}
	if s := f.spans("job bad-address (attempt 1)"); len(s) != 1 || attr(s[0], "engineroom.job.outcome") != "cancelled" {
		t.Errorf("spans = %+v", s)
	}
}

func TestGetUnknownJob(t *testing.T) {
	f := newFixture(t, nil)
	if _, err := f.q.Get(context.Background(), 12345); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get = %v, want ErrNotFound", err)
	}
}

func TestOpenNeedsPath(t *testing.T) {
	if _, err := Open(context.Background(), Options{}); err == nil || !strings.Contains(err.Error(), "Path") {
		t.Errorf("Open without a path = %v", err)
	}
}

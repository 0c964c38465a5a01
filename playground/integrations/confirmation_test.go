package integrations

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/engineroom/engineroom/playground/jobs"
	"github.com/engineroom/engineroom/playground/outbound"
	"github.com/engineroom/engineroom/playground/upstream"
)

// openQueue opens a job queue on a fresh database file, with the App's
// handlers, fast polling and a fixed backoff, and starts it; it is
// closed when the test ends.
func openQueue(t *testing.T, w *world, backoff time.Duration) *jobs.Queue {
	t.Helper()
	q, err := jobs.Open(context.Background(), jobs.Options{
		Path:         filepath.Join(t.TempDir(), "state.db"),
		Tracer:       w.tracer,
		PollInterval: 20 * time.Millisecond,
		Backoff:      func(int) time.Duration { return backoff },
	})
	if err != nil {
		t.Fatalf("jobs.Open: %v", err)
	}
	t.Cleanup(func() {
		if err := q.Close(context.Background()); err != nil {
			t.Errorf("closing the queue: %v", err)
		}
	})
	w.app.HandleJobs(q)
	if err := q.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	return q
}

// finished waits for the job to finish and returns it.
func finished(t *testing.T, q *jobs.Queue, id int64) jobs.JobInfo {
	t.Helper()
	var ji jobs.JobInfo
	eventually(t, 5*time.Second, "job "+strconv.FormatInt(id, 10)+" to finish", func() bool {
		var err error
		if ji, err = q.Get(context.Background(), id); err != nil {
			t.Fatalf("Get: %v", err)
		}
		return ji.State.Finished()
	})
	return ji
}

func TestConfirmationJob(t *testing.T) {
	w := newWorld(t, func(_ *world, _ *Options, c *outbound.Options) {
		// A short pause, so that a job tried again after the faults go
		// off is not kept waiting by an open breaker.
		c.Breaker.OpenFor = 100 * time.Millisecond
	})
	q := openQueue(t, w, 250*time.Millisecond)
	e := Email{To: "rae@example.com", Subject: "Booking confirmed", Text: "See you on board."}

	// checkArgs checks what the job carries.
	checkArgs := func(t *testing.T, ji jobs.JobInfo, visitor string) {
		t.Helper()
		var args map[string]string
		if err := json.Unmarshal(ji.Args, &args); err != nil {
			t.Fatalf("args %s: %v", ji.Args, err)
		}
		want := map[string]string{"visitor": visitor, "to": e.To, "subject": e.Subject, "text": e.Text}
		if ji.Kind != ConfirmationJob || !reflect.DeepEqual(args, want) || ji.MaxAttempts != jobs.DefaultMaxAttempts {
			t.Errorf("job = %+v, args %v", ji, args)
		}
	}

	t.Run("delivered", func(t *testing.T) {
		t.Parallel()
		const visitor = "rae"
		id, err := w.app.QueueConfirmation(context.Background(), q, visitor, e)
		if err != nil {
			t.Fatalf("QueueConfirmation: %v", err)
		}
		var inbox []Message
		eventually(t, 5*time.Second, "the email in the inbox", func() bool {
			inbox, err = w.app.Inbox(context.Background(), visitor, 10)
			return err == nil && len(inbox) > 0
		})
		if m := inbox[0]; len(inbox) != 1 || m.From != From || m.To != e.To || m.Subject != e.Subject ||
			m.Text != e.Text || m.Status != upstream.MessageDelivered || !strings.HasPrefix(m.ID, "msg_") {
			t.Errorf("inbox = %+v", inbox)
		}
		ji := finished(t, q, id)
		checkArgs(t, ji, visitor)
		if got, email, err := w.app.Confirmation(context.Background(), q, visitor, id); err != nil || got.ID != id || email != e {
			t.Errorf("Confirmation = %+v, %+v, %v; want the job and its email", got, email, err)
		}
		for _, other := range []string{"someone-else", ""} {
			if _, _, err := w.app.Confirmation(context.Background(), q, other, id); !errors.Is(err, jobs.ErrNotFound) {
				t.Errorf("Confirmation for %q = %v, want jobs.ErrNotFound", other, err)
			}
		}
		if _, _, err := w.app.Confirmation(context.Background(), q, visitor, id+1000); !errors.Is(err, jobs.ErrNotFound) {
			t.Errorf("Confirmation of a missing job = %v, want jobs.ErrNotFound", err)
		}
		if ji.ID != id || ji.State != jobs.StateCompleted || len(ji.Attempts) != 1 || ji.Attempts[0].Error != "" ||
			ji.FinishedAt.IsZero() {
			t.Errorf("job = %+v", ji)
		}
		// The attempt sent the email with the job's id as its key.
		var sends []string
		for _, s := range w.rec.Ended() {
			if s.SpanContext().TraceID().String() == ji.Attempts[0].TraceID && s.Name() == "email service: send" {
				sends = append(sends, attrs(s)["outbound.idempotency_key"])
			}
		}
		if want := []string{"job-" + strconv.FormatInt(id, 10)}; !reflect.DeepEqual(sends, want) {
			t.Errorf("sends in the attempt's trace with keys %q, want %q", sends, want)
		}
	})

	t.Run("retried until the email service recovers", func(t *testing.T) {
		t.Parallel()
		const visitor = "sid"
		setFaults(t, w.app, visitor, EmailService, Faults{ErrorRate: 1})
		id, err := w.app.QueueConfirmation(context.Background(), q, visitor, e)
		if err != nil {
			t.Fatalf("QueueConfirmation: %v", err)
		}
		eventually(t, 5*time.Second, "two failed attempts", func() bool {
			ji, err := q.Get(context.Background(), id)
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			failed := 0
			for _, a := range ji.Attempts {
				if a.Error != "" {
					failed++
				}
			}
			return failed >= 2
		})
		setFaults(t, w.app, visitor, EmailService, Faults{})
		ji := finished(t, q, id)
		checkArgs(t, ji, visitor)
		n := len(ji.Attempts)
		if ji.State != jobs.StateCompleted || n < 3 || ji.Attempts[n-1].Error != "" {
			t.Fatalf("job = %+v", ji)
		}
		for _, a := range ji.Attempts[:n-1] {
			if !strings.Contains(a.Error, "outbound: calling email") || a.FailedAt.IsZero() {
				t.Errorf("attempt %d: error %q at %s", a.N, a.Error, a.FailedAt)
			}
		}
		inbox, err := w.app.Inbox(context.Background(), visitor, 10)
		if err != nil || len(inbox) != 1 || inbox[0].Subject != e.Subject {
			t.Errorf("Inbox = %+v, %v; want the email once", inbox, err)
		}
	})

	t.Run("refused address: cancelled at once", func(t *testing.T) {
		t.Parallel()
		id, err := w.app.QueueConfirmation(context.Background(), q, "tom", Email{To: "nowhere", Subject: "Hi", Text: "Hello"})
		if err != nil {
			t.Fatalf("QueueConfirmation: %v", err)
		}
		ji := finished(t, q, id)
		if ji.State != jobs.StateCancelled || len(ji.Attempts) != 1 ||
			!strings.Contains(ji.Attempts[0].Error, "outbound: calling email") {
			t.Errorf("job = %+v", ji)
		}
	})

	t.Run("unreadable arguments: cancelled at once", func(t *testing.T) {
		t.Parallel()
		id, err := q.Enqueue(context.Background(), ConfirmationJob, []int{1, 2}, jobs.EnqueueOptions{})
		if err != nil {
			t.Fatalf("Enqueue: %v", err)
		}
		ji := finished(t, q, id)
		if ji.State != jobs.StateCancelled || len(ji.Attempts) != 1 ||
			!strings.Contains(ji.Attempts[0].Error, "integrations: reading a confirmation job") {
			t.Errorf("job = %+v", ji)
		}
	})
}

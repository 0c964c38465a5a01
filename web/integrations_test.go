package web

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/engineroom/engineroom/playground/integrations"
)

// TestJobQueueStartsWhenNeeded checks that an idle server keeps no job
// queue running, that first use starts it, and that a restart with jobs
// waiting starts it at once.
func TestJobQueueStartsWhenNeeded(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := New(ctx, Config{StateDB: path})
	if err != nil {
		t.Fatal(err)
	}
	if s.third.jobsReady != nil {
		t.Fatal("the job queue started with no job to run")
	}
	q, err := s.third.queue(ctx)
	if err != nil {
		t.Fatalf("queue: %v", err)
	}
	// With the visitor's email service failing, the confirmation waits
	// for a retry across the restart.
	if _, err := s.third.app.SetFaults(ctx, "visitor-a", integrations.EmailService, integrations.Faults{ErrorRate: 1}); err != nil {
		t.Fatalf("SetFaults: %v", err)
	}
	if _, err := s.third.app.QueueConfirmation(ctx, q, "visitor-a", integrations.Email{To: "ada@example.com", Subject: "Order 1", Text: "Thanks."}); err != nil {
		t.Fatalf("QueueConfirmation: %v", err)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}

	again, err := New(ctx, Config{StateDB: path})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close(ctx)
	if again.third.jobsReady == nil {
		t.Error("a job was waiting, but the queue did not start at boot")
	}
}

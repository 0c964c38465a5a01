package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// ErrNotFound is returned by Get for an id the queue does not hold (never
// enqueued, or finished long enough ago to have been cleaned up).
var ErrNotFound = errors.New("jobs: no such job")

// State is where a job is in its life.
type State string

// A job is Available (due now), Scheduled or Retryable (due later),
// Running, or finished: Completed, Discarded (out of attempts) or
// Cancelled (a Permanent error).
const (
	StateAvailable = State(rivertype.JobStateAvailable)
	StateScheduled = State(rivertype.JobStateScheduled)
	StateRetryable = State(rivertype.JobStateRetryable)
	StateRunning   = State(rivertype.JobStateRunning)
	StateCompleted = State(rivertype.JobStateCompleted)
	StateDiscarded = State(rivertype.JobStateDiscarded)
	StateCancelled = State(rivertype.JobStateCancelled)
)

// Finished reports whether the job will not run again.
func (s State) Finished() bool {
	return s == StateCompleted || s == StateDiscarded || s == StateCancelled
}

// JobInfo is what a panel shows of a job.
type JobInfo struct {
	ID          int64
	Kind        string
	State       State
	Args        json.RawMessage
	MaxAttempts int
	// Attempts lists the attempts started so far, oldest first.
	Attempts []Attempt
	// EnqueueTraceID is the trace of the request that enqueued the job.
	EnqueueTraceID string
	CreatedAt      time.Time
	// NextRunAt is when the job is due (again); zero once it is finished.
	NextRunAt time.Time
	// FinishedAt is zero until the job is completed, discarded or
	// cancelled.
	FinishedAt time.Time
}

// Attempt is one run of a job.
type Attempt struct {
	N int
	// TraceID is the attempt's own trace ("" if it was not recorded,
	// as when the process died during the attempt).
	TraceID string
	// Error is why the attempt failed; "" if it succeeded or is running.
	Error    string
	FailedAt time.Time
}

// Get reads a job's state, attempts and traces.
func (q *Queue) Get(ctx context.Context, id int64) (JobInfo, error) {
	row, err := q.client.JobGet(ctx, id)
	if errors.Is(err, river.ErrNotFound) {
		return JobInfo{}, fmt.Errorf("jobs: getting job %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return JobInfo{}, fmt.Errorf("jobs: getting job %d: %w", id, err)
	}
	return info(row)
}

func info(row *rivertype.JobRow) (JobInfo, error) {
	var args envelope
	if err := json.Unmarshal(row.EncodedArgs, &args); err != nil {
		return JobInfo{}, fmt.Errorf("jobs: decoding job %d args: %w", row.ID, err)
	}
	var meta metadata
	if len(row.Metadata) > 0 {
		if err := json.Unmarshal(row.Metadata, &meta); err != nil {
			return JobInfo{}, fmt.Errorf("jobs: decoding job %d metadata: %w", row.ID, err)
		}
	}
	ji := JobInfo{
		ID:          row.ID,
		Kind:        args.JobKind,
		State:       State(row.State),
		Args:        args.Data,
		MaxAttempts: row.MaxAttempts,
		CreatedAt:   row.CreatedAt,
		Attempts:    make([]Attempt, row.Attempt),
	}
	if sc := trace.SpanContextFromContext(propagation.TraceContext{}.Extract(context.Background(), meta.Carrier)); sc.IsValid() {
		ji.EnqueueTraceID = sc.TraceID().String()
	}
	if row.FinalizedAt != nil {
		ji.FinishedAt = *row.FinalizedAt
	} else if !ji.State.Finished() {
		ji.NextRunAt = row.ScheduledAt
	}
	for i := range ji.Attempts {
		ji.Attempts[i].N = i + 1
		if meta.Output != nil && i < len(meta.Output.Traces) {
			ji.Attempts[i].TraceID = meta.Output.Traces[i]
		}
	}
	for _, e := range row.Errors {
		if e.Attempt >= 1 && e.Attempt <= len(ji.Attempts) {
			ji.Attempts[e.Attempt-1].Error = e.Error
			ji.Attempts[e.Attempt-1].FailedAt = e.At
		}
	}
	return ji, nil
}

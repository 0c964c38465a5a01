package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	ertrace "github.com/engineroom/engineroom/playground/trace"
)

// Span attributes of the enqueue and attempt spans.
const (
	attrID             = attribute.Key("engineroom.job.id")
	attrKind           = attribute.Key("engineroom.job.kind")
	attrAttempt        = attribute.Key("engineroom.job.attempt")
	attrMaxAttempts    = attribute.Key("engineroom.job.max_attempts")
	attrEnqueueTraceID = attribute.Key("engineroom.job.enqueue_trace_id")
	attrOutcome        = attribute.Key("engineroom.job.outcome")
)

// Job is one attempt's view of a job, as a Handler gets it.
type Job struct {
	ID          int64
	Kind        string
	Args        json.RawMessage
	Attempt     int // 1 for the first attempt
	MaxAttempts int
	EnqueuedAt  time.Time
}

// Decode unmarshals the job's args into v.
func (j Job) Decode(v any) error {
	if err := json.Unmarshal(j.Args, v); err != nil {
		return fmt.Errorf("jobs: decoding %s args: %w", j.Kind, err)
	}
	return nil
}

// Permanent wraps a handler's error to say that retrying cannot help (an
// invalid address, say): the job is cancelled at once.
func Permanent(err error) error {
	return river.JobCancel(err)
}

// Later says the work was not even tried — a circuit breaker refused the
// call, say — so the job runs again after d and the attempt does not
// count towards MaxAttempts: a job is not given up on because a breaker
// kept it waiting.
func Later(d time.Duration) error {
	return river.JobSnooze(max(d, 0))
}

// worker runs every job River fetches through the handler of its kind.
type worker struct {
	river.WorkerDefaults[envelope]
	q *Queue
}

// Work runs one attempt in a new trace linked to the enqueue span.
func (w *worker) Work(ctx context.Context, rj *river.Job[envelope]) (err error) {
	var meta metadata
	if len(rj.Metadata) > 0 {
		if err := json.Unmarshal(rj.Metadata, &meta); err != nil {
			return fmt.Errorf("jobs: decoding job %d metadata: %w", rj.ID, err)
		}
	}
	kind := rj.Args.JobKind
	enqueued := trace.SpanContextFromContext(propagation.TraceContext{}.Extract(context.Background(), meta.Carrier))
	opts := []trace.SpanStartOption{
		trace.WithNewRoot(),
		trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(
			ertrace.KindKey.String(ertrace.KindJob),
			attrID.Int64(rj.ID),
			attrKind.String(kind),
			attrAttempt.Int(rj.Attempt),
			attrMaxAttempts.Int(rj.MaxAttempts),
		),
	}
	if enqueued.IsValid() {
		opts = append(opts,
			trace.WithLinks(trace.Link{SpanContext: enqueued}),
			trace.WithAttributes(attrEnqueueTraceID.String(enqueued.TraceID().String())))
	}
	ctx, span := w.q.tracer.Start(ctx, fmt.Sprintf("job %s (attempt %d)", kind, rj.Attempt), opts...)
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("jobs: %s handler panicked: %v", kind, r)
		}
		w.end(ctx, span, err, rj.Attempt >= rj.MaxAttempts)
	}()
	// One trace id per attempt, in order: an attempt interrupted by Close
	// is not counted (its id is overwritten), one lost in a crash has none.
	traces := make([]string, rj.Attempt-1, rj.Attempt)
	if meta.Output != nil {
		copy(traces, meta.Output.Traces)
	}
	if err := river.RecordOutput(ctx, output{Traces: append(traces, traceIDOf(span))}); err != nil {
		return fmt.Errorf("jobs: recording job %d trace: %w", rj.ID, err)
	}
	fn, ok := w.q.handler(kind)
	if !ok {
		return fmt.Errorf("jobs: running job %d: no handler for kind %s", rj.ID, kind)
	}
	return fn(ctx, Job{
		ID:          rj.ID,
		Kind:        kind,
		Args:        rj.Args.Data,
		Attempt:     rj.Attempt,
		MaxAttempts: rj.MaxAttempts,
		EnqueuedAt:  rj.CreatedAt,
	})
}

// end records an attempt's outcome on its span and ends it.
func (w *worker) end(ctx context.Context, span trace.Span, err error, last bool) {
	var cancel *river.JobCancelError
	var snooze *river.JobSnoozeError
	switch {
	case err == nil:
		span.SetAttributes(attrOutcome.String("completed"))
	case errors.As(err, &cancel):
		span.SetAttributes(attrOutcome.String("cancelled"))
	case errors.As(err, &snooze):
		span.SetAttributes(attrOutcome.String("later"))
		span.End()
		return
	case errors.Is(ctx.Err(), context.Canceled):
		// Close (or the end of Start's context) cut the attempt short; it
		// runs again without being charged.
		span.SetAttributes(attrOutcome.String("interrupted"))
	case last:
		span.SetAttributes(attrOutcome.String("discarded"))
	default:
		span.SetAttributes(attrOutcome.String("retry"))
	}
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

// traceIDOf is the span's trace id, or "" when nothing is traced.
func traceIDOf(span trace.Span) string {
	if sc := span.SpanContext(); sc.IsValid() {
		return sc.TraceID().String()
	}
	return ""
}

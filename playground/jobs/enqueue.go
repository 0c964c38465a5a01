package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/riverqueue/river"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	ertrace "github.com/engineroom/engineroom/playground/trace"
)

// ErrQueueFull is returned by Enqueue when Options.MaxPending jobs are
// already waiting or running.
var ErrQueueFull = errors.New("jobs: queue is full")

// riverKind is the one kind River knows; a job's own kind travels in its
// args so that handlers can be registered at run time.
const riverKind = "engineroom"

// envelope is what River stores as a job's args.
type envelope struct {
	JobKind   string          `json:"kind" river:"unique"`
	UniqueKey string          `json:"unique_key,omitempty" river:"unique"`
	Data      json.RawMessage `json:"data"`
}

// Kind names the envelope's type for River.
func (envelope) Kind() string { return riverKind }

// metadata is what a job's River metadata holds for us.
type metadata struct {
	// Carrier is the W3C trace context of the enqueue span.
	Carrier propagation.MapCarrier `json:"trace_context,omitempty"`
	// Output is where each attempt records its trace id.
	Output *output `json:"output,omitempty"`
}

// output is recorded by every attempt (River keeps it as "output").
type output struct {
	Traces []string `json:"attempt_trace_ids"`
}

// EnqueueOptions tunes one job.
type EnqueueOptions struct {
	// MaxAttempts is how many attempts the job gets (DefaultMaxAttempts
	// when 0).
	MaxAttempts int
	// UniqueKey, when set, makes Enqueue return the existing job of the
	// same kind and key (waiting, running or completed) instead of adding
	// a second one: a confirmation email is sent once per order. River
	// deletes completed jobs after a day; the key is free again then.
	UniqueKey string
}

// pendingStates are the states that count against MaxPending.
const pendingStates = `'available', 'pending', 'retryable', 'running', 'scheduled'`

// Enqueue stores a job of kind with args (encoded as JSON) and returns its
// id. It records an "enqueue job <kind>" span in ctx's trace, and each
// attempt of the job links back to that span. The job is durable once
// Enqueue returns; it runs after Start.
func (q *Queue) Enqueue(ctx context.Context, kind string, args any, opt EnqueueOptions) (id int64, err error) {
	ctx, span := q.tracer.Start(ctx, "enqueue job "+kind,
		trace.WithSpanKind(trace.SpanKindProducer),
		trace.WithAttributes(ertrace.KindKey.String(ertrace.KindJob), attrKind.String(kind)))
	defer func() {
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
		}
		span.End()
	}()
	if _, ok := q.handler(kind); !ok {
		return 0, fmt.Errorf("jobs: enqueuing %s: no handler for this kind", kind)
	}
	data, err := json.Marshal(args)
	if err != nil {
		return 0, fmt.Errorf("jobs: encoding %s args: %w", kind, err)
	}
	carrier := propagation.MapCarrier{}
	propagation.TraceContext{}.Inject(ctx, carrier)
	meta, err := json.Marshal(metadata{Carrier: carrier})
	if err != nil {
		return 0, fmt.Errorf("jobs: encoding %s metadata: %w", kind, err)
	}
	insert := &river.InsertOpts{MaxAttempts: opt.MaxAttempts, Metadata: meta}
	if opt.UniqueKey != "" {
		insert.UniqueOpts = river.UniqueOpts{ByArgs: true}
	}
	if insert.MaxAttempts <= 0 {
		insert.MaxAttempts = DefaultMaxAttempts
	}
	span.SetAttributes(attrMaxAttempts.Int(insert.MaxAttempts))
	id, dup, err := q.insert(ctx, envelope{JobKind: kind, UniqueKey: opt.UniqueKey, Data: data}, insert)
	if err != nil {
		return 0, err
	}
	span.SetAttributes(attrID.Int64(id), attribute.Bool("engineroom.job.duplicate", dup))
	return id, nil
}

// insert counts the pending jobs and inserts one in the same transaction,
// so the cap holds with concurrent callers.
func (q *Queue) insert(ctx context.Context, args envelope, opts *river.InsertOpts) (id int64, dup bool, err error) {
	tx, err := q.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, false, fmt.Errorf("jobs: enqueuing %s: %w", args.JobKind, err)
	}
	defer tx.Rollback()
	var pending int
	err = tx.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM river_job
		WHERE state IN (`+pendingStates+`) LIMIT ?)`, q.opts.MaxPending).Scan(&pending)
	if err != nil {
		return 0, false, fmt.Errorf("jobs: counting pending jobs: %w", err)
	}
	if pending >= q.opts.MaxPending {
		return 0, false, fmt.Errorf("jobs: enqueuing %s: %w (%d jobs waiting or running)", args.JobKind, ErrQueueFull, pending)
	}
	res, err := q.client.InsertTx(ctx, tx, args, opts)
	if err != nil {
		return 0, false, fmt.Errorf("jobs: enqueuing %s: %w", args.JobKind, err)
	}
	if err := tx.Commit(); err != nil {
		return 0, false, fmt.Errorf("jobs: enqueuing %s: committing: %w", args.JobKind, err)
	}
	return res.Job.ID, res.UniqueSkippedAsDuplicate, nil
}

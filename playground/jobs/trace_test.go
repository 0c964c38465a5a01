package jobs

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/trace"
)

func TestSpansLinkAttemptToEnqueue(t *testing.T) {
	f := newFixture(t, nil)
	f.q.Handle("send-confirmation-email", func(ctx context.Context, j Job) error {
		if j.Attempt == 1 {
			return context.DeadlineExceeded
		}
		return nil
	})
	f.start(t, f.q)
	ctx, req := f.tp.Tracer("web").Start(context.Background(), "POST /checkout")
	id, err := f.q.Enqueue(ctx, "send-confirmation-email", emailArgs{To: "ada@example.com"}, EnqueueOptions{})
	req.End()
	if err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	ji := waitFinished(t, f.q, id)
	reqSC := req.SpanContext()

	enq := f.spans("enqueue job send-confirmation-email")
	if len(enq) != 1 {
		t.Fatalf("enqueue spans = %d, want 1", len(enq))
	}
	e := enq[0]
	if e.SpanContext.TraceID() != reqSC.TraceID() || e.Parent.SpanID() != reqSC.SpanID() || e.SpanKind != trace.SpanKindProducer {
		t.Errorf("enqueue span trace %s parent %s kind %v, want child of %s", e.SpanContext.TraceID(), e.Parent.SpanID(), e.SpanKind, reqSC.SpanID())
	}
	for key, want := range map[string]string{
		"engineroom.kind":             "job",
		"engineroom.job.kind":         "send-confirmation-email",
		"engineroom.job.id":           itoa(id),
		"engineroom.job.max_attempts": "5",
		"engineroom.job.duplicate":    "false",
	} {
		if got := attr(e, key); got != want {
			t.Errorf("enqueue span %s = %q, want %q", key, got, want)
		}
	}

	if ji.EnqueueTraceID != reqSC.TraceID().String() {
		t.Errorf("EnqueueTraceID = %s, want %s", ji.EnqueueTraceID, reqSC.TraceID())
	}
	for n, name := range []string{"job send-confirmation-email (attempt 1)", "job send-confirmation-email (attempt 2)"} {
		spans := f.spans(name)
		if len(spans) != 1 {
			t.Fatalf("%q spans = %d, want 1", name, len(spans))
		}
		s := spans[0]
		if s.Parent.IsValid() || s.SpanContext.TraceID() == reqSC.TraceID() || s.SpanKind != trace.SpanKindConsumer {
			t.Errorf("%s: parent %v, trace %s: want a new root trace", name, s.Parent, s.SpanContext.TraceID())
		}
		if len(s.Links) != 1 || s.Links[0].SpanContext.SpanID() != e.SpanContext.SpanID() || s.Links[0].SpanContext.TraceID() != reqSC.TraceID() {
			t.Errorf("%s: links = %+v, want the enqueue span", name, s.Links)
		}
		if got := ji.Attempts[n].TraceID; got != s.SpanContext.TraceID().String() {
			t.Errorf("Attempts[%d].TraceID = %s, want %s", n, got, s.SpanContext.TraceID())
		}
		for key, want := range map[string]string{
			"engineroom.kind":                 "job",
			"engineroom.job.id":               itoa(id),
			"engineroom.job.kind":             "send-confirmation-email",
			"engineroom.job.attempt":          itoa(int64(n + 1)),
			"engineroom.job.max_attempts":     "5",
			"engineroom.job.enqueue_trace_id": reqSC.TraceID().String(),
			"engineroom.job.outcome":          []string{"retry", "completed"}[n],
		} {
			if got := attr(s, key); got != want {
				t.Errorf("%s: %s = %q, want %q", name, key, got, want)
			}
		}
	}
}

func TestEnqueueWithoutSpan(t *testing.T) {
	f := newFixture(t, nil)
	f.q.Handle("k", func(context.Context, Job) error { return nil })
	f.start(t, f.q)
	id, err := f.q.Enqueue(context.Background(), "k", nil, EnqueueOptions{})
	if err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	ji := waitFinished(t, f.q, id)
	enq := f.spans("enqueue job k")
	if len(enq) != 1 || enq[0].Parent.IsValid() {
		t.Fatalf("enqueue spans = %+v, want one root", enq)
	}
	if ji.EnqueueTraceID != enq[0].SpanContext.TraceID().String() {
		t.Errorf("EnqueueTraceID = %s, want the enqueue span's own trace", ji.EnqueueTraceID)
	}
}

func TestNoTracer(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.Tracer = nil })
	f.q.Handle("k", func(context.Context, Job) error { return nil })
	f.start(t, f.q)
	id, err := f.q.Enqueue(context.Background(), "k", nil, EnqueueOptions{})
	if err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	ji := waitFinished(t, f.q, id)
	if ji.State != StateCompleted || ji.EnqueueTraceID != "" || len(ji.Attempts) != 1 || ji.Attempts[0].TraceID != "" {
		t.Errorf("info = %+v", ji)
	}
}

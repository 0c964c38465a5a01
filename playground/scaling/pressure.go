package scaling

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
)

// BurstOptions configures a burst of queries through a private gate.
type BurstOptions struct {
	Options
	// Slots, Queue and MaxWait are the gate's. Default 2, 4 and 1s.
	Slots, Queue int
	MaxWait      time.Duration
	// Hold is how long each query keeps its slot: a slow report. Default
	// 120ms.
	Hold time.Duration
}

func (o *BurstOptions) defaults() {
	o.Options.defaults()
	if o.Slots <= 0 {
		o.Slots = 2
	}
	if o.Queue <= 0 {
		o.Queue = 4
	}
	if o.MaxWait <= 0 {
		o.MaxWait = time.Second
	}
	if o.Hold <= 0 {
		o.Hold = 120 * time.Millisecond
	}
}

// MaxBurst caps how many queries one burst fires.
const MaxBurst = 24

// Outcomes of a query in a burst.
const (
	RanAtOnce = "ran"
	Waited    = "waited"
	Refused   = "refused"
)

// BurstQuery is one query of a burst: what happened to it and what its
// client got.
type BurstQuery struct {
	N         int     `json:"n"`
	Outcome   string  `json:"outcome"`
	WaitedMS  float64 `json:"waited_ms"`
	StartedMS float64 `json:"started_ms"`
	EndedMS   float64 `json:"ended_ms"`
	// Status is the HTTP status the client gets: 200, or 503 with
	// RetryAfter seconds.
	Status     int    `json:"status"`
	RetryAfter int    `json:"retry_after_s,omitempty"`
	Reason     string `json:"reason,omitempty"`
}

// BurstReport is a whole burst.
type BurstReport struct {
	Slots   int          `json:"slots"`
	Queue   int          `json:"queue"`
	HoldMS  int64        `json:"hold_ms"`
	Ran     int          `json:"ran_at_once"`
	Waited  int          `json:"waited"`
	Refused int          `json:"refused"`
	TookMS  float64      `json:"took_ms"`
	Queries []BurstQuery `json:"queries"`
}

// burstQuery is the report each query runs.
const burstQuery = "SELECT id, name, tier, miles FROM members ORDER BY miles DESC, id LIMIT 3"

// Burst fires n queries at once (at most MaxBurst) at a database of the
// members, through a private gate: Slots run, Queue wait, the rest are
// refused with 503 and Retry-After.
func Burst(ctx context.Context, members []Member, n int, opts BurstOptions) (BurstReport, error) {
	opts.defaults()
	n = min(max(n, 1), MaxBurst)
	g := NewGate(opts.Slots, opts.Queue, opts.MaxWait)
	rep := BurstReport{Slots: opts.Slots, Queue: opts.Queue, HoldMS: opts.Hold.Milliseconds(), Queries: make([]BurstQuery, n)}
	db, err := openNode(ctx, Primary, opts.Tracer, members)
	if err != nil {
		return rep, err
	}
	defer db.close()
	retry := g.RetryAfter(opts.Hold)
	start := opts.Now()
	since := func() float64 { return float64(opts.Now().Sub(start).Microseconds()) / 1000 }
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			q := &rep.Queries[i]
			q.N = i + 1
			errs[i] = runGated(ctx, g, db, q, opts, retry, since)
		})
	}
	wg.Wait()
	rep.TookMS = since()
	for _, q := range rep.Queries {
		switch q.Outcome {
		case RanAtOnce:
			rep.Ran++
		case Waited:
			rep.Waited++
		case Refused:
			rep.Refused++
		}
	}
	return rep, errors.Join(errs...)
}

// runGated runs one query of a burst through the gate.
func runGated(ctx context.Context, g *Gate, db *node, q *BurstQuery, opts BurstOptions, retry time.Duration, since func() float64) error {
	ctx, span := step(ctx, opts.Tracer, fmt.Sprintf("query %d through the gate", q.N))
	defer span.End()
	arrived := since()
	queued, err := g.Acquire(ctx)
	q.WaitedMS = since() - arrived
	span.SetAttributes(attribute.Float64("engineroom.gate.waited_ms", q.WaitedMS))
	if err != nil {
		if !errors.Is(err, ErrQueueFull) && !errors.Is(err, ErrWaitedTooLong) {
			return fmt.Errorf("scaling: waiting for a slot: %w", err)
		}
		q.Outcome, q.Status, q.RetryAfter = Refused, 503, int(retry/time.Second)
		q.Reason = "queue full"
		if errors.Is(err, ErrWaitedTooLong) {
			q.Reason = "waited too long"
		}
		span.SetAttributes(attribute.String("engineroom.gate.outcome", Refused),
			attribute.Int("http.response.status_code", 503), attribute.Int("engineroom.gate.retry_after_s", q.RetryAfter))
		span.SetStatus(codes.Error, "refused: "+q.Reason)
		return nil
	}
	defer g.Release()
	q.Outcome = RanAtOnce
	if queued {
		q.Outcome = Waited
	}
	span.SetAttributes(attribute.String("engineroom.gate.outcome", q.Outcome))
	q.StartedMS = since()
	if _, _, err := db.members(ctx, burstQuery); err != nil {
		return err
	}
	// The report keeps its slot for Hold in all.
	t := time.NewTimer(max(opts.Hold-time.Duration((since()-q.StartedMS)*float64(time.Millisecond)), 0))
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
		return fmt.Errorf("scaling: running query %d: %w", q.N, ctx.Err())
	}
	q.EndedMS, q.Status = since(), 200
	return nil
}

package events

import (
	"context"
	"errors"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/engineroom/engineroom/playground/jobs"
	ertrace "github.com/engineroom/engineroom/playground/trace"
)

// Fault is what goes wrong with a subscription's consumer.
type Fault string

// Faults a subscription can have.
const (
	// NoFault: every attempt does its work.
	NoFault Fault = ""
	// Flaky: the first FailTimes attempts fail before doing anything;
	// the next one works.
	Flaky Fault = "flaky"
	// AlwaysFails: every attempt fails, so the job is discarded once out
	// of attempts: a dead letter. A replay by hand works.
	AlwaysFails Fault = "always-fails"
	// CrashBeforeAck: the first attempt does its work and commits, then
	// the worker dies before telling the queue, which delivers the event
	// again.
	CrashBeforeAck Fault = "crash-before-ack"
)

// Booking is what a booking.confirmed event carries.
type Booking struct {
	Ref   string `json:"ref"`
	Email string `json:"email"`
	Miles int    `json:"miles"` // the miles the flight earns
}

// Subscription is one consumer of an event, with its fault for this run.
type Subscription struct {
	Consumer  Consumer
	Fault     Fault
	FailTimes int // for Flaky
}

// MaxSubscriptions bounds one event's fan-out.
const MaxSubscriptions = 4

// jobArgs is what each consumer's job carries.
type jobArgs struct {
	EventID   int64   `json:"event_id"`
	Type      string  `json:"type"`
	Visitor   string  `json:"visitor"`
	Booking   Booking `json:"booking"`
	Fault     Fault   `json:"fault,omitempty"`
	FailTimes int     `json:"fail_times,omitempty"`
	Replay    bool    `json:"replay,omitempty"`
}

// Publish records a booking.confirmed event for visitor and enqueues one
// job per subscription. It returns the event's id at once: the consumers
// run after it, and Progress shows them.
func (l *Lab) Publish(ctx context.Context, visitor string, b Booking, subs []Subscription) (id int64, err error) {
	ctx, span := l.tracer.Start(ctx, "publish "+BookingConfirmed, trace.WithAttributes(
		ertrace.KindKey.String(ertrace.KindInternal),
		attribute.String("engineroom.event.type", BookingConfirmed),
		attribute.Int("engineroom.event.subscribers", len(subs))))
	defer func() {
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
		}
		span.End()
	}()
	if len(subs) == 0 || len(subs) > MaxSubscriptions {
		return 0, fmt.Errorf("events: publishing: %d subscribers; 1 to %d", len(subs), MaxSubscriptions)
	}
	for _, s := range subs {
		if _, ok := policyOf(s.Consumer); !ok {
			return 0, fmt.Errorf("events: publishing: unknown consumer %q", s.Consumer)
		}
	}
	if err := l.idle(ctx, visitor); err != nil {
		return 0, err
	}
	before := map[string]int{}
	for _, a := range []string{AccountIdempotent, AccountNaive} {
		if before[a], err = l.balance(ctx, l.db, visitor, a); err != nil {
			return 0, err
		}
	}
	res, err := l.exec(ctx, l.db, `INSERT INTO events (visitor, type, booking, email, miles, published_at, idempotent_before, naive_before)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, visitor, BookingConfirmed, b.Ref, b.Email, b.Miles, l.now().UnixMilli(),
		before[AccountIdempotent], before[AccountNaive])
	if err != nil {
		return 0, fmt.Errorf("events: recording the event: %w", err)
	}
	if id, err = res.LastInsertId(); err != nil {
		return 0, fmt.Errorf("events: recording the event: %w", err)
	}
	span.SetAttributes(attribute.Int64("engineroom.event.id", id))
	for _, s := range subs {
		a := jobArgs{EventID: id, Type: BookingConfirmed, Visitor: visitor, Booking: b, Fault: s.Fault, FailTimes: s.FailTimes}
		if err := l.deliver(ctx, s.Consumer, a, 0); err != nil {
			return id, err
		}
	}
	return id, l.prune(ctx, visitor)
}

// deliver enqueues one consumer's job and records it.
func (l *Lab) deliver(ctx context.Context, c Consumer, a jobArgs, replayOf int64) error {
	jobID, err := l.q.Enqueue(ctx, jobKind(c), a, jobs.EnqueueOptions{MaxAttempts: MaxAttempts(c)})
	if err != nil {
		return fmt.Errorf("events: delivering to %s: %w", c, err)
	}
	if _, err := l.exec(ctx, l.db, `INSERT INTO deliveries (job_id, event_id, consumer, fault, fail_times, replay_of) VALUES (?, ?, ?, ?, ?, ?)`,
		jobID, a.EventID, string(c), string(a.Fault), a.FailTimes, replayOf); err != nil {
		return fmt.Errorf("events: recording the delivery to %s: %w", c, err)
	}
	return nil
}

// idle returns ErrBusy while the visitor's last event has a job that is
// not finished.
func (l *Lab) idle(ctx context.Context, visitor string) error {
	var last int64
	found, err := l.scan(ctx, l.db, `SELECT id FROM events WHERE visitor = ? ORDER BY id DESC LIMIT 1`, []any{visitor}, &last)
	if err != nil {
		return fmt.Errorf("events: reading your last event: %w", err)
	}
	if !found {
		return nil
	}
	r, err := l.Progress(context.WithoutCancel(ctx), visitor, last)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	if err == nil && !r.Done {
		return fmt.Errorf("%w (event #%d)", ErrBusy, last)
	}
	return nil
}

// prune forgets all but the visitor's last keepEvents events.
func (l *Lab) prune(ctx context.Context, visitor string) error {
	const old = `SELECT id FROM events WHERE visitor = ? ORDER BY id DESC LIMIT -1 OFFSET ?`
	for _, q := range []string{
		`DELETE FROM attempts WHERE job_id IN (SELECT job_id FROM deliveries WHERE event_id IN (` + old + `))`,
		`DELETE FROM deliveries WHERE event_id IN (` + old + `)`,
		`DELETE FROM events WHERE id IN (` + old + `)`,
	} {
		if _, err := l.db.ExecContext(ctx, q, visitor, keepEvents); err != nil {
			return fmt.Errorf("events: forgetting old events: %w", err)
		}
	}
	return nil
}

// Replay delivers each of the visitor's dead letters again, without the
// fault that sent it there (a person fixed the consumer), and returns the
// event it belongs to; 0 when there was none.
func (l *Lab) Replay(ctx context.Context, visitor string) (eventID int64, n int, err error) {
	ctx, span := l.tracer.Start(ctx, "replay dead letters", trace.WithAttributes(ertrace.KindKey.String(ertrace.KindInternal)))
	defer span.End()
	dead, err := l.DeadLetters(ctx, visitor)
	if err != nil {
		return 0, 0, err
	}
	for _, d := range dead {
		a := jobArgs{EventID: d.EventID, Type: BookingConfirmed, Visitor: visitor, Booking: d.Booking, Replay: true}
		if err := l.deliver(ctx, d.Consumer, a, d.JobID); err != nil {
			return d.EventID, n, err
		}
		if _, err := l.exec(ctx, l.db, `UPDATE deliveries SET replayed = 1 WHERE job_id = ?`, d.JobID); err != nil {
			return d.EventID, n, fmt.Errorf("events: marking job %d replayed: %w", d.JobID, err)
		}
		eventID, n = d.EventID, n+1
	}
	span.SetAttributes(attribute.Int("engineroom.event.replayed", n))
	return eventID, n, nil
}

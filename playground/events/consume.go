package events

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/engineroom/engineroom/playground/jobs"
	ertrace "github.com/engineroom/engineroom/playground/trace"
)

// Outcomes of an attempt, as the attempts table records them.
const (
	OutcomeRunning   = "running"
	OutcomeDone      = "done"
	OutcomeFailed    = "failed"
	OutcomeCrashed   = "crashed before ack"
	OutcomeDuplicate = "duplicate skipped"
)

// errCrashed is what the queue hears from an attempt that did its work
// but died before acknowledging it.
var errCrashed = errors.New("events: the worker crashed after committing its work, before acknowledging the job")

// consumer is the job handler of c: one attempt at delivering an event.
func (l *Lab) consumer(c Consumer) jobs.Handler {
	p, _ := policyOf(c)
	return func(ctx context.Context, j jobs.Job) error {
		var a jobArgs
		if err := j.Decode(&a); err != nil {
			return jobs.Permanent(err)
		}
		traceID := ""
		if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
			traceID = sc.TraceID().String()
		}
		if _, err := l.db.ExecContext(ctx, `INSERT OR REPLACE INTO attempts (job_id, attempt, started_at, trace_id) VALUES (?, ?, ?, ?)`,
			j.ID, j.Attempt, l.now().UnixMilli(), traceID); err != nil {
			return fmt.Errorf("events: recording attempt %d of job %d: %w", j.Attempt, j.ID, err)
		}
		outcome, detail, err := l.attempt(ctx, c, p, a, j.Attempt)
		if _, lerr := l.db.ExecContext(context.WithoutCancel(ctx), `UPDATE attempts SET ended_at = ?, outcome = ?, detail = ? WHERE job_id = ? AND attempt = ?`,
			l.now().UnixMilli(), outcome, detail, j.ID, j.Attempt); lerr != nil {
			err = errors.Join(err, fmt.Errorf("events: recording attempt %d of job %d: %w", j.Attempt, j.ID, lerr))
		}
		return err
	}
}

// attempt applies the subscription's fault around the consumer's work.
func (l *Lab) attempt(ctx context.Context, c Consumer, p policy, a jobArgs, n int) (outcome, detail string, err error) {
	fault := a.Fault
	if a.Replay {
		fault = NoFault
	}
	switch {
	case fault == Flaky && n <= a.FailTimes:
		err = fmt.Errorf("events: %s: the service answered 503 Service Unavailable (failure %d of %d)", c, n, a.FailTimes)
		return OutcomeFailed, err.Error(), err
	case fault == AlwaysFails:
		err = fmt.Errorf("events: %s: the service answered 503 Service Unavailable", c)
		return OutcomeFailed, err.Error(), err
	}
	detail, dup, err := l.work(ctx, c, p, a)
	switch {
	case err != nil:
		return OutcomeFailed, err.Error(), err
	case dup:
		return OutcomeDuplicate, detail, nil
	case fault == CrashBeforeAck && n == 1:
		return OutcomeCrashed, detail + "; then the worker crashed before the ack", errCrashed
	}
	return OutcomeDone, detail, nil
}

// work does the consumer's job in one transaction. An idempotent consumer
// first looks for the event among those it processed, and records it in
// the same transaction as its work: either both happen or neither.
func (l *Lab) work(ctx context.Context, c Consumer, p policy, a jobArgs) (detail string, dup bool, err error) {
	tx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		return "", false, fmt.Errorf("events: %s: beginning: %w", c, err)
	}
	defer tx.Rollback()
	if p.idempotent {
		var at int64
		found, err := l.scan(ctx, tx, `SELECT processed_at FROM processed WHERE consumer = ? AND event_id = ?`, []any{string(c), a.EventID}, &at)
		if err != nil {
			return "", false, fmt.Errorf("events: %s: looking for event %d: %w", c, a.EventID, err)
		}
		if found {
			_, span := l.tracer.Start(ctx, "skip duplicate event", trace.WithAttributes(
				ertrace.KindKey.String(ertrace.KindInternal),
				attribute.Int64("engineroom.event.id", a.EventID),
				attribute.String("engineroom.event.consumer", string(c))))
			span.End()
			return fmt.Sprintf("event #%d was already processed: skipped, nothing done twice", a.EventID), true, nil
		}
	}
	switch c {
	case Email:
		subject := "Booking " + a.Booking.Ref + " confirmed"
		if _, err := l.exec(ctx, tx, `INSERT INTO sent_emails (visitor, event_id, to_addr, subject, sent_at) VALUES (?, ?, ?, ?, ?)`,
			a.Visitor, a.EventID, a.Booking.Email, subject, l.now().UnixMilli()); err != nil {
			return "", false, fmt.Errorf("events: email: sending: %w", err)
		}
		detail = fmt.Sprintf("sent “%s” to %s", subject, a.Booking.Email)
	case Miles, MilesNaive:
		before, err := l.balance(ctx, tx, a.Visitor, p.account)
		if err != nil {
			return "", false, err
		}
		if _, err := l.exec(ctx, tx, `UPDATE accounts SET miles = miles + ? WHERE visitor = ? AND account = ?`,
			a.Booking.Miles, a.Visitor, p.account); err != nil {
			return "", false, fmt.Errorf("events: %s: crediting: %w", c, err)
		}
		detail = fmt.Sprintf("credited %s miles: %s → %s", Thousands(a.Booking.Miles), Thousands(before), Thousands(before+a.Booking.Miles))
	case Analytics:
		if _, err := l.exec(ctx, tx, `INSERT INTO analytics (visitor, event_id, name, recorded_at) VALUES (?, ?, ?, ?)`,
			a.Visitor, a.EventID, BookingConfirmed, l.now().UnixMilli()); err != nil {
			return "", false, fmt.Errorf("events: analytics: recording: %w", err)
		}
		detail = "recorded one " + BookingConfirmed + " row"
	}
	if p.idempotent {
		if _, err := l.exec(ctx, tx, `INSERT INTO processed (consumer, event_id, processed_at) VALUES (?, ?, ?)`,
			string(c), a.EventID, l.now().UnixMilli()); err != nil {
			return "", false, fmt.Errorf("events: %s: recording event %d: %w", c, a.EventID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return "", false, fmt.Errorf("events: %s: committing: %w", c, err)
	}
	return detail, false, nil
}

// Thousands writes n with commas: 12,400.
func Thousands(n int) string {
	s := strconv.Itoa(n)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		return "-" + s
	}
	return s
}

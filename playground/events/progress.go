package events

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/engineroom/engineroom/playground/jobs"
)

// Run is an event and what its consumers did so far.
type Run struct {
	EventID     int64
	Type        string
	Booking     Booking
	PublishedAt time.Time
	Deliveries  []Delivery
	// Balances are the visitor's miles accounts when the event was
	// published and now.
	Balances []Balance
	// Done is true once every delivery is finished (completed or
	// discarded).
	Done bool
}

// Balance is one miles account before the event and now.
type Balance struct {
	Account       string
	Before, After int
}

// Delivery is one consumer's job for the event.
type Delivery struct {
	Consumer    Consumer
	JobID       int64
	EventID     int64
	Booking     Booking
	Fault       Fault
	FailTimes   int
	State       jobs.State
	MaxAttempts int
	// ReplayOf is the dead letter this job replays; 0 for none.
	ReplayOf int64
	// Replayed is true once this dead letter was delivered again.
	Replayed bool
	Attempts []Attempt
	// NextRunAt is when a waiting job is due; zero once finished.
	NextRunAt time.Time
}

// Attempt is one attempt of a delivery, as its consumer recorded it.
type Attempt struct {
	N       int
	Start   time.Time
	End     time.Time // zero while running
	Outcome string
	Detail  string
	TraceID string
	// Wait is the time between the previous attempt's end and this
	// one's start: the backoff plus the queue's pick-up delay.
	Wait time.Duration
}

// Finished reports whether the queue will not run the job again.
func (d Delivery) Finished() bool { return d.State.Finished() }

// Dead reports whether the job ran out of attempts.
func (d Delivery) Dead() bool { return d.State == jobs.StateDiscarded }

// Progress reads the visitor's event id and every delivery of it.
func (l *Lab) Progress(ctx context.Context, visitor string, id int64) (Run, error) {
	r := Run{EventID: id}
	var published int64
	var before [2]int
	err := l.db.QueryRowContext(ctx, `SELECT type, booking, email, miles, published_at, idempotent_before, naive_before
		FROM events WHERE id = ? AND visitor = ?`, id, visitor).Scan(&r.Type, &r.Booking.Ref, &r.Booking.Email, &r.Booking.Miles, &published, &before[0], &before[1])
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return r, err
		}
		return r, fmt.Errorf("%w: #%d", ErrNotFound, id)
	}
	r.PublishedAt = time.UnixMilli(published)
	r.Deliveries, err = l.deliveries(ctx, `d.event_id = ?`, id)
	if err != nil {
		return r, err
	}
	r.Done = true
	for i := range r.Deliveries {
		r.Deliveries[i].Booking = r.Booking
		r.Done = r.Done && r.Deliveries[i].Finished()
	}
	for i, a := range []string{AccountIdempotent, AccountNaive} {
		var now int
		if err := l.db.QueryRowContext(ctx, `SELECT miles FROM accounts WHERE visitor = ? AND account = ?`, visitor, a).Scan(&now); err != nil {
			return r, fmt.Errorf("events: reading the %s account: %w", a, err)
		}
		r.Balances = append(r.Balances, Balance{Account: a, Before: before[i], After: now})
	}
	return r, nil
}

// DeadLetters lists the visitor's discarded deliveries not yet replayed,
// newest first.
func (l *Lab) DeadLetters(ctx context.Context, visitor string) ([]Delivery, error) {
	ds, err := l.deliveries(ctx, `d.event_id IN (SELECT id FROM events WHERE visitor = ?) AND d.replayed = 0`, visitor)
	if err != nil {
		return nil, err
	}
	var dead []Delivery
	for i := len(ds) - 1; i >= 0; i-- {
		if ds[i].Dead() {
			dead = append(dead, ds[i])
		}
	}
	return dead, nil
}

// deliveries reads the deliveries matching where, with their attempts and
// the queue's state of each job.
func (l *Lab) deliveries(ctx context.Context, where string, arg any) ([]Delivery, error) {
	rows, err := l.db.QueryContext(ctx, `SELECT d.job_id, d.event_id, d.consumer, d.fault, d.fail_times, d.replay_of, d.replayed,
		e.booking, e.email, e.miles FROM deliveries d JOIN events e ON e.id = d.event_id WHERE `+where+` ORDER BY d.job_id`, arg)
	if err != nil {
		return nil, fmt.Errorf("events: reading deliveries: %w", err)
	}
	var ds []Delivery
	for rows.Next() {
		var d Delivery
		if err := rows.Scan(&d.JobID, &d.EventID, &d.Consumer, &d.Fault, &d.FailTimes, &d.ReplayOf, &d.Replayed,
			&d.Booking.Ref, &d.Booking.Email, &d.Booking.Miles); err != nil {
			rows.Close()
			return nil, fmt.Errorf("events: reading deliveries: %w", err)
		}
		ds = append(ds, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("events: reading deliveries: %w", err)
	}
	for i := range ds {
		ji, err := l.q.Get(ctx, ds[i].JobID)
		if err != nil {
			return nil, fmt.Errorf("events: %w", err)
		}
		ds[i].State, ds[i].MaxAttempts, ds[i].NextRunAt = ji.State, ji.MaxAttempts, ji.NextRunAt
		if ds[i].Attempts, err = l.attempts(ctx, ds[i].JobID); err != nil {
			return nil, err
		}
	}
	return ds, nil
}

// attempts reads a job's attempts in order.
func (l *Lab) attempts(ctx context.Context, jobID int64) ([]Attempt, error) {
	rows, err := l.db.QueryContext(ctx, `SELECT attempt, started_at, ended_at, outcome, detail, trace_id FROM attempts WHERE job_id = ? ORDER BY attempt`, jobID)
	if err != nil {
		return nil, fmt.Errorf("events: reading attempts of job %d: %w", jobID, err)
	}
	defer rows.Close()
	var as []Attempt
	for rows.Next() {
		var a Attempt
		var start, end int64
		if err := rows.Scan(&a.N, &start, &end, &a.Outcome, &a.Detail, &a.TraceID); err != nil {
			return nil, fmt.Errorf("events: reading attempts of job %d: %w", jobID, err)
		}
		a.Start = time.UnixMilli(start)
		if end != 0 {
			a.End = time.UnixMilli(end)
		}
		if n := len(as); n > 0 && !as[n-1].End.IsZero() {
			a.Wait = a.Start.Sub(as[n-1].End)
		}
		as = append(as, a)
	}
	return as, rows.Err()
}

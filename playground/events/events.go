// Package events publishes domain events ("booking.confirmed") to the
// consumers that subscribe to them, through the durable job queue of
// package jobs: one job per subscriber, each its own kind with its own
// number of attempts, retried with backoff and, when out of attempts,
// discarded to a dead-letter list a person can replay. Consumers do real
// work in the visitor's rows of the lab's own SQLite database: an email
// written to the sent messages, miles credited to an account, an
// analytics row. Faults are chosen per subscription, so a run is
// deterministic and touches nobody else's results.
package events

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/engineroom/engineroom/playground/jobs"
)

// BookingConfirmed is the one event type the lab publishes.
const BookingConfirmed = "booking.confirmed"

// Consumer names a subscriber of booking.confirmed.
type Consumer string

// The subscribers. MilesNaive credits miles like Miles but keeps no record
// of the events it has processed.
const (
	Email      Consumer = "email"
	Miles      Consumer = "miles"
	Analytics  Consumer = "analytics"
	MilesNaive Consumer = "miles-naive"
)

// Consumers are the three subscribers a booking.confirmed event fans out
// to by default.
var Consumers = []Consumer{Email, Miles, Analytics}

// policy is a consumer's own retry policy: how many attempts its jobs get.
type policy struct {
	maxAttempts int
	idempotent  bool
	account     string // the miles account it credits; "" for none
}

// policyOf is a consumer's policy; ok is false for an unknown consumer.
func policyOf(c Consumer) (p policy, ok bool) {
	switch c {
	case Email:
		return policy{maxAttempts: 5, idempotent: true}, true
	case Miles:
		return policy{maxAttempts: 5, idempotent: true, account: AccountIdempotent}, true
	case MilesNaive:
		return policy{maxAttempts: 5, account: AccountNaive}, true
	case Analytics:
		return policy{maxAttempts: 3, idempotent: true}, true
	}
	return policy{}, false
}

// MaxAttempts is how many attempts a consumer's jobs get.
func MaxAttempts(c Consumer) int {
	p, _ := policyOf(c)
	return p.maxAttempts
}

// jobKind is the queue's job kind for a consumer.
func jobKind(c Consumer) string { return "event." + string(c) }

// Miles accounts: the idempotent consumer credits one, the naive one the
// other, so a run can compare them.
const (
	AccountIdempotent = "idempotent"
	AccountNaive      = "naive"
)

// StartingMiles is a new visitor's balance in each account.
const StartingMiles = 12_400

// ErrBusy is returned by Publish and Replay while the visitor's last event
// is still being delivered.
var ErrBusy = errors.New("events: your last event is still being delivered")

// ErrNotFound is returned by Progress for an event the visitor did not
// publish (or one pruned since).
var ErrNotFound = errors.New("events: no such event")

// Defaults of Options.
const (
	DefaultPollInterval = 50 * time.Millisecond
	DefaultWorkers      = 4
	DefaultMaxPending   = 600
	// keepEvents is how many events of a visitor the lab remembers.
	keepEvents = 10
)

// Options configures a Lab.
type Options struct {
	// Dir holds the lab's two SQLite files (the queue's and the
	// consumers'); empty makes a temporary folder in TempIn, removed by
	// Close.
	Dir string
	// TempIn is where the temporary folder is made when Dir is empty:
	// a folder the server may write to (the state database's, on a
	// read-only root filesystem); empty is the system's temporary folder.
	TempIn string
	// Tracer makes the publish, consumer and SQL spans; nil traces
	// nothing.
	Tracer trace.Tracer
	// Backoff is the wait before attempt+1 after attempt failed; nil
	// is jobs.Exponential(100 ms, 400 ms): 100, 200, 400, 400 ms.
	Backoff func(attempt int) time.Duration
	// PollInterval is how often the queue looks for due jobs.
	PollInterval time.Duration
	// Workers is how many jobs run at once.
	Workers int
	// MaxPending caps the jobs waiting or running across all visitors.
	MaxPending int
	// Now is the clock attempts are stamped with; nil is time.Now. The
	// queue decides when a job is due by the database's clock, so Now
	// must track real time.
	Now func() time.Time
}

// Lab is the queue, its consumers and their database.
type Lab struct {
	q       *jobs.Queue
	db      *sql.DB
	tracer  trace.Tracer
	now     func() time.Time
	backoff func(int) time.Duration
	tempDir string
}

// Start opens the lab's databases, registers the consumers and starts the
// queue's workers. Close stops them.
func Start(ctx context.Context, opts Options) (l *Lab, err error) {
	l = &Lab{tracer: opts.Tracer, now: opts.Now, backoff: opts.Backoff}
	if l.tracer == nil {
		l.tracer = noop.NewTracerProvider().Tracer("")
	}
	if l.now == nil {
		l.now = time.Now
	}
	if l.backoff == nil {
		l.backoff = jobs.Exponential(100*time.Millisecond, 400*time.Millisecond)
	}
	dir := opts.Dir
	if dir == "" {
		if dir, err = os.MkdirTemp(opts.TempIn, "engineroom-events-"); err != nil {
			return nil, fmt.Errorf("events: making a folder: %w", err)
		}
		l.tempDir = dir
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, l.Close(context.Background()))
			l = nil
		}
	}()
	if l.db, err = openStore(ctx, filepath.Join(dir, "events.db")); err != nil {
		return l, err
	}
	l.q, err = jobs.Open(ctx, jobs.Options{
		Path:         filepath.Join(dir, "queue.db"),
		Tracer:       opts.Tracer,
		Workers:      cmpOr(opts.Workers, DefaultWorkers),
		PollInterval: cmpOr(opts.PollInterval, DefaultPollInterval),
		MaxPending:   cmpOr(opts.MaxPending, DefaultMaxPending),
		Backoff:      l.backoff,
		Now:          l.now,
	})
	if err != nil {
		return l, fmt.Errorf("events: %w", err)
	}
	for _, c := range []Consumer{Email, Miles, Analytics, MilesNaive} {
		l.q.Handle(jobKind(c), l.consumer(c))
	}
	if err := l.q.Start(context.WithoutCancel(ctx)); err != nil {
		return l, fmt.Errorf("events: %w", err)
	}
	return l, nil
}

// Backoff is the wait the lab's queue leaves after a failed attempt.
func (l *Lab) Backoff(attempt int) time.Duration { return l.backoff(attempt) }

// Close stops the workers (running attempts may finish within ctx) and
// closes the databases.
func (l *Lab) Close(ctx context.Context) error {
	var errs []error
	if l.q != nil {
		errs = append(errs, l.q.Close(ctx))
	}
	if l.db != nil {
		errs = append(errs, l.db.Close())
	}
	if l.tempDir != "" {
		errs = append(errs, os.RemoveAll(l.tempDir))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("events: closing the lab: %w", err)
	}
	return nil
}

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

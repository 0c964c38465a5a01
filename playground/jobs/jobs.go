// Package jobs is a durable background job queue in the app's own SQLite
// state database, built on River (github.com/riverqueue/river) and its
// SQLite driver. Jobs survive restarts, failed attempts are retried with
// exponential backoff until they succeed or run out of attempts, and every
// attempt runs in a trace of its own that links back to the request that
// enqueued the job.
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Defaults for the zero values of Options and EnqueueOptions.
const (
	DefaultWorkers      = 2
	DefaultPollInterval = 500 * time.Millisecond
	DefaultMaxPending   = 10_000
	DefaultMaxAttempts  = 5
)

// jobTimeout bounds one attempt (its context is cancelled then). A job
// still marked running rescueAfter after its attempt started was lost with
// a process that died; River's rescuer (every 30 s) makes it retryable.
const (
	jobTimeout  = 30 * time.Second
	rescueAfter = jobTimeout + 15*time.Second
)

// Options configures a Queue.
type Options struct {
	// Path is the state database file; it is created when missing. The
	// queue's tables (River's river_* tables) live beside whatever else
	// the app keeps there.
	Path string
	// Tracer makes the "enqueue job" spans and each attempt's root span;
	// nil traces nothing.
	Tracer trace.Tracer
	// Workers is how many jobs run at once (DefaultWorkers when 0).
	Workers int
	// PollInterval is how often the queue looks for due jobs
	// (DefaultPollInterval when 0): a new job starts within about one
	// interval of being enqueued.
	PollInterval time.Duration
	// MaxPending caps the jobs waiting or running; Enqueue returns
	// ErrQueueFull beyond it (DefaultMaxPending when 0).
	MaxPending int
	// Backoff is the delay before attempt+1 after attempt failed; nil
	// means Exponential(time.Second, time.Minute) with ±20% jitter.
	Backoff func(attempt int) time.Duration
	// Now is the clock retry times are computed from; nil is time.Now.
	// The database's clock decides when a job is due, so Now must track
	// real time.
	Now func() time.Time
	// Logger receives River's own log lines; nil discards them.
	Logger *slog.Logger
}

// Handler does one attempt of a job. A nil error completes the job; any
// other error schedules a retry, unless the job is out of attempts (it is
// then discarded) or the error was wrapped with Permanent.
type Handler func(ctx context.Context, j Job) error

// Queue is a durable job queue. Register handlers with Handle, then call
// Start to run jobs; Enqueue and Get work before Start too.
type Queue struct {
	db     *sql.DB
	client *river.Client[*sql.Tx]
	tracer trace.Tracer
	opts   Options

	mu       sync.Mutex
	handlers map[string]Handler
	started  bool
	closed   bool
}

// Open opens (creating or migrating as needed) the queue's tables in the
// state database at opts.Path.
func Open(ctx context.Context, opts Options) (*Queue, error) {
	if opts.Path == "" {
		return nil, errors.New("jobs: opening queue: Options.Path is empty")
	}
	opts = withDefaults(opts)
	db, err := openDB(ctx, opts.Path)
	if err != nil {
		return nil, err
	}
	q := &Queue{db: db, tracer: opts.Tracer, opts: opts, handlers: make(map[string]Handler)}
	driver := riversqlite.New(db)
	if err := migrate(ctx, driver, opts.Logger); err != nil {
		db.Close()
		return nil, err
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, &worker{q: q})
	q.client, err = river.NewClient(driver, &river.Config{
		FetchPollInterval: opts.PollInterval,
		// FetchCooldown is the least time between two fetches; River
		// wants it no longer than the poll interval.
		FetchCooldown: min(opts.PollInterval, river.FetchCooldownDefault),
		// PollOnly: SQLite has no LISTEN/NOTIFY, and River's emulation
		// queries a table every 50 ms even when idle; polling for due
		// jobs every PollInterval is enough here.
		PollOnly:             true,
		JobTimeout:           jobTimeout,
		RescueStuckJobsAfter: rescueAfter,
		MaxAttempts:          DefaultMaxAttempts,
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: opts.Workers}},
		Workers:              workers,
		RetryPolicy:          retryPolicy{backoff: opts.Backoff, now: opts.Now},
		Logger:               opts.Logger,
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("jobs: creating River client: %w", err)
	}
	return q, nil
}

func withDefaults(opts Options) Options {
	if opts.Tracer == nil {
		opts.Tracer = noop.NewTracerProvider().Tracer("")
	}
	if opts.Workers <= 0 {
		opts.Workers = DefaultWorkers
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = DefaultPollInterval
	}
	if opts.MaxPending <= 0 {
		opts.MaxPending = DefaultMaxPending
	}
	if opts.Backoff == nil {
		opts.Backoff = jittered(Exponential(time.Second, time.Minute), 0.2)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return opts
}

// Handle registers fn for jobs of kind. Call it before Start; a kind can
// be registered once.
func (q *Queue) Handle(kind string, fn Handler) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.started {
		panic("jobs: Handle called after Start")
	}
	if _, dup := q.handlers[kind]; dup {
		panic(fmt.Sprintf("jobs: kind %q registered twice", kind))
	}
	q.handlers[kind] = fn
}

func (q *Queue) handler(kind string) (Handler, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	fn, ok := q.handlers[kind]
	return fn, ok
}

// Start runs due jobs in the background until Close, or until ctx is
// cancelled (which also cancels the jobs running then).
func (q *Queue) Start(ctx context.Context) error {
	q.mu.Lock()
	if q.closed || q.started {
		q.mu.Unlock()
		return errors.New("jobs: starting queue: already started or closed")
	}
	q.started = true
	q.mu.Unlock()
	if err := q.client.Start(ctx); err != nil {
		return fmt.Errorf("jobs: starting queue: %w", err)
	}
	return nil
}

// Close stops fetching jobs and waits for the running ones until ctx is
// done; it then cancels them and waits up to a second more before
// closing the database. A job cut short runs again after the next Start,
// without being charged an attempt.
func (q *Queue) Close(ctx context.Context) error {
	q.mu.Lock()
	started, closed := q.started, q.closed
	q.closed = true
	q.mu.Unlock()
	if closed {
		return nil
	}
	var stopErr error
	if started {
		if err := q.client.Stop(ctx); err != nil {
			hard, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
			defer cancel()
			stopErr = errors.Join(err, q.client.StopAndCancel(hard))
		}
	}
	if err := q.db.Close(); err != nil {
		stopErr = errors.Join(stopErr, err)
	}
	if stopErr != nil {
		return fmt.Errorf("jobs: closing queue: %w", stopErr)
	}
	return nil
}

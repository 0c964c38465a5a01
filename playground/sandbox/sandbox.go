// Package sandbox gives every visitor a private SQLite database cloned from
// the demo data (sharing the pages they do not change, see cow.go), and runs their SQL under SQLite's "Defense against the dark
// arts" guards: an authorizer, size and time limits, output caps, one query
// at a time per visitor and a global cap on running queries.
//
// Sandboxes live in memory only. They are created on first use, dropped
// after an idle timeout or when the least recently used one must make room,
// and a visitor who comes back after that gets a fresh copy and a notice
// (Result.Recycled).
package sandbox

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Errors returned by Manager methods. SQL errors are not among them: those
// are reported per statement in Statement.Error.
var (
	ErrInvalidInput      = errors.New("sandbox: invalid input")
	ErrTooLarge          = errors.New("sandbox: input too large")
	ErrTooManyStatements = errors.New("sandbox: too many statements")
	ErrBusy              = errors.New("sandbox: another query of this visitor is still running")
	ErrSaturated         = errors.New("sandbox: too many queries running, try again shortly")
	// ErrCrowded stops a query that held a slot others waited for while
	// the long lane was full (see lane.go).
	ErrCrowded     = errors.New("sandbox: query stopped to let others run")
	ErrRateLimited = errors.New("sandbox: too many new sandboxes from this client")
	ErrTooFast     = errors.New("sandbox: too many queries from this visitor")
	ErrClosed      = errors.New("sandbox: manager closed")
)

// Options configures a Manager. Zero values mean the documented default.
type Options struct {
	// MaxSandboxes caps how many sandboxes exist at once; the least
	// recently used idle one is dropped to make room. Default 400.
	MaxSandboxes int
	// IdleTimeout drops a sandbox nobody used for this long. Default 30m.
	IdleTimeout time.Duration
	// MaxConcurrent caps queries running at once across all visitors.
	// Default GOMAXPROCS, at least 2: queries are CPU-bound, and running
	// more than one per core only makes them take turns. (Measured at 50
	// visitors on 2 cores: p99 20 ms with 2 slots, 28 ms with 4, at a
	// higher throughput; see docs/performance.md.)
	MaxConcurrent int
	// QueueWait is how long a query waits for a free slot before
	// ErrSaturated. Default 1s: long enough for a class pressing Run in
	// the same second to be served in turn, unless its queries need more
	// than a second of the slots: 300 students' first GROUP BY over the
	// flights need nearly that much, and with their sandboxes cloned while
	// they read (see Warm) a few of them at most are refused. For a few
	// seconds after such a refusal, queries wait less (see takeSlot).
	QueueWait time.Duration
	// QueryTimeout is the wall-clock budget of one Run (all its statements)
	// or one With callback. Default 2s.
	QueryTimeout time.Duration
	// HeapLimit is SQLite's process-wide hard heap limit in bytes. It is
	// process-wide: the last Manager created sets it. Idle sandboxes are
	// dropped once the heap passes seven eighths of it. Default
	// DefaultHeapLimit; HeapLimitFor sizes it to a machine; negative
	// leaves the limit alone.
	HeapLimit int64
	// CreationsPerMinute is how many sandboxes visitors from one address
	// (see Client) may create per minute once the burst is spent. A whole
	// class often shares one address, so the default is generous: 300;
	// negative means no limit.
	CreationsPerMinute int
	// CreationBurst is how many sandboxes visitors from one address may
	// create at once: a class of 300 arriving in the same minute, twice
	// over. Default 600. The LRU cap still bounds the total.
	CreationBurst int
	// NewVisitorCreationsPerMinute is how many of those may be for visitor
	// ids made in the same request (Client.NewVisitor): what a script that
	// drops its cookies looks like. Default 20; negative means no limit.
	NewVisitorCreationsPerMinute int
	// NewVisitorCreationBurst is how many such sandboxes one address may
	// create at once. Default 20.
	NewVisitorCreationBurst int
	// QueriesPerMinute is how many operations one visitor may start per
	// minute once the burst is spent, so one visitor firing queries as
	// fast as they can leaves the slots to the others. An operation
	// refused for want of a slot (ErrSaturated) gives its token back.
	// Default 120 (two a second); negative means no limit.
	QueriesPerMinute int
	// QueryBurst is how many operations one visitor may start at once.
	// Default 10.
	QueryBurst int
	// Spares is how many sandboxes are kept cloned in advance, once the
	// first new visitor has come, so the next ones do not wait for a clone.
	// Default 1 (each costs a sandbox's memory while idle); negative means
	// none.
	Spares int
	// Tracer records a span per statement. Default: a no-op tracer.
	Tracer trace.Tracer
	// Now is the clock for idle timeouts and rate limits. Default time.Now.
	Now func() time.Time

	// Template, when set, is the demo image to clone sandboxes from, as
	// another Manager's Image returned it; nil builds it when it is first
	// needed (see Manager.Prepare).
	Template []byte
}

func (o *Options) defaults() {
	if o.MaxSandboxes <= 0 {
		o.MaxSandboxes = 400
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 30 * time.Minute
	}
	if o.MaxConcurrent <= 0 {
		o.MaxConcurrent = max(runtime.GOMAXPROCS(0), 2)
	}
	if o.QueueWait <= 0 {
		o.QueueWait = time.Second
	}
	if o.QueryTimeout <= 0 {
		o.QueryTimeout = 2 * time.Second
	}
	if o.HeapLimit == 0 {
		o.HeapLimit = DefaultHeapLimit
	}
	if o.CreationsPerMinute == 0 {
		o.CreationsPerMinute = 300
	}
	if o.CreationBurst <= 0 {
		o.CreationBurst = 600
	}
	if o.NewVisitorCreationsPerMinute == 0 {
		o.NewVisitorCreationsPerMinute = 20
	}
	if o.NewVisitorCreationBurst <= 0 {
		o.NewVisitorCreationBurst = 20
	}
	if o.QueriesPerMinute == 0 {
		o.QueriesPerMinute = 120
	}
	if o.QueryBurst <= 0 {
		o.QueryBurst = 10
	}
	if o.Spares == 0 {
		o.Spares = 1
	}
	if o.Tracer == nil {
		o.Tracer = noop.NewTracerProvider().Tracer("")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Manager owns the template image and every visitor's sandbox.
type Manager struct {
	opts Options
	// template, clone, buildTime and buildErr are written once, before
	// ready is closed; read them only after <-ready (see Image).
	template  []byte // shared by every sandbox, never written (see cow.go)
	buildTime time.Duration
	buildErr  error
	ready     chan struct{}
	// build starts building the template, once: when something first
	// needs it (see Prepare), or never. Close runs it too, so ready is
	// closed either way.
	build     sync.Once
	buildCtx  context.Context
	stopBuild context.CancelFunc
	heapLimit int64 // enforced limit, 0 when SQLite cannot enforce one
	memory    memProbe
	slots     *gate
	// overloaded is until when (Unix nanoseconds, opts.Now) new
	// operations wait at most overloadWait for a slot (see takeSlot).
	overloaded atomic.Int64

	mu      sync.Mutex
	closed  bool
	boxes   map[string]*box
	lru     *list.List // of *box, most recently used first
	evicted *idSet
	// buckets limits creations per address, newcomers those for new
	// visitor ids per address; queries is each visitor's own rate.
	buckets   *limiter
	newcomers *limiter
	queries   rate

	stats struct {
		created, evictedIdle, evictedLRU, evictedMemory atomic.Uint64
		busy, saturated, rateLimited, tooFast           atomic.Uint64
		heavy, long, crowded                            atomic.Uint64
	}

	spare      chan *box     // sandboxes cloned in advance, owned by nobody
	refillKick chan struct{} // asks the refill goroutine to top up
	refillDone chan struct{}

	warmQ    chan string        // visitors whose sandbox to clone in advance (see warm.go)
	warm     map[string]warmBox // sandboxes set aside for them; guarded by mu
	warmDone chan struct{}

	closers sync.WaitGroup // closes of evicted sandboxes, waited for by Close
	closing atomic.Int64   // bytes evicted sandboxes not closed yet will free

	stop chan struct{}
	done chan struct{}
}

// New makes a Manager and starts the janitor that drops idle sandboxes and
// the goroutine that keeps spare sandboxes ready; the demo template image
// is built when it is first needed (see Prepare). Call it
// before anything else in the process opens an SQLite database, or the heap
// limit cannot be enforced (see Stats.HeapLimit).
func New(opts Options) (*Manager, error) {
	opts.defaults()
	m := &Manager{
		opts:       opts,
		slots:      newGate(opts.MaxConcurrent),
		boxes:      make(map[string]*box),
		lru:        list.New(),
		evicted:    newIDSet(max(4*opts.MaxSandboxes, 1024)),
		buckets:    newLimiter(opts.CreationsPerMinute, opts.CreationBurst),
		newcomers:  newLimiter(opts.NewVisitorCreationsPerMinute, opts.NewVisitorCreationBurst),
		queries:    rate{perMinute: float64(opts.QueriesPerMinute), burst: float64(opts.QueryBurst)},
		spare:      make(chan *box, max(opts.Spares, 0)),
		refillKick: make(chan struct{}, 1),
		refillDone: make(chan struct{}),
		warmQ:      make(chan string, warmQueue),
		warm:       make(map[string]warmBox),
		warmDone:   make(chan struct{}),
		stop:       make(chan struct{}),
		done:       make(chan struct{}),
		ready:      make(chan struct{}),
	}
	if configureSQLite(opts.HeapLimit) {
		m.heapLimit = opts.HeapLimit
	}
	m.buildCtx, m.stopBuild = context.WithCancel(context.Background())
	if opts.Template != nil {
		m.build.Do(func() {
			m.template = opts.Template
			close(m.ready)
		})
	}
	go m.janitor()
	go m.refill()
	go m.warmer()
	return m, nil
}

// janitor drops idle sandboxes until Close.
func (m *Manager) janitor() {
	defer close(m.done)
	every := min(max(m.opts.IdleTimeout/4, time.Second), time.Minute)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
			m.sweep()
		}
	}
}

// Close stops the janitor and closes every sandbox, waiting for running
// queries to finish. Later calls return ErrClosed.
func (m *Manager) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return ErrClosed
	}
	m.closed = true
	all := make([]*box, 0, len(m.boxes))
	for _, b := range m.boxes {
		all = append(all, b)
	}
	clear(m.boxes)
	m.lru.Init()
	m.mu.Unlock()
	close(m.stop)
	m.build.Do(func() {
		m.buildErr = ErrClosed
		close(m.ready)
	})
	m.stopBuild()
	<-m.ready
	<-m.done
	<-m.refillDone
	<-m.warmDone
	m.closers.Wait()
	defer m.memory.close()
	errs := append([]error{m.closeSpares()}, m.closeWarm()...)
	for _, b := range all {
		b.mu.Lock()
		b.dead.Store(true)
		if err := b.close(); err != nil {
			errs = append(errs, err)
		}
		b.mu.Unlock()
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sandbox: closing sandboxes: %w", err)
	}
	return nil
}

// Prepare starts building the template in the background, unless that has
// started, without waiting for it. Image and Ready call it too.
//
// The template is built when a visitor arrives (the web server calls
// Prepare on their first page) or a sandbox is first needed, not when the
// Manager is made: seeding takes a few hundred milliseconds and leaves
// about 11 MiB more resident, which a server nobody has visited yet does
// not need.
func (m *Manager) Prepare() {
	m.build.Do(func() {
		go func() {
			defer close(m.ready)
			start := time.Now()
			m.template, m.buildErr = buildTemplate(m.buildCtx)
			m.buildTime = time.Since(start)
		}()
	})
}

// Built is closed once the template is built (or failed to build, or the
// Manager closed); unlike Image and Ready it does not start the build.
func (m *Manager) Built() <-chan struct{} { return m.ready }

// Image builds the demo image every sandbox is cloned from, unless it is
// built or being built, waits for it and returns it.
func (m *Manager) Image(ctx context.Context) ([]byte, error) {
	m.Prepare()
	select {
	case <-m.ready:
		return m.template, m.buildErr
	case <-ctx.Done():
		return nil, fmt.Errorf("sandbox: waiting for the demo data: %w", ctx.Err())
	}
}

// templateLen is the size of the demo image, or 0 while it is being built.
func (m *Manager) templateLen() int {
	select {
	case <-m.ready:
		return len(m.template)
	default:
		return 0
	}
}

// Ready builds the demo data every sandbox is cloned from, unless it is
// built or being built, waits for it, and reports whether building it
// failed.
func (m *Manager) Ready(ctx context.Context) error {
	_, err := m.Image(ctx)
	return err
}

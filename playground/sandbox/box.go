package sandbox

import (
	"container/list"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// box is one visitor's sandbox: its own *sql.DB with one pinned connection.
type box struct {
	id   string
	elem *list.Element // in Manager.lru; guarded by Manager.mu

	// lastUsed, uses and ops are guarded by Manager.mu.
	lastUsed time.Time
	uses     int    // operations finished on this sandbox
	ops      bucket // the visitor's query rate (Options.QueriesPerMinute)

	// mu is held for the whole of every operation on the sandbox; a second
	// caller that cannot take it gets ErrBusy.
	mu sync.Mutex
	// dead is set once the box left the Manager; a caller that raced with
	// the eviction looks the visitor up again.
	dead atomic.Bool

	// The fields below are guarded by mu.
	db       *sql.DB
	conn     *sql.Conn
	stmts    *stmtCache
	deny     *denial
	file     *cowFile // the database's file, for its size
	total    int64    // total_changes() of conn, for rows-affected counts
	recycled bool     // it replaces an evicted sandbox and nobody was told yet
	held     usage    // slot time of the visitor's operations that ran out of time, lately
	freeing  int64    // once evicted: what closing it will give back (see Manager.closing)
}

// open makes a fresh private database of the template (see cow.go) and
// applies the guards. The box must be locked and closed.
func (b *box) open(ctx context.Context, template []byte) (err error) {
	dsn, file, err := cowDSN(template)
	if err != nil {
		return err
	}
	defer forgetCow(file) // in case the file was never opened
	// SQLite's defensive mode (SQLITE_DBCONFIG_DEFENSIVE): no
	// writable_schema, no journal_mode=OFF, no direct writes to shadow
	// tables.
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return fmt.Errorf("sandbox: opening database: %w", err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	defer func() {
		if err != nil {
			db.Close()
		}
	}()
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("sandbox: opening connection: %w", err)
	}
	deny := &denial{}
	// Temporary files are the VFS's memory, not the disk (see cow.go): a
	// TEMP table's pages then cost their size, not twice it as in the page
	// cache, and SQLite sorts in one growing buffer instead of allocating
	// every row on its own (a GROUP BY takes a sixth less time). The
	// rollback journal stays in SQLite's heap, beside the page cache.
	if err := guard(ctx, conn, deny, "FILE", "PRAGMA journal_mode = MEMORY"); err != nil {
		conn.Close()
		return err
	}
	b.db, b.conn, b.stmts, b.deny, b.file, b.total = db, conn, newStmtCache(conn), deny, file, 0
	return nil
}

// take moves the open sandbox of s, cloned in advance, into b, which must
// be locked and closed.
func (b *box) take(s *box) {
	b.db, b.conn, b.stmts, b.deny, b.file, b.total = s.db, s.conn, s.stmts, s.deny, s.file, 0
}

// boxOverhead is what a sandbox costs SQLite's heap besides the pages it
// changed: its connection, schema, statements and page cache (measured:
// 104 KiB fresh, 159 KiB after a GROUP BY over the bookings).
const boxOverhead = 160 << 10

// cost estimates the memory closing b gives back; the box must be
// locked.
func (b *box) cost() int64 {
	if b.db == nil {
		return 0
	}
	return boxOverhead + b.file.privateBytes()
}

// close releases the database; the box must be locked.
func (b *box) close() error {
	if b.db == nil {
		return nil
	}
	err := errors.Join(b.stmts.close(), b.conn.Close(), b.db.Close())
	b.db, b.conn, b.stmts, b.deny, b.file = nil, nil, nil, nil, nil
	return err
}

// lease is a sandbox held exclusively by one operation, together with one
// of the global slots while it runs SQL.
type lease struct {
	m        *Manager
	b        *box
	recycled bool // the sandbox replaces one that was evicted
	created  bool // the sandbox was created by this acquire
	heavy    bool // the visitor counted as heavy when it was admitted

	// mu guards what the operation and its watch (see lane.go) share.
	mu      sync.Mutex
	slot    bool      // the lease holds a global slot, or a place in the long lane, now
	long    bool      // that place is in the long lane
	since   time.Time // when it took the slot it holds
	stop    context.CancelCauseFunc
	watch   *time.Timer
	crowded bool // the watch stopped the operation (ErrCrowded)
	early   bool // the watch's next look is its early one (see lane.go)
	trusted bool // the operation runs the app's own statements (see lease.begin)
}

// acquire returns visitor's sandbox, locked and created if needed, and a
// global slot. It fails fast with ErrBusy when the visitor already has an
// operation running, and with ErrSaturated when no slot frees up within
// QueueWait.
func (m *Manager) acquire(ctx context.Context, visitor string) (*lease, error) {
	if visitor == "" {
		return nil, fmt.Errorf("%w: no visitor id", ErrInvalidInput)
	}
	// Wait for the demo data before taking a slot, so visitors arriving
	// while it is built do not hold slots others need.
	if _, err := m.Image(ctx); err != nil {
		return nil, err
	}
	for {
		b, victims, err := m.lookup(visitor)
		m.closeLater(victims)
		if err != nil {
			return nil, err
		}
		if !b.mu.TryLock() {
			if b.dead.Load() {
				continue
			}
			m.stats.busy.Add(1)
			return nil, ErrBusy
		}
		if b.dead.Load() {
			b.mu.Unlock()
			continue
		}
		now := m.opts.Now()
		heavy := b.held.heavy(now)
		priority := newOp
		switch {
		case heavy && b.held.runaway(now):
			priority = runawayOp
		case heavy:
			priority = heavyOp
		}
		if err := m.takeSlot(ctx, priority); err != nil {
			switch {
			case priority == runawayOp && errors.Is(err, ErrSaturated):
				// A runaway still knocking while the long lane is full
				// stays heavy (see usage.go).
				b.held.add(m.opts.Now(), heavyTimeout)
			case errors.Is(err, ErrSaturated):
				// The visitor's budget is for the slots they use: an
				// operation the busy server refused used none. (A demo
				// whose steps were refused this way used to leave its
				// visitor's next query refused as too fast.)
				m.mu.Lock()
				b.ops.give(m.queries)
				m.mu.Unlock()
			}
			m.discardUnopened(b)
			b.mu.Unlock()
			return nil, err
		}
		created := b.db == nil
		if created {
			if err := m.create(ctx, b); err != nil {
				if heavy {
					m.slots.leaveLongLane()
				} else {
					m.releaseSlot()
				}
				m.discardUnopened(b)
				b.mu.Unlock()
				return nil, err
			}
		}
		l := &lease{m: m, b: b, recycled: b.recycled, created: created, slot: true, long: heavy, since: m.opts.Now(), heavy: heavy}
		b.recycled = false
		return l, nil
	}
}

// release gives the slot and the sandbox back. Since the operation may
// have grown the sandbox, it also drops idle sandboxes if SQLite's heap
// nears its limit.
func (l *lease) release() {
	l.pause()
	l.m.mu.Lock()
	l.b.lastUsed = l.m.opts.Now()
	l.b.uses++
	victims := l.m.makeRoom(l.b)
	l.m.mu.Unlock()
	l.b.mu.Unlock()
	l.m.closeLater(victims)
}

// pause gives the lease's global slot back while it waits for something
// other than SQLite (a deliberate pause, a lock another connection holds).
func (l *lease) pause() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.watch != nil {
		l.watch.Stop()
	}
	if !l.slot {
		return
	}
	now := l.m.opts.Now()
	switch d := now.Sub(l.since); {
	case l.crowded:
		// Stopped to make way while the server was crowded: it counts
		// twice its budget, enough to make the visitor heavy at once (for
		// about 12 s, if nothing else counts): a visitor whose statements
		// run long then waits for the long lane instead of holding slots.
		l.b.held.add(now, 2*l.budget())
		l.crowded = false
	case l.ranOut(d):
		l.b.held.ranInto(now, d)
	}
	switch {
	case l.long && l.heavy:
		// A heavy visitor's place in the lane rests as long as it ran
		// before the next heavy one gets it: however many heavy visitors
		// queue, they keep at most half a core busy.
		time.AfterFunc(now.Sub(l.since), l.m.slots.leaveLongLane)
		l.long = false
	case l.long:
		l.m.slots.leaveLongLane()
		l.long = false
	default:
		l.m.releaseSlot()
	}
	l.slot = false
}

// resume takes a global slot again after pause, waiting as long as ctx
// allows: the operation was admitted already.
func (l *lease) resume(ctx context.Context) error {
	l.mu.Lock()
	held := l.slot
	l.mu.Unlock()
	if held {
		return nil
	}
	if err := l.m.waitSlot(ctx); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.slot, l.since = true, l.m.opts.Now()
	l.arm()
	return nil
}

// takeSlot takes a global slot for a new operation, or for a heavy
// visitor's (priority heavyOp or runawayOp) a place in the long lane,
// waiting at most QueueWait. Waiters are served in the order they came
// (see gate).
func (m *Manager) takeSlot(ctx context.Context, priority int) error {
	if laneOnly(priority) {
		m.stats.heavy.Add(1)
	}
	if m.slots.tryAcquire(priority) {
		return nil
	}
	wait := m.opts.QueueWait
	if !laneOnly(priority) {
		wait = m.slotWait()
	}
	ctx, cancel := context.WithTimeoutCause(ctx, wait, ErrSaturated)
	defer cancel()
	err := m.slots.acquire(ctx, priority)
	if err == nil {
		return nil
	}
	if errors.Is(context.Cause(ctx), ErrSaturated) {
		if !laneOnly(priority) {
			m.overloaded.Store(m.opts.Now().Add(overloadHold * m.opts.QueueWait).UnixNano())
		}
		m.stats.saturated.Add(1)
		return &LimitError{Err: ErrSaturated, RetryAfter: saturatedRetry}
	}
	return fmt.Errorf("sandbox: waiting for a free slot: %w", err)
}

// Overload. A class pressing Run in the same second makes a queue that
// the slots clear within QueueWait, or nearly. When refusals keep coming
// for longer than that, more work arrives than the slots get through, and
// waiting only makes every answer late: each waits about QueueWait, and
// about as many are refused as without the wait. So for overloadHold
// times QueueWait after an operation was refused for want of a slot, a
// new one waits at most overloadWait: those served are served soon, and
// the rest are refused (503, Retry-After) at once instead of after a
// second. Refusals in that time renew it, so it lasts as long as the
// overload; a burst's last refusals end it three seconds later, before a
// class is asked to press Run again. (One QueueWait was too short: with
// the class waiting for its answers the refusals pause now and then, and
// each pause let the queue fill to a second's wait again.) Heavy
// visitors' refusals, for want of a place in the long lane, say nothing
// about the slots and do not count.
const (
	overloadWait = 100 * time.Millisecond
	overloadHold = 3
)

// slotWait is how long a new operation waits for a slot now: QueueWait,
// or overloadWait for overloadHold QueueWaits after a refusal.
func (m *Manager) slotWait() time.Duration {
	if m.opts.Now().UnixNano() < m.overloaded.Load() {
		return min(m.opts.QueueWait, overloadWait)
	}
	return m.opts.QueueWait
}

// saturatedRetry is how long a visitor refused for want of a slot is asked
// to wait: by then the queue it saw has been served.
const saturatedRetry = 2 * time.Second

// waitSlot takes a global slot for an operation already under way, ahead
// of new operations, waiting as long as ctx allows.
func (m *Manager) waitSlot(ctx context.Context) error {
	if err := m.slots.acquire(ctx, underWay); err != nil {
		return fmt.Errorf("sandbox: waiting for a free slot: %w", err)
	}
	return nil
}

// releaseSlot gives back a slot taken with takeSlot or waitSlot.
func (m *Manager) releaseSlot() { m.slots.release() }

// create opens the sandbox of a new box, within the client's creation
// budget, then makes room for it among the others.
func (m *Manager) create(ctx context.Context, b *box) error {
	if err := m.admit(clientFrom(ctx)); err != nil {
		return err
	}
	ctx, span := m.opts.Tracer.Start(ctx, "sandbox create", trace.WithSpanKind(trace.SpanKindInternal),
		trace.WithAttributes(attribute.Int("sandbox.template_bytes", m.templateLen()),
			attribute.Bool("sandbox.recycled", b.recycled)))
	defer span.End()
	spare, err := m.openBox(ctx, b)
	span.SetAttributes(attribute.Bool("sandbox.spare", spare))
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
		return err
	}
	m.stats.created.Add(1)
	m.mu.Lock()
	victims := m.makeRoom(b)
	m.mu.Unlock()
	m.closeLater(victims)
	return nil
}

// admit takes a token for a new sandbox from the client's address and, for
// a visitor id made in this very request, from the stricter budget of new
// visitors; it takes neither if either is empty.
func (m *Manager) admit(c Client) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.opts.Now()
	wait := m.buckets.wait(c.Addr, now)
	if c.NewVisitor {
		wait = max(wait, m.newcomers.wait(c.Addr, now))
	}
	if wait > 0 {
		m.stats.rateLimited.Add(1)
		return &LimitError{Err: ErrRateLimited, RetryAfter: wait}
	}
	m.buckets.take(c.Addr)
	if c.NewVisitor {
		m.newcomers.take(c.Addr)
	}
	return nil
}

// discardUnopened removes a box whose sandbox was never created, so failed
// attempts (rate limited, saturated) leave nothing behind.
func (m *Manager) discardUnopened(b *box) {
	if b.db != nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.boxes[b.id] == b {
		m.remove(b)
		if b.recycled {
			m.evicted.add(b.id)
		}
	}
}

// serialize returns the bytes of conn's main database, as a .sqlite file
// holds them.
func serialize(conn *sql.Conn) (image []byte, err error) {
	err = conn.Raw(func(dc any) error {
		s, ok := dc.(interface{ Serialize() ([]byte, error) })
		if !ok {
			return fmt.Errorf("driver connection %T cannot serialize", dc)
		}
		image, err = s.Serialize()
		return err
	})
	return image, err
}

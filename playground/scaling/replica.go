package scaling

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
)

// ReplicaOptions configures a primary and its replica.
type ReplicaOptions struct {
	Options
	// Lag is how long after a write commits on the primary the replica
	// applies it. Zero means no lag beyond one tick.
	Lag time.Duration
	// Tick is how often the replication loop ships the log. Default 5ms.
	Tick time.Duration
}

// logEntry is one write in the primary's log, as the replica applies it.
type logEntry struct {
	query     string
	args      []any
	committed time.Time
	applied   time.Time // zero until the replica has it
}

// ReplicaSet is a primary database and a read replica. A loop ships the
// primary's log of writes to the replica every Tick and applies each
// write once it is Lag old, in order: the replica is the primary as it
// was a moment ago.
type ReplicaSet struct {
	opts             ReplicaOptions
	primary, replica *node

	mu      sync.Mutex
	log     []logEntry
	applied int           // entries the replica has applied
	moved   chan struct{} // closed and replaced when applied grows

	stop chan struct{}
	done chan struct{}
}

// StartReplica copies members to a new primary and replica and starts
// the replication loop. Close stops it.
func StartReplica(ctx context.Context, members []Member, opts ReplicaOptions) (*ReplicaSet, error) {
	opts.defaults()
	if opts.Tick <= 0 {
		opts.Tick = 5 * time.Millisecond
	}
	p, err := openNode(ctx, Primary, opts.Tracer, members)
	if err != nil {
		return nil, err
	}
	r, err := openNode(ctx, Replica, opts.Tracer, members)
	if err != nil {
		p.close()
		return nil, err
	}
	rs := &ReplicaSet{opts: opts, primary: p, replica: r, moved: make(chan struct{}),
		stop: make(chan struct{}), done: make(chan struct{})}
	go rs.loop()
	return rs, nil
}

// Close stops the replication loop and closes both databases.
func (rs *ReplicaSet) Close() error {
	close(rs.stop)
	<-rs.done
	return errors.Join(rs.primary.close(), rs.replica.close())
}

// loop ships and applies the log until Close.
func (rs *ReplicaSet) loop() {
	defer close(rs.done)
	t := time.NewTicker(rs.opts.Tick)
	defer t.Stop()
	for {
		select {
		case <-rs.stop:
			return
		case <-t.C:
			rs.ship()
		}
	}
}

// ship applies every entry that is at least Lag old, in order.
func (rs *ReplicaSet) ship() {
	for {
		rs.mu.Lock()
		if rs.applied == len(rs.log) || rs.opts.Now().Sub(rs.log[rs.applied].committed) < rs.opts.Lag {
			rs.mu.Unlock()
			return
		}
		e := rs.log[rs.applied]
		rs.mu.Unlock()
		// A write the primary accepted applies on the replica too; should
		// it fail, the replica stops here, as a real one would.
		if _, err := rs.replica.db.ExecContext(context.Background(), e.query, e.args...); err != nil {
			return
		}
		rs.mu.Lock()
		rs.log[rs.applied].applied = rs.opts.Now()
		rs.applied++
		close(rs.moved)
		rs.moved = make(chan struct{})
		rs.mu.Unlock()
	}
}

// Write runs a write on the primary and appends it to the log. It
// returns the log position the write is at: the replica has it once its
// own position reaches that.
func (rs *ReplicaSet) Write(ctx context.Context, query string, args ...any) (Statement, int, error) {
	rs.mu.Lock()
	defer rs.mu.Unlock() // the log keeps the primary's order
	st, err := rs.primary.exec(ctx, rs.primary.db, query, args...)
	if err != nil {
		return st, 0, err
	}
	rs.log = append(rs.log, logEntry{query: query, args: args, committed: rs.opts.Now()})
	return st, len(rs.log), nil
}

// Member reads one member from the primary or the replica.
func (rs *ReplicaSet) Member(ctx context.Context, from string, id int64) (Member, Statement, error) {
	n := rs.primary
	if from == Replica {
		n = rs.replica
	}
	ms, st, err := n.members(ctx, "SELECT id, name, tier, miles FROM members WHERE id = ?", id)
	if err != nil {
		return Member{}, st, err
	}
	if len(ms) == 0 {
		return Member{}, st, fmt.Errorf("scaling: no member %d on the %s", id, n.name)
	}
	return ms[0], st, nil
}

// Positions returns the primary's log position and the replica's.
func (rs *ReplicaSet) Positions() (primary, replica int) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return len(rs.log), rs.applied
}

// AppliedAfter is how long after its commit the write at pos reached the
// replica; false while it has not.
func (rs *ReplicaSet) AppliedAfter(pos int) (time.Duration, bool) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if pos < 1 || pos > rs.applied {
		return 0, false
	}
	e := rs.log[pos-1]
	return e.applied.Sub(e.committed), true
}

// WaitFor waits until the replica has applied the write at pos, as long
// as ctx allows, and returns how long it waited.
func (rs *ReplicaSet) WaitFor(ctx context.Context, pos int) (time.Duration, error) {
	ctx, span := step(ctx, rs.opts.Tracer, fmt.Sprintf("wait for the replica to reach position %d", pos),
		attribute.Int("engineroom.replica.position", pos))
	defer span.End()
	start := rs.opts.Now()
	for {
		rs.mu.Lock()
		at, moved := rs.applied, rs.moved
		rs.mu.Unlock()
		if at >= pos {
			waited := rs.opts.Now().Sub(start)
			span.SetAttributes(attribute.Int64("engineroom.replica.waited_ms", waited.Milliseconds()))
			return waited, nil
		}
		select {
		case <-moved:
		case <-ctx.Done():
			return rs.opts.Now().Sub(start), fmt.Errorf("scaling: waiting for the replica: %w", ctx.Err())
		}
	}
}

package rooms

import (
	"bytes"
	"context"
	"sync"
	"time"
)

// record is what a store keeps of a room. seq counts the room's publishes,
// so that of two copies of a state that arrive by different ways (the
// publish's message, a read of the record) the older never replaces the
// newer.
type record struct {
	token [32]byte
	seq   uint64
	state []byte // the latest State as JSON; nil before the first
}

// newer reports whether seq and state should replace what a room shows
// at cur and curState: a later publish, or the same count with another
// state (two publishes that raced; the store holds one of them).
func newer(seq uint64, state []byte, cur uint64, curState []byte) bool {
	return state != nil && (seq > cur || seq == cur && !bytes.Equal(state, curState))
}

// store keeps the rooms' records and carries publishes to the other
// instances. Its methods return ErrNotFound for a room that does not
// exist or expired, and wrap ErrUnavailable around a failure to reach it.
type store interface {
	// add stores a new room's record unless the code is taken; it
	// reports whether it stored it.
	add(ctx context.Context, code string, rec record) (bool, error)
	// load returns a room's record; touch also restarts its idle time.
	load(ctx context.Context, code string, touch bool) (record, error)
	// save replaces a room's record, restarting its idle time, and sends
	// the new state to the followers on other instances.
	save(ctx context.Context, code string, rec record) error
	// watch and unwatch count this instance's followers of a room: while
	// it has some, publishes made elsewhere reach the Hub.
	watch(ctx context.Context, code string) error
	unwatch(code string)
	// close stops the store's background work.
	close()
}

// memStore keeps the records in this process's memory: one instance, the
// default.
type memStore struct {
	ttl time.Duration
	now func() time.Time

	mu   sync.Mutex
	recs map[string]*memRecord
}

type memRecord struct {
	record
	used time.Time
}

func newMemStore(ttl time.Duration, now func() time.Time) *memStore {
	return &memStore{ttl: ttl, now: now, recs: make(map[string]*memRecord)}
}

func (m *memStore) add(_ context.Context, code string, rec record) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	for c, r := range m.recs {
		if now.Sub(r.used) >= m.ttl {
			delete(m.recs, c)
		}
	}
	if _, taken := m.recs[code]; taken {
		return false, nil
	}
	m.recs[code] = &memRecord{record: rec, used: now}
	return true, nil
}

func (m *memStore) load(_ context.Context, code string, touch bool) (record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.lookup(code)
	if r == nil {
		return record{}, ErrNotFound
	}
	if touch {
		r.used = m.now()
	}
	return r.record, nil
}

// save needs to send nothing: every follower is the Hub's own.
func (m *memStore) save(_ context.Context, code string, rec record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.lookup(code)
	if r == nil {
		return ErrNotFound
	}
	r.record, r.used = rec, m.now()
	return nil
}

// lookup returns the live record of code, dropping it if it expired. The
// caller holds the lock.
func (m *memStore) lookup(code string) *memRecord {
	r := m.recs[code]
	if r != nil && m.now().Sub(r.used) >= m.ttl {
		delete(m.recs, code)
		return nil
	}
	return r
}

func (m *memStore) watch(context.Context, string) error { return nil }
func (m *memStore) unwatch(string)                      {}
func (m *memStore) close()                              {}

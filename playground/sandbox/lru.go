package sandbox

import (
	"slices"
	"time"
)

// lookup returns visitor's box, adding an unopened one if there is none, and
// marks it most recently used. It also collects idle boxes to drop, which
// the caller closes once the Manager lock is released.
func (m *Manager) lookup(visitor string) (*box, []*box, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, nil, ErrClosed
	}
	now := m.opts.Now()
	victims := m.idle(now)
	b, ok := m.boxes[visitor]
	if !ok {
		b = &box{id: visitor, recycled: m.evicted.remove(visitor)}
		b.elem = m.lru.PushFront(b)
		m.boxes[visitor] = b
	} else {
		m.lru.MoveToFront(b.elem)
	}
	b.lastUsed = now
	if wait := b.ops.wait(m.queries, now); wait > 0 {
		m.stats.tooFast.Add(1)
		return nil, victims, &LimitError{Err: ErrTooFast, RetryAfter: wait}
	}
	b.ops.take(m.queries)
	return b, victims, nil
}

// sweep drops the sandboxes that have been idle for IdleTimeout and forgets
// idle rate-limit buckets.
func (m *Manager) sweep() {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	now := m.opts.Now()
	victims := append(m.idle(now), m.dropWarm(0, now.Add(-warmFor))...)
	m.buckets.forget(now)
	m.mu.Unlock()
	m.closeBoxes(victims)
}

// idle takes the boxes unused for IdleTimeout out of the Manager. It is
// called with m.mu held; the returned boxes are locked and must be closed.
func (m *Manager) idle(now time.Time) []*box {
	var victims []*box
	for e := m.lru.Back(); e != nil; {
		b := e.Value.(*box)
		if now.Sub(b.lastUsed) < m.opts.IdleTimeout {
			break
		}
		prev := e.Prev()
		if b.mu.TryLock() {
			m.evict(b)
			victims = append(victims, b)
			m.stats.evictedIdle.Add(1)
		}
		e = prev
	}
	return victims
}

// makeRoom takes least recently used idle boxes out of the Manager while
// there are more than MaxSandboxes, or while SQLite's heap (less what the
// boxes still being closed will free) is above seven eighths of the heap
// limit; the rest is headroom for running queries. keep, which may be nil,
// is never chosen. It is called with m.mu held; the returned boxes are
// locked and must be closed.
//
// Sandboxes used only once go first, least recently used first, and only
// then those whose visitors came back: a script creating sandboxes it
// never uses again evicts its own before a student's (a segmented LRU).
func (m *Manager) makeRoom(keep *box) []*box {
	if m.closed {
		return nil
	}
	over := m.lru.Len() - m.opts.MaxSandboxes
	var memory int64 // bytes to free
	if excess, ok := m.heapExcess(); ok {
		memory = excess
	}
	// Sandboxes set aside for visitors who have not used them go first.
	victims := m.dropWarm(memory, time.Time{})
	for _, b := range victims {
		memory -= b.freeing
	}
	for _, returning := range []bool{false, true} {
		for e := m.lru.Back(); e != nil && (over > 0 || memory > 0); {
			b := e.Value.(*box)
			prev := e.Prev()
			if b != keep && (returning || b.uses < 2) && b.mu.TryLock() {
				m.evict(b)
				victims = append(victims, b)
				if over > 0 {
					over--
					m.stats.evictedLRU.Add(1)
				} else {
					m.stats.evictedMemory.Add(1)
				}
				memory -= b.freeing
			}
			e = prev
		}
	}
	return victims
}

// heapExcess is how far SQLite's heap, less what the sandboxes being
// closed will free, is above seven eighths of its limit (negative when
// below). ok is false when no limit is enforced. Called with m.mu held.
func (m *Manager) heapExcess() (excess int64, ok bool) {
	if m.heapLimit <= 0 {
		return 0, false
	}
	used := m.memory.used() - m.closing.Load()
	return used - m.heapLimit*7/8, true
}

// dropping counts b, locked and out of the Manager, as being closed: Close
// waits for it, and what it frees is counted as free already. Called with
// m.mu held.
func (m *Manager) dropping(b *box) {
	m.closers.Add(1)
	b.freeing = b.cost()
	m.closing.Add(b.freeing)
}

// evict takes a locked box out of the Manager and remembers its visitor, so
// their next request is told the sandbox was recycled. Boxes that were never
// opened are simply forgotten. The box must then be passed to closeBoxes,
// which Close waits for. Called with m.mu held.
func (m *Manager) evict(b *box) {
	m.dropping(b)
	m.remove(b)
	if b.db != nil || b.recycled {
		m.evicted.add(b.id)
	}
}

// remove takes b out of the map and the LRU list. Called with m.mu held.
func (m *Manager) remove(b *box) {
	b.dead.Store(true)
	delete(m.boxes, b.id)
	m.lru.Remove(b.elem)
}

// closeLater closes evicted boxes in the background: freeing a sandbox's
// memory takes a while, and the caller is serving a request.
func (m *Manager) closeLater(boxes []*box) {
	if len(boxes) == 0 {
		return
	}
	go m.closeBoxes(boxes)
}

// closeBoxes closes evicted boxes and unlocks them.
func (m *Manager) closeBoxes(boxes []*box) {
	for _, b := range boxes {
		// An evicted sandbox is dropped; a failure to close it leaves
		// nothing for anyone to act on.
		_ = b.close()
		b.mu.Unlock()
		m.closing.Add(-b.freeing)
		m.closers.Done()
	}
}

// idSet is a bounded set of visitor ids whose sandboxes were evicted; the
// oldest entries are forgotten first.
type idSet struct {
	max   int
	ids   map[string]struct{}
	order []string
}

func newIDSet(max int) *idSet {
	return &idSet{max: max, ids: make(map[string]struct{})}
}

func (s *idSet) add(id string) {
	if _, ok := s.ids[id]; ok {
		return
	}
	for len(s.ids) >= s.max && len(s.order) > 0 {
		delete(s.ids, s.order[0])
		s.order = s.order[1:]
	}
	s.ids[id] = struct{}{}
	s.order = append(s.order, id)
	if len(s.order) > 2*s.max {
		s.compact()
	}
}

// compact drops the ids that were removed from order.
func (s *idSet) compact() {
	kept := make([]string, 0, len(s.ids))
	seen := make(map[string]bool, len(s.ids))
	for i := len(s.order) - 1; i >= 0; i-- {
		id := s.order[i]
		if _, ok := s.ids[id]; ok && !seen[id] {
			seen[id] = true
			kept = append(kept, id)
		}
	}
	slices.Reverse(kept)
	s.order = kept
}

// remove reports whether id was in the set and takes it out. Its slot in
// the order stays until it is aged out.
func (s *idSet) remove(id string) bool {
	_, ok := s.ids[id]
	delete(s.ids, id)
	return ok
}

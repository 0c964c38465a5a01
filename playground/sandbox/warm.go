package sandbox

import (
	"context"
	"time"
)

// Sandboxes cloned while their visitor reads. A class opens the lesson the
// teacher named, reads it, and presses Run together. A first query that
// clones its visitor's sandbox does so while holding a query slot (about
// 0.3 ms, BenchmarkCreate), and 300 first GROUP BY queries in the same
// second need nearly QueueWait of the slots even without it: through the
// whole stack, 16–27 of the 300 were refused; with every sandbox cloned
// beforehand, 0–4 (BenchmarkClassPressesRun in web, see
// docs/performance.md). So a lesson page calls Warm, which clones the
// visitor's sandbox in the background and sets it aside for them; their
// first operation takes it instead of cloning.
//
// A sandbox set aside is not the visitor's yet. It becomes theirs when they
// first use it, and only then is it counted as created and admitted within
// the address's budget for new sandboxes. So a script that loads pages
// costs clones, never the tokens a class behind the same address needs.
// Those clones are bounded:
//   - at most warmPerSecond of them;
//   - only while SQLite's heap has room for one more sandbox below the line
//     where sandboxes are dropped, and the sandboxes and those set aside
//     number fewer than MaxSandboxes;
//   - one unused for warmFor is closed;
//   - when memory runs short, they go before any visitor's sandbox.
const (
	warmFor       = 10 * time.Minute
	warmPerSecond = 100
	warmQueue     = 256
)

// warmBox is a sandbox set aside for a visitor, and when it was cloned.
type warmBox struct {
	b  *box
	at time.Time
}

// Warm asks for visitor's sandbox to be cloned in the background, unless
// they have one or one is set aside for them already. It never waits: when
// the queue is full, the visitor's first operation clones it as it would
// without Warm.
func (m *Manager) Warm(visitor string) {
	if visitor == "" {
		return
	}
	m.mu.Lock()
	wanted := m.warmWanted(visitor)
	m.mu.Unlock()
	if !wanted {
		return
	}
	select {
	case m.warmQ <- visitor:
	default:
	}
}

// warmWanted reports whether a sandbox may be set aside for visitor now.
// Called with m.mu held.
func (m *Manager) warmWanted(visitor string) bool {
	if m.closed {
		return false
	}
	if _, ok := m.boxes[visitor]; ok {
		return false
	}
	if _, ok := m.warm[visitor]; ok {
		return false
	}
	if len(m.boxes)+len(m.warm) >= m.opts.MaxSandboxes {
		return false
	}
	excess, ok := m.heapExcess()
	return !ok || excess+boxOverhead <= 0
}

// warmer clones the sandboxes Warm asked for, one at a time and at most
// warmPerSecond, until Close.
func (m *Manager) warmer() {
	defer close(m.warmDone)
	pace := time.NewTimer(0)
	defer pace.Stop()
	for {
		select {
		case <-m.stop:
			return
		case visitor := <-m.warmQ:
			if !m.warmOne(visitor) {
				continue
			}
			pace.Reset(time.Second / warmPerSecond)
			select {
			case <-m.stop:
				return
			case <-pace.C:
			}
		}
	}
}

// warmOne clones a sandbox for visitor and sets it aside, if it is still
// wanted once cloned. It reports whether it cloned one.
func (m *Manager) warmOne(visitor string) bool {
	image, err := m.Image(m.buildCtx)
	if err != nil {
		return false
	}
	m.mu.Lock()
	wanted := m.warmWanted(visitor)
	m.mu.Unlock()
	if !wanted {
		return false
	}
	b := &box{}
	if err := b.open(context.Background(), image); err != nil {
		// Out of memory, most likely: the visitor's first operation
		// clones it and reports the error.
		return true
	}
	m.mu.Lock()
	if !m.warmWanted(visitor) {
		m.mu.Unlock()
		_ = b.close()
		return true
	}
	m.warm[visitor] = warmBox{b: b, at: m.opts.Now()}
	m.mu.Unlock()
	return true
}

// takeWarm moves the sandbox set aside for b's visitor, if there is one,
// into b, which must be locked and unopened. It reports whether it did.
func (m *Manager) takeWarm(b *box) bool {
	m.mu.Lock()
	w, ok := m.warm[b.id]
	delete(m.warm, b.id)
	m.mu.Unlock()
	if !ok {
		return false
	}
	b.take(w.b)
	return true
}

// dropWarm takes sandboxes set aside out of the Manager, those cloned
// longest ago first, until closing them frees at least memory bytes, and
// every one cloned before cutoff. Called with m.mu held; the returned
// boxes are locked and must be passed to closeBoxes.
func (m *Manager) dropWarm(memory int64, cutoff time.Time) []*box {
	var victims []*box
	take := func(visitor string, w warmBox) {
		delete(m.warm, visitor)
		w.b.mu.Lock()
		m.dropping(w.b)
		memory -= w.b.freeing
		victims = append(victims, w.b)
	}
	for visitor, w := range m.warm {
		if w.at.Before(cutoff) {
			take(visitor, w)
		}
	}
	for memory > 0 && len(m.warm) > 0 {
		var oldest string
		var at time.Time
		for visitor, w := range m.warm {
			if at.IsZero() || w.at.Before(at) {
				oldest, at = visitor, w.at
			}
		}
		take(oldest, m.warm[oldest])
	}
	return victims
}

// closeWarm closes the sandboxes still set aside, once the warmer has
// stopped.
func (m *Manager) closeWarm() []error {
	m.mu.Lock()
	left := make([]*box, 0, len(m.warm))
	for _, w := range m.warm {
		left = append(left, w.b)
	}
	clear(m.warm)
	m.mu.Unlock()
	var errs []error
	for _, b := range left {
		errs = append(errs, b.close())
	}
	return errs
}

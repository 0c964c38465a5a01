package balancer

import (
	"container/list"
	"sync"
	"time"
)

// State is what a visitor made of an instance.
type State string

// The states an instance can be put in.
const (
	// Up answers every request quickly.
	Up State = "up"
	// Slow takes SlowLatency over every request but passes its health
	// checks: only the policy can steer load away from it.
	Slow State = "slow"
	// Down answers everything, health checks included, with 503.
	Down State = "down"
	// Crashed drops every connection without an answer, as a process
	// that died behind a listener would.
	Crashed State = "crashed"
)

// maxLog is how many health log entries a visitor keeps.
const maxLog = 60

// Check is one entry of a visitor's health log: an active health check,
// or a request that failed (passive).
type Check struct {
	At       time.Time
	Instance string
	Passive  bool
	OK       bool
	// Result is what came back: "200", "503", or the error.
	Result string
	// Change is "taken out", "back in", or "".
	Change string
	// Fails and Passes are the counts in a row after this entry.
	Fails, Passes int
}

// visitor is one visitor's view of the web tier. Its mutex guards every
// field.
type visitor struct {
	id string

	mu       sync.Mutex
	states   []State
	out      []bool // taken out of rotation
	fails    []int
	passes   []int
	inflight []int
	served   []int
	rr       int
	log      []Check
	shared   bool // sessions in the shared store
	lastUsed time.Time
	checking bool // a health checker runs
	gone     bool // dropped from the visitors; its checker stops
}

// visitors keeps at most max visitors, the least recently used dropped
// first.
type visitors struct {
	max, n int
	mu     sync.Mutex
	lru    *list.List // of *visitor, most recent first
	m      map[string]*list.Element
}

func newVisitors(maxVisitors, n int) *visitors {
	return &visitors{max: maxVisitors, n: n, lru: list.New(), m: make(map[string]*list.Element)}
}

// get returns the visitor id, made if need be, as the most recently used.
func (vs *visitors) get(id string) *visitor {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	if e, ok := vs.m[id]; ok {
		vs.lru.MoveToFront(e)
		return e.Value.(*visitor)
	}
	for vs.lru.Len() >= vs.max {
		oldest := vs.lru.Back()
		v := vs.lru.Remove(oldest).(*visitor)
		delete(vs.m, v.id)
		v.mu.Lock()
		v.gone = true
		v.mu.Unlock()
	}
	v := &visitor{id: id, states: make([]State, vs.n), out: make([]bool, vs.n), fails: make([]int, vs.n),
		passes: make([]int, vs.n), inflight: make([]int, vs.n), served: make([]int, vs.n)}
	for i := range v.states {
		v.states[i] = Up
	}
	vs.m[id] = vs.lru.PushFront(v)
	return v
}

// peek returns the visitor id or nil, leaving the order alone.
func (vs *visitors) peek(id string) *visitor {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	if e, ok := vs.m[id]; ok {
		return e.Value.(*visitor)
	}
	return nil
}

// state is what the visitor made of instance i; Up for an unknown visitor.
func (v *visitor) state(i int) State {
	if v == nil {
		return Up
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.states[i]
}

// healthy reports whether every instance is up and in rotation, so no
// health checks are needed.
func (v *visitor) healthy() bool {
	for i, s := range v.states {
		if s == Down || s == Crashed || v.out[i] {
			return false
		}
	}
	return true
}

// record notes a health check or a failed request of instance i and
// moves it in or out of rotation; v.mu must be held.
func (v *visitor) record(name string, i int, c Check, fall, rise int) Check {
	if c.OK {
		v.fails[i], v.passes[i] = 0, v.passes[i]+1
		if v.out[i] && v.passes[i] >= rise {
			v.out[i], c.Change = false, "back in"
		}
	} else {
		v.fails[i], v.passes[i] = v.fails[i]+1, 0
		if !v.out[i] && v.fails[i] >= fall {
			v.out[i], c.Change = true, "taken out"
		}
	}
	c.Instance, c.Fails, c.Passes = name, v.fails[i], v.passes[i]
	if len(v.log) == maxLog {
		copy(v.log, v.log[1:])
		v.log = v.log[:maxLog-1]
	}
	v.log = append(v.log, c)
	return c
}

// pick chooses an instance in rotation by policy, skipping exclude, and
// counts a request in flight on it. sticky is the instance the visitor's
// cookie names.
func (v *visitor) pick(p Policy, sticky, exclude int) (int, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	n := len(v.states)
	usable := func(i int) bool { return i >= 0 && i < n && i != exclude && !v.out[i] }
	chosen := -1
	switch {
	case p == Sticky && usable(sticky):
		chosen = sticky
	case p == LeastConnections:
		// Fewest in flight; ties go round-robin, so an idle tier still
		// spreads its load.
		for k := range n {
			i := (v.rr + k) % n
			if usable(i) && (chosen < 0 || v.inflight[i] < v.inflight[chosen]) {
				chosen = i
			}
		}
		if chosen >= 0 {
			v.rr = (chosen + 1) % n
		}
	default:
		for k := range n {
			if i := (v.rr + k) % n; usable(i) {
				chosen, v.rr = i, (i+1)%n
				break
			}
		}
	}
	if chosen < 0 {
		return -1, false
	}
	v.inflight[chosen]++
	return chosen, true
}

// release ends a request in flight on instance i.
func (v *visitor) release(i int, ok bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.inflight[i]--
	if ok {
		v.served[i]++
		v.fails[i] = 0
	}
}

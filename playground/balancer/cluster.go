package balancer

import (
	"fmt"
	"slices"
	"time"
)

// Policy is how the proxy picks an instance.
type Policy string

// The policies the proxy knows.
const (
	// RoundRobin takes the instances in turn.
	RoundRobin Policy = "round-robin"
	// LeastConnections takes the instance with the fewest requests in
	// flight, so a slow instance, busy for longer, is given fewer.
	LeastConnections Policy = "least-connections"
	// Sticky keeps a client on the instance its cookie names while that
	// instance is in rotation, and picks round-robin otherwise.
	Sticky Policy = "sticky"
)

// Policies lists the policies in the order a panel offers them.
var Policies = []Policy{RoundRobin, LeastConnections, Sticky}

// States lists the states in the order a panel offers them.
var States = []State{Up, Slow, Down, Crashed}

// Instance is one instance as a visitor's cluster sees it.
type Instance struct {
	Name       string
	State      State
	InRotation bool
	// Fails and Passes count the latest failures and passing checks in a
	// row; Served counts the visitor's requests it answered.
	Fails, Passes, Served int
}

// Set puts the visitor's instances in the given states; instances not
// named are Up. Rotation is left to the health checks, which start when
// an instance is down or crashed.
func (l *Lab) Set(visitor string, states map[string]State) error {
	for name, st := range states {
		if l.index(name) < 0 {
			return fmt.Errorf("balancer: no instance %q", name)
		}
		if !slices.Contains(States, st) {
			return fmt.Errorf("balancer: no state %q", st)
		}
	}
	v := l.visitors.get(visitor)
	v.mu.Lock()
	for i, in := range l.instances {
		v.states[i] = Up
		if st, ok := states[in.name]; ok {
			v.states[i] = st
		}
	}
	v.lastUsed = time.Now()
	v.mu.Unlock()
	l.ensureChecker(v)
	return nil
}

// SharedSessions chooses where the visitor's instances keep sessions:
// in the shared store (true), like Redis, or in each instance's memory.
func (l *Lab) SharedSessions(visitor string, shared bool) {
	v := l.visitors.get(visitor)
	v.mu.Lock()
	v.shared = shared
	v.mu.Unlock()
}

// Cluster is the visitor's instances as they stand.
func (l *Lab) Cluster(visitor string) []Instance {
	v := l.visitors.get(visitor)
	v.mu.Lock()
	defer v.mu.Unlock()
	out := make([]Instance, len(l.instances))
	for i, in := range l.instances {
		out[i] = Instance{Name: in.name, State: v.states[i], InRotation: !v.out[i],
			Fails: v.fails[i], Passes: v.passes[i], Served: v.served[i]}
	}
	return out
}

// Log returns the visitor's health log entries at or after since,
// oldest first.
func (l *Lab) Log(visitor string, since time.Time) []Check {
	v := l.visitors.get(visitor)
	v.mu.Lock()
	defer v.mu.Unlock()
	var out []Check
	for _, c := range v.log {
		if !c.At.Before(since) {
			out = append(out, c)
		}
	}
	return out
}

package cache

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/alicebob/miniredis/v2/server"
)

// Steps of the embedded server's expiry clock: how often it catches up
// with the wall clock.
const (
	minClockStep = 20 * time.Millisecond
	maxClockStep = time.Second
	// exactSetCost is the cost of catching up below which every SET
	// catches up first (see embedded).
	exactSetCost = 2 * time.Millisecond
)

// embedded is the in-process Redis-protocol server.
//
// miniredis keeps each key's TTL as time left, and catching up with the
// clock walks (and sorts) every key: about 0.4 ms for 1,000 keys, 45 ms
// for 60,000. So its clock advances in steps: every step the server is
// told the time (SetTime, cheap), and keys expire lazily, at the first
// command after a step (ClockTTL). While commands arrive, the catching up
// is done here instead, timed, and the step grows with its cost (at most
// 5% of a core, a step of at most a second); an idle server costs one
// wake-up per step.
//
// A relative TTL (SET … PX) counts from the server's clock, which is up
// to a step behind, so a key would expire up to a step early. Hence every
// SET first brings the clock up to date, as long as catching up is cheap
// (under exactSetCost, a few thousand keys): then expiry is exact. Beyond
// that a key may expire up to one step early, rather than every SET
// paying for a walk over all keys.
type embedded struct {
	m    *miniredis.Miniredis
	cost atomic.Int64 // last measured cost of catching up, ns

	mu   sync.Mutex // orders the times given to the server
	last time.Time

	stop chan struct{}
	done chan struct{}
}

// startEmbedded starts the server on a free loopback port.
func startEmbedded() (*embedded, error) {
	e := &embedded{m: miniredis.NewMiniRedis(), stop: make(chan struct{}), done: make(chan struct{})}
	e.setTime()
	e.m.ClockTTL(true)
	if err := e.m.StartAddr("127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("cache: starting the embedded server: %w", err)
	}
	e.m.Server().SetPreHook(e.beforeCommand)
	go e.clock()
	return e, nil
}

// beforeCommand brings the clock up to date before a SET, when that is
// cheap. It never handles the command itself.
func (e *embedded) beforeCommand(_ *server.Peer, cmd string, _ ...string) bool {
	if cmd == "SET" && time.Duration(e.cost.Load()) < exactSetCost {
		e.setTime()
	}
	return false
}

// setTime tells the server the time, never an earlier one than before
// (an earlier time would make it count some time twice).
func (e *embedded) setTime() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if now := time.Now(); now.After(e.last) {
		e.last = now
		e.m.SetTime(now)
	}
}

// clock moves the server's clock forward until close.
func (e *embedded) clock() {
	defer close(e.done)
	step := minClockStep
	t := time.NewTimer(step)
	defer t.Stop()
	seen := e.m.CommandCount()
	for {
		select {
		case <-e.stop:
			return
		case <-t.C:
		}
		e.setTime()
		if n := e.m.CommandCount(); n != seen {
			seen = n
			start := time.Now()
			e.m.DB(0) // any accessor applies the expiry that is due
			cost := time.Since(start)
			e.cost.Store(int64(cost))
			step = min(max(20*cost, minClockStep), maxClockStep)
		}
		t.Reset(step)
	}
}

// addr is the server's host:port.
func (e *embedded) addr() string { return e.m.Addr() }

// close stops the clock and the server.
func (e *embedded) close() {
	close(e.stop)
	<-e.done
	e.m.Close()
}

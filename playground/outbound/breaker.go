package outbound

import (
	"container/list"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sony/gobreaker/v2"
)

// BreakerSettings configures every circuit breaker of a Client.
type BreakerSettings struct {
	// Failures in a row that open the breaker. Default 3.
	Failures int
	// OpenFor is how long an open breaker fails calls fast before it lets
	// a probe through (half-open). Default 10s.
	OpenFor time.Duration
	// Probes is how many attempts a half-open breaker lets through; as
	// many successes close it, one failure opens it again. Default 1.
	Probes int
}

func (s BreakerSettings) orDefaults() BreakerSettings {
	if s.Failures <= 0 {
		s.Failures = 3
	}
	if s.OpenFor <= 0 {
		s.OpenFor = 10 * time.Second
	}
	if s.Probes <= 0 {
		s.Probes = 1
	}
	return s
}

// Mode is the position of a circuit breaker.
type Mode int

// The positions of a circuit breaker.
const (
	// Closed: calls go through; failures in a row are counted.
	Closed Mode = iota
	// HalfOpen: a few probe attempts go through to test the service.
	HalfOpen
	// Open: calls fail fast without reaching the service.
	Open
)

// String names the mode: "closed", "half-open" or "open".
func (m Mode) String() string {
	switch m {
	case Closed:
		return "closed"
	case HalfOpen:
		return "half-open"
	case Open:
		return "open"
	}
	return "unknown"
}

// BreakerState is a circuit breaker as shown to a visitor.
type BreakerState struct {
	// Mode is where the breaker is.
	Mode Mode
	// Requests, Successes and Failures count the attempts since the
	// breaker last changed mode; attempts answered 4xx, or abandoned by
	// the caller, count only as requests.
	Requests, Successes, Failures int
	// ConsecutiveFailures and ConsecutiveSuccesses count the latest
	// outcomes in a row.
	ConsecutiveFailures, ConsecutiveSuccesses int
	// Threshold is how many failures in a row open the breaker.
	Threshold int
	// RetryAt is, when open, when the breaker lets a probe through (on
	// the real clock).
	RetryAt time.Time
}

// Outcomes reported to a breaker: nil is a success.
var (
	errFailure  = errors.New("outbound: failure")
	errExcluded = errors.New("outbound: not counted")
)

// breaker is the circuit breaker of one (service, key).
type breaker struct {
	id       breakerID
	cb       *gobreaker.TwoStepCircuitBreaker[struct{}]
	openedAt atomic.Int64 // unix nanoseconds of the last opening
	settings BreakerSettings
}

type breakerID struct{ service, key string }

func newBreaker(id breakerID, s BreakerSettings) *breaker {
	b := &breaker{id: id, settings: s}
	b.cb = gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{
		Name:        id.service,
		MaxRequests: uint32(s.Probes),
		Timeout:     s.OpenFor,
		ReadyToTrip: func(c gobreaker.Counts) bool {
			return c.ConsecutiveFailures >= uint32(s.Failures)
		},
		OnStateChange: func(_ string, _, to gobreaker.State) {
			if to == gobreaker.StateOpen {
				// gobreaker's own clock, to agree with its timeout.
				b.openedAt.Store(time.Now().UnixNano())
			}
		},
		IsExcluded: func(err error) bool { return errors.Is(err, errExcluded) },
	})
	return b
}

// allow asks for an attempt; done reports its outcome (nil, errFailure
// or errExcluded).
func (b *breaker) allow() (done func(error), err error) {
	return b.cb.Allow()
}

// state reads the breaker for display.
func (b *breaker) state() BreakerState {
	mode := modeOf(b.cb.State())
	c := b.cb.Counts()
	st := BreakerState{
		Mode:                 mode,
		Requests:             int(c.Requests),
		Successes:            int(c.TotalSuccesses),
		Failures:             int(c.TotalFailures),
		ConsecutiveFailures:  int(c.ConsecutiveFailures),
		ConsecutiveSuccesses: int(c.ConsecutiveSuccesses),
		Threshold:            b.settings.Failures,
	}
	if mode == Open {
		st.RetryAt = time.Unix(0, b.openedAt.Load()).Add(b.settings.OpenFor)
	}
	return st
}

func modeOf(s gobreaker.State) Mode {
	switch s {
	case gobreaker.StateOpen:
		return Open
	case gobreaker.StateHalfOpen:
		return HalfOpen
	}
	return Closed
}

// breakers keeps the breakers of a Client, at most max of them; the
// least recently used one is dropped to make room (a dropped breaker
// starts again closed).
type breakers struct {
	settings BreakerSettings
	max      int

	mu  sync.Mutex
	lru *list.List // of *breaker, most recently used first
	m   map[breakerID]*list.Element
}

func newBreakers(s BreakerSettings, maxBreakers int) *breakers {
	return &breakers{settings: s, max: maxBreakers, lru: list.New(), m: make(map[breakerID]*list.Element)}
}

// get returns the breaker of id, made if need be, as the most recently used.
func (bs *breakers) get(id breakerID) *breaker {
	bs.mu.Lock()
	defer bs.mu.Unlock()
	if e, ok := bs.m[id]; ok {
		bs.lru.MoveToFront(e)
		return e.Value.(*breaker)
	}
	for bs.lru.Len() >= bs.max {
		oldest := bs.lru.Back()
		bs.lru.Remove(oldest)
		delete(bs.m, oldest.Value.(*breaker).id)
	}
	b := newBreaker(id, bs.settings)
	bs.m[id] = bs.lru.PushFront(b)
	return b
}

// peek returns the breaker of id, or nil, leaving the order alone.
func (bs *breakers) peek(id breakerID) *breaker {
	bs.mu.Lock()
	defer bs.mu.Unlock()
	if e, ok := bs.m[id]; ok {
		return e.Value.(*breaker)
	}
	return nil
}

// len is how many breakers are kept.
func (bs *breakers) len() int {
	bs.mu.Lock()
	defer bs.mu.Unlock()
	return bs.lru.Len()
}

// State reports the circuit breaker of (service, key). A pair never
// called (or whose breaker was dropped) is closed with no counts.
func (c *Client) State(service, key string) BreakerState {
	b := c.breakers.peek(breakerID{service, key})
	if b == nil {
		return BreakerState{Mode: Closed, Threshold: c.opts.Breaker.Failures}
	}
	return b.state()
}

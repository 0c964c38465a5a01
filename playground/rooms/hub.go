package rooms

import (
	"context"
	"errors"
	"sync"
	"time"
)

// maxCodeTries bounds the draws of a code that no open room has.
const maxCodeTries = 100

// Hub holds the rooms this instance serves. It is safe for concurrent use.
type Hub struct {
	opts  Options
	store store

	mu       sync.Mutex
	rooms    map[string]*room
	creating int // Creates between their cap check and their room
	closed   bool
}

// room is what this instance holds of a room: the latest state it has
// seen and its own followers.
type room struct {
	seq       uint64
	state     []byte
	used      time.Time
	followers map[*Follower]struct{}
}

// New returns an empty Hub: in memory, or on opts.Shared.
func New(opts Options) *Hub {
	opts.defaults()
	h := &Hub{opts: opts, rooms: make(map[string]*room)}
	if opts.Shared != nil {
		h.store = newRedisStore(opts.Shared, opts.IdleTTL, h.deliver, h.forget)
	} else {
		h.store = newMemStore(opts.IdleTTL, opts.Now)
	}
	return h
}

// Create opens a room and returns its code and the teacher token that
// Publish needs. It fails with ErrFull at MaxRooms open rooms. Two hubs on
// one shared store never hand out the same code.
func (h *Hub) Create(ctx context.Context) (code, token string, err error) {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return "", "", ErrClosed
	}
	now := h.opts.Now()
	h.sweep(now)
	if len(h.rooms)+h.creating >= h.opts.MaxRooms {
		h.mu.Unlock()
		return "", "", ErrFull
	}
	h.creating++
	h.mu.Unlock()

	code, token, err = h.add(ctx)

	h.mu.Lock()
	defer h.mu.Unlock()
	h.creating--
	if err != nil {
		return "", "", err
	}
	if h.closed {
		return "", "", ErrClosed
	}
	if old := h.rooms[code]; old != nil {
		h.drop(code, old) // followers of an expired room of the same code
	}
	h.rooms[code] = &room{used: now, followers: make(map[*Follower]struct{})}
	return code, token, nil
}

// add draws a token and codes until the store takes one.
func (h *Hub) add(ctx context.Context) (code, token string, err error) {
	if token, err = newToken(h.opts.Rand); err != nil {
		return "", "", err
	}
	for range maxCodeTries {
		if code, err = newCode(h.opts.Rand); err != nil {
			return "", "", err
		}
		ok, err := h.store.add(ctx, code, record{token: tokenHash(token)})
		if err != nil {
			return "", "", err
		}
		if ok {
			return code, token, nil
		}
	}
	return "", "", ErrFull
}

// Exists reports whether a room with this code is open. Its error is
// ErrClosed or wraps ErrUnavailable.
func (h *Hub) Exists(ctx context.Context, code string) (bool, error) {
	_, err := h.load(ctx, code, false)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// Authorized reports whether token is the teacher token of the open room
// code. Its error is ErrClosed or wraps ErrUnavailable.
func (h *Hub) Authorized(ctx context.Context, code, token string) (bool, error) {
	rec, err := h.load(ctx, code, false)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil && sameToken(rec.token, token), err
}

// Publish makes s the room's state and sends it to every follower, on
// every instance that shares the store.
func (h *Hub) Publish(ctx context.Context, code, token string, s State) error {
	if err := s.Check(); err != nil {
		return err
	}
	rec, err := h.load(ctx, code, false)
	if err != nil {
		return err
	}
	if !sameToken(rec.token, token) {
		return ErrForbidden
	}
	rec.seq++
	rec.state = s.encode()
	if err := h.store.save(ctx, code, rec); err != nil {
		if errors.Is(err, ErrNotFound) {
			h.forget(code)
		}
		return err
	}
	h.deliver(code, rec.seq, rec.state)
	return nil
}

// Follow subscribes to a room; the room's latest state, if any, is ready
// on the follower's channel at once. Call Stop when done.
func (h *Hub) Follow(ctx context.Context, code string) (*Follower, error) {
	rec, err := h.load(ctx, code, true)
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, ErrClosed
	}
	now := h.opts.Now()
	r := h.rooms[code]
	if r == nil {
		if h.sweep(now); len(h.rooms)+h.creating >= h.opts.MaxRooms {
			h.mu.Unlock()
			return nil, ErrFull
		}
		r = &room{followers: make(map[*Follower]struct{})}
		h.rooms[code] = r
	}
	if len(r.followers) >= h.opts.MaxFollowers {
		h.mu.Unlock()
		return nil, ErrCrowded
	}
	r.used = now
	r.apply(rec.seq, rec.state)
	c := make(chan []byte, 1)
	f := &Follower{C: c, c: c, hub: h, code: code}
	r.followers[f] = struct{}{}
	if r.state != nil {
		f.offer(r.state)
	}
	h.mu.Unlock()
	if err := h.store.watch(ctx, code); err != nil {
		f.remove()
		return nil, err
	}
	return f, nil
}

// Followers is the number of this instance's followers of a room (0 for
// no room).
func (h *Hub) Followers(code string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	if r := h.rooms[code]; r != nil {
		return len(r.followers)
	}
	return 0
}

// Len is the number of open rooms this instance holds, expired ones not
// counted: the ones counted against MaxRooms.
func (h *Hub) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.sweep(h.opts.Now())
	return len(h.rooms)
}

// Close ends every room here: every follower's channel is closed, and
// later calls fail with ErrClosed. Rooms in a shared store live on for
// the other instances. It is safe to call twice.
func (h *Hub) Close() {
	h.mu.Lock()
	h.closed = true
	for code, r := range h.rooms {
		h.drop(code, r)
	}
	h.mu.Unlock()
	h.store.close()
}

// load reads a room's record from the store; a room the store no longer
// has is dropped here too, ending its followers.
func (h *Hub) load(ctx context.Context, code string, touch bool) (record, error) {
	h.mu.Lock()
	closed := h.closed
	h.mu.Unlock()
	if closed {
		return record{}, ErrClosed
	}
	rec, err := h.store.load(ctx, code, touch)
	if errors.Is(err, ErrNotFound) {
		h.forget(code)
	}
	return rec, err
}

// deliver hands a room's state, published here or elsewhere, to this
// instance's followers of it.
func (h *Hub) deliver(code string, seq uint64, state []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if r := h.rooms[code]; r != nil {
		r.used = h.opts.Now()
		r.apply(seq, state)
	}
}

// forget drops a room the store no longer has.
func (h *Hub) forget(code string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if r := h.rooms[code]; r != nil {
		h.drop(code, r)
	}
}

// sweep drops every room idle for IdleTTL here. The caller holds the lock.
func (h *Hub) sweep(now time.Time) {
	for code, r := range h.rooms {
		if now.Sub(r.used) >= h.opts.IdleTTL {
			h.drop(code, r)
		}
	}
}

// drop removes a room and ends its followers. The caller holds the lock.
func (h *Hub) drop(code string, r *room) {
	delete(h.rooms, code)
	for f := range r.followers {
		f.end()
	}
}

package rooms

import (
	"sync"
	"time"
)

// Hub holds the open rooms. It is safe for concurrent use.
type Hub struct {
	opts Options

	mu     sync.Mutex
	rooms  map[string]*room
	closed bool
}

// room is one open room.
type room struct {
	token     [32]byte
	state     []byte // the latest State as JSON; nil before the first
	used      time.Time
	followers map[*Follower]struct{}
}

// Follower receives a room's states. Its channel C holds at most the
// latest state not yet read: a slow reader skips states, never blocks the
// teacher. C is closed when the room expires, the hub closes or Stop is
// called.
type Follower struct {
	// C delivers each state as JSON.
	C <-chan []byte

	c    chan []byte
	hub  *Hub
	code string
	once sync.Once
}

// New returns an empty Hub.
func New(opts Options) *Hub {
	opts.defaults()
	return &Hub{opts: opts, rooms: make(map[string]*room)}
}

// Create opens a room and returns its code and the teacher token that
// Publish needs. It fails with ErrFull at MaxRooms open rooms.
func (h *Hub) Create() (code, token string, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return "", "", ErrClosed
	}
	now := h.opts.Now()
	h.sweep(now)
	if len(h.rooms) >= h.opts.MaxRooms {
		return "", "", ErrFull
	}
	if token, err = newToken(h.opts.Rand); err != nil {
		return "", "", err
	}
	for {
		if code, err = newCode(h.opts.Rand); err != nil {
			return "", "", err
		}
		if _, taken := h.rooms[code]; !taken {
			break
		}
	}
	h.rooms[code] = &room{token: tokenHash(token), used: now, followers: make(map[*Follower]struct{})}
	return code, token, nil
}

// Exists reports whether a room with this code is open.
func (h *Hub) Exists(code string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.lookup(code) != nil
}

// Authorized reports whether token is the teacher token of the open room
// code.
func (h *Hub) Authorized(code, token string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.lookup(code)
	return r != nil && sameToken(r.token, token)
}

// Publish makes s the room's state and sends it to every follower.
func (h *Hub) Publish(code, token string, s State) error {
	if err := s.Check(); err != nil {
		return err
	}
	msg := s.encode()
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.lookup(code)
	if r == nil {
		return ErrNotFound
	}
	if !sameToken(r.token, token) {
		return ErrForbidden
	}
	r.state, r.used = msg, h.opts.Now()
	for f := range r.followers {
		f.offer(msg)
	}
	return nil
}

// Follow subscribes to a room; the room's latest state, if any, is ready
// on the follower's channel at once. Call Stop when done.
func (h *Hub) Follow(code string) (*Follower, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, ErrClosed
	}
	r := h.lookup(code)
	if r == nil {
		return nil, ErrNotFound
	}
	if len(r.followers) >= h.opts.MaxFollowers {
		return nil, ErrCrowded
	}
	c := make(chan []byte, 1)
	f := &Follower{C: c, c: c, hub: h, code: code}
	r.followers[f] = struct{}{}
	r.used = h.opts.Now()
	if r.state != nil {
		f.offer(r.state)
	}
	return f, nil
}

// Followers is the number of followers of a room (0 for no room).
func (h *Hub) Followers(code string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	if r := h.lookup(code); r != nil {
		return len(r.followers)
	}
	return 0
}

// Len is the number of open rooms, expired ones not counted.
func (h *Hub) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.sweep(h.opts.Now())
	return len(h.rooms)
}

// Close ends every room: every follower's channel is closed, and later
// Create and Follow calls fail with ErrClosed. It is safe to call twice.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for code, r := range h.rooms {
		h.drop(code, r)
	}
}

// Stop ends the subscription and closes C. It is safe to call twice.
func (f *Follower) Stop() {
	f.hub.mu.Lock()
	defer f.hub.mu.Unlock()
	if r := f.hub.rooms[f.code]; r != nil {
		delete(r.followers, f)
	}
	f.end()
}

// offer puts msg on the channel, replacing a state not yet read. The
// caller holds the hub's lock, so offers never race each other.
func (f *Follower) offer(msg []byte) {
	select {
	case <-f.c:
	default:
	}
	f.c <- msg
}

// end closes the channel once.
func (f *Follower) end() { f.once.Do(func() { close(f.c) }) }

// lookup returns the open room code, dropping it if it expired. The
// caller holds the lock.
func (h *Hub) lookup(code string) *room {
	r := h.rooms[code]
	if r == nil {
		return nil
	}
	if h.opts.Now().Sub(r.used) >= h.opts.IdleTTL {
		h.drop(code, r)
		return nil
	}
	return r
}

// sweep drops every expired room. The caller holds the lock.
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

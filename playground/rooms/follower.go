package rooms

import "sync"

// Follower receives a room's states. Its channel C holds at most the
// latest state not yet read: a slow reader skips states, never blocks the
// teacher. C is closed when the room expires, the hub closes or Stop is
// called.
type Follower struct {
	// C delivers each state as JSON.
	C <-chan []byte

	c       chan []byte
	hub     *Hub
	code    string
	once    sync.Once
	stopped sync.Once
}

// Stop ends the subscription and closes C. It is safe to call twice.
func (f *Follower) Stop() {
	f.stopped.Do(func() {
		f.remove()
		f.hub.store.unwatch(f.code)
	})
}

// remove takes the follower out of its room and closes C.
func (f *Follower) remove() {
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

// apply makes seq and state the room's latest, if they are newer, and
// offers them to its followers. The caller holds the hub's lock.
func (r *room) apply(seq uint64, state []byte) {
	if !newer(seq, state, r.seq, r.state) {
		return
	}
	r.seq, r.state = seq, state
	for f := range r.followers {
		f.offer(state)
	}
}

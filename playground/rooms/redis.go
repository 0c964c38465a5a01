package rooms

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/engineroom/engineroom/playground/cache"
)

// Shared is what a Hub needs of a Redis that instances share: keys with a
// TTL and pub/sub on one subscription connection. A *cache.Shared is one.
//
// A room ABCDE is the key ABCDE, "<token hash, hex> <publishes> <state>",
// whose TTL is the room's idle time, and the channel ABCDE, which carries
// "<publishes> <state>" at each publish.
type Shared interface {
	SetNX(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error)
	SetXX(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error)
	Get(ctx context.Context, key string) ([]byte, bool, error)
	Expire(ctx context.Context, key string, ttl time.Duration) (bool, error)
	Publish(ctx context.Context, channel string, msg []byte) error
	Subscribe() (*cache.Subscription, error)
}

// resyncTimeout bounds the read of a room's record after its channel is
// (again) subscribed.
const resyncTimeout = 5 * time.Second

// redisStore keeps the records in a shared Redis. The instance follows
// the channels of the rooms it has followers of, all on one subscription
// that a single goroutine reads.
type redisStore struct {
	shared  Shared
	ttl     time.Duration
	deliver func(code string, seq uint64, state []byte)
	gone    func(code string)

	mu      sync.Mutex
	sub     *cache.Subscription // made at the first watch
	watched map[string]int      // followers per room
	closed  bool
	ended   chan struct{} // closed when the reading goroutine returns
}

func newRedisStore(s Shared, ttl time.Duration, deliver func(string, uint64, []byte), gone func(string)) *redisStore {
	return &redisStore{shared: s, ttl: ttl, deliver: deliver, gone: gone, watched: make(map[string]int)}
}

// unavailable wraps a failure to reach Redis, keeping both errors.
func unavailable(doing string, err error) error {
	return fmt.Errorf("%w: %s: %w", ErrUnavailable, doing, err)
}

func (r *redisStore) add(ctx context.Context, code string, rec record) (bool, error) {
	ok, err := r.shared.SetNX(ctx, code, encodeRecord(rec), r.ttl)
	if err != nil {
		return false, unavailable("creating room "+code, err)
	}
	return ok, nil
}

func (r *redisStore) load(ctx context.Context, code string, touch bool) (record, error) {
	v, ok, err := r.shared.Get(ctx, code)
	if err != nil {
		return record{}, unavailable("reading room "+code, err)
	}
	if !ok {
		return record{}, ErrNotFound
	}
	rec, err := decodeRecord(v)
	if err != nil {
		return record{}, fmt.Errorf("rooms: reading room %s: %w", code, err)
	}
	if touch {
		if ok, err = r.shared.Expire(ctx, code, r.ttl); err != nil {
			return record{}, unavailable("refreshing room "+code, err)
		} else if !ok {
			return record{}, ErrNotFound
		}
	}
	return rec, nil
}

func (r *redisStore) save(ctx context.Context, code string, rec record) error {
	ok, err := r.shared.SetXX(ctx, code, encodeRecord(rec), r.ttl)
	if err != nil {
		return unavailable("saving room "+code, err)
	}
	if !ok {
		return ErrNotFound
	}
	msg := append(strconv.AppendUint(nil, rec.seq, 10), ' ')
	if err := r.shared.Publish(ctx, code, append(msg, rec.state...)); err != nil {
		return unavailable("publishing to room "+code, err)
	}
	return nil
}

// watch subscribes the room's channel at its first follower here. The
// first call makes the subscription and starts the goroutine that reads
// it.
func (r *redisStore) watch(ctx context.Context, code string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return ErrClosed
	}
	if r.sub == nil {
		sub, err := r.shared.Subscribe()
		if err != nil {
			return unavailable("subscribing", err)
		}
		r.sub, r.ended = sub, make(chan struct{})
		go r.read(sub)
	}
	if r.watched[code]++; r.watched[code] > 1 {
		return nil
	}
	if err := r.sub.Add(ctx, code); err != nil {
		r.unwatchLocked(code)
		return unavailable("following room "+code, err)
	}
	return nil
}

// unwatch unsubscribes the room's channel when its last follower here
// leaves.
func (r *redisStore) unwatch(code string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.unwatchLocked(code)
}

func (r *redisStore) unwatchLocked(code string) {
	if r.watched[code]--; r.watched[code] > 0 {
		return
	}
	delete(r.watched, code)
	if r.sub != nil && !r.closed {
		ctx, cancel := context.WithTimeout(context.Background(), resyncTimeout)
		defer cancel()
		// A failed UNSUBSCRIBE leaves a channel whose messages find no
		// room here; the next connection does not subscribe it again.
		_ = r.sub.Remove(ctx, code)
	}
}

// close ends the subscription and waits for its goroutine.
func (r *redisStore) close() {
	r.mu.Lock()
	sub, ended := r.sub, r.ended
	r.closed = true
	r.mu.Unlock()
	if sub != nil {
		_ = sub.Close()
		<-ended
	}
}

// read hands each publish to the Hub, and after each (re)subscription
// reads the room's record back, so that a publish made while the
// connection was down, or before the channel was subscribed, is not
// missed.
func (r *redisStore) read(sub *cache.Subscription) {
	defer close(r.ended)
	for m := range sub.C {
		if m.Subscribed {
			r.resync(m.Channel)
			continue
		}
		n, state, ok := strings.Cut(string(m.Payload), " ")
		seq, err := strconv.ParseUint(n, 10, 64)
		if ok && err == nil {
			r.deliver(m.Channel, seq, []byte(state))
		}
	}
}

func (r *redisStore) resync(code string) {
	ctx, cancel := context.WithTimeout(context.Background(), resyncTimeout)
	defer cancel()
	rec, err := r.load(ctx, code, false)
	switch {
	case errors.Is(err, ErrNotFound):
		r.gone(code)
	case err == nil:
		r.deliver(code, rec.seq, rec.state)
	}
	// Any other error leaves the followers with what they have: the next
	// publish, or the next connection's resync, brings them up to date.
}

// encodeRecord is "<token hash, hex> <publishes> <state JSON>".
func encodeRecord(rec record) []byte {
	b := hex.AppendEncode(nil, rec.token[:])
	b = append(b, ' ')
	b = strconv.AppendUint(b, rec.seq, 10)
	b = append(b, ' ')
	return append(b, rec.state...)
}

func decodeRecord(v []byte) (record, error) {
	var rec record
	tok, rest, ok1 := strings.Cut(string(v), " ")
	n, state, ok2 := strings.Cut(rest, " ")
	seq, err := strconv.ParseUint(n, 10, 64)
	if !ok1 || !ok2 || err != nil || hex.DecodedLen(len(tok)) != len(rec.token) {
		return rec, errors.New("damaged record")
	}
	if _, err := hex.Decode(rec.token[:], []byte(tok)); err != nil {
		return rec, errors.New("damaged record")
	}
	rec.seq = seq
	if state != "" {
		rec.state = []byte(state)
	}
	return rec, nil
}

package cache

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// sharedPrefix starts every shared key and channel. No visitor namespace
// can reach it: theirs start with "v:", "lru:" or "meta:".
const sharedPrefix = "shared:"

// MaxSharedTTL is the longest TTL a shared key accepts. Every shared key
// expires, so state an instance leaves behind disappears on its own.
const MaxSharedTTL = 24 * time.Hour

// Shared is state that belongs to no visitor and that several instances of
// the app share through one Redis: keys and pub/sub channels under
// "shared:<name>:", over the Cache's own connection pool. The classroom
// rooms keep their records and carry their publishes here.
//
// Values are capped like a visitor's (Options.MaxValueBytes), keys and
// channel names like a visitor's key names (Options.MaxKeyBytes), and every
// key has a TTL of at most MaxSharedTTL. Shared commands carry no spans:
// they are the app's own plumbing, not a lesson's work, and a teacher
// stepping through a demo would otherwise fill the trace store with them.
type Shared struct {
	c      *Cache
	prefix string
}

// Shared returns the shared namespace name: ASCII letters, digits, '-' and
// '_'. Names are the caller's constants, so a bad one panics, as
// regexp.MustCompile does.
func (c *Cache) Shared(name string) *Shared {
	if name == "" || len(name) > maxVisitorBytes || !plainName(name) {
		panic(fmt.Sprintf("cache: bad shared namespace name %q", name))
	}
	return &Shared{c: c, prefix: sharedPrefix + name + ":"}
}

// plainName reports whether s holds only letters, digits, '-' and '_':
// nothing that ends a prefix or acts in a SCAN pattern.
func plainName(s string) bool {
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !('a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || b == '-' || b == '_') {
			return false
		}
	}
	return true
}

// SetNX stores value under key with a TTL unless the key exists (SET NX
// PX); it reports whether it stored it. Two instances racing for one key
// never both win.
func (s *Shared) SetNX(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	return s.set(ctx, key, value, ttl, "NX")
}

// SetXX replaces the value of an existing key and sets its TTL (SET XX
// PX); it reports whether the key existed. It never brings back a key
// that expired.
func (s *Shared) SetXX(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	return s.set(ctx, key, value, ttl, "XX")
}

func (s *Shared) set(ctx context.Context, key string, value []byte, ttl time.Duration, mode string) (bool, error) {
	if err := s.check(key); err != nil {
		return false, err
	}
	if err := checkValue(value, s.c.opts.MaxValueBytes); err != nil {
		return false, err
	}
	if err := checkTTL(ttl, MaxSharedTTL); err != nil {
		return false, err
	}
	err := s.c.rdb.SetArgs(withoutTrace(ctx), s.prefix+key, value, redis.SetArgs{Mode: mode, TTL: ttl}).Err()
	if errors.Is(err, redis.Nil) {
		return false, nil
	}
	if err != nil {
		return false, s.c.serverError("setting shared key "+key, err)
	}
	return true, nil
}

// Get returns the value of key and whether it exists.
func (s *Shared) Get(ctx context.Context, key string) ([]byte, bool, error) {
	if err := s.check(key); err != nil {
		return nil, false, err
	}
	v, err := s.c.rdb.Get(withoutTrace(ctx), s.prefix+key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, s.c.serverError("reading shared key "+key, err)
	}
	return v, true, nil
}

// Expire sets the TTL of an existing key (PEXPIRE), so that a key in use
// lives on; it reports whether the key existed.
func (s *Shared) Expire(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	if err := s.check(key); err != nil {
		return false, err
	}
	if err := checkTTL(ttl, MaxSharedTTL); err != nil {
		return false, err
	}
	ok, err := s.c.rdb.PExpire(withoutTrace(ctx), s.prefix+key, ttl).Result()
	if err != nil {
		return false, s.c.serverError("refreshing shared key "+key, err)
	}
	return ok, nil
}

// Del removes keys and returns how many existed.
func (s *Shared) Del(ctx context.Context, keys ...string) (int64, error) {
	full := make([]string, len(keys))
	for i, k := range keys {
		if err := s.check(k); err != nil {
			return 0, err
		}
		full[i] = s.prefix + k
	}
	if len(full) == 0 {
		return 0, nil
	}
	n, err := s.c.rdb.Del(withoutTrace(ctx), full...).Result()
	if err != nil {
		return 0, s.c.serverError("deleting shared keys", err)
	}
	return n, nil
}

// Flush removes every key of the namespace (SCAN, then DEL) and returns
// how many it removed. It walks the server's whole key space, so it is for
// cleaning up after tests and tools, not for requests.
func (s *Shared) Flush(ctx context.Context) (int, error) {
	if s.c.closed.Load() {
		return 0, ErrClosed
	}
	ctx = withoutTrace(ctx)
	var cursor uint64
	n := 0
	for {
		keys, next, err := s.c.rdb.Scan(ctx, cursor, s.prefix+"*", 1000).Result()
		if err != nil {
			return n, s.c.serverError("listing shared keys", err)
		}
		if len(keys) > 0 {
			if err := s.c.rdb.Del(ctx, keys...).Err(); err != nil {
				return n, s.c.serverError("deleting shared keys", err)
			}
			n += len(keys)
		}
		if cursor = next; cursor == 0 {
			return n, nil
		}
	}
}

// Publish sends msg to the subscribers of channel, on every instance.
func (s *Shared) Publish(ctx context.Context, channel string, msg []byte) error {
	if err := s.check(channel); err != nil {
		return err
	}
	if err := checkValue(msg, s.c.opts.MaxValueBytes); err != nil {
		return err
	}
	if err := s.c.rdb.Publish(withoutTrace(ctx), s.prefix+channel, msg).Err(); err != nil {
		return s.c.serverError("publishing to shared channel "+channel, err)
	}
	return nil
}

// check refuses names a visitor could not use as a key either, and any
// call after Close.
func (s *Shared) check(name string) error {
	if s.c.closed.Load() {
		return ErrClosed
	}
	return checkKey(name, s.c.opts.MaxKeyBytes)
}

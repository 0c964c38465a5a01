package cache

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
)

// Space is one visitor's namespace. Keys are the visitor's own names; the
// engine stores them under a prefix of the visitor's (see the package
// documentation), so a visitor can never read, list or evict another's
// keys. A Space is cheap: make one per request with Cache.For.
type Space struct {
	c       *Cache
	visitor string
	err     error // a bad visitor id: every method returns it
	// maxKeys and maxBytes, when set, are caps tighter than the cache's
	// (see Limited).
	maxKeys, maxBytes int
}

// For returns the namespace of a visitor. A visitor id must be 1 to 64
// letters, digits, '-' or '_'; with any other id every method of the
// Space returns an error wrapping ErrBadVisitor.
func (c *Cache) For(visitor string) *Space {
	return &Space{c: c, visitor: visitor, err: checkVisitor(visitor)}
}

// Visitor returns the visitor id the Space belongs to.
func (s *Space) Visitor() string { return s.visitor }

// Limited returns the same namespace with at most maxKeys keys and
// maxBytes bytes of values (never more than the cache allows): a small
// cache whose evictions a lesson can show. Values and TTLs keep the
// cache's limits.
func (s *Space) Limited(maxKeys, maxBytes int) *Space {
	l := *s
	l.maxKeys, l.maxBytes = maxKeys, maxBytes
	return &l
}

// limits are the cache's limits with the Space's tighter caps.
func (s *Space) limits() Limits {
	lim := s.c.Limits()
	if s.maxKeys > 0 {
		lim.MaxKeys = min(lim.MaxKeys, s.maxKeys)
	}
	if s.maxBytes > 0 {
		lim.MaxBytes = min(lim.MaxBytes, s.maxBytes)
	}
	return lim
}

func (s *Space) check() error {
	if s.err != nil {
		return s.err
	}
	if s.c.closed.Load() {
		return ErrClosed
	}
	return nil
}

// Get returns the value of key and whether it was there (a hit). A hit
// counts as a use for the LRU order. A miss is not an error.
func (s *Space) Get(ctx context.Context, key string) (value []byte, hit bool, err error) {
	if err := s.check(); err != nil {
		return nil, false, err
	}
	if err := checkKey(key, s.c.opts.MaxKeyBytes); err != nil {
		return nil, false, err
	}
	var get *redis.StringCmd
	var touch *redis.IntCmd
	_, _ = s.c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		get = p.Get(ctx, valueKey(s.visitor, key))
		touch = p.ZAddXX(ctx, lruKey(s.visitor), redis.Z{Score: float64(s.c.now()), Member: key})
		return nil
	})
	value, err = get.Bytes()
	switch {
	case errors.Is(err, redis.Nil):
		s.c.lookups.misses.Add(1)
		return nil, false, nil
	case err != nil:
		return nil, false, s.c.serverError("getting a key", err)
	case touch.Err() != nil:
		return nil, false, s.c.serverError("updating the LRU index", touch.Err())
	}
	s.c.lookups.hits.Add(1)
	return value, true, nil
}

// Stored is what a Store did besides writing the value.
type Stored struct {
	// Replaced is whether the key held a value that had not expired.
	Replaced bool
	// Evicted are the visitor's least recently used keys that were
	// deleted to stay within MaxKeys and MaxBytes, oldest first. The DEL
	// span names them too (attribute cache.evicted, an event per key).
	Evicted []string
	// Expired are index entries of expired keys that were pruned; pruning
	// happens when the index holds more than MaxKeys entries or a key is
	// evicted.
	Expired []string
}

// Set stores value under key for ttl. See Store, which also reports
// evictions.
func (s *Space) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	_, err := s.Store(ctx, key, value, ttl)
	return err
}

// Store stores value under key for ttl (1 ms to MaxTTL; other TTLs are
// refused with ErrBadTTL, not clamped) and makes it the most recently
// used key. When the visitor's live keys would then exceed MaxKeys or
// MaxBytes, their least recently used keys are evicted, and Stored says
// which. Errors wrap ErrBadVisitor, ErrBadKey, ErrValueTooLarge, ErrBadTTL
// or ErrClosed, or are the server's, as "cache: storing a key: …".
func (s *Space) Store(ctx context.Context, key string, value []byte, ttl time.Duration) (Stored, error) {
	if err := s.check(); err != nil {
		return Stored{}, err
	}
	lim := s.limits()
	if err := checkKey(key, lim.MaxKeyBytes); err != nil {
		return Stored{}, err
	}
	if err := checkValue(value, lim.MaxValueBytes); err != nil {
		return Stored{}, err
	}
	if err := checkTTL(ttl, lim.MaxTTL); err != nil {
		return Stored{}, err
	}
	defer s.c.lock(s.visitor)()
	stamp := s.c.now()
	nowMS := stamp / 1000
	lru, meta := lruKey(s.visitor), metaKey(s.visitor)
	var index *redis.MapStringStringCmd
	_, err := s.c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		index = p.HGetAll(ctx, meta)
		p.Do(ctx, "SET", valueKey(s.visitor, key), value, "PX", ttl.Milliseconds())
		p.ZAdd(ctx, lru, redis.Z{Score: float64(stamp), Member: key})
		p.HSet(ctx, meta, key, entry{expires: nowMS + ttl.Milliseconds(), bytes: len(value)}.String())
		p.PExpire(ctx, lru, s.c.indexTTL())
		p.PExpire(ctx, meta, s.c.indexTTL())
		return nil
	})
	if err != nil {
		return Stored{}, s.c.serverError("storing a key", err)
	}
	pl := planSet(index.Val(), key, len(value), nowMS, ttl)
	res := Stored{Replaced: pl.replaced}
	if pl.over(lim) {
		order, err := s.c.rdb.ZRange(ctx, lru, 0, -1).Result()
		if err != nil {
			return res, s.c.serverError("reading the LRU index", err)
		}
		res.Evicted = pl.victims(order, key, lim)
	}
	if len(res.Evicted) > 0 || len(pl.live)+len(pl.expired) > lim.MaxKeys {
		res.Expired = pl.expired
	}
	if len(res.Evicted)+len(res.Expired) == 0 {
		return res, nil
	}
	return res, s.evict(ctx, res.Evicted, res.Expired)
}

// TTL returns the time key has left, or a negative duration when it does
// not exist (or has expired). It does not count as a use.
func (s *Space) TTL(ctx context.Context, key string) (time.Duration, error) {
	if err := s.check(); err != nil {
		return 0, err
	}
	if err := checkKey(key, s.c.opts.MaxKeyBytes); err != nil {
		return 0, err
	}
	d, err := s.c.rdb.PTTL(ctx, valueKey(s.visitor, key)).Result()
	if err != nil {
		return 0, s.c.serverError("reading a TTL", err)
	}
	if d < 0 {
		return -1, nil
	}
	return d, nil
}

// Del deletes keys and returns how many existed.
func (s *Space) Del(ctx context.Context, keys ...string) (int64, error) {
	if err := s.check(); err != nil {
		return 0, err
	}
	if len(keys) == 0 {
		return 0, nil
	}
	full := make([]string, len(keys))
	members := make([]any, len(keys))
	for i, k := range keys {
		if err := checkKey(k, s.c.opts.MaxKeyBytes); err != nil {
			return 0, err
		}
		full[i] = valueKey(s.visitor, k)
		members[i] = k
	}
	defer s.c.lock(s.visitor)()
	var del *redis.IntCmd
	_, err := s.c.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		del = p.Del(ctx, full...)
		p.ZRem(ctx, lruKey(s.visitor), members...)
		p.HDel(ctx, metaKey(s.visitor), keys...)
		return nil
	})
	if err != nil {
		return 0, s.c.serverError("deleting keys", err)
	}
	return del.Val(), nil
}

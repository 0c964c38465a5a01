package cache

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Prefixes of the server keys of a visitor's namespace (see the package
// documentation). A visitor id never contains ':', so "v:<visitor>:" is
// a prefix no other visitor's key can share.
const (
	valuePrefix = "v:"
	lruPrefix   = "lru:"
	metaPrefix  = "meta:"
)

func valueKey(visitor, key string) string { return valuePrefix + visitor + ":" + key }
func lruKey(visitor string) string        { return lruPrefix + visitor }
func metaKey(visitor string) string       { return metaPrefix + visitor }

// entry is what the index knows about one key: when it expires (Unix ms)
// and the size of its value.
type entry struct {
	expires int64
	bytes   int
}

func (e entry) String() string {
	return strconv.FormatInt(e.expires, 10) + " " + strconv.Itoa(e.bytes)
}

// parseEntry reads an entry; a malformed one reads as long expired, so it
// is pruned.
func parseEntry(s string) entry {
	exp, size, _ := strings.Cut(s, " ")
	e, err := strconv.ParseInt(exp, 10, 64)
	n, err2 := strconv.Atoi(size)
	if err != nil || err2 != nil {
		return entry{}
	}
	return entry{expires: e, bytes: n}
}

// plan is what a Set must do besides writing the value, decided from the
// index as it was before the Set.
type plan struct {
	live     map[string]entry // keys not expired, the new one included
	expired  []string         // entries of expired keys
	replaced bool             // the key was live before
	bytes    int              // bytes of the live keys
}

// planSet reads the index before a Set of key with size bytes, at nowMS.
func planSet(meta map[string]string, key string, size int, nowMS int64, ttl time.Duration) plan {
	p := plan{live: make(map[string]entry, len(meta)+1)}
	for k, raw := range meta {
		e := parseEntry(raw)
		switch {
		case e.expires <= nowMS:
			if k != key {
				p.expired = append(p.expired, k)
			}
		case k == key:
			p.replaced = true
		default:
			p.live[k] = e
			p.bytes += e.bytes
		}
	}
	slices.Sort(p.expired)
	p.live[key] = entry{expires: nowMS + ttl.Milliseconds(), bytes: size}
	p.bytes += size
	return p
}

// over reports whether the live keys exceed the caps.
func (p *plan) over(l Limits) bool {
	return len(p.live) > l.MaxKeys || p.bytes > l.MaxBytes
}

// victims picks the keys to evict, least recently used first: keys the
// LRU order does not know come first, then the order (ascending last use)
// in lru; never key itself.
func (p *plan) victims(lru []string, key string, l Limits) []string {
	inLRU := make(map[string]bool, len(lru))
	for _, k := range lru {
		inLRU[k] = true
	}
	var unknown []string
	for k := range p.live {
		if !inLRU[k] && k != key {
			unknown = append(unknown, k)
		}
	}
	slices.Sort(unknown)
	var out []string
	for _, k := range append(unknown, lru...) {
		if !p.over(l) {
			break
		}
		e, ok := p.live[k]
		if !ok || k == key {
			continue
		}
		delete(p.live, k)
		p.bytes -= e.bytes
		out = append(out, k)
	}
	return out
}

// evict deletes the victims and prunes the expired entries, in one
// transaction; the DEL span names them.
func (s *Space) evict(ctx context.Context, victims, expired []string) error {
	drop := append(slices.Clone(victims), expired...)
	full := make([]string, len(drop))
	members := make([]any, len(drop))
	for i, k := range drop {
		full[i] = valueKey(s.visitor, k)
		members[i] = k
	}
	ctx = withNote(ctx, note{evicted: victims, expired: expired})
	_, err := s.c.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, full...)
		p.ZRem(ctx, lruKey(s.visitor), members...)
		p.HDel(ctx, metaKey(s.visitor), drop...)
		return nil
	})
	if err != nil {
		return s.c.serverError("evicting keys", err)
	}
	return nil
}

// KeyInfo describes one of a visitor's keys.
type KeyInfo struct {
	Key      string
	Bytes    int
	TTL      time.Duration // time left
	LastUsed time.Time     // last Get hit or Set
}

// Keys lists the visitor's keys that have not expired, most recently used
// first. It reads the index (never KEYS or SCAN, so no pattern is built
// from input) and does not count as a use.
func (s *Space) Keys(ctx context.Context) ([]KeyInfo, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	var meta *redis.MapStringStringCmd
	var lru *redis.ZSliceCmd
	_, err := s.c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		meta = p.HGetAll(ctx, metaKey(s.visitor))
		lru = p.ZRangeWithScores(ctx, lruKey(s.visitor), 0, -1)
		return nil
	})
	if err != nil {
		return nil, s.c.serverError("listing keys", err)
	}
	used := make(map[string]int64, len(lru.Val()))
	for _, z := range lru.Val() {
		if k, ok := z.Member.(string); ok {
			used[k] = int64(z.Score)
		}
	}
	now := s.c.opts.Now()
	nowMS := now.UnixMilli()
	out := make([]KeyInfo, 0, len(meta.Val()))
	for k, raw := range meta.Val() {
		e := parseEntry(raw)
		if e.expires <= nowMS {
			continue
		}
		out = append(out, KeyInfo{
			Key:      k,
			Bytes:    e.bytes,
			TTL:      time.Duration(e.expires-nowMS) * time.Millisecond,
			LastUsed: time.UnixMicro(used[k]),
		})
	}
	slices.SortFunc(out, func(a, b KeyInfo) int {
		if c := b.LastUsed.Compare(a.LastUsed); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out, nil
}

// Flush deletes all of the visitor's keys and their index.
func (s *Space) Flush(ctx context.Context) error {
	if err := s.check(); err != nil {
		return err
	}
	defer s.c.lock(s.visitor)()
	var meta, lru *redis.StringSliceCmd
	_, err := s.c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		meta = p.HKeys(ctx, metaKey(s.visitor))
		lru = p.ZRange(ctx, lruKey(s.visitor), 0, -1)
		return nil
	})
	if err != nil {
		return s.c.serverError("reading the index", err)
	}
	keys := append(meta.Val(), lru.Val()...)
	slices.Sort(keys)
	keys = slices.Compact(keys)
	full := make([]string, 0, len(keys)+2)
	for _, k := range keys {
		full = append(full, valueKey(s.visitor, k))
	}
	full = append(full, lruKey(s.visitor), metaKey(s.visitor))
	if err := s.c.rdb.Del(ctx, full...).Err(); err != nil {
		return s.c.serverError("flushing keys", err)
	}
	return nil
}

// indexTTL is how long the index of a namespace outlives its last write:
// longer than any value can.
func (c *Cache) indexTTL() time.Duration { return c.opts.MaxTTL + time.Minute }

// Package cache is the Redis-protocol cache the caching lessons run on.
//
// By default it starts an embedded Redis-protocol server (miniredis) on a
// loopback port, with keys expiring on the wall clock; given a redis://
// URL the same code talks to a real Redis. Every visitor gets a namespace
// of their own (Cache.For): their keys are stored under a prefix they
// cannot leave, capped in number and bytes, and the least recently used
// ones are evicted to make room. Every command sent to the server is an
// OpenTelemetry client span.
//
// The layout of one visitor's namespace in the server:
//
//	v:<visitor>:<key>   the value, always with a TTL (SET … PX)
//	lru:<visitor>       sorted set: key -> last use (Unix µs)
//	meta:<visitor>      hash: key -> "<expires at, Unix ms> <bytes>"
//
// The two index keys expire MaxTTL after the visitor's last write, so an
// abandoned namespace disappears on its own. A visitor's writes are
// serialised within one process; processes sharing a Redis may, racing,
// evict a key more than needed. Keys the server drops by itself (a real
// Redis under maxmemory) count against the caps until their TTL ends.
//
// Evictions are reported twice: Space.Store returns them (Stored.Evicted),
// and the DEL span that removes them carries cache.evicted and a
// "cache.evicted" event per key.
package cache

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Options configures a Cache. Zero values mean the documented default.
type Options struct {
	// URL is a redis://, rediss:// or unix:// URL of a real Redis; empty
	// starts the embedded server.
	URL string
	// Tracer records a span per command. Default: a no-op tracer.
	Tracer trace.Tracer
	// MaxKeys caps the keys of one visitor; setting a new key beyond it
	// evicts the visitor's least recently used key. Default 200.
	MaxKeys int
	// MaxBytes caps the bytes of values one visitor keeps; a Set beyond it
	// evicts least recently used keys until the new value fits. Default
	// 256 KiB; raised to MaxValueBytes when smaller.
	MaxBytes int
	// MaxValueBytes is the largest value a Set accepts. Default 64 KiB.
	MaxValueBytes int
	// MaxKeyBytes is the longest key name a visitor may use. Default 200.
	MaxKeyBytes int
	// MaxTTL is the longest TTL a Set accepts; every value has a TTL
	// between 1 ms and MaxTTL (anything else is refused with ErrBadTTL).
	// Default 1h.
	MaxTTL time.Duration
	// Now is the clock of the LRU index and of the TTLs Keys reports.
	// Default time.Now. The server's own expiry runs on its clock.
	Now func() time.Time
}

func (o *Options) defaults() {
	if o.Tracer == nil {
		o.Tracer = noop.NewTracerProvider().Tracer("")
	}
	if o.MaxKeys <= 0 {
		o.MaxKeys = 200
	}
	if o.MaxValueBytes <= 0 {
		o.MaxValueBytes = 64 << 10
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = 256 << 10
	}
	o.MaxBytes = max(o.MaxBytes, o.MaxValueBytes)
	if o.MaxKeyBytes <= 0 {
		o.MaxKeyBytes = 200
	}
	if o.MaxTTL <= 0 {
		o.MaxTTL = time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Timeouts of the connection to the server.
const (
	connectTimeout = 2 * time.Second
	commandTimeout = 2 * time.Second
)

// lockStripes is how many mutexes serialise the writes of visitors (a
// visitor always maps to the same one).
const lockStripes = 64

// Cache is a connection to the cache server and, with the embedded
// server, the server itself. It is safe for concurrent use.
type Cache struct {
	opts    Options
	rdb     *redis.Client
	server  *embedded // nil with a URL
	backend string

	locks [lockStripes]sync.Mutex
	seed  maphash.Seed
	stamp atomic.Int64 // last LRU stamp handed out, Unix µs

	lookups lookups // Space.Get's hits and misses, for Lookups

	closeOnce sync.Once
	closeErr  error
	closed    atomic.Bool
}

// New starts the embedded server (opts.URL empty) or connects to the Redis
// at opts.URL, and checks the connection with a PING. An unreachable
// server is an error, not a panic: "cache: connecting to redis at
// host:port: …".
func New(ctx context.Context, opts Options) (*Cache, error) {
	opts.defaults()
	c := &Cache{opts: opts, seed: maphash.MakeSeed()}
	var ro *redis.Options
	if opts.URL == "" {
		srv, err := startEmbedded()
		if err != nil {
			return nil, err
		}
		c.server = srv
		ro = &redis.Options{Addr: srv.addr()}
		c.backend = "embedded Redis-protocol server on " + srv.addr()
	} else {
		var err error
		if ro, err = parseURL(opts.URL); err != nil {
			return nil, err
		}
		c.backend = describe(ro)
	}
	ro.Protocol = 2
	ro.DisableIdentity = true
	ro.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	ro.DialTimeout = connectTimeout
	ro.ReadTimeout = commandTimeout
	ro.WriteTimeout = commandTimeout
	ro.ContextTimeoutEnabled = true
	ro.MaxRetries = 1
	ro.DialerRetries = 1
	c.rdb = redis.NewClient(ro)
	c.rdb.AddHook(newTracingHook(opts.Tracer, ro))

	pctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	if err := c.rdb.Ping(withoutTrace(pctx)).Err(); err != nil {
		err = fmt.Errorf("cache: connecting to redis at %s: %w", ro.Addr, err)
		return nil, errors.Join(err, c.Close())
	}
	return c, nil
}

// parseURL parses a Redis URL. Its errors never repeat the URL, which may
// hold a password.
func parseURL(raw string) (*redis.Options, error) {
	ro, err := redis.ParseURL(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("cache: parsing the Redis URL: %w", err)
	}
	return ro, nil
}

// CheckURL reports whether raw is a Redis URL New accepts, without
// connecting; its errors never repeat the URL, which may hold a password.
func CheckURL(raw string) error {
	_, err := parseURL(raw)
	return err
}

// describe names a real Redis server without its credentials.
func describe(ro *redis.Options) string {
	s := "Redis at " + ro.Addr + " (db " + strconv.Itoa(ro.DB)
	if ro.TLSConfig != nil {
		s += ", TLS"
	}
	return s + ")"
}

// Backend says what the cache talks to, e.g. "embedded Redis-protocol
// server on 127.0.0.1:41234" or "Redis at 127.0.0.1:6390 (db 0)"; never a
// password.
func (c *Cache) Backend() string { return c.backend }

// Limits returns the caps in force (the Options after defaults).
func (c *Cache) Limits() Limits {
	return Limits{
		MaxKeys:       c.opts.MaxKeys,
		MaxBytes:      c.opts.MaxBytes,
		MaxValueBytes: c.opts.MaxValueBytes,
		MaxKeyBytes:   c.opts.MaxKeyBytes,
		MaxTTL:        c.opts.MaxTTL,
	}
}

// Limits are the caps of every visitor's namespace.
type Limits struct {
	MaxKeys, MaxBytes, MaxValueBytes, MaxKeyBytes int
	MaxTTL                                        time.Duration
}

// Close closes the connections and stops the embedded server, whose data
// is lost. Later calls return the first call's result; methods called
// after Close return ErrClosed.
func (c *Cache) Close() error {
	c.closeOnce.Do(func() {
		c.closed.Store(true)
		if c.rdb != nil {
			if err := c.rdb.Close(); err != nil {
				c.closeErr = fmt.Errorf("cache: closing the client: %w", err)
			}
		}
		if c.server != nil {
			c.server.close()
		}
	})
	return c.closeErr
}

// lock serialises the writes to one visitor's namespace within this
// process, so that two Sets at the cap do not both evict.
func (c *Cache) lock(visitor string) func() {
	m := &c.locks[maphash.String(c.seed, visitor)%lockStripes]
	m.Lock()
	return m.Unlock
}

// now returns an LRU stamp: the clock in Unix µs, strictly increasing
// across the calls of this Cache, so that the order of uses is exact
// even when the clock is coarse.
func (c *Cache) now() int64 {
	t := c.opts.Now().UnixMicro()
	for {
		last := c.stamp.Load()
		next := max(t, last+1)
		if c.stamp.CompareAndSwap(last, next) {
			return next
		}
	}
}

package rooms

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/engineroom/engineroom/playground/cache"
	"github.com/engineroom/engineroom/playground/internal/tcpfault"
)

// store is a place the rooms of a test live: this process's memory, a
// Redis-protocol server the test starts, or the Redis at REDIS_URL.
type testStore struct {
	name string
	// shared connects a new client to the store's server, as another
	// instance of the app would; nil for memory.
	shared func(t *testing.T) Shared
	// now is the clock hubs run on; elapse makes d pass for the store
	// and that clock alike.
	now    func() time.Time
	elapse func(d time.Duration)
	// idle is the IdleTTL expiry tests use: an hour where time can be
	// skipped, less than a second on a real Redis, where it is waited
	// for.
	idle time.Duration
	// proxy stands before the embedded server, for tests that take it
	// away; nil for the other stores.
	proxy *tcpfault.Proxy
}

// hub starts a Hub on the store, closed when the test ends.
func (s testStore) hub(t *testing.T, opts Options) *Hub {
	t.Helper()
	if opts.Now == nil {
		opts.Now = s.now
	}
	if s.shared != nil {
		opts.Shared = s.shared(t)
	}
	h := New(opts)
	t.Cleanup(h.Close)
	return h
}

// stores returns the stores every hub test runs on: memory, a miniredis
// server, and, when REDIS_URL is set, that Redis, in a namespace of the
// test's own that is flushed when it ends.
func stores(t *testing.T) []testStore {
	t.Helper()
	mem := &clock{t: time.Unix(1e9, 0)}
	out := []testStore{{name: "memory", now: mem.now, elapse: mem.add, idle: time.Hour}}

	m := miniredis.RunT(t)
	proxy := tcpfault.New(t, m.Addr())
	miniClock := &clock{t: time.Unix(1e9, 0)}
	out = append(out, testStore{
		name:   "miniredis",
		shared: sharedOn("redis://"+proxy.Addr(), "rooms"),
		now:    miniClock.now,
		elapse: func(d time.Duration) { miniClock.add(d); m.FastForward(d) },
		idle:   time.Hour,
		proxy:  proxy,
	})

	if url := os.Getenv("REDIS_URL"); url != "" {
		out = append(out, testStore{
			name:   "redis",
			shared: sharedOn(url, uniqueName(t)),
			now:    time.Now,
			elapse: func(d time.Duration) { time.Sleep(d + 50*time.Millisecond) },
			idle:   700 * time.Millisecond,
		})
	}
	return out
}

// sharedOn returns a function that connects a new cache client to the
// server at url and returns its namespace name, flushed and closed when
// the test ends.
func sharedOn(url, name string) func(t *testing.T) Shared {
	return func(t *testing.T) Shared {
		t.Helper()
		kv, err := cache.New(context.Background(), cache.Options{URL: url})
		if err != nil {
			t.Fatal(err)
		}
		s := kv.Shared(name)
		t.Cleanup(func() {
			if _, err := s.Flush(context.Background()); err != nil {
				t.Errorf("Flush: %v", err)
			}
			if err := kv.Close(); err != nil {
				t.Errorf("closing the cache: %v", err)
			}
		})
		return s
	}
}

// uniqueName is a namespace no other test, or run, uses.
func uniqueName(t *testing.T) string {
	t.Helper()
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "rooms-test-" + hex.EncodeToString(b)
}

// eachStore runs test on every store.
func eachStore(t *testing.T, test func(t *testing.T, s testStore)) {
	for _, s := range stores(t) {
		t.Run(s.name, func(t *testing.T) { test(t, s) })
	}
}

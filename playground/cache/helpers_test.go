package cache

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"slices"
	"testing"
	"time"
)

// newCache starts a Cache for a test: against the Redis at REDIS_URL when
// it is set, the embedded server otherwise. It is closed when the test
// ends.
func newCache(t testing.TB, opts Options) *Cache {
	t.Helper()
	opts.URL = os.Getenv("REDIS_URL")
	c, err := New(context.Background(), opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return c
}

// newVisitor returns the namespace of a visitor id no other test (or run)
// uses; it is flushed, and checked to be empty, when the test ends.
func newVisitor(t testing.TB, c *Cache) *Space {
	t.Helper()
	s := c.For(uniqueID(t))
	t.Cleanup(func() {
		if c.closed.Load() {
			return
		}
		ctx := context.Background()
		if err := s.Flush(ctx); err != nil {
			t.Errorf("Flush: %v", err)
		}
		if left := serverKeys(t, c, s.visitor); len(left) > 0 {
			t.Errorf("after Flush the server still holds %q", left)
		}
	})
	return s
}

func uniqueID(t testing.TB) string {
	t.Helper()
	b := make([]byte, 9)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "test-" + hex.EncodeToString(b)
}

// serverKeys lists, straight from the server, every key of a visitor's
// namespace: values and index. The visitor id is one of ours, so it is
// safe in a pattern.
func serverKeys(t testing.TB, c *Cache, visitor string) []string {
	t.Helper()
	var all []string
	for _, pattern := range []string{valueKey(visitor, "*"), lruKey(visitor), metaKey(visitor)} {
		keys, err := scanAll(c, pattern)
		if err != nil {
			t.Fatalf("SCAN %s: %v", pattern, err)
		}
		all = append(all, keys...)
	}
	slices.Sort(all)
	return all
}

func scanAll(c *Cache, pattern string) ([]string, error) {
	ctx := withoutTrace(context.Background())
	var out []string
	var cursor uint64
	for {
		keys, next, err := c.rdb.Scan(ctx, cursor, pattern, 1000).Result()
		if err != nil {
			return nil, err
		}
		out = append(out, keys...)
		if cursor = next; cursor == 0 {
			return out, nil
		}
	}
}

// eventually polls cond every 10ms until it holds or the deadline passes.
func eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func keyNames(infos []KeyInfo) []string {
	out := make([]string, len(infos))
	for i, k := range infos {
		out[i] = k.Key
	}
	return out
}

func mustSet(t testing.TB, s *Space, key, value string, ttl time.Duration) Stored {
	t.Helper()
	st, err := s.Store(context.Background(), key, []byte(value), ttl)
	if err != nil {
		t.Fatalf("Store(%q): %v", key, err)
	}
	return st
}

func mustKeys(t testing.TB, s *Space) []KeyInfo {
	t.Helper()
	infos, err := s.Keys(context.Background())
	if err != nil {
		t.Fatalf("Keys: %v", err)
	}
	return infos
}

package web

import (
	"crypto/sha256"
	"testing"
	"time"
)

// TestIdempotencyStore covers the store on its own, with a clock the test
// moves: what begin finds for a key, expiry, and the bounds.
func TestIdempotencyStore(t *testing.T) {
	now := time.Date(2026, 4, 15, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	fp := func(s string) [sha256.Size]byte { return sha256.Sum256([]byte(s)) }
	limits := idempotencyLimits{maxEntries: 4, maxPerVisitor: 3, maxBytes: 100, maxBody: 50, maxAge: time.Hour}

	t.Run("a key's life", func(t *testing.T) {
		s := newIdempotencyStore(limits, clock)
		a, found := s.begin("v", "k", fp("x"))
		if found != keyNew || a == nil {
			t.Fatalf("first begin = %d", found)
		}
		if _, found := s.begin("v", "k", fp("x")); found != keyRunning {
			t.Errorf("while the first runs: %d, want keyRunning", found)
		}
		if _, found := s.begin("v", "k", fp("y")); found != keyMismatch {
			t.Errorf("another body while the first runs: %d, want keyMismatch", found)
		}
		a.status, a.body = 201, []byte("hello")
		s.finish(a)
		if b, found := s.begin("v", "k", fp("x")); found != keyReplay || b != a {
			t.Errorf("after it ran: %d, want keyReplay of its answer", found)
		}
		if _, found := s.begin("w", "k", fp("y")); found != keyNew {
			t.Errorf("another visitor's key: %d, want keyNew", found)
		}
		now = now.Add(time.Hour)
		if _, found := s.begin("v", "k", fp("y")); found != keyNew {
			t.Errorf("after an hour, another body: %d, want keyNew (the old answer expired)", found)
		}
	})

	t.Run("abandon frees the key", func(t *testing.T) {
		s := newIdempotencyStore(limits, clock)
		a, _ := s.begin("v", "k", fp("x"))
		s.abandon(a)
		if _, found := s.begin("v", "k", fp("y")); found != keyNew || s.size() != 1 {
			t.Errorf("after abandon: %d, size %d; want keyNew and one entry", found, s.size())
		}
	})

	t.Run("bounds", func(t *testing.T) {
		s := newIdempotencyStore(limits, clock)
		run := func(visitor, key string, body int) *keptAnswer {
			a, found := s.begin(visitor, key, fp(key))
			if found != keyNew {
				t.Fatalf("%s/%s: %d, want keyNew", visitor, key, found)
			}
			a.status, a.body = 200, make([]byte, body)
			s.finish(a)
			return a
		}
		for _, k := range []string{"1", "2", "3", "4"} {
			run("v", k, 1)
		}
		// A visitor keeps at most 3: their oldest went.
		if _, found := s.begin("v", "1", fp("1")); found != keyNew {
			t.Errorf("v/1 after 4 keys: %d, want keyNew (evicted)", found)
		}
		if _, found := s.begin("v", "4", fp("4")); found != keyReplay {
			t.Errorf("v/4: %d, want keyReplay", found)
		}
		// 4 entries at most, whoever they belong to.
		run("w", "a", 1)
		if s.size() > 4 {
			t.Errorf("size %d, want at most 4", s.size())
		}
		// 100 bytes at most: a large answer pushes the oldest out.
		run("w", "big", 60)
		run("x", "big", 60)
		if _, found := s.begin("w", "big", fp("big")); found != keyNew {
			t.Errorf("w/big after 120 bytes: %d, want keyNew (evicted)", found)
		}
		if s.bytes > 100 {
			t.Errorf("%d bytes kept, want at most 100", s.bytes)
		}
	})

	t.Run("finish after eviction", func(t *testing.T) {
		s := newIdempotencyStore(idempotencyLimits{maxEntries: 1, maxPerVisitor: 1, maxBytes: 100, maxAge: time.Hour}, clock)
		a, _ := s.begin("v", "1", fp("1"))
		s.begin("w", "2", fp("2")) // pushes a out while it runs
		a.body = []byte("late")
		s.finish(a)
		if s.size() != 1 || s.bytes != 0 {
			t.Errorf("size %d, bytes %d: want the late answer dropped", s.size(), s.bytes)
		}
	})
}

// TestCheckIdempotencyKey is a table of the header values refused.
func TestCheckIdempotencyKey(t *testing.T) {
	long := make([]byte, 256)
	for i := range long {
		long[i] = 'k'
	}
	tests := []struct {
		values []string
		ok     bool
	}{
		{[]string{"8e4f1c52-3a9d-4f1e-9a57-2b0c6d1e7f30"}, true},
		{[]string{string(long[:255])}, true},
		{[]string{"!~"}, true},
		{[]string{string(long)}, false},
		{[]string{""}, false},
		{[]string{"a b"}, false},
		{[]string{"café"}, false},
		{[]string{"tab\there"}, false},
		{[]string{"a", "b"}, false},
	}
	for _, tt := range tests {
		if msg := checkIdempotencyKey(tt.values); (msg == "") != tt.ok {
			t.Errorf("checkIdempotencyKey(%q) = %q, want ok %v", tt.values, msg, tt.ok)
		}
	}
}

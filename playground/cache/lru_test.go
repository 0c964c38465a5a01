package cache

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestVisitorsAreIsolated(t *testing.T) {
	ctx := context.Background()
	c := newCache(t, Options{MaxKeys: 5})
	alice, bob := newVisitor(t, c), newVisitor(t, c)

	mustSet(t, alice, "balance", "1000", time.Minute)
	mustSet(t, alice, "*", "star", time.Minute)
	// Bob tries names that would reach Alice's keys if they were pasted
	// into a key or a pattern unchecked.
	for _, key := range []string{
		"balance", "*", "../" + alice.Visitor() + ":balance",
		alice.Visitor() + ":balance", "v:" + alice.Visitor() + ":balance",
	} {
		if _, hit, err := bob.Get(ctx, key); err != nil || hit {
			t.Errorf("Bob's Get(%q) = hit %v, %v; want a miss", key, hit, err)
		}
		if n, err := bob.Del(ctx, key); err != nil || n != 0 {
			t.Errorf("Bob's Del(%q) = %d, %v; want 0", key, n, err)
		}
	}
	if infos := mustKeys(t, bob); len(infos) != 0 {
		t.Errorf("Bob's Keys = %+v, want none", infos)
	}
	// Bob floods his namespace and flushes it: Alice keeps her keys.
	for i := range 50 {
		mustSet(t, bob, fmt.Sprint("k", i), "x", time.Minute)
	}
	if err := bob.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := keyNames(mustKeys(t, alice)); !slices.Equal(got, []string{"*", "balance"}) {
		t.Errorf("Alice's Keys = %q, want [* balance]", got)
	}
	if v, hit, err := alice.Get(ctx, "balance"); err != nil || !hit || string(v) != "1000" {
		t.Errorf("Alice's Get = %q, %v, %v", v, hit, err)
	}
}

func TestLRUEvictionAtTheCap(t *testing.T) {
	ctx := context.Background()
	c := newCache(t, Options{MaxKeys: 3})
	s := newVisitor(t, c)
	for _, k := range []string{"a", "b", "c"} {
		if st := mustSet(t, s, k, k, time.Minute); len(st.Evicted) > 0 {
			t.Fatalf("Store(%q) below the cap evicted %q", k, st.Evicted)
		}
	}
	if _, hit, _ := s.Get(ctx, "a"); !hit {
		t.Fatal("Get(a) missed")
	}
	// b is now the least recently used; reading its TTL is no use.
	if _, err := s.TTL(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	st := mustSet(t, s, "d", "d", time.Minute)
	if !slices.Equal(st.Evicted, []string{"b"}) {
		t.Errorf("Store(d) evicted %q, want [b]", st.Evicted)
	}
	if got := keyNames(mustKeys(t, s)); !slices.Equal(got, []string{"d", "a", "c"}) {
		t.Errorf("Keys = %q, want [d a c]", got)
	}
	if _, hit, _ := s.Get(ctx, "b"); hit {
		t.Error("the evicted key still hits")
	}
	// Replacing a key at the cap evicts nothing.
	if st := mustSet(t, s, "c", "c2", time.Minute); len(st.Evicted) > 0 || !st.Replaced {
		t.Errorf("replacing c at the cap = %+v, want Replaced and nothing evicted", st)
	}
	if got := serverKeys(t, c, s.Visitor()); len(got) != 5 {
		t.Errorf("server keys = %q, want 3 values and 2 index keys", got)
	}
}

func TestLRUEvictionByBytes(t *testing.T) {
	c := newCache(t, Options{MaxBytes: 100, MaxValueBytes: 60})
	s := newVisitor(t, c)
	mustSet(t, s, "big", string(make([]byte, 60)), time.Minute)
	mustSet(t, s, "small", string(make([]byte, 30)), time.Minute)
	st := mustSet(t, s, "more", string(make([]byte, 30)), time.Minute)
	if !slices.Equal(st.Evicted, []string{"big"}) {
		t.Errorf("Store over MaxBytes evicted %q, want [big]", st.Evicted)
	}
	mustSet(t, s, "large", string(make([]byte, 50)), time.Minute) // evicts small
	st = mustSet(t, s, "largest", string(make([]byte, 60)), time.Minute)
	if !slices.Equal(st.Evicted, []string{"more", "large"}) {
		t.Errorf("Store of 60 bytes next to 80 evicted %q, want [more large]", st.Evicted)
	}
	infos := mustKeys(t, s)
	if len(infos) != 1 || infos[0].Key != "largest" || infos[0].Bytes != 60 {
		t.Errorf("Keys = %+v, want only largest (60 bytes)", infos)
	}
}

func TestKeyFloodStaysAtTheCap(t *testing.T) {
	ctx := context.Background()
	const maxKeys, writers, each = 50, 8, 250
	c := newCache(t, Options{MaxKeys: maxKeys})
	s := newVisitor(t, c)
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				if err := s.Set(ctx, fmt.Sprintf("w%d-%d", w, i), []byte("x"), time.Minute); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := len(mustKeys(t, s)); n != maxKeys {
		t.Errorf("after %d Sets Keys lists %d keys, want %d", writers*each, n, maxKeys)
	}
	if n := len(serverKeys(t, c, s.Visitor())); n != maxKeys+2 {
		t.Errorf("the server holds %d keys of the visitor, want %d values and 2 index keys", n, maxKeys)
	}
}

func TestExpiredEntriesArePruned(t *testing.T) {
	c := newCache(t, Options{MaxKeys: 3})
	s := newVisitor(t, c)
	for _, k := range []string{"a", "b", "c"} {
		mustSet(t, s, k, k, 50*time.Millisecond)
	}
	eventually(t, 5*time.Second, "the keys expire", func() bool { return len(mustKeys(t, s)) == 0 })
	// The index now holds more entries than MaxKeys: the expired ones go.
	st := mustSet(t, s, "x", "x", time.Minute)
	if len(st.Evicted) > 0 || !slices.Equal(st.Expired, []string{"a", "b", "c"}) {
		t.Errorf("Store next to expired keys = %+v, want nothing evicted and a, b, c pruned", st)
	}
	for _, k := range []string{"y", "z"} {
		if st := mustSet(t, s, k, k, time.Minute); len(st.Evicted) > 0 || len(st.Expired) > 0 {
			t.Errorf("Store(%q) = %+v, want nothing evicted or pruned", k, st)
		}
	}
	if got := keyNames(mustKeys(t, s)); !slices.Equal(got, []string{"z", "y", "x"}) {
		t.Errorf("Keys = %q, want [z y x]", got)
	}
}

func TestLRUStampsIncrease(t *testing.T) {
	fixed := time.Unix(1_700_000_000, 0)
	c := &Cache{opts: Options{Now: func() time.Time { return fixed }}}
	a, b := c.now(), c.now()
	if a != fixed.UnixMicro() || b != a+1 {
		t.Errorf("stamps with a stopped clock = %d, %d; want %d and one more", a, b, fixed.UnixMicro())
	}
}

// TestLimitedSpace: a Space with tighter caps evicts at its own cap, by
// keys and by bytes, and cannot loosen the cache's.
func TestLimitedSpace(t *testing.T) {
	c := newCache(t, Options{MaxKeys: 10})
	tests := []struct {
		name              string
		maxKeys, maxBytes int
		values            []string // stored as k0, k1, … in order
		wantKept          []string // most recently used first
		wantEvicted       []string
	}{
		{"by keys", 3, 0, []string{"a", "b", "c", "d", "e"}, []string{"k4", "k3", "k2"}, []string{"k0", "k1"}},
		{"by bytes", 0, 10, []string{"aaaa", "bbbb", "cccc"}, []string{"k2", "k1"}, []string{"k0"}},
		{"never looser than the cache", 50, 0, []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"}, nil, []string{"k0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newVisitor(t, c).Limited(tt.maxKeys, tt.maxBytes)
			var evicted []string
			for i, v := range tt.values {
				evicted = append(evicted, mustSet(t, s, fmt.Sprint("k", i), v, time.Minute).Evicted...)
			}
			if !slices.Equal(evicted, tt.wantEvicted) {
				t.Errorf("evicted %q, want %q", evicted, tt.wantEvicted)
			}
			if tt.wantKept != nil {
				if got := keyNames(mustKeys(t, s)); !slices.Equal(got, tt.wantKept) {
					t.Errorf("kept %q, want %q", got, tt.wantKept)
				}
			}
		})
	}
}

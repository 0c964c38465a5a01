package cache

import (
	"context"
	"testing"
	"time"
)

// TestExpiry checks that the server itself expires keys on the wall
// clock: the embedded server as much as a real Redis.
func TestExpiry(t *testing.T) {
	ctx := context.Background()
	c := newCache(t, Options{})
	s := newVisitor(t, c)

	mustSet(t, s, "long", "stays", 10*time.Second)
	mustSet(t, s, "short", "goes", 100*time.Millisecond)
	start := time.Now()
	eventually(t, 5*time.Second, "the 100ms key expires", func() bool {
		_, hit, err := s.Get(ctx, "short")
		if err != nil {
			t.Fatal(err)
		}
		return !hit
	})
	if took := time.Since(start); took < 95*time.Millisecond {
		t.Errorf("the 100ms key was gone after %v", took)
	}
	if d, err := s.TTL(ctx, "short"); err != nil || d >= 0 {
		t.Errorf("TTL of the expired key = %v, %v; want a negative duration", d, err)
	}
	if _, hit, err := s.Get(ctx, "long"); err != nil || !hit {
		t.Errorf("the 10s key: hit %v, %v; want a hit", hit, err)
	}
	if d, err := s.TTL(ctx, "long"); err != nil || d <= 5*time.Second || d > 10*time.Second {
		t.Errorf("TTL of the 10s key = %v, %v", d, err)
	}
	if got := keyNames(mustKeys(t, s)); len(got) != 1 || got[0] != "long" {
		t.Errorf("Keys = %q, want [long]", got)
	}
	if c.server != nil && c.server.m.Exists(valueKey(s.Visitor(), "short")) {
		t.Error("the embedded server still holds the expired key")
	}
}

// TestEmbeddedExpiryWithoutCommands checks that an idle embedded server
// expires keys too: the first command after a quiet spell sees them gone.
func TestEmbeddedExpiryWithoutCommands(t *testing.T) {
	c, err := New(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s := c.For(uniqueID(t))
	mustSet(t, s, "k", "v", 60*time.Millisecond)
	key := valueKey(s.Visitor(), "k")
	if !c.server.m.Exists(key) {
		t.Fatal("the key is not there right after Set")
	}
	eventually(t, 5*time.Second, "the key expires", func() bool { return !c.server.m.Exists(key) })
}

package cache

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// newShared returns a namespace no other test (or run) uses, flushed when
// the test ends.
func newShared(t *testing.T, c *Cache) *Shared {
	t.Helper()
	s := c.Shared(uniqueID(t))
	t.Cleanup(func() {
		if c.closed.Load() {
			return
		}
		if _, err := s.Flush(context.Background()); err != nil {
			t.Errorf("Flush: %v", err)
		}
	})
	return s
}

func TestSharedKeys(t *testing.T) {
	ctx := context.Background()
	c, rec := tracedCache(t, Options{})
	s := newShared(t, c)

	steps := []struct {
		name string
		do   func() (bool, error)
		want bool
	}{
		{"SetNX new", func() (bool, error) { return s.SetNX(ctx, "room", []byte("one"), time.Minute) }, true},
		{"SetNX taken", func() (bool, error) { return s.SetNX(ctx, "room", []byte("two"), time.Minute) }, false},
		{"SetXX existing", func() (bool, error) { return s.SetXX(ctx, "room", []byte("three"), time.Minute) }, true},
		{"SetXX missing", func() (bool, error) { return s.SetXX(ctx, "nothing", []byte("x"), time.Minute) }, false},
		{"Expire existing", func() (bool, error) { return s.Expire(ctx, "room", time.Hour) }, true},
		{"Expire missing", func() (bool, error) { return s.Expire(ctx, "nothing", time.Hour) }, false},
	}
	for _, st := range steps {
		got, err := st.do()
		if err != nil || got != st.want {
			t.Errorf("%s = %v, %v; want %v", st.name, got, err, st.want)
		}
	}
	if v, ok, err := s.Get(ctx, "room"); err != nil || !ok || string(v) != "three" {
		t.Errorf("Get = %q, %v, %v; want three", v, ok, err)
	}
	if v, ok, err := s.Get(ctx, "nothing"); err != nil || ok || v != nil {
		t.Errorf("Get missing = %q, %v, %v", v, ok, err)
	}
	if keys, err := scanAll(c, s.prefix+"*"); err != nil || len(keys) != 1 || keys[0] != s.prefix+"room" {
		t.Errorf("server keys = %q, %v; want only %sroom", keys, err, s.prefix)
	}
	if ttl := c.rdb.PTTL(withoutTrace(ctx), s.prefix+"room").Val(); ttl <= 59*time.Minute || ttl > time.Hour {
		t.Errorf("TTL after Expire = %v, want about an hour", ttl)
	}
	if n, err := s.Del(ctx, "room", "nothing"); err != nil || n != 1 {
		t.Errorf("Del = %d, %v; want 1", n, err)
	}
	if n := len(rec.Ended()); n != 0 {
		t.Errorf("shared commands made %d spans, want none", n)
	}
}

// TestSharedApartFromVisitors: a visitor whose id and key match a shared
// namespace and key reaches neither its value nor its fate.
func TestSharedApartFromVisitors(t *testing.T) {
	ctx := context.Background()
	c := newCache(t, Options{})
	s := newShared(t, c)
	name := strings.TrimSuffix(strings.TrimPrefix(s.prefix, sharedPrefix), ":")
	v := c.For(name)
	t.Cleanup(func() { _ = v.Flush(ctx) })
	if _, err := s.SetNX(ctx, "k", []byte("shared"), time.Minute); err != nil {
		t.Fatal(err)
	}
	mustSet(t, v, "k", "visitor", time.Minute)
	mustSet(t, v, "shared:"+name+":k", "visitor too", time.Minute)
	if err := v.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got, ok, err := s.Get(ctx, "k"); err != nil || !ok || string(got) != "shared" {
		t.Errorf("shared key after the visitor's writes and Flush = %q, %v, %v", got, ok, err)
	}
}

func TestSharedRefusals(t *testing.T) {
	ctx := context.Background()
	c := newCache(t, Options{MaxValueBytes: 16})
	s := newShared(t, c)
	tests := []struct {
		name  string
		key   string
		value []byte
		ttl   time.Duration
		want  error
	}{
		{"empty key", "", []byte("x"), time.Minute, ErrBadKey},
		{"control character", "a\nb", []byte("x"), time.Minute, ErrBadKey},
		{"long key", strings.Repeat("k", 201), []byte("x"), time.Minute, ErrBadKey},
		{"large value", "k", make([]byte, 17), time.Minute, ErrValueTooLarge},
		{"no TTL", "k", []byte("x"), 0, ErrBadTTL},
		{"TTL too long", "k", []byte("x"), MaxSharedTTL + time.Second, ErrBadTTL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.SetNX(ctx, tt.key, tt.value, tt.ttl); !errors.Is(err, tt.want) {
				t.Errorf("SetNX = %v, want %v", err, tt.want)
			}
			if _, err := s.SetXX(ctx, tt.key, tt.value, tt.ttl); !errors.Is(err, tt.want) {
				t.Errorf("SetXX = %v, want %v", err, tt.want)
			}
		})
	}
	if err := s.Publish(ctx, "ch", make([]byte, 17)); !errors.Is(err, ErrValueTooLarge) {
		t.Errorf("Publish of a large message = %v", err)
	}
	for _, bad := range []string{"", "a:b", "a*", strings.Repeat("n", 65)} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Shared(%q) did not panic", bad)
				}
			}()
			c.Shared(bad)
		}()
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Get(ctx, "k"); !errors.Is(err, ErrClosed) {
		t.Errorf("Get after Close = %v, want ErrClosed", err)
	}
	if _, err := s.Subscribe(); !errors.Is(err, ErrClosed) {
		t.Errorf("Subscribe after Close = %v, want ErrClosed", err)
	}
}

func TestSharedExpiry(t *testing.T) {
	ctx := context.Background()
	s := newShared(t, newCache(t, Options{}))
	if ok, err := s.SetNX(ctx, "brief", []byte("x"), 50*time.Millisecond); err != nil || !ok {
		t.Fatalf("SetNX = %v, %v", ok, err)
	}
	eventually(t, 3*time.Second, "the key expires", func() bool {
		_, ok, err := s.Get(ctx, "brief")
		return err == nil && !ok
	})
	if ok, err := s.SetNX(ctx, "brief", []byte("y"), time.Minute); err != nil || !ok {
		t.Errorf("SetNX after expiry = %v, %v; want the code free again", ok, err)
	}
}

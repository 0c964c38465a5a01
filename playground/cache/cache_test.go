package cache

import (
	"context"
	"errors"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestNewUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now

	start := time.Now()
	c, err := New(context.Background(), Options{URL: "redis://" + addr + "/0"})
	took := time.Since(start)
	if err == nil {
		c.Close()
		t.Fatal("New succeeded against a closed port")
	}
	want := "cache: connecting to redis at " + addr + ": "
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error = %q, want it to start with %q", err, want)
	}
	if took > connectTimeout+time.Second {
		t.Errorf("New took %v to give up, want at most %v", took, connectTimeout+time.Second)
	}
}

func TestNewBadURL(t *testing.T) {
	tests := []struct {
		name, url, want string
	}{
		{name: "scheme", url: "http://127.0.0.1:6379/0", want: "cache: parsing the Redis URL: redis: invalid URL scheme: http"},
		{name: "port with a password", url: "redis://user:hunter2@127.0.0.1:notaport/0", want: "cache: parsing the Redis URL: "},
		{name: "database", url: "redis://127.0.0.1:6379/zero", want: "cache: parsing the Redis URL: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(context.Background(), Options{URL: tt.url})
			if err == nil {
				c.Close()
				t.Fatal("New succeeded")
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error = %q, want it to start with %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error %q repeats the password", err)
			}
		})
	}
}

func TestBackend(t *testing.T) {
	for _, tt := range []struct{ url, want string }{
		{"redis://127.0.0.1:6390/0", "Redis at 127.0.0.1:6390 (db 0)"},
		{"redis://user:hunter2@127.0.0.1:6390/3", "Redis at 127.0.0.1:6390 (db 3)"},
		{"rediss://:hunter2@cache.internal", "Redis at cache.internal:6379 (db 0, TLS)"},
	} {
		ro, err := parseURL(tt.url)
		if err != nil {
			t.Fatalf("parseURL(%q): %v", tt.url, err)
		}
		if got := describe(ro); got != tt.want {
			t.Errorf("describe(%q) = %q, want %q", tt.url, got, tt.want)
		}
	}

	c := newCache(t, Options{})
	got := c.Backend()
	if os.Getenv("REDIS_URL") == "" {
		host, port, err := net.SplitHostPort(strings.TrimPrefix(got, "embedded Redis-protocol server on "))
		if err != nil || host != "127.0.0.1" || port == "0" || !strings.HasPrefix(got, "embedded ") {
			t.Errorf("Backend() = %q, want the embedded server on a loopback port", got)
		}
	} else if !strings.HasPrefix(got, "Redis at ") || strings.Contains(got, "@") {
		t.Errorf("Backend() = %q, want Redis at host:port without credentials", got)
	}
}

func TestDefaults(t *testing.T) {
	c := newCache(t, Options{})
	want := Limits{MaxKeys: 200, MaxBytes: 256 << 10, MaxValueBytes: 64 << 10, MaxKeyBytes: 200, MaxTTL: time.Hour}
	if got := c.Limits(); got != want {
		t.Errorf("Limits() = %+v, want %+v", got, want)
	}
	o := Options{MaxBytes: 10, MaxValueBytes: 100}
	o.defaults()
	if o.MaxBytes != 100 {
		t.Errorf("MaxBytes below MaxValueBytes became %d, want 100", o.MaxBytes)
	}
}

func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	c := newCache(t, Options{})
	s := newVisitor(t, c)

	if _, hit, err := s.Get(ctx, "flight:LHR-JFK"); err != nil || hit {
		t.Fatalf("Get before Set: hit %v, err %v; want a miss", hit, err)
	}
	if d, err := s.TTL(ctx, "flight:LHR-JFK"); err != nil || d >= 0 {
		t.Fatalf("TTL before Set = %v, %v; want a negative duration", d, err)
	}
	st := mustSet(t, s, "flight:LHR-JFK", `{"miles":3451}`, time.Minute)
	if st.Replaced || len(st.Evicted) > 0 || len(st.Expired) > 0 {
		t.Errorf("first Store = %+v, want nothing replaced, evicted or pruned", st)
	}
	v, hit, err := s.Get(ctx, "flight:LHR-JFK")
	if err != nil || !hit || string(v) != `{"miles":3451}` {
		t.Fatalf("Get = %q, %v, %v; want the value, a hit", v, hit, err)
	}
	if d, err := s.TTL(ctx, "flight:LHR-JFK"); err != nil || d <= 50*time.Second || d > time.Minute {
		t.Errorf("TTL = %v, %v; want a little under 1m", d, err)
	}
	if st := mustSet(t, s, "flight:LHR-JFK", "x", time.Minute); !st.Replaced {
		t.Errorf("second Store = %+v, want Replaced", st)
	}
	mustSet(t, s, "key with spaces * and : colons", "y", time.Minute)

	infos := mustKeys(t, s)
	if got, want := keyNames(infos), []string{"key with spaces * and : colons", "flight:LHR-JFK"}; !slices.Equal(got, want) {
		t.Fatalf("Keys = %q, want %q (most recently used first)", got, want)
	}
	k := infos[1]
	if k.Bytes != 1 || k.TTL <= 50*time.Second || k.TTL > time.Minute || time.Since(k.LastUsed) > time.Minute {
		t.Errorf("KeyInfo = %+v, want 1 byte, TTL under 1m, used just now", k)
	}

	n, err := s.Del(ctx, "flight:LHR-JFK", "never-set")
	if err != nil || n != 1 {
		t.Fatalf("Del = %d, %v; want 1", n, err)
	}
	if got := keyNames(mustKeys(t, s)); !slices.Equal(got, []string{"key with spaces * and : colons"}) {
		t.Errorf("Keys after Del = %q", got)
	}
	if n, err := s.Del(ctx); err != nil || n != 0 {
		t.Errorf("Del() = %d, %v; want 0", n, err)
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if infos := mustKeys(t, s); len(infos) != 0 {
		t.Errorf("Keys after Flush = %+v", infos)
	}
	if left := serverKeys(t, c, s.Visitor()); len(left) > 0 {
		t.Errorf("after Flush the server holds %q", left)
	}
}

func TestClosed(t *testing.T) {
	c, err := New(context.Background(), Options{URL: os.Getenv("REDIS_URL")})
	if err != nil {
		t.Fatal(err)
	}
	s := c.For("closed-" + strconv.Itoa(os.Getpid()))
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	ctx := context.Background()
	_, _, err = s.Get(ctx, "k")
	errs := []error{err, s.Set(ctx, "k", nil, time.Second), s.Flush(ctx)}
	_, err = s.Keys(ctx)
	errs = append(errs, err)
	for i, err := range errs {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("call %d after Close: %v, want ErrClosed", i, err)
		}
	}
}

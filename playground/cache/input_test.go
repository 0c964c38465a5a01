package cache

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

func TestBadInput(t *testing.T) {
	ctx := context.Background()
	c := newCache(t, Options{})
	s := newVisitor(t, c)
	long := strings.Repeat("k", 201)
	tests := []struct {
		name    string
		visitor string // "" uses s
		key     string
		value   []byte
		ttl     time.Duration
		want    error
		msg     string
	}{
		{name: "empty key", key: "", want: ErrBadKey, msg: "cache: bad key: the key is empty"},
		{name: "invalid UTF-8", key: "caf\xe9", want: ErrBadKey, msg: "not valid UTF-8"},
		{name: "binary", key: "\xff\xfe\x00\x01", want: ErrBadKey, msg: "not valid UTF-8"},
		{name: "NUL", key: "a\x00b", want: ErrBadKey, msg: "NUL byte"},
		{name: "newline", key: "a\nb", want: ErrBadKey, msg: "control character"},
		{name: "escape", key: "a\x1b[31m", want: ErrBadKey, msg: "control character"},
		{name: "201 bytes", key: long, want: ErrBadKey, msg: "the key is 201 bytes, the limit is 200"},
		{name: "multibyte over the limit", key: strings.Repeat("é", 101), want: ErrBadKey, msg: "202 bytes"},
		{name: "value over 64 KiB", key: "k", value: make([]byte, 64<<10+1), want: ErrValueTooLarge, msg: "cache: value too large: 65537 bytes, the limit is 65536"},
		{name: "zero TTL", key: "k", ttl: -1, want: ErrBadTTL, msg: "every value needs a TTL"},
		{name: "negative TTL", key: "k", ttl: -time.Hour, want: ErrBadTTL, msg: "-1h0m0s"},
		{name: "sub-millisecond TTL", key: "k", ttl: 500 * time.Microsecond, want: ErrBadTTL, msg: "below the server's resolution"},
		{name: "TTL over the limit", key: "k", ttl: time.Hour + time.Millisecond, want: ErrBadTTL, msg: "above the limit of 1h0m0s"},
		{name: "absurd TTL", key: "k", ttl: math.MaxInt64, want: ErrBadTTL, msg: "above the limit"},
		{name: "empty visitor", visitor: "-empty-", key: "k", want: ErrBadVisitor, msg: "empty"},
		{name: "visitor with a colon", visitor: "abc:v:other", key: "k", want: ErrBadVisitor, msg: `':' at byte 3`},
		{name: "visitor with a star", visitor: "*", key: "k", want: ErrBadVisitor, msg: `'*'`},
		{name: "visitor with a pattern", visitor: "a[bc]?", key: "k", want: ErrBadVisitor, msg: `'['`},
		{name: "visitor with a space", visitor: "a b", key: "k", want: ErrBadVisitor, msg: `' '`},
		{name: "visitor with a NUL", visitor: "a\x00", key: "k", want: ErrBadVisitor, msg: `'\x00'`},
		{name: "visitor not ASCII", visitor: "é", key: "k", want: ErrBadVisitor, msg: "only letters"},
		{name: "visitor too long", visitor: strings.Repeat("a", 65), key: "k", want: ErrBadVisitor, msg: "65 bytes, the limit is 64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sp := s
			if tt.visitor == "-empty-" {
				sp = c.For("")
			} else if tt.visitor != "" {
				sp = c.For(tt.visitor)
			}
			ttl := tt.ttl
			if ttl == 0 {
				ttl = time.Minute
			} else if ttl == -1 {
				ttl = 0
			}
			check := func(op string, err error) {
				t.Helper()
				if !errors.Is(err, tt.want) {
					t.Errorf("%s: error %v, want %v", op, err, tt.want)
				} else if !strings.Contains(err.Error(), tt.msg) {
					t.Errorf("%s: error %q, want it to contain %q", op, err, tt.msg)
				}
			}
			_, err := sp.Store(ctx, tt.key, tt.value, ttl)
			check("Store", err)
			if tt.want == ErrBadKey || tt.want == ErrBadVisitor {
				_, _, err = sp.Get(ctx, tt.key)
				check("Get", err)
				_, err = sp.TTL(ctx, tt.key)
				check("TTL", err)
				_, err = sp.Del(ctx, "fine", tt.key)
				check("Del", err)
			}
			if tt.want == ErrBadVisitor {
				_, err = sp.Keys(ctx)
				check("Keys", err)
				check("Flush", sp.Flush(ctx))
			}
		})
	}
	if infos := mustKeys(t, s); len(infos) != 0 {
		t.Errorf("refused input left keys behind: %+v", infos)
	}
}

func TestInputAtTheLimits(t *testing.T) {
	c := newCache(t, Options{})
	s := newVisitor(t, c)
	ctx := context.Background()
	for _, key := range []string{
		strings.Repeat("k", 200),
		"flight:LHR-JFK",
		"*", "?", "[a-z]", "v:someone-else:key", "lru:x", "émoji 🚀",
	} {
		if err := s.Set(ctx, key, make([]byte, 64<<10), time.Hour); err != nil {
			t.Errorf("Set(%q) with the largest value and TTL: %v", key, err)
		}
		if _, hit, err := s.Get(ctx, key); err != nil || !hit {
			t.Errorf("Get(%q) = %v, %v; want a hit", key, hit, err)
		}
	}
	if err := s.Set(ctx, "short", []byte("x"), time.Millisecond); err != nil {
		t.Errorf("Set with a 1ms TTL: %v", err)
	}
	if err := s.Set(ctx, "empty value", nil, time.Minute); err != nil {
		t.Errorf("Set with an empty value: %v", err)
	}
}

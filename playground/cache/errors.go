package cache

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Errors returned for bad input, always wrapped with a message that says
// what was wrong (errors.Is finds them). Errors from the server are
// wrapped as "cache: doing x: …".
var (
	ErrBadVisitor    = errors.New("cache: bad visitor id")
	ErrBadKey        = errors.New("cache: bad key")
	ErrValueTooLarge = errors.New("cache: value too large")
	ErrBadTTL        = errors.New("cache: bad TTL")
	ErrClosed        = errors.New("cache: closed")
)

// maxVisitorBytes is the longest visitor id For accepts.
const maxVisitorBytes = 64

// checkVisitor accepts visitor ids made of ASCII letters, digits, '-' and
// '_' (base64url, as the web layer makes them): nothing that could end the
// prefix (':') or act as a pattern ('*', '?', '[').
func checkVisitor(v string) error {
	if v == "" {
		return fmt.Errorf("%w: empty", ErrBadVisitor)
	}
	if len(v) > maxVisitorBytes {
		return fmt.Errorf("%w: %d bytes, the limit is %d", ErrBadVisitor, len(v), maxVisitorBytes)
	}
	for i := 0; i < len(v); i++ {
		b := v[i]
		if !('a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || b == '-' || b == '_') {
			return fmt.Errorf("%w: %q at byte %d (only letters, digits, '-' and '_')", ErrBadVisitor, rune(b), i)
		}
	}
	return nil
}

// checkKey accepts non-empty UTF-8 key names of at most max bytes without
// control characters. Any other character is fine (':' and '*' too): a
// key is only ever a whole key name, never part of a pattern.
func checkKey(k string, maxBytes int) error {
	switch {
	case k == "":
		return fmt.Errorf("%w: the key is empty", ErrBadKey)
	case len(k) > maxBytes:
		return fmt.Errorf("%w: the key is %d bytes, the limit is %d", ErrBadKey, len(k), maxBytes)
	case !utf8.ValidString(k):
		return fmt.Errorf("%w: the key is not valid UTF-8", ErrBadKey)
	case strings.IndexByte(k, 0) >= 0:
		return fmt.Errorf("%w: the key contains a NUL byte", ErrBadKey)
	case strings.IndexFunc(k, unicode.IsControl) >= 0:
		return fmt.Errorf("%w: the key contains a control character", ErrBadKey)
	}
	return nil
}

// checkTTL refuses TTLs below a millisecond (the server's resolution; no
// TTL at all is refused too: every cached value must expire) and above
// maxTTL. Refusing rather than clamping keeps a visitor's number the
// number the server got.
func checkTTL(ttl, maxTTL time.Duration) error {
	switch {
	case ttl <= 0:
		return fmt.Errorf("%w: %v; every value needs a TTL of at least 1ms", ErrBadTTL, ttl)
	case ttl < time.Millisecond:
		return fmt.Errorf("%w: %v is below the server's resolution of 1ms", ErrBadTTL, ttl)
	case ttl > maxTTL:
		return fmt.Errorf("%w: %v is above the limit of %v", ErrBadTTL, ttl, maxTTL)
	}
	return nil
}

// checkValue refuses values over maxBytes.
func checkValue(v []byte, maxBytes int) error {
	if len(v) > maxBytes {
		return fmt.Errorf("%w: %d bytes, the limit is %d", ErrValueTooLarge, len(v), maxBytes)
	}
	return nil
}

// serverError wraps an error from the server as "cache: doing x: …", or
// returns ErrClosed once the Cache is closed.
func (c *Cache) serverError(doing string, err error) error {
	if c.closed.Load() {
		return ErrClosed
	}
	return fmt.Errorf("cache: %s: %w", doing, err)
}

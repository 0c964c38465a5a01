package web

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// strongETag is a strong entity tag for a representation made of parts:
// the first 16 hex digits of their SHA-256, quoted as RFC 9110 wants.
// Callers pass what the representation is rendered from, plus a version
// of the format, so the tag can be known before rendering.
func strongETag(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return `"` + hex.EncodeToString(h.Sum(nil)[:8]) + `"`
}

// ifNoneMatch reports whether the If-None-Match field lines match the
// current entity tag, by the weak comparison RFC 9110 §13.1.2 requires
// for it: "*" matches any current representation; otherwise each line is
// a comma-separated list of entity tags, and a tag matches when its
// opaque part (without W/) equals the current one's. Reading stops at the
// first malformed element of a line, as net/http's file server does.
func ifNoneMatch(lines []string, current string) bool {
	for _, v := range lines {
		for {
			v = strings.TrimLeft(v, " \t,")
			if v == "" {
				break
			}
			if v[0] == '*' {
				return true
			}
			tag, rest, ok := scanETag(v)
			if !ok {
				break
			}
			if weakMatch(tag, current) {
				return true
			}
			v = rest
		}
	}
	return false
}

// scanETag reads one entity tag (W/"…" or "…") from the start of s and
// returns it and what follows.
func scanETag(s string) (tag, rest string, ok bool) {
	start := 0
	if strings.HasPrefix(s, "W/") {
		start = 2
	}
	if len(s)-start < 2 || s[start] != '"' {
		return "", "", false
	}
	for i := start + 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			return s[:i+1], s[i+1:], true
		case c == 0x21 || (c >= 0x23 && c <= 0x7E) || c >= 0x80:
			// etagc
		default:
			return "", "", false
		}
	}
	return "", "", false
}

// weakMatch compares two entity tags ignoring the weakness indicator.
func weakMatch(a, b string) bool {
	return strings.TrimPrefix(a, "W/") == strings.TrimPrefix(b, "W/")
}

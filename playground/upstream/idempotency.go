package upstream

import (
	"crypto/sha256"
	"net/http"
	"time"
)

// idemEntry is the recorded outcome of one POST with an Idempotency-Key.
type idemEntry struct {
	key         string
	fingerprint [sha256.Size]byte
	created     time.Time
	resp        response
}

// idemStore is one account's idempotency keys, bounded in number and
// age. order holds the entries oldest first; entries removed from the map
// are skipped when met there.
type idemStore struct {
	entries map[string]*idemEntry
	order   []*idemEntry
}

// fingerprint identifies a request for comparing key reuses: method,
// path and exact body bytes.
func fingerprint(r *http.Request, body []byte) [sha256.Size]byte {
	h := sha256.New()
	h.Write([]byte(r.Method + " " + r.URL.Path + "\n"))
	h.Write(body)
	var fp [sha256.Size]byte
	h.Sum(fp[:0])
	return fp
}

// keep reports whether a response is recorded for its key. Responses of
// requests that never started their work (malformed input, a limit hit,
// a retryable server error) are not, so a corrected or retried request
// runs.
func keep(status int) bool {
	return status < 500 && status != http.StatusBadRequest && status != http.StatusUnauthorized &&
		status != http.StatusUnprocessableEntity && status != http.StatusTooManyRequests
}

// get returns the live entry of key, or nil.
func (s *idemStore) get(key string, now time.Time, ttl time.Duration) *idemEntry {
	e, ok := s.entries[key]
	if !ok {
		return nil
	}
	if now.Sub(e.created) >= ttl {
		delete(s.entries, key)
		return nil
	}
	return e
}

// put records e, first dropping expired entries and, beyond max, the
// oldest ones.
func (s *idemStore) put(e *idemEntry, now time.Time, ttl time.Duration, max int) {
	i := 0
	for ; i < len(s.order); i++ {
		old := s.order[i]
		if s.entries[old.key] != old { // already dropped or replaced
			continue
		}
		if now.Sub(old.created) < ttl && len(s.entries) < max {
			break
		}
		delete(s.entries, old.key)
	}
	s.order = s.order[i:]
	if cap(s.order) > 2*len(s.order)+64 { // let the dropped head be collected
		s.order = append([]*idemEntry(nil), s.order...)
	}
	s.entries[e.key] = e
	s.order = append(s.order, e)
}

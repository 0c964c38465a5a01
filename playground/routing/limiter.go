package routing

import (
	"sync"
	"time"
)

// tokenBuckets is a rate limiter: each key has a bucket of burst tokens,
// one refilled every interval; a request takes one or is refused.
type tokenBuckets struct {
	mu      sync.Mutex
	burst   int
	every   time.Duration
	max     int
	now     func() time.Time
	buckets map[string]*tokenBucket
}

type tokenBucket struct {
	tokens float64
	at     time.Time
}

func newTokenBuckets(burst int, every time.Duration, maxKeys int, now func() time.Time) *tokenBuckets {
	return &tokenBuckets{burst: burst, every: every, max: maxKeys, now: now, buckets: make(map[string]*tokenBucket)}
}

// take spends a token of key's bucket. It says whether there was one, how
// many are left, and when refused how long until the next.
func (t *tokenBuckets) take(key string) (ok bool, left int, wait time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	b := t.buckets[key]
	if b == nil {
		if len(t.buckets) >= t.max {
			t.prune(now)
		}
		b = &tokenBucket{tokens: float64(t.burst), at: now}
		t.buckets[key] = b
	}
	b.tokens = min(float64(t.burst), b.tokens+float64(now.Sub(b.at))/float64(t.every))
	b.at = now
	if b.tokens < 1 {
		return false, 0, time.Duration((1 - b.tokens) * float64(t.every))
	}
	b.tokens--
	return true, int(b.tokens), 0
}

// prune drops the buckets that have refilled (they hold nothing a new
// bucket would not), then, if that is not enough, any.
func (t *tokenBuckets) prune(now time.Time) {
	full := time.Duration(t.burst) * t.every
	for k, b := range t.buckets {
		if now.Sub(b.at) >= full {
			delete(t.buckets, k)
		}
	}
	for k := range t.buckets {
		if len(t.buckets) < t.max {
			return
		}
		delete(t.buckets, k)
	}
}

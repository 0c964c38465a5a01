package sandbox

import (
	"context"
	"time"
)

// Client is who an operation comes from, for the limits on creating
// sandboxes. A whole class usually shares one address (the campus NAT), so
// the address alone cannot tell thirty students from one script; whether
// the visitor id is new can: a browser gets its id with the lesson page,
// before it runs anything, while a script that drops its cookies arrives
// with a new id every time.
type Client struct {
	// Addr is the network address the request came from.
	Addr string
	// NewVisitor is set when the visitor id was made for this very request
	// (it carried no valid visitor cookie).
	NewVisitor bool
}

type clientKey struct{}

// ContextWithClient returns ctx carrying the client an operation comes
// from. Operations without one share a single budget.
func ContextWithClient(ctx context.Context, c Client) context.Context {
	return context.WithValue(ctx, clientKey{}, c)
}

func clientFrom(ctx context.Context) Client {
	c, _ := ctx.Value(clientKey{}).(Client)
	return c
}

// rate is a token bucket's setting: perMinute tokens a minute, at most
// burst saved up. A negative perMinute means no limit.
type rate struct {
	perMinute float64
	burst     float64
}

// bucket is one token bucket. Its zero value is a full bucket.
type bucket struct {
	used float64 // tokens taken and not yet refilled
	at   time.Time
}

// refill returns the tokens taken refill back as time passed.
func (b *bucket) refill(r rate, now time.Time) {
	if elapsed := now.Sub(b.at); elapsed > 0 {
		b.used = max(0, b.used-elapsed.Minutes()*r.perMinute)
	}
	b.at = now
}

// wait is how long until the bucket holds a token; 0 when it does now.
func (b *bucket) wait(r rate, now time.Time) time.Duration {
	if r.perMinute < 0 {
		return 0
	}
	b.refill(r, now)
	short := b.used + 1 - r.burst
	if short <= 0 {
		return 0
	}
	if r.perMinute == 0 {
		return time.Hour
	}
	return time.Duration(short / r.perMinute * float64(time.Minute))
}

// take removes a token; call it after wait returned 0.
func (b *bucket) take(r rate) {
	if r.perMinute >= 0 {
		b.used++
	}
}

// give puts back a token taken for something that did not happen.
func (b *bucket) give(r rate) {
	if r.perMinute >= 0 {
		b.used = max(0, b.used-1)
	}
}

// full reports whether the bucket has refilled, so it holds no information.
func (b *bucket) full(r rate, now time.Time) bool {
	b.refill(r, now)
	return b.used == 0
}

// limiter is a token bucket per key. It is guarded by Manager.mu.
type limiter struct {
	rate    rate
	buckets map[string]*bucket
}

// maxBuckets bounds the keys remembered at once; beyond it the limiter
// forgets every bucket that has refilled, then refuses unknown keys until
// the next sweep.
const maxBuckets = 10_000

func newLimiter(perMinute, burst int) *limiter {
	return &limiter{rate: rate{perMinute: float64(perMinute), burst: float64(burst)}, buckets: make(map[string]*bucket)}
}

// wait is how long key must wait for a token; 0 when one is there now.
func (l *limiter) wait(key string, now time.Time) time.Duration {
	if l.rate.perMinute < 0 {
		return 0
	}
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= maxBuckets {
			l.forget(now)
			if len(l.buckets) >= maxBuckets {
				return time.Minute
			}
		}
		b = &bucket{at: now}
		l.buckets[key] = b
	}
	return b.wait(l.rate, now)
}

// take removes a token from key's bucket; call it after wait returned 0.
func (l *limiter) take(key string) {
	if b, ok := l.buckets[key]; ok {
		b.take(l.rate)
	}
}

// forget drops the buckets that are full again.
func (l *limiter) forget(now time.Time) {
	for k, b := range l.buckets {
		if b.full(l.rate, now) {
			delete(l.buckets, k)
		}
	}
}

package sandbox

import (
	"context"
	"time"
)

type clientKey struct{}

// ContextWithClient returns ctx carrying the client a request comes from
// (for example its IP address). Sandbox creation is rate-limited per
// client; requests without one share a single budget.
func ContextWithClient(ctx context.Context, client string) context.Context {
	return context.WithValue(ctx, clientKey{}, client)
}

func clientFrom(ctx context.Context) string {
	c, _ := ctx.Value(clientKey{}).(string)
	return c
}

// limiter is a token bucket per client: perMinute tokens a minute, at most
// burst saved up. It is guarded by Manager.mu.
type limiter struct {
	perMinute int
	burst     float64
	buckets   map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// maxBuckets bounds the clients remembered at once; beyond it the limiter
// forgets every bucket that has refilled, then refuses unknown clients
// until the next sweep.
const maxBuckets = 10_000

func newLimiter(perMinute, burst int) *limiter {
	return &limiter{perMinute: perMinute, burst: float64(burst), buckets: make(map[string]*bucket)}
}

// allow takes a token from client's bucket if it has one.
func (l *limiter) allow(client string, now time.Time) bool {
	if l.perMinute < 0 {
		return true
	}
	b, ok := l.buckets[client]
	if !ok {
		if len(l.buckets) >= maxBuckets {
			l.forget(now)
			if len(l.buckets) >= maxBuckets {
				return false
			}
		}
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[client] = b
	}
	l.refill(b, now)
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

func (l *limiter) refill(b *bucket, now time.Time) {
	if elapsed := now.Sub(b.at); elapsed > 0 {
		b.tokens = min(l.burst, b.tokens+elapsed.Minutes()*float64(l.perMinute))
		b.at = now
	}
}

// forget drops the buckets that are full again: they hold no information.
func (l *limiter) forget(now time.Time) {
	for k, b := range l.buckets {
		l.refill(b, now)
		if b.tokens >= l.burst {
			delete(l.buckets, k)
		}
	}
}

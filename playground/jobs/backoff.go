package jobs

import (
	"math/rand/v2"
	"time"

	"github.com/riverqueue/river/rivertype"
)

// Exponential returns a backoff of base after the first failed attempt,
// doubling after each further one, never more than limit: with base 1 s,
// 1 s, 2 s, 4 s, 8 s …
func Exponential(base, limit time.Duration) func(attempt int) time.Duration {
	return func(attempt int) time.Duration {
		d := base
		for i := 1; i < attempt && d < limit; i++ {
			d *= 2
		}
		return min(d, limit)
	}
}

// jittered spreads backoff's delays by ±frac at random, so that jobs
// failing together do not retry together.
func jittered(backoff func(int) time.Duration, frac float64) func(int) time.Duration {
	return func(attempt int) time.Duration {
		d := float64(backoff(attempt))
		return time.Duration(d * (1 - frac + 2*frac*rand.Float64()))
	}
}

// retryPolicy tells River when a failed job runs again.
type retryPolicy struct {
	backoff func(attempt int) time.Duration
	now     func() time.Time
}

// NextRetry is the time of the next attempt after job.Attempt failed.
func (p retryPolicy) NextRetry(job *rivertype.JobRow) time.Time {
	return p.now().Add(p.backoff(job.Attempt))
}

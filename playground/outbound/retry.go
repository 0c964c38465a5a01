package outbound

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// minAttempt is the least time worth giving an attempt: a retry that
// would have less of the deadline left is not made.
const minAttempt = 20 * time.Millisecond

// next decides whether attempt n's failure o is retried and after how
// long. It returns the wait and the rule that set it, or why there is no
// retry.
func (c *Client) next(ctx context.Context, p *prepared, n int, o outcome, deadline time.Time) (wait time.Duration, rule, why string) {
	switch {
	case !o.retry:
		return 0, "", "not retried: " + o.noRetry
	case !p.safe:
		return 0, "", "not retried: " + p.why
	case n >= p.policy.MaxAttempts:
		return 0, "", fmt.Sprintf("not retried: all %d attempts used", n)
	}
	left := c.remaining(ctx, deadline)
	if o.hasRetryAfter {
		if o.retryAfter+minAttempt > left {
			return 0, "", fmt.Sprintf("not retried: the service asked for a wait of %s (Retry-After), "+
				"but only %s of the deadline is left", human(o.retryAfter), human(max(left, 0)))
		}
		return o.retryAfter, "Retry-After: the service asked for " + human(o.retryAfter), ""
	}
	wait, ceiling := c.backoff(p.policy, n+1)
	rule = fmt.Sprintf("full jitter: a random wait between 0 and %s", human(ceiling))
	if room := left - minAttempt; wait > room {
		if room <= 0 {
			return 0, "", fmt.Sprintf("not retried: only %s of the deadline is left", human(max(left, 0)))
		}
		wait = room
		rule += ", cut to fit the deadline"
	}
	return wait, rule, ""
}

// backoff is the wait before attempt n (n ≥ 2): a random share (full
// jitter) of a ceiling that starts at BaseDelay and doubles with every
// attempt, up to MaxDelay.
func (c *Client) backoff(p Policy, n int) (wait, ceiling time.Duration) {
	ceiling = p.BaseDelay
	for i := 2; i < n && ceiling < p.MaxDelay; i++ {
		ceiling *= 2
	}
	ceiling = min(ceiling, p.MaxDelay)
	r := c.opts.Rand()
	if !(r >= 0 && r < 1) { // also NaN
		r = 0
	}
	return time.Duration(r * float64(ceiling)), ceiling
}

// parseRetryAfter reads a Retry-After header: seconds, or an HTTP date
// (a date in the past means no wait). It reports whether v was valid.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		// Anything longer than a day is as good as never.
		return time.Duration(min(secs, 86400)) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

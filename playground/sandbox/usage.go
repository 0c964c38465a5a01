package sandbox

import (
	"math"
	"time"
)

// Who counts as a heavy visitor: one whose operations held global slots
// for more than heavyHeld, counted with a half-life of usageHalfLife.
// A student running a lesson's queries holds a slot for milliseconds at a
// time: about 10 ms a second even when acting every second, which sums to
// a tenth of heavyHeld; a teacher running the slow-query lesson's planted
// query a few times stays under it too. Statements that run to their time
// limit (2 s) pass it with the second one, and their visitor stays heavy
// for a while after the last: the memory is long on purpose, since a
// visitor who may hold a slot for seconds at any moment is not to be
// trusted with the last free one a few seconds later.
//
// A heavy visitor's operation also gets heavyTimeout instead of
// QueryTimeout: it can hold a slot for a moment, never for seconds.
const (
	heavyHeld     = 3 * time.Second
	usageHalfLife = 30 * time.Second
	heavyTimeout  = 250 * time.Millisecond
)

// heavyNote ends the time-limit message of a heavy visitor's statement.
const heavyNote = "; your recent queries kept the server busy for seconds, so for a while yours get less time"

// budget is the wall-clock budget of the lease's operation.
func (l *lease) budget() time.Duration {
	if l.heavy {
		return min(heavyTimeout, l.m.opts.QueryTimeout)
	}
	return l.m.opts.QueryTimeout
}

// limit sets a runner's time limit, and the note that says why, from the
// lease.
func (l *lease) limit(r *runner) {
	r.timeout = l.budget()
	if l.heavy {
		r.note = heavyNote
	}
}

// usage is slot time held, decaying exponentially: the sum of every
// holding, each weighed by 2^(-age/usageHalfLife).
type usage struct {
	held float64 // seconds, as of at
	at   time.Time
}

// decayed is the usage as of now.
func (u usage) decayed(now time.Time) float64 {
	if u.held == 0 || !now.After(u.at) {
		return u.held
	}
	return u.held * math.Exp2(-now.Sub(u.at).Seconds()/usageHalfLife.Seconds())
}

// add counts d of slot time ending now.
func (u *usage) add(now time.Time, d time.Duration) {
	u.held, u.at = u.decayed(now)+max(d, 0).Seconds(), now
}

// heavy reports whether the usage as of now passes heavyHeld.
func (u usage) heavy(now time.Time) bool { return u.decayed(now) > heavyHeld.Seconds() }

package sandbox

import (
	"math"
	"time"
)

// Who counts as a heavy visitor: one whose operations ran into their time
// limit lately. An operation that held its slot for most of its budget
// (runOut of it) counts that time; a heavy visitor is one whose counted
// time, decaying with a half-life of usageHalfLife, passes heavyHeld — two
// statements run to the 2 s limit within a few seconds, so one runaway
// query typed by mistake is forgiven. Lessons' queries, even slow
// ones such as the planted slow query or the document updates, end well
// within the limit and never count, however often they run; statements
// that only the limit stops (endless recursion, cross joins) do. So does
// a statement stopped to make way (ErrCrowded, see lane.go), twice over:
// on a crowded server a visitor whose statements run long is heavy at
// once.
//
// A heavy visitor's operation runs only in the long lane, never in one of
// the slots the others share (see gate), and gets heavyTimeout instead of
// QueryTimeout: it holds its place for a moment, never for seconds. It
// keeps counting while it runs into that shorter limit, so a visitor who
// keeps sending such statements stays heavy, and one who stops is light
// again within a minute or two.
//
// Being stopped to make way is a suspicion, not proof: on two busy cores a
// student's 5 ms query can hold its slot for 50 ms. So a visitor is a
// runaway only while its own statements ran into their limit within the
// last usageHalfLife. A runaway waits for the long lane after the other
// heavy visitors, and keeps counting while refused for want of a place
// (still knocking: otherwise its usage would decay while it never runs).
// A heavy visitor who is no runaway is served in the lane first and is
// light again as its usage decays, about 12 s after one stop.
const (
	heavyHeld     = 3 * time.Second
	usageHalfLife = 30 * time.Second
	heavyTimeout  = 250 * time.Millisecond
	// runOut is the share of its budget an operation must hold a slot for
	// to count as having run into its limit.
	runOut = 0.9
)

// heavyNote ends the time-limit message of a heavy visitor's statement.
const heavyNote = "; your recent queries ran long while others waited, so for a while yours get less time and run one at a time with other long ones"

// ranOut reports whether holding a slot for d used up the lease's budget.
func (l *lease) ranOut(d time.Duration) bool {
	return d.Seconds() >= runOut*l.budget().Seconds()
}

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
	held   float64 // seconds, as of at
	at     time.Time
	ranOut time.Time // when an operation last ran into its own limit
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

// ranInto counts d of slot time ending now, held by an operation that ran
// into its own limit.
func (u *usage) ranInto(now time.Time, d time.Duration) {
	u.add(now, d)
	u.ranOut = now
}

// runaway reports whether an operation ran into its own limit within
// usageHalfLife before now.
func (u usage) runaway(now time.Time) bool {
	return !u.ranOut.IsZero() && now.Sub(u.ranOut) < usageHalfLife
}

// heavy reports whether the usage as of now passes heavyHeld.
func (u usage) heavy(now time.Time) bool { return u.decayed(now) > heavyHeld.Seconds() }

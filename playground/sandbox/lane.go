package sandbox

import (
	"context"
	"time"
)

// The long lane. An operation that still holds its global slot after
// longAfter is watched (see lease.check): it moves into the long lane,
// handing its slot to the next waiter, if the lane has room; if the lane
// is full and others wait for a slot, a visitor's own statements are
// stopped with ErrCrowded, which makes the visitor heavy (see usage.go),
// while a lesson's demo keeps its slot: its statements are known to end,
// and stopping them would throw their work away. With nobody waiting it
// keeps its slot and is looked at again shortly.
//
// So no statement a visitor typed holds a slot the class needs for more
// than a moment, however long its time limit: a few long queries run
// beside the class's short ones, never in front of them. Lessons' queries
// end in milliseconds; the few slow ones (a planted slow query, an index
// comparison) take the long lane.
//
// When others queue (crowdedQueue waiting or more: a burst, or visitors
// firing statements that run long), a statement a visitor typed is looked
// at sooner, after crowdedAfter: twenty new visitors sending endless
// statements at once then hold a slot for 50 ms each, not 250, before
// they are known to be heavy. With a threshold of 8 waiting, an attack's
// first statements often came while fewer waited and held both slots for
// 250 ms (a class's SQL p99 over 300 ms in the attack's first ten
// seconds; with 2, 61 ms). The price: on a crowded server a student's
// own query that needs more than 50 ms may be stopped too (with 8: 23 of
// 19,550 console queries in a ten-minute class of 100 on two busy cores;
// with 2: none of 5,773 in a minute of 300 acting every second; see
// docs/performance.md).
const (
	longAfter    = 250 * time.Millisecond
	crowdedAfter = 50 * time.Millisecond
	crowdedQueue = 2
)

// graceOf is how long an operation with the given budget may hold a slot
// before it is watched: longAfter, or half a short budget.
func graceOf(budget time.Duration) time.Duration {
	return min(longAfter, budget/2)
}

// begin starts the lease's operation: it returns ctx bounded by the
// operation's budget, which the watch may also end with ErrCrowded, and
// starts the watch. A trusted operation runs the app's own statements
// (a lesson's demo), which are known to end: it may move into the long
// lane but is never stopped to make way, since stopping it would only
// throw its work away. Statements a visitor wrote are not trusted.
func (l *lease) begin(ctx context.Context, trusted bool) (context.Context, context.CancelFunc) {
	ctx, stop := context.WithCancelCause(ctx)
	ctx, cancel := context.WithTimeout(ctx, l.budget())
	l.mu.Lock()
	l.stop, l.trusted = stop, trusted
	l.arm()
	l.mu.Unlock()
	return ctx, func() {
		cancel()
		stop(nil)
	}
}

// arm starts the watch of a begun operation holding a slot. The caller
// holds mu.
func (l *lease) arm() {
	if l.stop == nil || !l.slot || l.long {
		return
	}
	l.early = !l.trusted
	d := graceOf(l.budget())
	if l.early {
		d = min(crowdedAfter, d)
	}
	if l.watch == nil {
		l.watch = time.AfterFunc(d, l.check)
		return
	}
	l.watch.Reset(d)
}

// check runs when the operation has held its slot for crowdedAfter, and
// again at its grace unless the queue was long: into the long lane,
// stopped, or looked at again.
func (l *lease) check() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.slot || l.long || l.stop == nil {
		return
	}
	if l.early {
		l.early = false
		if grace := graceOf(l.budget()); grace > crowdedAfter && l.m.slots.lightWaiting() < crowdedQueue {
			l.watch.Reset(grace - crowdedAfter)
			return
		}
	}
	switch {
	case l.m.slots.toLongLane():
		l.long = true
		l.m.stats.long.Add(1)
	case !l.trusted && l.m.slots.othersWaiting():
		l.crowded = true
		l.m.stats.crowded.Add(1)
		l.stop(ErrCrowded)
	default:
		l.watch.Reset(graceOf(l.budget()) / 4)
	}
}

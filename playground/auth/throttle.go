package auth

import (
	"fmt"
	"sync"
	"time"
)

// Limits are the login limits. Both are keyed by visitor, never by
// network address: a whole class shares one address, and one student
// guessing must not lock the other 299 out.
type Limits struct {
	// FreeFailures is how many wrong passwords within Window lock an
	// account.
	FreeFailures int
	// Window is how long a failure is remembered.
	Window time.Duration
	// LockFirst is the first lock; each failure after it doubles the
	// lock, up to LockMax.
	LockFirst, LockMax time.Duration
	// Attempts and AttemptsPerMinute are a visitor's token bucket of
	// login attempts across all accounts: a burst, then a steady rate.
	Attempts          int
	AttemptsPerMinute int
	// MaxKeys bounds the memory the limits take.
	MaxKeys int
}

// DefaultLimits: five wrong passwords in 15 minutes lock an account for
// 30 s, then 1 min, 2 min, … up to 15 min; a visitor may try 20 logins at
// once, then 20 a minute.
var DefaultLimits = Limits{
	FreeFailures: 5, Window: 15 * time.Minute, LockFirst: 30 * time.Second, LockMax: 15 * time.Minute,
	Attempts: 20, AttemptsPerMinute: 20, MaxKeys: 100_000,
}

// Throttle keeps the failures and attempts the Limits count.
type Throttle struct {
	lim Limits
	now func() time.Time

	mu       sync.Mutex
	accounts map[accountKey]*failures
	visitors map[string]*attempts
}

type accountKey struct{ visitor, username string }

type failures struct {
	n           int
	last        time.Time
	lockedUntil time.Time
}

type attempts struct {
	used float64
	at   time.Time
}

// NewThrottle returns a Throttle with lim's settings and clock now.
func NewThrottle(lim Limits, now func() time.Time) *Throttle {
	return &Throttle{lim: lim, now: now, accounts: map[accountKey]*failures{}, visitors: map[string]*attempts{}}
}

// Limits returns the throttle's settings.
func (t *Throttle) Limits() Limits { return t.lim }

// Attempt takes one login attempt for visitor on username, or returns
// the *LimitError that refuses it: the account is locked, or the visitor
// is trying too many logins. A refused attempt is not counted.
func (t *Throttle) Attempt(visitor, username string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if f := t.accounts[accountKey{visitor, username}]; f != nil && now.Before(f.lockedUntil) {
		wait := f.lockedUntil.Sub(now)
		return &LimitError{
			Reason:     fmt.Sprintf("this account is locked after %d wrong passwords; try again in %s", f.n, roundUp(wait)),
			RetryAfter: wait,
		}
	}
	a := t.visitors[visitor]
	if a == nil {
		if len(t.visitors) >= t.lim.MaxKeys {
			t.prune(now)
		}
		a = &attempts{at: now}
		t.visitors[visitor] = a
	}
	perMinute := float64(t.lim.AttemptsPerMinute)
	a.used = max(0, a.used-now.Sub(a.at).Minutes()*perMinute)
	a.at = now
	if short := a.used + 1 - float64(t.lim.Attempts); short > 0 {
		wait := time.Duration(short / perMinute * float64(time.Minute))
		return &LimitError{
			Reason:     fmt.Sprintf("too many logins from you in a short time; try again in %s", roundUp(wait)),
			RetryAfter: wait,
		}
	}
	a.used++
	return nil
}

// Failed records a wrong password for username and returns the lock it
// set off, if any.
func (t *Throttle) Failed(visitor, username string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	k := accountKey{visitor, username}
	f := t.accounts[k]
	if f == nil || now.Sub(f.last) > t.lim.Window {
		if f == nil && len(t.accounts) >= t.lim.MaxKeys {
			t.prune(now)
		}
		f = &failures{}
		t.accounts[k] = f
	}
	f.n++
	f.last = now
	if over := f.n - t.lim.FreeFailures + 1; over > 0 {
		lock := t.lim.LockFirst << min(over-1, 20)
		if lock > t.lim.LockMax || lock <= 0 {
			lock = t.lim.LockMax
		}
		f.lockedUntil = now.Add(lock)
		return lock
	}
	return 0
}

// Succeeded forgets username's failures: the right password was given
// while the account was not locked.
func (t *Throttle) Succeeded(visitor, username string) {
	t.mu.Lock()
	delete(t.accounts, accountKey{visitor, username})
	t.mu.Unlock()
}

// Failures returns how many wrong passwords username has had recently,
// and how long it stays locked.
func (t *Throttle) Failures(visitor, username string) (int, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	f := t.accounts[accountKey{visitor, username}]
	now := t.now()
	if f == nil || now.Sub(f.last) > t.lim.Window {
		return 0, 0
	}
	return f.n, max(0, f.lockedUntil.Sub(now))
}

// prune drops what no longer limits anyone; if the maps are still full,
// it drops the oldest half of the visitors' buckets (a full bucket and a
// forgotten one are the same) and of the accounts.
func (t *Throttle) prune(now time.Time) {
	for k, f := range t.accounts {
		if now.Sub(f.last) > t.lim.Window && !now.Before(f.lockedUntil) {
			delete(t.accounts, k)
		}
	}
	for k, a := range t.visitors {
		if a.used-now.Sub(a.at).Minutes()*float64(t.lim.AttemptsPerMinute) <= 0 {
			delete(t.visitors, k)
		}
	}
	// Still full: a flood of ids. Map order is random, so this drops a
	// random half.
	for k := range t.accounts {
		if len(t.accounts) < t.lim.MaxKeys/2 {
			break
		}
		delete(t.accounts, k)
	}
	for k := range t.visitors {
		if len(t.visitors) < t.lim.MaxKeys/2 {
			break
		}
		delete(t.visitors, k)
	}
}

// roundUp says d in whole seconds, or minutes and seconds, rounded up.
func roundUp(d time.Duration) string {
	s := int((d + time.Second - 1) / time.Second)
	if s < 60 {
		return fmt.Sprintf("%d s", s)
	}
	if s%60 == 0 {
		return fmt.Sprintf("%d min", s/60)
	}
	return fmt.Sprintf("%d min %d s", s/60, s%60)
}

package auth

import (
	"errors"
	"strconv"
	"testing"
	"time"
)

func retryAfter(t *testing.T, err error) time.Duration {
	t.Helper()
	var le *LimitError
	if !errors.As(err, &le) {
		t.Fatalf("err = %v, want a *LimitError", err)
	}
	return le.RetryAfter
}

// TestAccountLock: five wrong passwords lock the account for 30 s, each
// one after the lock doubles it, the right password clears the count,
// and failures are forgotten after the window.
func TestAccountLock(t *testing.T) {
	clk := newClock()
	th := NewThrottle(DefaultLimits, clk.Now)
	fail := func(n int) time.Duration {
		var lock time.Duration
		for range n {
			if err := th.Attempt("v", "bob"); err != nil {
				t.Fatalf("attempt refused early: %v", err)
			}
			lock = th.Failed("v", "bob")
		}
		return lock
	}
	if lock := fail(4); lock != 0 {
		t.Fatalf("four failures locked the account for %s", lock)
	}
	if lock := fail(1); lock != 30*time.Second {
		t.Fatalf("the fifth failure locked it for %s, want 30s", lock)
	}
	if d := retryAfter(t, th.Attempt("v", "bob")); d != 30*time.Second {
		t.Errorf("Retry-After = %s, want 30s", d)
	}
	if err := th.Attempt("v", "carol"); err != nil {
		t.Errorf("another account of the same visitor: %v", err)
	}
	if err := th.Attempt("w", "bob"); err != nil {
		t.Errorf("another visitor's bob: %v", err)
	}
	clk.add(30 * time.Second)
	if lock := fail(1); lock != time.Minute {
		t.Errorf("the sixth failure locked it for %s, want 1m", lock)
	}
	clk.add(time.Minute)
	if lock := fail(1); lock != 2*time.Minute {
		t.Errorf("the seventh failure locked it for %s, want 2m", lock)
	}
	for range 10 {
		clk.add(15 * time.Minute)
		fail(1)
	}
	if n, lock := th.Failures("v", "bob"); lock != 15*time.Minute || n != 17 {
		t.Errorf("after 17 failures: %d failures, locked %s; want 17 and the 15m cap", n, lock)
	}
	clk.add(15 * time.Minute)
	th.Succeeded("v", "bob")
	if n, lock := th.Failures("v", "bob"); n != 0 || lock != 0 {
		t.Errorf("after the right password: %d failures, locked %s", n, lock)
	}
	fail(4)
	clk.add(16 * time.Minute)
	if lock := fail(1); lock != 0 {
		t.Errorf("failures older than the window still counted: locked %s", lock)
	}
}

// TestVisitorAttempts: 20 logins at once, then 20 a minute, per visitor:
// the rest of a class on the same address is not touched.
func TestVisitorAttempts(t *testing.T) {
	clk := newClock()
	th := NewThrottle(DefaultLimits, clk.Now)
	for i := range 20 {
		if err := th.Attempt("v", "user"+strconv.Itoa(i)); err != nil {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
	}
	if d := retryAfter(t, th.Attempt("v", "user99")); d != 3*time.Second {
		t.Errorf("Retry-After = %s, want 3s (one attempt refills every 3 s)", d)
	}
	for i := range 300 {
		if err := th.Attempt("student"+strconv.Itoa(i), "alice"); err != nil {
			t.Fatalf("student %d: %v", i, err)
		}
	}
	clk.add(3 * time.Second)
	if err := th.Attempt("v", "user99"); err != nil {
		t.Errorf("after 3 s: %v", err)
	}
}

// TestThrottleIsBounded: a flood of visitor ids keeps the maps at their
// cap.
func TestThrottleIsBounded(t *testing.T) {
	lim := DefaultLimits
	lim.MaxKeys = 100
	th := NewThrottle(lim, newClock().Now)
	for i := range 1000 {
		v := strconv.Itoa(i)
		_ = th.Attempt(v, "bob")
		th.Failed(v, "bob")
	}
	th.mu.Lock()
	defer th.mu.Unlock()
	if len(th.accounts) > 100 || len(th.visitors) > 100 {
		t.Errorf("accounts %d, visitors %d; want at most 100 each", len(th.accounts), len(th.visitors))
	}
}

package jobs

import (
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"
)

func TestExponential(t *testing.T) {
	b := Exponential(time.Second, 10*time.Second)
	for attempt, want := range map[int]time.Duration{
		1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 8 * time.Second, 5: 10 * time.Second, 60: 10 * time.Second,
	} {
		if got := b(attempt); got != want {
			t.Errorf("attempt %d: %v, want %v", attempt, got, want)
		}
	}
}

func TestJittered(t *testing.T) {
	b := jittered(func(int) time.Duration { return time.Second }, 0.2)
	seen := map[time.Duration]bool{}
	for range 100 {
		d := b(1)
		if d < 800*time.Millisecond || d > 1200*time.Millisecond {
			t.Fatalf("jittered delay %v outside ±20%% of 1s", d)
		}
		seen[d] = true
	}
	if len(seen) < 50 {
		t.Errorf("only %d distinct delays in 100", len(seen))
	}
}

func TestRetryPolicy(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	p := retryPolicy{backoff: Exponential(time.Second, time.Minute), now: func() time.Time { return now }}
	if got := p.NextRetry(&rivertype.JobRow{Attempt: 3}); !got.Equal(now.Add(4 * time.Second)) {
		t.Errorf("NextRetry after attempt 3 = %v", got)
	}
}

package outbound

import (
	"math"
	"net/http"
	"testing"
	"time"
)

func TestBackoffIsBounded(t *testing.T) {
	c := New(Options{})
	defer c.Close()
	p := Policy{BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}
	ceilings := []time.Duration{0, 0, 100, 200, 400, 800, 1000, 1000, 1000, 1000}
	for n := 2; n < len(ceilings); n++ {
		want := ceilings[n] * time.Millisecond
		var lo, hi time.Duration = time.Hour, 0
		for range 500 {
			wait, ceiling := c.backoff(p, n)
			if ceiling != want || wait < 0 || wait >= ceiling {
				t.Fatalf("attempt %d: wait %v, ceiling %v; want [0, %v)", n, wait, ceiling, want)
			}
			lo, hi = min(lo, wait), max(hi, wait)
		}
		if lo > want/4 || hi < want*3/4 {
			t.Errorf("attempt %d: waits from %v to %v: not spread over [0, %v)", n, lo, hi, want)
		}
	}
	for _, r := range []float64{-1, 1, math.NaN()} {
		c.opts.Rand = fixedRand(r)
		if wait, _ := c.backoff(p, 2); wait != 0 {
			t.Errorf("rand %v: wait %v, want 0", r, wait)
		}
	}
	if _, ceiling := c.backoff(Policy{BaseDelay: time.Hour, MaxDelay: time.Hour}, 60); ceiling != time.Hour {
		t.Errorf("ceiling = %v, want capped at an hour", ceiling)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"3", 3 * time.Second, true},
		{" 3 ", 3 * time.Second, true},
		{"0", 0, true},
		{"-1", 0, false},
		{"99999999", 24 * time.Hour, true},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
		{"tomorrow", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

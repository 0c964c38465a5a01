package routing

import (
	"testing"
	"time"
)

func TestTokenBuckets(t *testing.T) {
	clk := &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	b := newTokenBuckets(2, 10*time.Second, 2, clk.now)
	tests := []struct {
		key      string
		advance  time.Duration
		wantOK   bool
		wantLeft int
		wantWait time.Duration
		wantKeys int
	}{
		{"a", 0, true, 1, 0, 1},
		{"a", 0, true, 0, 0, 1},
		{"a", 0, false, 0, 10 * time.Second, 1},
		{"a", 2500 * time.Millisecond, false, 0, 7500 * time.Millisecond, 1},
		{"b", 0, true, 1, 0, 2},
		{"a", 7500 * time.Millisecond, true, 0, 0, 2},
		// A third key over the cap of two: a and b have refilled by then and go.
		{"c", 20 * time.Second, true, 1, 0, 1},
	}
	for i, tt := range tests {
		clk.advance(tt.advance)
		ok, left, wait := b.take(tt.key)
		if ok != tt.wantOK || left != tt.wantLeft || wait != tt.wantWait || len(b.buckets) != tt.wantKeys {
			t.Errorf("%d: take(%s) = %v, %d, %v with %d keys; want %v, %d, %v with %d", i+1, tt.key, ok, left, wait, len(b.buckets), tt.wantOK, tt.wantLeft, tt.wantWait, tt.wantKeys)
		}
	}
}

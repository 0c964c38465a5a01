package web

import (
	"strings"
	"testing"
	"time"
)

func TestRunStoreBounds(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	tests := []struct {
		name     string
		maxRuns  int
		maxBytes int
		sizes    []int         // runs put in order, each html of this many bytes
		advance  time.Duration // then the clock moves
		wantKept []bool        // which runs get still finds
	}{
		{name: "all kept", maxRuns: 3, maxBytes: 100, sizes: []int{10, 10, 10}, wantKept: []bool{true, true, true}},
		{name: "oldest go past the count", maxRuns: 2, maxBytes: 100, sizes: []int{10, 10, 10}, wantKept: []bool{false, true, true}},
		{name: "oldest go past the bytes", maxRuns: 10, maxBytes: 50, sizes: []int{30, 10, 30}, wantKept: []bool{false, true, true}},
		{name: "too large alone", maxRuns: 10, maxBytes: 50, sizes: []int{10, 60}, wantKept: []bool{true, false}},
		{name: "too old", maxRuns: 10, maxBytes: 100, sizes: []int{10, 10}, advance: 31 * time.Minute, wantKept: []bool{false, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
			s := newRunStore(tt.maxRuns, tt.maxBytes, 30*time.Minute, clock)
			var ids []string
			for _, n := range tt.sizes {
				id, ok := s.put("v", "sql", nil, strings.Repeat("x", n))
				if ok != (n <= tt.maxBytes) {
					t.Errorf("put of %d bytes: ok = %v", n, ok)
				}
				ids = append(ids, id)
			}
			now = now.Add(tt.advance)
			for i, id := range ids {
				if _, ok := s.get(id, "v"); ok != tt.wantKept[i] {
					t.Errorf("run %d kept = %v, want %v", i, ok, tt.wantKept[i])
				}
				if _, ok := s.get(id, "someone else"); ok {
					t.Errorf("run %d shown to another visitor", i)
				}
			}
			if s.bytes < 0 || s.bytes > tt.maxBytes || s.order.Len() > tt.maxRuns {
				t.Errorf("store holds %d runs, %d bytes", s.order.Len(), s.bytes)
			}
		})
	}
}

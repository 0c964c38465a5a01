package sandbox

import (
	"slices"
	"sync"
	"testing"
	"time"
)

// clock is a settable Now for Options.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 4, 15, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestEviction(t *testing.T) {
	tests := []struct {
		name      string
		opts      Options
		visitors  []string      // each runs a query, in order
		advance   time.Duration // then the clock moves
		wantGone  []string
		wantStats func(Stats) bool
	}{
		{name: "least recently used makes room", opts: Options{MaxSandboxes: 3}, visitors: []string{"a", "b", "c", "a", "d"},
			wantGone: []string{"b"}, wantStats: func(s Stats) bool { return s.EvictedLRU == 1 && s.Sandboxes == 3 }},
		{name: "idle ones are dropped", opts: Options{IdleTimeout: time.Minute}, visitors: []string{"a", "b"}, advance: 2 * time.Minute,
			wantGone: []string{"a", "b"}, wantStats: func(s Stats) bool { return s.EvictedIdle == 2 && s.Sandboxes == 0 }},
		{name: "active ones stay", opts: Options{IdleTimeout: time.Minute}, visitors: []string{"a"}, advance: 30 * time.Second,
			wantStats: func(s Stats) bool { return s.EvictedIdle == 0 && s.Sandboxes == 1 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			tt.opts.Now = clk.Now
			m := newTestManager(t, tt.opts)
			for _, v := range tt.visitors {
				mustRun(t, m, v, "UPDATE members SET miles = 0 WHERE id = 1")
				clk.Advance(time.Second)
			}
			clk.Advance(tt.advance)
			m.sweep()
			if st := m.Stats(); !tt.wantStats(st) {
				t.Errorf("Stats = %+v", st)
			}
			// Survivors first: bringing back a dropped sandbox may push out
			// another one.
			gone := map[string]bool{}
			for _, v := range tt.wantGone {
				gone[v] = true
			}
			var order []string
			for _, v := range tt.visitors {
				if !gone[v] && !slices.Contains(order, v) {
					order = append(order, v)
				}
			}
			order = append(order, tt.wantGone...)
			for _, v := range order {
				res := mustRun(t, m, v, "SELECT miles FROM members WHERE id = 1")
				if res.Recycled != gone[v] {
					t.Errorf("visitor %s: Recycled = %v, want %v", v, res.Recycled, gone[v])
				}
				if kept := res.Statements[0].Rows[0][0].Text == "0"; kept == gone[v] {
					t.Errorf("visitor %s: their change kept = %v, want %v", v, kept, !gone[v])
				}
				// The notice is given once.
				if again := mustRun(t, m, v, "SELECT 1"); again.Recycled {
					t.Errorf("visitor %s: Recycled twice", v)
				}
			}
		})
	}
}

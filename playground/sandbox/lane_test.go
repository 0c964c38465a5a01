package sandbox

import (
	"context"
	"strings"
	"testing"
	"time"
)

const endless = "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) SELECT count(*) FROM r"

// TestLongLane: with both slots held by endless queries and a third
// waiting, a short query arriving last runs within a moment: the first
// long query moves into the long lane and hands its slot on, the second,
// holding the slot the short query waits for while the lane is full, is
// stopped and told why.
func TestLongLane(t *testing.T) {
	m := newTestManager(t, Options{MaxConcurrent: 2, QueryTimeout: 4 * time.Second})
	for _, v := range []string{"a", "b", "c", "short"} {
		mustRun(t, m, v, "SELECT 1") // create the sandboxes up front
	}
	type done struct {
		visitor string
		res     *Result
		at      time.Time
	}
	finished := make(chan done, 3)
	start := func(visitor string) {
		go func() {
			res, err := m.Run(context.Background(), visitor, endless, RunOptions{})
			if err != nil {
				t.Errorf("%s: %v", visitor, err)
			}
			finished <- done{visitor, res, time.Now()}
		}()
	}
	start("a")
	waitRunning(t, m, 1)
	start("b")
	waitRunning(t, m, 2)
	start("c") // waits for a slot
	waitQueued(t, m.slots, 1)
	// One of a and b moves into the lane, handing its slot to c; only then
	// does the short query come, so never two wait at once and no watch
	// takes the crowded path (crowdedQueue), whichever fires first.
	waitLong(t, m)

	began := time.Now()
	res := mustRun(t, m, "short", "SELECT count(*) FROM flights")
	shortTook := time.Since(began)
	if e := res.Statements[0].Error; e != nil {
		t.Fatalf("the short query: %v", e)
	}

	// The first of a and b to be looked at went into the lane, handing its
	// slot to c, which queued first; the other, whose slot the short query
	// waited for, was stopped to make way; c then found nobody waiting and
	// kept its slot.
	select {
	case d := <-finished:
		if e := d.res.Statements[0].Error; d.visitor == "c" || e == nil || !strings.Contains(e.Message, "other visitors' queries were waiting") {
			t.Errorf("%s ended first, with %+v; want a or b stopped to make way", d.visitor, e)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("no long query was stopped to make way")
	}
	if shortTook > 3*time.Second {
		t.Errorf("the short query took %v, as long as the long ones", shortTook)
	}
	for range 2 {
		d := <-finished
		if e := d.res.Statements[0].Error; e == nil || !strings.Contains(e.Message, "time limit") {
			t.Errorf("%s ended with %+v; want its time limit", d.visitor, e)
		}
	}
	// c may have moved into the lane too, once a left it.
	if st := m.Stats(); st.Long < 1 || st.Crowded != 1 {
		t.Errorf("Long = %d, Crowded = %d; want at least 1 and 1", st.Long, st.Crowded)
	}
	if running, waiting := m.slots.counts(); running != 0 || waiting != 0 {
		t.Errorf("counts = %d running, %d waiting at the end; want none", running, waiting)
	}
}

// TestLongLaneAlone: with nobody waiting, a long query keeps its slot
// when the lane is full, and runs to its own limit.
func TestLongLaneAlone(t *testing.T) {
	m := newTestManager(t, Options{MaxConcurrent: 2, QueryTimeout: time.Second})
	errs := make(chan *StmtError, 2)
	for _, v := range []string{"a", "b"} {
		go func() {
			res, err := m.Run(context.Background(), v, endless, RunOptions{})
			if err != nil {
				t.Error(err)
				errs <- nil
				return
			}
			errs <- res.Statements[0].Error
		}()
	}
	for range 2 {
		if e := <-errs; e == nil || !strings.Contains(e.Message, "time limit") {
			t.Errorf("ended with %+v, want the time limit", e)
		}
	}
	if st := m.Stats(); st.Long < 1 || st.Crowded != 0 {
		t.Errorf("Long = %d, Crowded = %d; want at least 1 in the lane and none stopped", st.Long, st.Crowded)
	}
}

// waitRunning waits until n operations run at m.
func waitRunning(t *testing.T, m *Manager, n int) {
	t.Helper()
	for start := time.Now(); time.Since(start) < 5*time.Second; time.Sleep(time.Millisecond) {
		if running, _ := m.slots.counts(); running == n {
			return
		}
	}
	t.Fatalf("%d operations never ran", n)
}

// TestLongLaneTrusted: a lesson's demo (With) holding a slot others wait
// for, the long lane full, keeps its slot and runs to its own end: it is
// never stopped to make way.
func TestLongLaneTrusted(t *testing.T) {
	// Long enough for a to stay in the lane until c has been looked at,
	// even under the race detector.
	m := newTestManager(t, Options{MaxConcurrent: 2, QueryTimeout: 6 * time.Second})
	for _, v := range []string{"a", "demo", "c"} {
		mustRun(t, m, v, "SELECT 1")
	}
	lane := make(chan *Result, 1)
	go func() {
		res, err := m.Run(context.Background(), "a", endless, RunOptions{})
		if err != nil {
			t.Error(err)
		}
		lane <- res
	}()
	// a alone moves into the lane before anything else starts, so the
	// lane is a's whatever order the watches fire in later.
	waitLong(t, m)
	demo := make(chan error, 1)
	go func() {
		demo <- m.With(context.Background(), "demo", func(ctx context.Context, db *DB) error {
			_, err := db.Query(ctx, endless)
			return err
		})
	}()
	waitRunning(t, m, 2)
	// Both slots: the demo and c's endless query; the short query waits.
	c := make(chan *Result, 1)
	go func() { c <- mustRun(t, m, "c", endless) }()
	waitRunning(t, m, 3)
	short := mustRun(t, m, "c-friend", "SELECT 1")
	if e := short.Statements[0].Error; e != nil {
		t.Errorf("the short query: %v", e)
	}
	if err := <-demo; err == nil || !strings.Contains(err.Error(), "time limit") {
		t.Errorf("the demo ended with %v, want its own time limit", err)
	}
	if e := (<-c).Statements[0].Error; e == nil || !strings.Contains(e.Message, "other visitors' queries were waiting") {
		t.Errorf("c's endless query ended with %+v, want it stopped to make way", e)
	}
	<-lane
}

// waitLong waits until an operation has moved into the long lane.
func waitLong(t *testing.T, m *Manager) {
	t.Helper()
	for start := time.Now(); time.Since(start) < 5*time.Second; time.Sleep(time.Millisecond) {
		if m.Stats().Long > 0 {
			return
		}
	}
	t.Fatal("nothing moved into the long lane")
}

package realtime

import (
	"bufio"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// waitVersion waits until the run's feed has published version v.
func waitVersion(t *testing.T, r *Run, v int) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for r.feed.current().Seq < v {
		if time.Now().After(deadline) {
			t.Fatalf("waited 3s for version %d", v)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestLongPollTimesOutWithNothingNew(t *testing.T) {
	l, _ := startLab(t, Options{LongPollTimeout: 50 * time.Millisecond})
	run := newRun(t, l)
	waitVersion(t, run, 3) // boarding comes 140ms later
	start := time.Now()
	res, err := http.Get(l.URL() + "/status?run=" + run.ID + "&after=3")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent {
		t.Errorf("status %d, want 204", res.StatusCode)
	}
	if took := time.Since(start); took < 40*time.Millisecond {
		t.Errorf("answered after %v, want the 50ms timeout", took)
	}
	// During the quiet gap before boarding, a long poller gets one or more
	// empty answers and still every change.
	rep := newRun(t, l).Follow(t.Context(), Watch{Transport: LongPolling})
	if rep.Empty < 1 || rep.Messages != 6 {
		t.Errorf("%d empty answers, %d messages; want at least 1 and 6", rep.Empty, rep.Messages)
	}
}

func TestSlowPollingMissesChanges(t *testing.T) {
	l, _ := startLab(t, Options{})
	rep := newRun(t, l).Follow(t.Context(), Watch{Transport: Polling, Every: 100 * time.Millisecond})
	if rep.Err != "" {
		t.Fatal(rep.Err)
	}
	if rep.Missed == 0 || rep.Messages+rep.Missed != 6 {
		t.Errorf("saw %v, missed %d; want some missed, 6 in all", seqs(rep.Updates), rep.Missed)
	}
	if last := rep.Updates[len(rep.Updates)-1]; !last.Final {
		t.Errorf("the last update is %+v, want the final one", last)
	}
}

func TestSSEResumesAfterLastEventID(t *testing.T) {
	l, _ := startLab(t, Options{})
	run := newRun(t, l)
	waitVersion(t, run, 6)
	rep := run.Follow(t.Context(), Watch{Transport: SSE, LastEventID: "3"})
	if got := seqs(rep.Updates); !slices.Equal(got, []int{4, 5, 6}) || rep.Missed != 3 {
		t.Errorf("resumed with %v (missed %d), want [4 5 6]", got, rep.Missed)
	}
	// The stream as it is on the wire.
	req, _ := http.NewRequest(http.MethodGet, l.URL()+"/events?run="+run.ID, nil)
	req.Header.Set("Last-Event-ID", "4")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("Content-Type %q", ct)
	}
	var ids []string
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		if id, ok := strings.CutPrefix(sc.Text(), "id: "); ok {
			ids = append(ids, id)
		}
	}
	if !slices.Equal(ids, []string{"5", "6"}) {
		t.Errorf("ids %v, want [5 6]", ids)
	}
}

func TestWebSocketResumesAndClosesCleanly(t *testing.T) {
	l, _ := startLab(t, Options{})
	run := newRun(t, l)
	rep := run.Follow(t.Context(), Watch{Transport: WebSocket, LastEventID: "2"})
	if rep.Err != "" || !strings.HasPrefix(rep.Closed, "1000 ") {
		t.Errorf("closed %q, error %q; want a 1000 normal closure", rep.Closed, rep.Err)
	}
	if got := seqs(rep.Updates); !slices.Equal(got, []int{3, 4, 5, 6}) {
		t.Errorf("saw %v, want [3 4 5 6]", got)
	}
}

func TestRunsAreIndependent(t *testing.T) {
	l, _ := startLab(t, Options{})
	a := newRun(t, l)
	waitVersion(t, a, 3)
	b := newRun(t, l)
	if a.ID == b.ID {
		t.Fatal("two runs share an id")
	}
	for _, tt := range []struct {
		run  *Run
		want string
	}{{a, `"version":3`}, {b, `"version":0`}} {
		res, err := http.Get(l.URL() + "/status?run=" + tt.run.ID)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if !strings.Contains(string(body), tt.want) {
			t.Errorf("run %s: %s, want %s", tt.run.ID, body, tt.want)
		}
	}
	res, err := http.Get(l.URL() + "/status?run=nobody")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("an unknown run: %d, want 404", res.StatusCode)
	}
	repB := b.Follow(t.Context(), Watch{Transport: SSE})
	if got := seqs(repB.Updates); !slices.Equal(got, []int{1, 2, 3, 4, 5, 6}) {
		t.Errorf("run b saw %v, want its own 1 to 6", got)
	}
}

func TestCloseEndsOpenStreams(t *testing.T) {
	l, err := Start(Options{Step: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	run, err := l.NewRun()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan Report, 2)
	go func() { done <- run.Follow(t.Context(), Watch{Transport: SSE}) }()
	go func() { done <- run.Follow(t.Context(), Watch{Transport: WebSocket}) }()
	time.Sleep(100 * time.Millisecond)
	if err := l.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	for range 2 {
		select {
		case rep := <-done:
			if rep.Messages != 0 {
				t.Errorf("%s: %d messages before the first change", rep.Transport, rep.Messages)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("a stream outlived Close by 5s")
		}
	}
	if _, err := l.NewRun(); err == nil {
		t.Error("NewRun on a closed lab succeeded")
	}
}

package events

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.uber.org/goleak"

	"github.com/engineroom/engineroom/playground/jobs"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var booking = Booking{Ref: "ER-1001", Email: "ada@example.com", Miles: 3451}

// newLab starts a lab with fast polling and 20 ms backoffs, closed at the
// end of the test.
func newLab(t *testing.T) (*Lab, *tracetest.InMemoryExporter) {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	l, err := Start(context.Background(), Options{Dir: t.TempDir(), Tracer: tp.Tracer("events-test"),
		PollInterval: 10 * time.Millisecond, Backoff: func(int) time.Duration { return 20 * time.Millisecond }})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := l.Close(context.Background()); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return l, exp
}

// wait polls Progress until the event's deliveries are finished.
func wait(t *testing.T, l *Lab, visitor string, id int64) Run {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r, err := l.Progress(context.Background(), visitor, id)
		if err != nil {
			t.Fatalf("Progress: %v", err)
		}
		if r.Done {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("event %d not delivered after 10 s: %+v", id, r)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func publish(t *testing.T, l *Lab, visitor string, subs ...Subscription) int64 {
	t.Helper()
	id, err := l.Publish(context.Background(), visitor, booking, subs)
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	return id
}

func outcomes(d Delivery) string {
	var s []string
	for _, a := range d.Attempts {
		s = append(s, a.Outcome)
	}
	return strings.Join(s, ", ")
}

func TestFanOut(t *testing.T) {
	l, exp := newLab(t)
	id := publish(t, l, "v1", Subscription{Consumer: Email}, Subscription{Consumer: Miles}, Subscription{Consumer: Analytics})
	r := wait(t, l, "v1", id)
	if len(r.Deliveries) != 3 {
		t.Fatalf("%d deliveries, want 3", len(r.Deliveries))
	}
	for i, want := range []Consumer{Email, Miles, Analytics} {
		d := r.Deliveries[i]
		if d.Consumer != want || d.State != jobs.StateCompleted || outcomes(d) != OutcomeDone || d.MaxAttempts != MaxAttempts(want) {
			t.Errorf("delivery %d = %s %s [%s] max %d", i, d.Consumer, d.State, outcomes(d), d.MaxAttempts)
		}
	}
	if got := r.Deliveries[1].Attempts[0].Detail; got != "credited 3,451 miles: 12,400 → 15,851" {
		t.Errorf("miles detail = %q", got)
	}
	if got := r.Deliveries[0].Attempts[0].Detail; got != "sent “Booking ER-1001 confirmed” to ada@example.com" {
		t.Errorf("email detail = %q", got)
	}
	if r.Balances[0] != (Balance{AccountIdempotent, 12400, 15851}) {
		t.Errorf("balance = %+v", r.Balances[0])
	}
	kinds := map[string]int{}
	for _, s := range exp.GetSpans() {
		kinds[s.Name]++
	}
	if kinds["publish booking.confirmed"] != 1 || kinds["enqueue job event.email"] != 1 || kinds["enqueue job event.miles"] != 1 ||
		kinds["enqueue job event.analytics"] != 1 || kinds["job event.miles (attempt 1)"] != 1 {
		t.Errorf("spans = %v", kinds)
	}
}

func TestRetriesThenSuccess(t *testing.T) {
	l, _ := newLab(t)
	id := publish(t, l, "v1", Subscription{Consumer: Email, Fault: Flaky, FailTimes: 2})
	d := wait(t, l, "v1", id).Deliveries[0]
	if d.State != jobs.StateCompleted || outcomes(d) != "failed, failed, done" {
		t.Fatalf("email = %s [%s]", d.State, outcomes(d))
	}
	if !strings.Contains(d.Attempts[0].Detail, "503") || d.Attempts[1].Wait < 20*time.Millisecond {
		t.Errorf("attempt 1 %q, wait before 2 = %v", d.Attempts[0].Detail, d.Attempts[1].Wait)
	}
}

func TestDeadLetterAndReplay(t *testing.T) {
	l, exp := newLab(t)
	id := publish(t, l, "v1", Subscription{Consumer: Analytics, Fault: AlwaysFails}, Subscription{Consumer: Miles})
	r := wait(t, l, "v1", id)
	d := r.Deliveries[0]
	if d.State != jobs.StateDiscarded || outcomes(d) != "failed, failed, failed" || !d.Dead() {
		t.Fatalf("analytics = %s [%s]", d.State, outcomes(d))
	}
	dead, err := l.DeadLetters(context.Background(), "v1")
	if err != nil || len(dead) != 1 || dead[0].JobID != d.JobID {
		t.Fatalf("DeadLetters = %+v, %v", dead, err)
	}
	discarded := 0
	for _, s := range exp.GetSpans() {
		for _, kv := range s.Attributes {
			if kv.Key == "engineroom.job.outcome" && kv.Value.AsString() == "discarded" {
				discarded++
			}
		}
	}
	if discarded != 1 {
		t.Errorf("%d discarded attempt spans, want 1", discarded)
	}
	ev, n, err := l.Replay(context.Background(), "v1")
	if err != nil || ev != id || n != 1 {
		t.Fatalf("Replay = %d, %d, %v", ev, n, err)
	}
	r = wait(t, l, "v1", id)
	if len(r.Deliveries) != 3 || r.Deliveries[2].ReplayOf != d.JobID || outcomes(r.Deliveries[2]) != OutcomeDone || !r.Deliveries[0].Replayed {
		t.Fatalf("after replay: %+v", r.Deliveries)
	}
	if dead, _ := l.DeadLetters(context.Background(), "v1"); len(dead) != 0 {
		t.Errorf("dead letters after replay: %+v", dead)
	}
}

func TestCrashBeforeAck(t *testing.T) {
	l, exp := newLab(t)
	id := publish(t, l, "v1", Subscription{Consumer: Miles, Fault: CrashBeforeAck}, Subscription{Consumer: MilesNaive, Fault: CrashBeforeAck})
	r := wait(t, l, "v1", id)
	if got := outcomes(r.Deliveries[0]); got != "crashed before ack, duplicate skipped" {
		t.Errorf("idempotent = [%s]", got)
	}
	if got := outcomes(r.Deliveries[1]); got != "crashed before ack, done" {
		t.Errorf("naive = [%s]", got)
	}
	want := []Balance{{AccountIdempotent, 12400, 15851}, {AccountNaive, 12400, 19302}}
	for i := range want {
		if r.Balances[i] != want[i] {
			t.Errorf("balance %d = %+v, want %+v", i, r.Balances[i], want[i])
		}
	}
	skipped := 0
	for _, s := range exp.GetSpans() {
		if s.Name == "skip duplicate event" {
			skipped++
		}
	}
	if skipped != 1 {
		t.Errorf("%d skip spans, want 1", skipped)
	}
}

func TestVisitorsIndependent(t *testing.T) {
	l, _ := newLab(t)
	a := publish(t, l, "a", Subscription{Consumer: Miles, Fault: AlwaysFails}, Subscription{Consumer: MilesNaive, Fault: CrashBeforeAck})
	b := publish(t, l, "b", Subscription{Consumer: Miles}, Subscription{Consumer: MilesNaive})
	ra, rb := wait(t, l, "a", a), wait(t, l, "b", b)
	if rb.Balances[0] != (Balance{AccountIdempotent, 12400, 15851}) || rb.Balances[1] != (Balance{AccountNaive, 12400, 15851}) {
		t.Errorf("b's balances = %+v", rb.Balances)
	}
	if ra.Balances[0].After != 12400 || ra.Balances[1].After != 19302 {
		t.Errorf("a's balances = %+v", ra.Balances)
	}
	if _, err := l.Progress(context.Background(), "b", a); !errors.Is(err, ErrNotFound) {
		t.Errorf("b reading a's event: %v", err)
	}
	if dead, _ := l.DeadLetters(context.Background(), "b"); len(dead) != 0 {
		t.Errorf("b has a's dead letters: %+v", dead)
	}
}

func TestBusy(t *testing.T) {
	l, _ := newLab(t)
	id := publish(t, l, "v1", Subscription{Consumer: Email, Fault: AlwaysFails})
	if _, err := l.Publish(context.Background(), "v1", booking, []Subscription{{Consumer: Email}}); !errors.Is(err, ErrBusy) {
		t.Errorf("second Publish during delivery: %v", err)
	}
	if _, err := l.Publish(context.Background(), "v2", booking, []Subscription{{Consumer: Email}}); err != nil {
		t.Errorf("another visitor: %v", err)
	}
	wait(t, l, "v1", id)
	if _, err := l.Publish(context.Background(), "v1", booking, []Subscription{{Consumer: "sms"}}); err == nil {
		t.Error("unknown consumer accepted")
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 12400: "12,400", -1234567: "-1,234,567"} {
		if got := Thousands(n); got != want {
			t.Errorf("Thousands(%d) = %q", n, got)
		}
	}
}

// TestTempIn: without Dir, the lab keeps its files in a folder of its own
// inside TempIn, and Close removes that folder and nothing else.
func TestTempIn(t *testing.T) {
	in := t.TempDir()
	l, err := Start(context.Background(), Options{TempIn: in, PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	entries, _ := os.ReadDir(in)
	if len(entries) != 1 || !entries[0].IsDir() || !strings.HasPrefix(entries[0].Name(), "engineroom-events-") {
		t.Fatalf("TempIn holds %v, want one engineroom-events- folder", entries)
	}
	for _, f := range []string{"events.db", "queue.db"} {
		if _, err := os.Stat(filepath.Join(in, entries[0].Name(), f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	if err := l.Close(context.Background()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if entries, _ := os.ReadDir(in); len(entries) != 0 {
		t.Errorf("after Close TempIn holds %v, want nothing", entries)
	}
	if _, err := Start(context.Background(), Options{TempIn: filepath.Join(in, "missing")}); err == nil || !strings.Contains(err.Error(), "events: making a folder") {
		t.Errorf("Start in a missing folder: %v, want the folder named in the error", err)
	}
}

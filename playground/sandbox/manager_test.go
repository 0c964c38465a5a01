package sandbox

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// runInBackground starts a Run that keeps SQLite busy until its time limit
// and waits until it holds a slot.
func runInBackground(t *testing.T, m *Manager, visitor string) (wait func() *Result) {
	t.Helper()
	done := make(chan *Result, 1)
	go func() {
		res, err := m.Run(context.Background(), visitor, runaway+"SELECT count(*) FROM c", RunOptions{})
		if err != nil {
			t.Errorf("background Run: %v", err)
		}
		done <- res
	}()
	for deadline := time.Now().Add(5 * time.Second); m.Stats().Running == 0; {
		if time.Now().After(deadline) {
			t.Fatal("background query never started")
		}
		time.Sleep(time.Millisecond)
	}
	return func() *Result { return <-done }
}

func TestRefusals(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		busy    string // visitor kept busy in the background
		visitor string // then runs SELECT 1
		want    error
	}{
		{name: "same visitor is busy", opts: Options{QueryTimeout: 500 * time.Millisecond}, busy: "v", visitor: "v", want: ErrBusy},
		{name: "all slots taken", opts: Options{QueryTimeout: 500 * time.Millisecond, MaxConcurrent: 1, QueueWait: 20 * time.Millisecond}, busy: "v", visitor: "w", want: ErrSaturated},
		{name: "a slot is free", opts: Options{QueryTimeout: 500 * time.Millisecond, MaxConcurrent: 2}, busy: "v", visitor: "w", want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newTestManager(t, tt.opts)
			wait := runInBackground(t, m, tt.busy)
			_, err := m.Run(context.Background(), tt.visitor, "SELECT 1", RunOptions{})
			if !errors.Is(err, tt.want) {
				t.Errorf("Run = %v, want %v", err, tt.want)
			}
			if res := wait(); res.Statements[0].Error == nil || res.Statements[0].Error.Name != "SQLITE_INTERRUPT" {
				t.Errorf("background query: %+v, want interrupted", res.Statements[0])
			}
			if tt.want == nil {
				return
			}
			st := m.Stats()
			if got := map[error]uint64{ErrBusy: st.Busy, ErrSaturated: st.Saturated}[tt.want]; got != 1 {
				t.Errorf("Stats count for %v = %d, want 1", tt.want, got)
			}
			// Nothing was left behind by the refused call.
			if got := scalar(t, m, tt.visitor, "SELECT 1"); got != "1" {
				t.Errorf("SELECT 1 after refusal = %q", got)
			}
		})
	}
}

func TestInterruptedQueryKeepsConnection(t *testing.T) {
	tests := []struct {
		name    string
		ctx     func() (context.Context, context.CancelFunc)
		wantMsg string
	}{
		{name: "time limit", ctx: func() (context.Context, context.CancelFunc) { return context.Background(), func() {} },
			wantMsg: "query stopped after 300ms (time limit)"},
		{name: "caller gone", ctx: func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 100*time.Millisecond)
		},
			wantMsg: "query cancelled"},
		{name: "caller cancels", ctx: func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(100*time.Millisecond, cancel)
			return ctx, cancel
		}, wantMsg: "query cancelled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newTestManager(t, Options{QueryTimeout: 300 * time.Millisecond})
			mustRun(t, m, "v", "CREATE TABLE notes (body); INSERT INTO notes VALUES ('kept')")
			ctx, cancel := tt.ctx()
			defer cancel()
			res, err := m.Run(ctx, "v", "BEGIN; INSERT INTO notes VALUES ('lost'); "+runaway+"SELECT count(*) FROM c; SELECT 2", RunOptions{})
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			st := res.Statements[2]
			if st.Error == nil || st.Error.Name != "SQLITE_INTERRUPT" || st.Error.Message != tt.wantMsg {
				t.Errorf("interrupted statement error = %+v, want SQLITE_INTERRUPT %q", st.Error, tt.wantMsg)
			}
			if !res.Statements[3].NotRun || !res.RolledBack {
				t.Errorf("NotRun = %v, RolledBack = %v; want both", res.Statements[3].NotRun, res.RolledBack)
			}
			// The same connection answers, with the committed data only.
			if got := scalar(t, m, "v", "SELECT group_concat(body) FROM notes"); got != "kept" {
				t.Errorf("notes = %q, want %q", got, "kept")
			}
			if got := m.Stats().Created; got != 1 {
				t.Errorf("Created = %d, want the sandbox to survive", got)
			}
			// The interrupted statement, now prepared and cached, is stopped
			// again the same way, and the connection still answers.
			res, err = m.Run(context.Background(), "v", runaway+"SELECT count(*) FROM c", RunOptions{})
			if err != nil || res.Statements[0].Error == nil || res.Statements[0].Error.Name != "SQLITE_INTERRUPT" {
				t.Errorf("second run: %v %+v, want SQLITE_INTERRUPT", err, res)
			}
			if got := scalar(t, m, "v", "SELECT 2"); got != "2" {
				t.Errorf("SELECT 2 = %q after the second interruption", got)
			}
		})
	}
}

func TestResetAndDownload(t *testing.T) {
	// Deleting every order item takes seconds under the race detector on a
	// busy machine: more than the default time limit.
	m := newTestManager(t, Options{QueryTimeout: 30 * time.Second})
	ctx := context.Background()
	mustRun(t, m, "v", "DELETE FROM order_items; CREATE TABLE mine (x); INSERT INTO mine VALUES (42)")
	image, err := m.Download(ctx, "v")
	if err != nil {
		t.Fatalf("Download: %v", err)
	}
	if !strings.HasPrefix(string(image), "SQLite format 3\x00") {
		t.Fatalf("download does not start with the SQLite header")
	}
	// The bytes open as a database holding the visitor's changes.
	conn := openImage(t, image)
	var check string
	var mine, items int
	if err := conn.QueryRowContext(ctx, "SELECT (SELECT integrity_check FROM pragma_integrity_check), (SELECT x FROM mine), (SELECT count(*) FROM order_items)").Scan(&check, &mine, &items); err != nil {
		t.Fatalf("reading download: %v", err)
	}
	if check != "ok" || mine != 42 || items != 0 {
		t.Errorf("download: integrity %q, mine %d, order_items %d; want ok, 42, 0", check, mine, items)
	}
	if err := m.Reset(ctx, "v"); err != nil {
		t.Fatalf("Reset: %v", err)
	}
	if got := scalar(t, m, "v", "SELECT (SELECT count(*) FROM sqlite_schema WHERE name = 'mine') || '/' || (SELECT count(*) > 0 FROM order_items)"); got != "0/1" {
		t.Errorf("after Reset: mine/order_items = %q, want 0/1", got)
	}
}

func TestClose(t *testing.T) {
	m := newTestManager(t, Options{})
	mustRun(t, m, "v", "SELECT 1")
	if err := m.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := m.Run(context.Background(), "v", "SELECT 1", RunOptions{}); !errors.Is(err, ErrClosed) {
		t.Errorf("Run after Close = %v, want ErrClosed", err)
	}
	if err := m.Close(); !errors.Is(err, ErrClosed) {
		t.Errorf("second Close = %v, want ErrClosed", err)
	}
}

// TestTemplateBuiltOnFirstUse: a new Manager builds no demo data until a
// sandbox needs it, builds it then, and closes cleanly either way.
func TestTemplateBuiltOnFirstUse(t *testing.T) {
	idle, err := New(Options{Spares: -1})
	if err != nil {
		t.Fatal(err)
	}
	started := true
	idle.build.Do(func() {
		started = false
		idle.buildErr = ErrClosed
		close(idle.ready)
	})
	if started {
		t.Error("the template started building before anything needed it")
	}
	if err := idle.Close(); err != nil {
		t.Errorf("Close of an unused Manager: %v", err)
	}

	unused, err := New(Options{Spares: -1})
	if err != nil {
		t.Fatal(err)
	}
	closed := make(chan error, 1)
	go func() { closed <- unused.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("Close of a Manager that never built: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close of a Manager that never built did not return")
	}
	if _, err := unused.Image(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("Image after Close = %v, want ErrClosed", err)
	}

	used, err := New(Options{Spares: -1, QueriesPerMinute: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer used.Close()
	select {
	case <-used.Built():
		t.Fatal("Built is closed before anything needed the template")
	default:
	}
	if st := used.Stats(); st.TemplateBytes != 0 {
		t.Errorf("TemplateBytes = %d before first use, want 0", st.TemplateBytes)
	}
	mustRun(t, used, "v", "SELECT count(*) FROM flights")
	select {
	case <-used.Built():
	default:
		t.Fatal("Built is not closed after a sandbox was made")
	}
	if st := used.Stats(); st.TemplateBytes == 0 || st.TemplateBuild == 0 {
		t.Errorf("after first use: TemplateBytes %d, TemplateBuild %v; want both set", st.TemplateBytes, st.TemplateBuild)
	}
}

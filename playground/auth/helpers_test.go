package auth

import (
	"context"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/engineroom/engineroom/playground/sandbox"
)

// TestMain fails the run when a test leaves a goroutine behind (the
// session library's own in-memory store would).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testImage is the demo data the tests clone sandboxes from, built once.
var testImage = sync.OnceValues(func() ([]byte, error) {
	m, err := sandbox.New(sandbox.Options{})
	if err != nil {
		return nil, err
	}
	defer m.Close()
	return m.Image(context.Background())
})

// cheap are argon2id settings for tests that are not about the cost.
var cheap = Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1}

// clock is a settable clock for the limits and the sessions.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// newTestApp is an App with cheap hashing and a sandbox manager with the
// demo data; open opens visitor v's sandbox.
func newTestApp(t *testing.T, opts Options) (*App, sandbox.Opener, *sandbox.Manager) {
	t.Helper()
	image, err := testImage()
	if err != nil {
		t.Fatal(err)
	}
	m, err := sandbox.New(sandbox.Options{Template: image, QueriesPerMinute: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	if opts.Params == (Params{}) {
		opts.Params = cheap
	}
	a := New(opts)
	open := func(ctx context.Context, fn func(ctx context.Context, db *sandbox.DB) error) error {
		return m.With(ctx, "v", fn)
	}
	return a, open, m
}

// scalar runs a query on visitor v's sandbox and returns its first cell.
func scalar(t *testing.T, open sandbox.Opener, q string, args ...any) any {
	t.Helper()
	var v any
	err := open(context.Background(), func(ctx context.Context, db *sandbox.DB) error {
		res, err := db.Query(ctx, q, args...)
		if err == nil && len(res.Values) > 0 {
			v = res.Values[0][0]
		}
		return err
	})
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return v
}

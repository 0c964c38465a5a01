package rooms

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func receive(t *testing.T, f *Follower) string {
	t.Helper()
	return receiveWithin(t, f, time.Second)
}

func receiveWithin(t *testing.T, f *Follower, d time.Duration) string {
	t.Helper()
	select {
	case msg, ok := <-f.C:
		if !ok {
			t.Fatal("channel closed, want a state")
		}
		return string(msg)
	case <-time.After(d):
		t.Fatalf("no state within %v", d)
	}
	return ""
}

func closed(t *testing.T, f *Follower) {
	t.Helper()
	select {
	case msg, ok := <-f.C:
		if ok {
			t.Fatalf("got %s, want the channel closed", msg)
		}
	case <-time.After(time.Second):
		t.Fatal("channel still open after a second")
	}
}

// exists is Exists that fails the test on an error.
func exists(t *testing.T, h *Hub, code string) bool {
	t.Helper()
	ok, err := h.Exists(context.Background(), code)
	if err != nil {
		t.Fatalf("Exists: %v", err)
	}
	return ok
}

// authorized is Authorized that fails the test on an error.
func authorized(t *testing.T, h *Hub, code, token string) bool {
	t.Helper()
	ok, err := h.Authorized(context.Background(), code, token)
	if err != nil {
		t.Fatalf("Authorized: %v", err)
	}
	return ok
}

// create is Create that fails the test on an error.
func create(t *testing.T, h *Hub) (code, token string) {
	t.Helper()
	code, token, err := h.Create(context.Background())
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	return code, token
}

func TestCreateCodeAndToken(t *testing.T) {
	eachStore(t, testCreateCodeAndToken)
	for _, bad := range []string{"", "ABCD", "ABCDEF", "ABCD0", "abcde", "ABCDI"} {
		if ValidCode(bad) {
			t.Errorf("ValidCode(%q) = true", bad)
		}
	}
}

func testCreateCodeAndToken(t *testing.T, s testStore) {
	h := s.hub(t, Options{})
	code, token := create(t, h)
	if !ValidCode(code) {
		t.Errorf("code %q is not a valid code", code)
	}
	if len(token) < 40 {
		t.Errorf("token %q is too short", token)
	}
	if !exists(t, h, code) || !authorized(t, h, code, token) || authorized(t, h, code, token+"x") {
		t.Errorf("Exists/Authorized wrong for a new room")
	}
	if exists(t, h, "ZZZZZ") || authorized(t, h, "ZZZZZ", token) {
		t.Errorf("Exists/Authorized true for no room")
	}
}

func TestFollowGetsLatestThenUpdates(t *testing.T) {
	eachStore(t, testFollowGetsLatestThenUpdates)
}

func testFollowGetsLatestThenUpdates(t *testing.T, s testStore) {
	ctx := context.Background()
	h := s.hub(t, Options{})
	code, token := create(t, h)
	early, err := h.Follow(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	defer early.Stop()
	if err := h.Publish(ctx, code, token, State{Path: "/lessons/a"}); err != nil {
		t.Fatal(err)
	}
	if err := h.Publish(ctx, code, token, State{Path: "/lessons/b", Demo: "cache-aside", Step: 2}); err != nil {
		t.Fatal(err)
	}
	want := `{"path":"/lessons/b","demo":"cache-aside","step":2}`
	// A slow follower skips to the latest state.
	if got := receive(t, early); got != want {
		t.Errorf("early follower got %s, want %s", got, want)
	}
	late, err := h.Follow(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	if got := receive(t, late); got != want {
		t.Errorf("late follower got %s, want %s", got, want)
	}
	if n := h.Followers(code); n != 2 {
		t.Errorf("Followers = %d, want 2", n)
	}
	late.Stop()
	late.Stop()
	closed(t, late)
	if n := h.Followers(code); n != 1 {
		t.Errorf("Followers after Stop = %d, want 1", n)
	}
}

func TestPublishRefusals(t *testing.T) {
	eachStore(t, testPublishRefusals)
}

func testPublishRefusals(t *testing.T, s testStore) {
	h := s.hub(t, Options{})
	code, token := create(t, h)
	tests := []struct {
		name        string
		code, token string
		s           State
		want        error
	}{
		{"wrong token", code, "nope", State{Path: "/"}, ErrForbidden},
		{"unknown room", "ZZZZZ", token, State{Path: "/"}, ErrNotFound},
		{"no path", code, token, State{}, ErrBadState},
		{"relative path", code, token, State{Path: "lessons"}, ErrBadState},
		{"long path", code, token, State{Path: "/" + strings.Repeat("a", MaxPath)}, ErrBadState},
		{"long demo", code, token, State{Path: "/", Demo: strings.Repeat("a", MaxDemo+1)}, ErrBadState},
		{"odd demo", code, token, State{Path: "/", Demo: "a<b"}, ErrBadState},
		{"negative step", code, token, State{Path: "/", Step: -1}, ErrBadState},
		{"huge step", code, token, State{Path: "/", Step: MaxStep + 1}, ErrBadState},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := h.Publish(context.Background(), tt.code, tt.token, tt.s); !errors.Is(err, tt.want) {
				t.Errorf("Publish = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestLimitsAndExpiry(t *testing.T) {
	eachStore(t, testLimitsAndExpiry)
}

func testLimitsAndExpiry(t *testing.T, s testStore) {
	ctx := context.Background()
	h := s.hub(t, Options{MaxRooms: 2, MaxFollowers: 1, IdleTTL: s.idle})
	a, _ := create(t, h)
	create(t, h)
	if _, _, err := h.Create(ctx); !errors.Is(err, ErrFull) {
		t.Errorf("third Create = %v, want ErrFull", err)
	}
	f, err := h.Follow(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Stop()
	if _, err := h.Follow(ctx, a); !errors.Is(err, ErrCrowded) {
		t.Errorf("second Follow = %v, want ErrCrowded", err)
	}
	if _, err := h.Follow(ctx, "ZZZZZ"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Follow unknown = %v, want ErrNotFound", err)
	}
	s.elapse(s.idle)
	if exists(t, h, a) {
		t.Errorf("room exists after %v idle", s.idle)
	}
	closed(t, f)
	if n := h.Len(); n != 0 {
		t.Errorf("Len after expiry = %d, want 0", n)
	}
	if _, _, err := h.Create(ctx); err != nil {
		t.Errorf("Create after expiry: %v", err)
	}
}

func TestCloseEndsFollowers(t *testing.T) {
	eachStore(t, testCloseEndsFollowers)
}

func testCloseEndsFollowers(t *testing.T, s testStore) {
	ctx := context.Background()
	h := s.hub(t, Options{})
	code, token := create(t, h)
	f, err := h.Follow(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	h.Close()
	h.Close()
	closed(t, f)
	f.Stop()
	if _, err := h.Follow(ctx, code); !errors.Is(err, ErrClosed) {
		t.Errorf("Follow after Close = %v, want ErrClosed", err)
	}
	if err := h.Publish(ctx, code, token, State{Path: "/"}); !errors.Is(err, ErrClosed) {
		t.Errorf("Publish after Close = %v, want ErrClosed", err)
	}
	if _, _, err := h.Create(ctx); !errors.Is(err, ErrClosed) {
		t.Errorf("Create after Close = %v, want ErrClosed", err)
	}
}

func TestConcurrentPublishAndFollow(t *testing.T) {
	eachStore(t, testConcurrentPublishAndFollow)
}

func testConcurrentPublishAndFollow(t *testing.T, s testStore) {
	ctx := context.Background()
	h := s.hub(t, Options{})
	code, token := create(t, h)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f, err := h.Follow(ctx, code)
			if err != nil {
				t.Error(err)
				return
			}
			defer f.Stop()
			for range 50 {
				if err := h.Publish(ctx, code, token, State{Path: "/", Step: i}); err != nil {
					t.Error(err)
					return
				}
				select {
				case <-f.C:
				default:
				}
			}
		}()
	}
	wg.Wait()
}

package rooms

import (
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
	select {
	case msg, ok := <-f.C:
		if !ok {
			t.Fatal("channel closed, want a state")
		}
		return string(msg)
	case <-time.After(time.Second):
		t.Fatal("no state within a second")
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

func TestCreateCodeAndToken(t *testing.T) {
	h := New(Options{})
	defer h.Close()
	code, token, err := h.Create()
	if err != nil {
		t.Fatal(err)
	}
	if !ValidCode(code) {
		t.Errorf("code %q is not a valid code", code)
	}
	if len(token) < 40 {
		t.Errorf("token %q is too short", token)
	}
	if !h.Exists(code) || !h.Authorized(code, token) || h.Authorized(code, token+"x") {
		t.Errorf("Exists/Authorized wrong for a new room")
	}
	for _, bad := range []string{"", "ABCD", "ABCDEF", "ABCD0", "abcde", "ABCDI"} {
		if ValidCode(bad) {
			t.Errorf("ValidCode(%q) = true", bad)
		}
	}
}

func TestFollowGetsLatestThenUpdates(t *testing.T) {
	h := New(Options{})
	defer h.Close()
	code, token, _ := h.Create()
	early, err := h.Follow(code)
	if err != nil {
		t.Fatal(err)
	}
	defer early.Stop()
	if err := h.Publish(code, token, State{Path: "/lessons/a"}); err != nil {
		t.Fatal(err)
	}
	if err := h.Publish(code, token, State{Path: "/lessons/b", Demo: "cache-aside", Step: 2}); err != nil {
		t.Fatal(err)
	}
	want := `{"path":"/lessons/b","demo":"cache-aside","step":2}`
	// A slow follower skips to the latest state.
	if got := receive(t, early); got != want {
		t.Errorf("early follower got %s, want %s", got, want)
	}
	late, err := h.Follow(code)
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
	h := New(Options{})
	defer h.Close()
	code, token, _ := h.Create()
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
			if err := h.Publish(tt.code, tt.token, tt.s); !errors.Is(err, tt.want) {
				t.Errorf("Publish = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestLimitsAndExpiry(t *testing.T) {
	c := &clock{t: time.Unix(1e9, 0)}
	h := New(Options{MaxRooms: 2, MaxFollowers: 1, IdleTTL: time.Hour, Now: c.now})
	defer h.Close()
	a, _, _ := h.Create()
	if _, _, err := h.Create(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := h.Create(); !errors.Is(err, ErrFull) {
		t.Errorf("third Create = %v, want ErrFull", err)
	}
	f, err := h.Follow(a)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Follow(a); !errors.Is(err, ErrCrowded) {
		t.Errorf("second Follow = %v, want ErrCrowded", err)
	}
	if _, err := h.Follow("ZZZZZ"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Follow unknown = %v, want ErrNotFound", err)
	}
	c.add(time.Hour)
	if h.Exists(a) {
		t.Error("room exists after an idle hour")
	}
	closed(t, f)
	if n := h.Len(); n != 0 {
		t.Errorf("Len after expiry = %d, want 0", n)
	}
	if _, _, err := h.Create(); err != nil {
		t.Errorf("Create after expiry: %v", err)
	}
}

func TestCloseEndsFollowers(t *testing.T) {
	h := New(Options{})
	code, _, _ := h.Create()
	f, err := h.Follow(code)
	if err != nil {
		t.Fatal(err)
	}
	h.Close()
	h.Close()
	closed(t, f)
	f.Stop()
	if _, err := h.Follow(code); !errors.Is(err, ErrClosed) {
		t.Errorf("Follow after Close = %v, want ErrClosed", err)
	}
	if _, _, err := h.Create(); !errors.Is(err, ErrClosed) {
		t.Errorf("Create after Close = %v, want ErrClosed", err)
	}
}

func TestConcurrentPublishAndFollow(t *testing.T) {
	h := New(Options{})
	defer h.Close()
	code, token, _ := h.Create()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f, err := h.Follow(code)
			if err != nil {
				t.Error(err)
				return
			}
			defer f.Stop()
			for range 50 {
				_ = h.Publish(code, token, State{Path: "/", Step: i})
				select {
				case <-f.C:
				default:
				}
			}
		}()
	}
	wg.Wait()
}

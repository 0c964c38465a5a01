package rooms

import (
	"context"
	"errors"
	mrand "math/rand/v2"
	"testing"
	"time"
)

// sharedStores are the stores two instances can share: every store but
// memory.
func sharedStores(t *testing.T) []testStore {
	var out []testStore
	for _, s := range stores(t) {
		if s.shared != nil {
			out = append(out, s)
		}
	}
	return out
}

// publishOK is Publish that fails the test on an error.
func publishOK(t *testing.T, h *Hub, code, token string, s State) {
	t.Helper()
	if err := h.Publish(context.Background(), code, token, s); err != nil {
		t.Fatalf("Publish: %v", err)
	}
}

// follow is Follow that fails the test on an error; the follower stops
// when the test ends.
func follow(t *testing.T, h *Hub, code string) *Follower {
	t.Helper()
	f, err := h.Follow(context.Background(), code)
	if err != nil {
		t.Fatalf("Follow: %v", err)
	}
	t.Cleanup(f.Stop)
	return f
}

// TestTwoInstances is two hubs, each with a client of its own, on one
// server: what one does, the other's followers see.
func TestTwoInstances(t *testing.T) {
	for _, s := range sharedStores(t) {
		t.Run(s.name, func(t *testing.T) {
			ctx := context.Background()
			// The same random source on both: the second Create draws the
			// first's code first, and SET NX must turn it down.
			seed := [32]byte{7}
			a := s.hub(t, Options{IdleTTL: s.idle, Rand: mrand.NewChaCha8(seed)})
			b := s.hub(t, Options{IdleTTL: s.idle, Rand: mrand.NewChaCha8(seed)})

			code, token := create(t, a)
			other, _ := create(t, b)
			if other == code {
				t.Fatalf("both hubs handed out code %s", code)
			}
			if !exists(t, b, code) || !authorized(t, b, code, token) || authorized(t, b, code, "nope") {
				t.Fatal("hub B does not see A's room and its teacher")
			}

			onB := follow(t, b, code)
			onA := follow(t, a, code)
			publishOK(t, a, code, token, State{Path: "/lessons/a"})
			for name, f := range map[string]*Follower{"B": onB, "A": onA} {
				if got := receive(t, f); got != `{"path":"/lessons/a"}` {
					t.Errorf("follower on %s got %s after A published", name, got)
				}
			}
			late := follow(t, b, code)
			if got := receive(t, late); got != `{"path":"/lessons/a"}` {
				t.Errorf("late follower on B got %s, want the latest state at once", got)
			}
			// A's teacher token works on B, and B's publish reaches A.
			publishOK(t, b, code, token, State{Path: "/lessons/b", Step: 1})
			for name, f := range map[string]*Follower{"B": onB, "A": onA, "B, late": late} {
				if got := receive(t, f); got != `{"path":"/lessons/b","step":1}` {
					t.Errorf("follower on %s got %s after B published", name, got)
				}
			}
			if n := b.Followers(code); n != 2 {
				t.Errorf("B's followers = %d, want 2 (followers are per instance)", n)
			}

			// Closing A ends A's followers only.
			a.Close()
			closed(t, onA)
			publishOK(t, b, code, token, State{Path: "/lessons/c"})
			for _, f := range []*Follower{onB, late} {
				if got := receive(t, f); got != `{"path":"/lessons/c"}` {
					t.Errorf("after A closed, a follower on B got %s", got)
				}
			}

			// The room expires on the server, for B too.
			s.elapse(s.idle)
			if exists(t, b, code) {
				t.Errorf("room exists on B after %v idle", s.idle)
			}
			closed(t, onB)
			closed(t, late)
			if err := b.Publish(ctx, code, token, State{Path: "/"}); !errors.Is(err, ErrNotFound) {
				t.Errorf("Publish to an expired room = %v, want ErrNotFound", err)
			}
		})
	}
}

// TestFollowRefreshesRoom: a room that is followed lives on, on every
// instance.
func TestFollowRefreshesRoom(t *testing.T) {
	for _, s := range sharedStores(t) {
		t.Run(s.name, func(t *testing.T) {
			a := s.hub(t, Options{IdleTTL: s.idle})
			b := s.hub(t, Options{IdleTTL: s.idle})
			code, _ := create(t, a)
			s.elapse(s.idle * 2 / 3)
			follow(t, b, code)
			s.elapse(s.idle * 2 / 3)
			if !exists(t, a, code) {
				t.Error("a room followed on B expired on A before its idle time since")
			}
		})
	}
}

// TestSubscriptionRecovers takes the server away under a follower and
// brings it back on the same address: the subscription reconnects, reads
// back the state published while it was away, and then gets every
// publish.
func TestSubscriptionRecovers(t *testing.T) {
	for _, s := range sharedStores(t) {
		if s.proxy == nil {
			continue // only a server the test owns can be taken away
		}
		t.Run(s.name, func(t *testing.T) {
			a := s.hub(t, Options{})
			b := s.hub(t, Options{})
			code, token := create(t, a)
			f := follow(t, b, code)
			publishOK(t, a, code, token, State{Path: "/before"})
			if got := receive(t, f); got != `{"path":"/before"}` {
				t.Fatalf("got %s before the restart", got)
			}

			s.proxy.Restart(t)
			// A's pool and B's subscription both lost their connections.
			// This publish may come before B subscribes again.
			retry(t, func() error { return a.Publish(context.Background(), code, token, State{Path: "/while"}) })
			if got := receiveWithin(t, f, 5*time.Second); got != `{"path":"/while"}` {
				t.Fatalf("got %s after the restart, want the state published meanwhile", got)
			}
			publishOK(t, a, code, token, State{Path: "/after"})
			if got := receive(t, f); got != `{"path":"/after"}` {
				t.Errorf("got %s, want the next publish", got)
			}
		})
	}
}

// retry calls fn until it succeeds, for up to 5 seconds.
func retry(t *testing.T, fn func() error) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := fn()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestStoreFailure: when the server is gone, Hub calls fail with
// ErrUnavailable, not ErrNotFound.
func TestStoreFailure(t *testing.T) {
	for _, s := range sharedStores(t) {
		if s.proxy == nil {
			continue
		}
		t.Run(s.name, func(t *testing.T) {
			ctx := context.Background()
			h := s.hub(t, Options{})
			code, token := create(t, h)
			s.proxy.Stop()
			defer s.proxy.Start(t)
			if _, err := h.Exists(ctx, code); !errors.Is(err, ErrUnavailable) {
				t.Errorf("Exists = %v, want ErrUnavailable", err)
			}
			if _, err := h.Follow(ctx, code); !errors.Is(err, ErrUnavailable) {
				t.Errorf("Follow = %v, want ErrUnavailable", err)
			}
			if err := h.Publish(ctx, code, token, State{Path: "/"}); !errors.Is(err, ErrUnavailable) {
				t.Errorf("Publish = %v, want ErrUnavailable", err)
			}
			if _, _, err := h.Create(ctx); !errors.Is(err, ErrUnavailable) {
				t.Errorf("Create = %v, want ErrUnavailable", err)
			}
		})
	}
}

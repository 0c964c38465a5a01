package cache

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/engineroom/engineroom/playground/internal/tcpfault"
)

// secondClient connects another Cache to c's server, as another instance
// of the app would; it is closed when the test ends.
func secondClient(t *testing.T, c *Cache) *Cache {
	t.Helper()
	return clientAt(t, c, c.rdb.Options().Addr)
}

// clientAt connects another Cache, with c's options, to the server at
// addr; it is closed when the test ends.
func clientAt(t *testing.T, c *Cache, addr string) *Cache {
	t.Helper()
	u := &url.URL{Scheme: "redis", Host: addr}
	if c.server == nil {
		var err error
		if u, err = url.Parse(c.opts.URL); err != nil {
			t.Fatal(err)
		}
		u.Host = addr
	}
	other, err := New(context.Background(), Options{URL: u.String()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	return other
}

// next waits up to a second for a message.
func next(t *testing.T, sub *Subscription) Message {
	t.Helper()
	select {
	case m, ok := <-sub.C:
		if !ok {
			t.Fatal("subscription closed, want a message")
		}
		return m
	case <-time.After(time.Second):
		t.Fatal("no message within a second")
	}
	return Message{}
}

func TestSubscription(t *testing.T) {
	ctx := context.Background()
	c := newCache(t, Options{})
	s := newShared(t, c)
	pub := secondClient(t, c).Shared(s.prefix[len(sharedPrefix) : len(s.prefix)-1])

	sub, err := s.Subscribe()
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if err := sub.Add(ctx, "a", "b"); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for range 2 {
		m := next(t, sub)
		got[m.Channel] = m.Subscribed && m.Payload == nil
	}
	if !got["a"] || !got["b"] {
		t.Fatalf("confirmations = %v, want a and b", got)
	}

	steps := []struct {
		channel, msg string
	}{
		{"a", "one"},
		{"c", "not subscribed"},
		{"b", "two"},
	}
	for _, st := range steps {
		if err := pub.Publish(ctx, st.channel, []byte(st.msg)); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []Message{{Channel: "a", Payload: []byte("one")}, {Channel: "b", Payload: []byte("two")}} {
		if m := next(t, sub); m.Channel != want.Channel || string(m.Payload) != string(want.Payload) || m.Subscribed {
			t.Errorf("got %+v, want %+v", m, want)
		}
	}

	if err := sub.Remove(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	// Remove returns once UNSUBSCRIBE is sent: a message the server
	// handles before it still arrives. Soon none does.
	eventually(t, 2*time.Second, "b's messages stop", func() bool {
		_ = pub.Publish(ctx, "b", []byte("gone"))
		_ = pub.Publish(ctx, "a", []byte("three"))
		m := next(t, sub)
		if m.Channel == "b" {
			next(t, sub) // a's message
			return false
		}
		return m.Channel == "a" && string(m.Payload) == "three"
	})

	if err := sub.Close(); err != nil {
		t.Fatal(err)
	}
	sub.Close()
	for range sub.C {
	}
}

// TestSubscriptionReconnects takes the server away under a subscription
// and brings it back: every connection is cut and, for a moment, new ones
// are refused. The channels are subscribed again, each confirmed, and
// messages flow.
func TestSubscriptionReconnects(t *testing.T) {
	ctx := context.Background()
	server := newCache(t, Options{})
	proxy := tcpfault.New(t, server.rdb.Options().Addr)
	c := clientAt(t, server, proxy.Addr())
	s := newShared(t, c)
	sub, err := s.Subscribe()
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if err := sub.Add(ctx, "room"); err != nil {
		t.Fatal(err)
	}
	if m := next(t, sub); !m.Subscribed {
		t.Fatalf("got %+v, want the confirmation", m)
	}
	proxy.Stop()
	time.Sleep(200 * time.Millisecond) // the client tries, and is refused
	proxy.Start(t)
	select {
	case m := <-sub.C:
		if !m.Subscribed || m.Channel != "room" {
			t.Fatalf("got %+v, want a new confirmation for room", m)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no new confirmation within 10s of the drop")
	}
	eventually(t, 2*time.Second, "the publish arrives", func() bool {
		if err := s.Publish(ctx, "room", []byte("back")); err != nil {
			return false
		}
		select {
		case m := <-sub.C:
			return string(m.Payload) == "back"
		case <-time.After(100 * time.Millisecond):
			return false
		}
	})
}

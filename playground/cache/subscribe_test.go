package cache

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// secondClient connects another Cache to c's server, as another instance
// of the app would; it is closed when the test ends.
func secondClient(t *testing.T, c *Cache) *Cache {
	t.Helper()
	url := "redis://" + c.rdb.Options().Addr
	if c.server == nil {
		url = c.opts.URL
	}
	other, err := New(context.Background(), Options{URL: url})
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

// TestSubscriptionReconnects drops a subscription's connection: the
// embedded server is stopped and started again, and, when REDIS_URL is
// set, the real Redis kills the connection (CLIENT KILL). The channels are
// subscribed again, each confirmed, and messages flow.
func TestSubscriptionReconnects(t *testing.T) {
	type dropCase struct {
		name string
		url  string
		drop func(t *testing.T, c *Cache, name string)
	}
	tests := []dropCase{
		{"embedded restart", "", func(t *testing.T, c *Cache, _ string) {
			c.server.m.Close()
			if err := c.server.m.Restart(); err != nil {
				t.Fatal(err)
			}
		}},
	}
	if url := os.Getenv("REDIS_URL"); url != "" {
		tests = append(tests, dropCase{"redis client kill", url, killSubscription})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			c, err := New(ctx, Options{URL: tt.url})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			s := newShared(t, c)
			sub, err := s.Subscribe()
			if err != nil {
				t.Fatal(err)
			}
			defer sub.Close()
			// A subscribed connection takes no CLIENT SETNAME: name it
			// first, so that a real Redis can find it to kill it.
			name := uniqueID(t)
			if tt.url != "" {
				if err := sub.ps.ClientSetName(ctx, name); err != nil {
					t.Fatal(err)
				}
			}
			if err := sub.Add(ctx, "room"); err != nil {
				t.Fatal(err)
			}
			if m := next(t, sub); !m.Subscribed {
				t.Fatalf("got %+v, want the confirmation", m)
			}
			tt.drop(t, c, name)
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
		})
	}
}

// killSubscription finds the connection named name in CLIENT LIST and
// kills it by id, leaving every other client of the server alone.
func killSubscription(t *testing.T, c *Cache, name string) {
	t.Helper()
	ctx := withoutTrace(context.Background())
	list, err := c.rdb.ClientList(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(list, "\n") {
		fields := map[string]string{}
		for _, f := range strings.Fields(line) {
			k, v, _ := strings.Cut(f, "=")
			fields[k] = v
		}
		if fields["name"] == name {
			if err := c.rdb.Do(ctx, "CLIENT", "KILL", "ID", fields["id"]).Err(); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("no connection named %s in CLIENT LIST:\n%s", name, list)
}

package cache

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// subscriptionBuffer is how many messages a Subscription holds for a slow
// reader before the connection's reader waits for it.
const subscriptionBuffer = 128

// subscriptionHealthCheck is how long a quiet subscription connection
// waits before it sends a PING; a PING that fails makes a new connection.
const subscriptionHealthCheck = 3 * time.Second

// Message is what a Subscription delivers: a published message, or the
// server's word that a channel is subscribed.
type Message struct {
	// Channel is the channel's name within the Shared namespace.
	Channel string
	// Payload is what was published; nil when Subscribed.
	Payload []byte
	// Subscribed marks the server's confirmation that Channel is
	// subscribed: once after Add, and again after every new connection.
	// What was published while the old connection was down never
	// arrives, so a reader that must miss nothing reads it back from
	// where it is stored when this comes.
	Subscribed bool
}

// Subscription receives the messages of the channels added to it, all on
// one connection however many channels there are. When the connection
// drops it makes a new one and subscribes every channel again, each
// confirmed by a Message with Subscribed set. It is safe for concurrent
// use.
type Subscription struct {
	// C delivers the messages in the order the server sent them. It is
	// closed by Close.
	C <-chan Message

	s     *Shared
	ps    *redis.PubSub
	stop  chan struct{}
	ended chan struct{}
	once  sync.Once
}

// Subscribe returns a Subscription to no channel yet. It connects in the
// background; Add names the channels.
func (s *Shared) Subscribe() (*Subscription, error) {
	if s.c.closed.Load() {
		return nil, ErrClosed
	}
	ps := s.c.rdb.Subscribe(withoutTrace(context.Background()))
	out := make(chan Message, subscriptionBuffer)
	sub := &Subscription{C: out, s: s, ps: ps, stop: make(chan struct{}), ended: make(chan struct{})}
	in := ps.ChannelWithSubscriptions(
		redis.WithChannelSize(subscriptionBuffer),
		redis.WithChannelHealthCheckInterval(subscriptionHealthCheck),
	)
	go sub.forward(in, out)
	return sub, nil
}

// Add subscribes channels. Once the server confirms one, its messages
// arrive on C. A channel whose subscription failed (the error) is still
// subscribed on the next connection.
func (sub *Subscription) Add(ctx context.Context, channels ...string) error {
	full, err := sub.names(channels)
	if err != nil || len(full) == 0 {
		return err
	}
	if err := sub.ps.Subscribe(ctx, full...); err != nil {
		return sub.s.c.serverError("subscribing to shared channels", err)
	}
	return nil
}

// Remove unsubscribes channels. It returns once the request is sent:
// messages already on C stay there, and one the server handles before
// the request may still come.
func (sub *Subscription) Remove(ctx context.Context, channels ...string) error {
	full, err := sub.names(channels)
	if err != nil || len(full) == 0 {
		return err
	}
	if err := sub.ps.Unsubscribe(ctx, full...); err != nil {
		return sub.s.c.serverError("unsubscribing from shared channels", err)
	}
	return nil
}

// Close ends the subscription and its connection, closes C and waits for
// its goroutines. It is safe to call twice.
func (sub *Subscription) Close() error {
	var err error
	sub.once.Do(func() {
		close(sub.stop)
		err = sub.ps.Close()
		<-sub.ended
	})
	return err
}

// names checks channel names and adds the namespace's prefix.
func (sub *Subscription) names(channels []string) ([]string, error) {
	full := make([]string, len(channels))
	for i, ch := range channels {
		if err := sub.s.check(ch); err != nil {
			return nil, err
		}
		full[i] = sub.s.prefix + ch
	}
	return full, nil
}

// forward turns the client's messages into Messages until the client's
// channel closes. After Close it keeps draining that channel, so the
// client's reader never waits on a full one.
func (sub *Subscription) forward(in <-chan any, out chan<- Message) {
	defer close(sub.ended)
	defer close(out)
	for v := range in {
		var m Message
		switch v := v.(type) {
		case *redis.Message:
			m = Message{Payload: []byte(v.Payload)}
			m.Channel, _ = strings.CutPrefix(v.Channel, sub.s.prefix)
		case *redis.Subscription:
			if v.Kind != "subscribe" {
				continue
			}
			m = Message{Subscribed: true}
			m.Channel, _ = strings.CutPrefix(v.Channel, sub.s.prefix)
		default:
			continue
		}
		select {
		case out <- m:
		case <-sub.stop:
			for range in {
			}
			return
		}
	}
}

package integrations

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/engineroom/engineroom/playground/upstream"
)

func TestWebhookDelivered(t *testing.T) {
	w := newWorld(t, nil)
	const visitor = "jade"
	before := time.Now()
	var paid []Charged
	for _, amount := range []int64{1500, 2500} {
		p, err := w.app.Charge(context.Background(), visitor, ChargeRequest{Card: upstream.CardSuccess, AmountCents: amount,
			Currency: "GBP"})
		if err != nil {
			t.Fatalf("Charge: %v", err)
		}
		paid = append(paid, p)
		eventually(t, 3*time.Second, "the capture's webhook", func() bool { return len(w.app.Deliveries(visitor)) == len(paid) })
	}
	got := w.app.Deliveries(visitor)
	for i, d := range got {
		p := paid[len(paid)-1-i] // newest first
		if !strings.HasPrefix(d.EventID, "evt_") || d.Type != "payment.captured" || d.PaymentID != p.ID ||
			d.Amount != p.AmountCents || d.Currency != "GBP" || d.Status != upstream.StatusCaptured || d.Duplicate ||
			d.ReceivedAt.Before(before) || d.ReceivedAt.After(time.Now()) ||
			d.Signed.Before(before.Truncate(time.Second)) || d.Signed.After(d.ReceivedAt) {
			t.Errorf("delivery %d = %+v, want one for %+v", i, d, p)
		}
	}
	if got[0].EventID == got[1].EventID {
		t.Errorf("two deliveries with event id %s", got[0].EventID)
	}
	results := w.hooks.results()
	if len(results) != 2 {
		t.Fatalf("the endpoint answered %d deliveries, want 2", len(results))
	}
	for _, r := range results {
		if r.status != 200 || r.err != nil {
			t.Errorf("the endpoint answered %d, %v", r.status, r.err)
		}
	}
	if other := w.app.Deliveries("someone else"); len(other) != 0 {
		t.Errorf("another visitor's deliveries = %+v", other)
	}
}

// clock is a settable clock for the Receiver.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// event returns the JSON of a captured-payment webhook for the visitor's
// customer reference.
func event(t *testing.T, id, ref string, created time.Time) []byte {
	t.Helper()
	b, err := json.Marshal(upstream.Event{ID: id, Type: "payment.captured", Created: created.Unix(), Data: upstream.Payment{
		ID: "pay_" + id, Status: upstream.StatusCaptured, AmountCents: 1999, Currency: "EUR", CapturedCents: 1999,
		Metadata: map[string]string{"customer": ref},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReceive(t *testing.T) {
	secret := []byte("whsec_test")
	clk := &clock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	app := New(Options{WebhookSecret: secret, Now: clk.Now})
	now := clk.Now()
	signed := time.Unix(now.Unix(), 0)
	accepted := func(id string, dup bool) Delivery {
		return Delivery{EventID: id, Type: "payment.captured", PaymentID: "pay_" + id, Amount: 1999, Currency: "EUR",
			Status: upstream.StatusCaptured, Duplicate: dup, ReceivedAt: now, Signed: signed}
	}
	// Each case is a visitor of its own; its deliveries are sent in
	// order, and every one is checked.
	type delivery struct {
		body []byte
		sig  string
		want Delivery
		err  error
	}
	tests := []struct {
		name       string
		deliveries func(ref string) []delivery
		filed      []string // the event ids filed under the visitor, newest first
	}{
		{
			name: "good",
			deliveries: func(ref string) []delivery {
				b := event(t, "evt_good", ref, now)
				return []delivery{{body: b, sig: upstream.Sign(secret, b, now), want: accepted("evt_good", false)}}
			},
			filed: []string{"evt_good"},
		},
		{
			name: "signed a minute ago",
			deliveries: func(ref string) []delivery {
				b := event(t, "evt_minute", ref, now)
				return []delivery{{body: b, sig: upstream.Sign(secret, b, now.Add(-time.Minute)), want: accepted("evt_minute", false)}}
			},
			filed: []string{"evt_minute"},
		},
		{
			name: "tampered body",
			deliveries: func(ref string) []delivery {
				b := event(t, "evt_tampered", ref, now)
				sig := upstream.Sign(secret, b, now)
				return []delivery{{body: []byte(strings.Replace(string(b), "1999", "1", 1)), sig: sig, err: ErrWebhookSignature}}
			},
		},
		{
			name: "wrong secret",
			deliveries: func(ref string) []delivery {
				b := event(t, "evt_forged", ref, now)
				return []delivery{{body: b, sig: upstream.Sign([]byte("whsec_other"), b, now), err: ErrWebhookSignature}}
			},
		},
		{
			name: "stale",
			deliveries: func(ref string) []delivery {
				b := event(t, "evt_stale", ref, now)
				return []delivery{{body: b, sig: upstream.Sign(secret, b, now.Add(-10*time.Minute)), err: ErrWebhookStale}}
			},
		},
		{
			name: "from the future",
			deliveries: func(ref string) []delivery {
				b := event(t, "evt_future", ref, now)
				return []delivery{{body: b, sig: upstream.Sign(secret, b, now.Add(10*time.Minute)), err: ErrWebhookStale}}
			},
		},
		{
			name: "missing header",
			deliveries: func(ref string) []delivery {
				return []delivery{{body: event(t, "evt_unsigned", ref, now), sig: "", err: ErrWebhookMissing}}
			},
		},
		{
			name: "malformed header",
			deliveries: func(ref string) []delivery {
				return []delivery{{body: event(t, "evt_garbled", ref, now), sig: "t=yesterday,v1=zz", err: ErrWebhookMissing}}
			},
		},
		{
			name: "signed, but not an event",
			deliveries: func(string) []delivery {
				b := []byte(`{"hello":"world"}`)
				return []delivery{{body: b, sig: upstream.Sign(secret, b, now), err: ErrWebhookBody}}
			},
		},
		{
			name: "signed, but not JSON",
			deliveries: func(string) []delivery {
				b := []byte(`id=evt_1`)
				return []delivery{{body: b, sig: upstream.Sign(secret, b, now), err: ErrWebhookBody}}
			},
		},
		{
			name: "same event twice",
			deliveries: func(ref string) []delivery {
				b := event(t, "evt_twice", ref, now)
				sig := upstream.Sign(secret, b, now)
				return []delivery{
					{body: b, sig: sig, want: accepted("evt_twice", false)},
					{body: b, sig: sig, want: accepted("evt_twice", true)},
				}
			},
			filed: []string{"evt_twice", "evt_twice"},
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			visitor := "receive" + strconv.Itoa(i)
			for n, d := range tt.deliveries(app.CustomerRef(visitor)) {
				got, err := app.Webhooks().Receive(d.body, d.sig)
				if got != d.want || !errors.Is(err, d.err) || (err == nil) != (d.err == nil) {
					t.Errorf("delivery %d: Receive = %+v, %v; want %+v, %v", n+1, got, err, d.want, d.err)
				}
			}
			filed := app.Deliveries(visitor)
			var ids []string
			for _, d := range filed {
				ids = append(ids, d.EventID)
			}
			if strings.Join(ids, " ") != strings.Join(tt.filed, " ") {
				t.Errorf("filed %q, want %q", ids, tt.filed)
			}
			if len(filed) == 2 && (!filed[0].Duplicate || filed[1].Duplicate) {
				t.Errorf("filed %+v, want the duplicate first", filed)
			}
		})
	}

	t.Run("no customer: accepted, filed under nobody", func(t *testing.T) {
		b, _ := json.Marshal(upstream.Event{ID: "evt_anon", Type: "charge.refunded", Created: now.Unix(),
			Data: upstream.Payment{ID: "pay_anon", Status: upstream.StatusRefunded, AmountCents: 5, Currency: "USD"}})
		got, err := app.Webhooks().Receive(b, upstream.Sign(secret, b, now))
		want := Delivery{EventID: "evt_anon", Type: "charge.refunded", PaymentID: "pay_anon", Amount: 5, Currency: "USD",
			Status: upstream.StatusRefunded, ReceivedAt: now, Signed: signed}
		if err != nil || got != want {
			t.Errorf("Receive = %+v, %v; want %+v", got, err, want)
		}
	})

	t.Run("an event id is forgotten after twice the tolerance", func(t *testing.T) {
		ref := app.CustomerRef("late")
		b := event(t, "evt_late", ref, clk.Now())
		if d, err := app.Webhooks().Receive(b, upstream.Sign(secret, b, clk.Now())); err != nil || d.Duplicate {
			t.Fatalf("first: %+v, %v", d, err)
		}
		clk.add(2*Tolerance + time.Second)
		again, err := app.Webhooks().Receive(b, upstream.Sign(secret, b, clk.Now()))
		if err != nil || again.Duplicate || !again.ReceivedAt.Equal(clk.Now()) {
			t.Errorf("the same event, signed again %s later: %+v, %v", 2*Tolerance+time.Second, again, err)
		}
	})
}

func TestDeliveriesCapped(t *testing.T) {
	secret := []byte("whsec_cap")
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	app := New(Options{WebhookSecret: secret, Now: func() time.Time { return now }})
	ref := app.CustomerRef("kim")
	for i := range maxDeliveries + 5 {
		b := event(t, "evt_"+strconv.Itoa(i), ref, now)
		if _, err := app.Webhooks().Receive(b, upstream.Sign(secret, b, now)); err != nil {
			t.Fatalf("delivery %d: %v", i, err)
		}
	}
	got := app.Deliveries("kim")
	if len(got) != maxDeliveries {
		t.Fatalf("%d deliveries kept, want %d", len(got), maxDeliveries)
	}
	for i, d := range got {
		if want := "evt_" + strconv.Itoa(maxDeliveries+4-i); d.EventID != want {
			t.Errorf("delivery %d is %s, want %s (newest first)", i, d.EventID, want)
		}
	}
	// The copy returned is the caller's own.
	got[0].EventID = "changed"
	if again := app.Deliveries("kim"); again[0].EventID != "evt_"+strconv.Itoa(maxDeliveries+4) {
		t.Errorf("changing the returned slice changed the log: %s", again[0].EventID)
	}
}

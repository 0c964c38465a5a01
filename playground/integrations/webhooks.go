package integrations

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/engineroom/engineroom/playground/upstream"
)

// Tolerance is how far a webhook's signed timestamp may be from now.
const Tolerance = 5 * time.Minute

// maxDeliveries is how many deliveries are kept per visitor.
const maxDeliveries = 20

// Delivery is one webhook the app accepted.
type Delivery struct {
	EventID   string
	Type      string
	PaymentID string
	Amount    int64
	Currency  string
	Status    string
	// Duplicate is set when the event had been received before: it was
	// acknowledged and otherwise ignored.
	Duplicate  bool
	ReceivedAt time.Time
	// Signed is when the gateway signed it.
	Signed time.Time
}

// Why a webhook is refused.
var (
	ErrWebhookSignature = errors.New("the signature does not match the body: forged or altered")
	ErrWebhookStale     = errors.New("the signed timestamp is outside the 5-minute window: an old delivery replayed")
	ErrWebhookMissing   = errors.New("the Gateway-Signature header is missing or malformed")
	ErrWebhookBody      = errors.New("the body is not an event")
)

// Receiver checks the gateway's webhooks and files the accepted ones
// under the visitor whose payment they are about.
type Receiver struct {
	secret []byte
	now    func() time.Time

	mu   sync.Mutex
	seen map[string]time.Time // event id → when received, for Tolerance*2
	log  *visitorMap[[]Delivery]
}

func newReceiver(secret []byte, now func() time.Time, maxVisitors int) *Receiver {
	return &Receiver{secret: secret, now: now, seen: make(map[string]time.Time), log: newVisitorMap[[]Delivery](maxVisitors)}
}

// Webhooks is the app's webhook receiver.
func (a *App) Webhooks() *Receiver { return a.hooks }

// Receive verifies one delivery: the HMAC signature over its timestamp
// and body, a timestamp within Tolerance (so a captured delivery cannot be
// replayed later), and an event id not seen before (so one replayed
// within the window is acknowledged but not acted on twice). It returns
// what was filed, or why the delivery was refused.
func (r *Receiver) Receive(body []byte, signature string) (Delivery, error) {
	now := r.now()
	switch err := upstream.VerifySignature(r.secret, body, signature, now, Tolerance); {
	case errors.Is(err, upstream.ErrNoSignature):
		return Delivery{}, ErrWebhookMissing
	case errors.Is(err, upstream.ErrBadSignature):
		return Delivery{}, ErrWebhookSignature
	case errors.Is(err, upstream.ErrStale):
		return Delivery{}, ErrWebhookStale
	case err != nil:
		return Delivery{}, fmt.Errorf("integrations: verifying a webhook: %w", err)
	}
	var e upstream.Event
	if err := json.Unmarshal(body, &e); err != nil || e.ID == "" {
		return Delivery{}, ErrWebhookBody
	}
	d := Delivery{EventID: e.ID, Type: e.Type, PaymentID: e.Data.ID, Amount: e.Data.AmountCents,
		Currency: e.Data.Currency, Status: e.Data.Status, ReceivedAt: now, Signed: time.Unix(e.Created, 0)}
	r.mu.Lock()
	for id, at := range r.seen {
		if now.Sub(at) > 2*Tolerance {
			delete(r.seen, id)
		}
	}
	_, d.Duplicate = r.seen[e.ID]
	if !d.Duplicate {
		r.seen[e.ID] = now
	}
	r.mu.Unlock()
	if ref := e.Data.Metadata["customer"]; ref != "" {
		r.log.update(ref, func(ds []Delivery) []Delivery {
			ds = append(slices.Clone(ds), d)
			if len(ds) > maxDeliveries {
				ds = ds[len(ds)-maxDeliveries:]
			}
			return ds
		})
	}
	return d, nil
}

// Deliveries are the webhooks accepted for the visitor, newest first.
func (a *App) Deliveries(visitor string) []Delivery {
	var out []Delivery
	a.hooks.log.get(a.CustomerRef(visitor), func(ds []Delivery) { out = slices.Clone(ds) })
	slices.Reverse(out)
	return out
}

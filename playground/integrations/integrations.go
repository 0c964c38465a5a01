// Package integrations is the demo applications' side of the third-party
// services: typed calls to the payment gateway, the email service and the
// reservation system (simulated by package upstream), made through
// package outbound so every call has a deadline, retries only where safe,
// a circuit breaker per visitor and a span per attempt; the confirmation
// email job; the fault switches each visitor sets; and the receiver of
// the gateway's signed webhooks.
package integrations

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/engineroom/engineroom/playground/outbound"
)

// The services, as outbound.Call.Service names them.
const (
	PaymentsService     = "payments"
	EmailService        = "email"
	ReservationsService = "reservations"
)

// Services lists the services in the order pages show them.
var Services = []string{PaymentsService, EmailService, ReservationsService}

// ServiceTitle is a service's name for people.
func ServiceTitle(service string) string {
	switch service {
	case PaymentsService:
		return "payment gateway"
	case EmailService:
		return "email service"
	case ReservationsService:
		return "reservation system"
	}
	return service
}

// Options configures an App.
type Options struct {
	// GatewayURL, MailerURL and ReservationsURL are the services' base URLs.
	GatewayURL, MailerURL, ReservationsURL string
	// Client makes the calls. Default: outbound.New with the Tracer.
	Client *outbound.Client
	// Tracer records the steps around the calls.
	Tracer trace.Tracer
	// WebhookSecret is the secret the gateway signs webhooks with.
	WebhookSecret []byte
	// RefKey keys the customer references put in payment metadata.
	// Default: the WebhookSecret.
	RefKey []byte
	// Now is the clock webhook timestamps are checked against.
	Now func() time.Time
	// MaxVisitors caps the visitors whose fault switches and webhook
	// deliveries are remembered. Default 10,000.
	MaxVisitors int
}

// App makes the calls of the demo applications to the services.
type App struct {
	urls   map[string]string
	client *outbound.Client
	tracer trace.Tracer
	refKey []byte
	faults *visitorMap[map[string]Faults]
	hooks  *Receiver
}

// New returns an App calling the services at the given URLs.
func New(opts Options) *App {
	if opts.Tracer == nil {
		opts.Tracer = noop.NewTracerProvider().Tracer("")
	}
	if opts.Client == nil {
		opts.Client = outbound.New(outbound.Options{Tracer: opts.Tracer})
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxVisitors <= 0 {
		opts.MaxVisitors = 10_000
	}
	if len(opts.RefKey) == 0 {
		opts.RefKey = opts.WebhookSecret
	}
	return &App{
		urls:   map[string]string{PaymentsService: opts.GatewayURL, EmailService: opts.MailerURL, ReservationsService: opts.ReservationsURL},
		client: opts.Client,
		tracer: opts.Tracer,
		refKey: opts.RefKey,
		faults: newVisitorMap[map[string]Faults](opts.MaxVisitors),
		hooks:  newReceiver(opts.WebhookSecret, opts.Now, opts.MaxVisitors),
	}
}

// Breaker is the state of the visitor's circuit breaker for a service.
func (a *App) Breaker(service, visitor string) outbound.BreakerState {
	return a.client.State(service, visitor)
}

// CustomerRef is the opaque reference of a visitor that payments carry in
// their metadata, so a webhook can be filed under its visitor without the
// gateway ever seeing who that is.
func (a *App) CustomerRef(visitor string) string {
	m := hmac.New(sha256.New, a.refKey)
	m.Write([]byte(visitor))
	return "cus_" + hex.EncodeToString(m.Sum(nil)[:8])
}

// request is one call to a service on behalf of a visitor.
type request struct {
	// service picks the base URL, and the circuit breaker unless breaker
	// names another one.
	service, breaker   string
	name, method, path string
	body               any
	key                string
	into               any
	policy             outbound.Policy
}

// call sends r with the visitor's API key.
func (a *App) call(ctx context.Context, visitor string, r request) (*outbound.Reply, error) {
	var body []byte
	if r.body != nil {
		var err error
		if body, err = json.Marshal(r.body); err != nil {
			return nil, fmt.Errorf("integrations: encoding %s: %w", r.name, err)
		}
	}
	h := http.Header{}
	h.Set("Authorization", "Bearer "+apiKey(visitor))
	if body != nil {
		h.Set("Content-Type", "application/json")
	}
	breaker := r.service
	if r.breaker != "" {
		breaker = r.breaker
	}
	return a.client.Do(ctx, outbound.Call{
		Service: breaker, Key: visitor, Name: r.name, Method: r.method,
		URL: a.urls[r.service] + r.path, Header: h, Body: body,
		IdempotencyKey: r.key, Into: r.into, Policy: r.policy,
	})
}

// apiKey is the key the app uses for a visitor at every service: each
// visitor is an account of its own there, so faults and data stay apart.
func apiKey(visitor string) string { return "sk_test_" + visitor }

// ProblemOf reads a service's error body ({"error":{code,message,field}})
// from a failed call, when there is one.
func ProblemOf(err error) (code, message, field string) {
	var oe *outbound.Error
	if !errors.As(err, &oe) || oe.Reply == nil {
		return "", "", ""
	}
	var body struct {
		Error struct{ Code, Message, Field string }
	}
	if json.NewDecoder(bytes.NewReader(oe.Reply.Body)).Decode(&body) != nil {
		return "", "", ""
	}
	return body.Error.Code, body.Error.Message, body.Error.Field
}

// visitorMap is a bounded map of per-visitor values; when full, the least
// recently stored visitor is dropped.
type visitorMap[V any] struct {
	mu    sync.Mutex
	max   int
	seq   uint64
	items map[string]visitorItem[V]
}

type visitorItem[V any] struct {
	v   V
	seq uint64
}

func newVisitorMap[V any](max int) *visitorMap[V] {
	return &visitorMap[V]{max: max, items: make(map[string]visitorItem[V])}
}

// update changes the visitor's value under the lock.
func (m *visitorMap[V]) update(visitor string, f func(V) V) {
	m.mu.Lock()
	defer m.mu.Unlock()
	it, ok := m.items[visitor]
	if !ok && len(m.items) >= m.max {
		var oldest string
		var seq uint64
		found := false
		for k, v := range m.items {
			if !found || v.seq < seq {
				oldest, seq, found = k, v.seq, true
			}
		}
		delete(m.items, oldest)
	}
	m.seq++
	m.items[visitor] = visitorItem[V]{v: f(it.v), seq: m.seq}
}

// get returns the visitor's value, read under the lock by f.
func (m *visitorMap[V]) get(visitor string, f func(V)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f(m.items[visitor].v)
}

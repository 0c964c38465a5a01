package upstream

import (
	"context"
	"encoding/hex"
	"math/rand/v2"
	"sync"
	"time"
)

// GatewayOptions configures a Gateway. Zero values mean the documented
// default.
type GatewayOptions struct {
	// Seed seeds every random decision: payment and event ids, jitter and
	// error_rate faults, the default webhook secret.
	Seed uint64
	// Now is the clock of created times, idempotency keys and webhook
	// signatures. Default time.Now.
	Now func() time.Time
	// WebhookSecret signs webhooks. Default: a secret derived from Seed
	// (see Gateway.WebhookSecret).
	WebhookSecret []byte
	// Webhook, when set, is called after every capture and refund, in a
	// goroutine of its own, with the event JSON and the value of its
	// signature header. Its context ends when the gateway closes.
	Webhook func(ctx context.Context, body []byte, signature string) error
	// WebhookURL, when set and Webhook is not, is where the gateway POSTs
	// every event, as a real provider does: the event JSON as the body and
	// its signature in the SignatureHeader header. One attempt, 5 s.
	WebhookURL string
	// MaxHang caps how long the hang fault holds a request. Default 30s.
	MaxHang time.Duration
	// IdempotencyTTL is how long an idempotency key is remembered, on the
	// Now clock. Default 24h.
	IdempotencyTTL time.Duration
	// MaxIdempotencyKeys caps the keys remembered per account; the oldest
	// are dropped first. Default 10,000.
	MaxIdempotencyKeys int
	// MaxAccounts caps the accounts kept; the least recently used one is
	// dropped (with its payments) to make room. Default 10,000.
	MaxAccounts int
}

// Gateway is a simulated payment gateway serving HTTP on a loopback port.
type Gateway struct {
	svc    *service[*ledger]
	secret []byte
	hook   func(ctx context.Context, body []byte, signature string) error

	hookMu     sync.Mutex // guards hookClosed and hooks.Add
	hookClosed bool
	hookCtx    context.Context
	hookStop   context.CancelFunc
	hooks      sync.WaitGroup // webhook deliveries in flight
}

// ledger is one account's payments.
type ledger struct {
	payments map[string]*Payment
	order    []string // payment ids, oldest first
}

// MaxPayments caps the payments an account keeps; the oldest are
// forgotten first.
const MaxPayments = 200

// add files p, forgetting the oldest payment when the ledger is full.
func (l *ledger) add(p *Payment) {
	if len(l.order) >= MaxPayments {
		delete(l.payments, l.order[0])
		l.order = l.order[1:]
	}
	l.payments[p.ID] = p
	l.order = append(l.order, p.ID)
}

// StartGateway starts a gateway on a free loopback port.
func StartGateway(opts GatewayOptions) (*Gateway, error) {
	secret := opts.WebhookSecret
	if len(secret) == 0 {
		r := rand.New(rand.NewPCG(opts.Seed, 0x5ec2e7))
		b := make([]byte, 24)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		secret = []byte("whsec_" + hex.EncodeToString(b))
	}
	g := &Gateway{secret: append([]byte(nil), secret...), hook: opts.Webhook}
	if g.hook == nil && opts.WebhookURL != "" {
		g.hook = postWebhook(opts.WebhookURL)
	}
	g.hookCtx, g.hookStop = context.WithCancel(context.Background())
	g.svc = newService("gateway", config{
		seed: opts.Seed, now: opts.Now, maxHang: opts.MaxHang, idempotencyTTL: opts.IdempotencyTTL,
		maxIdemKeys: opts.MaxIdempotencyKeys, maxAccounts: opts.MaxAccounts,
	}, func() *ledger { return &ledger{payments: make(map[string]*Payment)} })
	if err := g.svc.start(g.routes()); err != nil {
		g.hookStop()
		return nil, err
	}
	return g, nil
}

// routes is the gateway's route table (the service adds /v1/faults).
func (g *Gateway) routes() []route[*ledger] {
	return []route[*ledger]{
		{"POST /v1/payments", g.createPayment},
		{"GET /v1/payments", g.listPayments},
		{"GET /v1/payments/{id}", g.getPayment},
		{"POST /v1/payments/{id}/capture", g.capturePayment},
		{"POST /v1/payments/{id}/refunds", g.refundPayment},
	}
}

// URL is the gateway's base URL, http://127.0.0.1:<port>.
func (g *Gateway) URL() string { return g.svc.url }

// WebhookSecret returns (a copy of) the secret webhooks are signed with.
func (g *Gateway) WebhookSecret() []byte {
	return append([]byte(nil), g.secret...)
}

// Close stops the server, releases held requests, and waits for the
// server's goroutines and the webhook deliveries in flight (whose
// context it cancels). It is safe to call more than once.
func (g *Gateway) Close() error {
	err := g.svc.close()
	g.hookMu.Lock()
	g.hookClosed = true
	g.hookMu.Unlock()
	g.hookStop()
	g.hooks.Wait()
	return err
}

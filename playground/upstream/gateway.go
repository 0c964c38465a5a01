// Package upstream simulates the third-party services the demo
// applications call over HTTP, each a real server on a loopback port.
//
// The payment gateway (StartGateway) speaks a small JSON API under /v1:
// it authorizes, captures and refunds payments, honours Idempotency-Key
// headers, keeps every account (the bearer token) apart from the others,
// lets each account switch on faults of its own (latency, errors, hangs,
// malformed responses), and reports captures and refunds as signed
// webhooks. Given the same Seed and the same requests it answers the
// same way: payment ids and fault decisions come from seeded sources.
package upstream

import (
	"context"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
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

func (o *GatewayOptions) defaults() {
	if o.Now == nil {
		o.Now = time.Now
	}
	if len(o.WebhookSecret) == 0 {
		r := rand.New(rand.NewPCG(o.Seed, 0x5ec2e7))
		b := make([]byte, 24)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		o.WebhookSecret = []byte("whsec_" + hex.EncodeToString(b))
	}
	if o.MaxHang <= 0 {
		o.MaxHang = 30 * time.Second
	}
	if o.IdempotencyTTL <= 0 {
		o.IdempotencyTTL = 24 * time.Hour
	}
	if o.MaxIdempotencyKeys <= 0 {
		o.MaxIdempotencyKeys = 10_000
	}
	if o.MaxAccounts <= 0 {
		o.MaxAccounts = 10_000
	}
}

// Gateway is a simulated payment gateway serving HTTP on a loopback port.
type Gateway struct {
	opts GatewayOptions
	srv  *http.Server
	url  string

	mu       sync.Mutex // guards accounts and closed
	accounts map[string]*account
	closed   bool

	closing   chan struct{} // closed when Close starts: ends hangs and sleeps
	hookCtx   context.Context
	hookStop  context.CancelFunc
	hooks     sync.WaitGroup // webhook deliveries in flight
	serveDone chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// StartGateway starts a gateway on a free loopback port.
func StartGateway(opts GatewayOptions) (*Gateway, error) {
	opts.defaults()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("upstream: starting the gateway: %w", err)
	}
	g := &Gateway{
		opts:      opts,
		url:       "http://" + ln.Addr().String(),
		accounts:  make(map[string]*account),
		closing:   make(chan struct{}),
		serveDone: make(chan struct{}),
	}
	g.hookCtx, g.hookStop = context.WithCancel(context.Background())
	g.srv = &http.Server{Handler: g.routes(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(g.serveDone)
		_ = g.srv.Serve(ln) // always ErrServerClosed after Close
	}()
	return g, nil
}

// URL is the gateway's base URL, http://127.0.0.1:<port>.
func (g *Gateway) URL() string { return g.url }

// WebhookSecret returns (a copy of) the secret webhooks are signed with.
func (g *Gateway) WebhookSecret() []byte {
	return append([]byte(nil), g.opts.WebhookSecret...)
}

// Close stops the server, releases held requests, and waits for the
// server's goroutines and the webhook deliveries in flight (whose
// context it cancels). It is safe to call more than once.
func (g *Gateway) Close() error {
	g.closeOnce.Do(func() {
		close(g.closing)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := g.srv.Shutdown(ctx); err != nil {
			g.closeErr = fmt.Errorf("upstream: stopping the gateway: %w", err)
			_ = g.srv.Close()
		}
		<-g.serveDone
		g.mu.Lock()
		g.closed = true
		g.mu.Unlock()
		g.hookStop()
		g.hooks.Wait()
	})
	return g.closeErr
}

// routes is the gateway's route table.
func (g *Gateway) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/payments", g.api(g.createPayment))
	mux.HandleFunc("GET /v1/payments/{id}", g.api(g.getPayment))
	mux.HandleFunc("POST /v1/payments/{id}/capture", g.api(g.capturePayment))
	mux.HandleFunc("POST /v1/payments/{id}/refunds", g.api(g.refundPayment))
	mux.HandleFunc("GET /v1/faults", g.control(getFaults))
	mux.HandleFunc("PUT /v1/faults", g.control(putFaults))
	for _, p := range []string{"/v1/payments", "/v1/payments/{id}", "/v1/payments/{id}/capture",
		"/v1/payments/{id}/refunds", "/v1/faults"} {
		mux.HandleFunc(p, func(w http.ResponseWriter, _ *http.Request) {
			errorResponse(http.StatusMethodNotAllowed, "method_not_allowed", "method not allowed here", "").write(w)
		})
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		errorResponse(http.StatusNotFound, "not_found", "no such endpoint", "").write(w)
	})
	return mux
}

// sleep waits for d, or less when the client goes away or the gateway
// closes; it reports whether d passed in full.
func (g *Gateway) sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
	case <-g.closing:
	}
	return false
}

// Package outbound is the app's client for calling third-party services
// the careful way, and showing it in the trace.
//
// Every call has a deadline and every attempt a timeout of its own; no
// wait outlives the deadline. Failed attempts are retried with
// exponential backoff and full jitter, or after the service's
// Retry-After, but only when repeating the request is safe: an
// idempotent method, or a request carrying an Idempotency-Key. A circuit
// breaker per (service, key) stops calling a service that keeps failing
// and fails fast instead; the key is the visitor id, so one visitor's
// faults never open the breaker for another. Each call is a span, each
// attempt a client span with the request and the reply, each wait a span
// that says why it waited; failures are *Error values that say what a
// message to the user needs.
package outbound

import (
	"context"
	"math/rand/v2"
	"net"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Options configures a Client. Zero values mean the documented default.
type Options struct {
	// Tracer records the spans of every call. Default: a no-op tracer.
	Tracer trace.Tracer
	// Policy fills in the fields a Call's Policy leaves zero.
	Policy Policy
	// Breaker configures every circuit breaker.
	Breaker BreakerSettings
	// MaxBreakers caps the breakers kept; the least recently used one is
	// dropped to make room. Default 10,000.
	MaxBreakers int
	// MaxReplyBytes is the largest reply body read; a larger one is
	// KindMalformed. Default 1 MiB.
	MaxReplyBytes int64
	// Now is the clock of deadlines and Retry-After dates. Default
	// time.Now. Request timeouts and the breakers run on the real clock.
	Now func() time.Time
	// Sleep waits d, or less when ctx ends first, and then returns
	// ctx.Err(). Default: a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Rand returns a number in [0, 1) for the backoff's jitter; it must be
	// safe for concurrent use. Default math/rand/v2's Float64.
	Rand func() float64
	// OnFailure, when set, is told of every failed call Do returns, once
	// per call (not per attempt), so a metrics counter can follow
	// failures by Service and Kind without reading spans. It runs on the
	// caller's goroutine before Do returns: it must be quick and safe for
	// concurrent use. Invalid calls (nothing sent) are not failures.
	OnFailure func(*Error)
}

// Limits of the Client's own transport.
const (
	dialTimeout         = 2 * time.Second
	tlsHandshakeTimeout = 3 * time.Second
	idleConnTimeout     = 90 * time.Second
	maxIdleConns        = 100
	maxIdleConnsPerHost = 16
	maxConnsPerHost     = 64
)

func (o *Options) defaults() {
	if o.Tracer == nil {
		o.Tracer = noop.NewTracerProvider().Tracer("")
	}
	o.Policy = o.Policy.orDefaults(defaultPolicy)
	o.Breaker = o.Breaker.orDefaults()
	if o.MaxBreakers <= 0 {
		o.MaxBreakers = 10_000
	}
	if o.MaxReplyBytes <= 0 {
		o.MaxReplyBytes = 1 << 20
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
}

// Client calls third-party services. It is safe for concurrent use.
type Client struct {
	opts      Options
	transport *http.Transport
	http      *http.Client
	breakers  *breakers
}

// New returns a Client with an HTTP transport of its own.
func New(opts Options) *Client {
	opts.defaults()
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   tlsHandshakeTimeout,
		IdleConnTimeout:       idleConnTimeout,
		MaxIdleConns:          maxIdleConns,
		MaxIdleConnsPerHost:   maxIdleConnsPerHost,
		MaxConnsPerHost:       maxConnsPerHost,
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &Client{
		opts:      opts,
		transport: tr,
		http: &http.Client{
			Transport: tr,
			// A redirect is answered as it is (KindRejected): a request
			// with a body and credentials is never sent on elsewhere.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		breakers: newBreakers(opts.Breaker, opts.MaxBreakers),
	}
}

// Close closes the idle connections of the Client's transport. The
// Client stays usable; it opens new connections when called again.
func (c *Client) Close() {
	c.transport.CloseIdleConnections()
}

// sleep waits d, or less when ctx ends first.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

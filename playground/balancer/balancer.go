// Package balancer runs a small web tier on loopback: three app-server
// instances, each a real HTTP server, behind a reverse proxy built on
// net/http/httputil.ReverseProxy that balances requests between them.
//
// The proxy picks an instance by a policy (round-robin,
// least-connections, or sticky by cookie), sets X-Forwarded-For,
// X-Forwarded-Proto and Forwarded, retries an idempotent request once on
// another instance when the first one fails, and takes an instance out of
// rotation after Fall failures in a row (its own GET /healthz checks, or
// failed requests) and back after Rise passing checks. Every hop from the
// proxy to an instance is a client span naming the instance.
//
// One set of instances and one proxy serve every visitor: a class of 300
// would otherwise hold 1,200 listeners and their goroutines. What a
// visitor changes — an instance made slow, down or crashed, the policy,
// the rotation and its health log, the round-robin turn and the requests
// in flight — is theirs alone, kept per visitor (bounded, least recently
// used dropped first) and keyed by a header the proxy adds to every
// request it forwards. Health checks run only for visitors who broke an
// instance, and stop once everything is healthy again or the visitor has
// been idle for CheckFor.
package balancer

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Options configures Start. Zero values mean the documented default.
type Options struct {
	// Tracer records the client spans of the app's requests and of the
	// proxy's hops. Default: a no-op tracer.
	Tracer trace.Tracer
	// Instances is how many app-server instances run. Default 3.
	Instances int
	// HealthInterval is the time between two health checks of the same
	// instance. Default 250ms.
	HealthInterval time.Duration
	// Fall is how many failures in a row take an instance out of
	// rotation; Rise how many passing checks bring it back. Default 2 each.
	Fall, Rise int
	// BaseLatency is how long an instance takes to answer; SlowLatency
	// how long a slow one does. Default 5ms and 300ms.
	BaseLatency, SlowLatency time.Duration
	// MaxVisitors caps the visitors whose settings are kept. Default 1,000.
	MaxVisitors int
	// CheckFor is how long a visitor's health checks go on after their
	// last request. Default 30s.
	CheckFor time.Duration
}

func (o *Options) defaults() {
	if o.Tracer == nil {
		o.Tracer = noop.NewTracerProvider().Tracer("")
	}
	if o.Instances <= 0 {
		o.Instances = 3
	}
	if o.HealthInterval <= 0 {
		o.HealthInterval = 250 * time.Millisecond
	}
	if o.Fall <= 0 {
		o.Fall = 2
	}
	if o.Rise <= 0 {
		o.Rise = 2
	}
	if o.BaseLatency <= 0 {
		o.BaseLatency = 5 * time.Millisecond
	}
	if o.SlowLatency <= 0 {
		o.SlowLatency = 300 * time.Millisecond
	}
	if o.MaxVisitors <= 0 {
		o.MaxVisitors = 1000
	}
	if o.CheckFor <= 0 {
		o.CheckFor = 30 * time.Second
	}
}

// Lab is the running web tier: the instances, the proxy in front of them
// and every visitor's settings. It is safe for concurrent use.
type Lab struct {
	opts      Options
	instances []*instance
	proxy     *http.Server
	proxyURL  string
	hops      *http.Transport // proxy to instances
	client    *http.Client    // app to proxy
	visitors  *visitors
	sessions  *sessionStore // the shared session store ("Redis")

	ctx    context.Context // ends at Close: stops the health checks
	cancel context.CancelFunc
	wg     sync.WaitGroup
	closed sync.Once
}

// Start starts the instances and the proxy on loopback ports.
func Start(opts Options) (*Lab, error) {
	opts.defaults()
	l := &Lab{opts: opts, sessions: newSessionStore(maxSessions)}
	l.ctx, l.cancel = context.WithCancel(context.Background())
	l.visitors = newVisitors(opts.MaxVisitors, opts.Instances)
	l.hops = &http.Transport{
		DialContext:           (&net.Dialer{Timeout: time.Second}).DialContext,
		ResponseHeaderTimeout: 2 * time.Second,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       30 * time.Second,
	}
	l.client = &http.Client{
		Transport: &http.Transport{MaxIdleConnsPerHost: 32, IdleConnTimeout: 30 * time.Second},
		Timeout:   5 * time.Second,
	}
	for i := range opts.Instances {
		in, err := startInstance(l, fmt.Sprintf("app-%d", i+1), i)
		if err != nil {
			return nil, errors.Join(err, l.Close())
		}
		l.instances = append(l.instances, in)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, errors.Join(fmt.Errorf("balancer: listening for the proxy: %w", err), l.Close())
	}
	l.proxyURL = "http://" + ln.Addr().String()
	l.proxy = &http.Server{Handler: l.newProxy(), ReadHeaderTimeout: 2 * time.Second}
	go func() { _ = l.proxy.Serve(ln) }()
	return l, nil
}

// URL is the proxy's address.
func (l *Lab) URL() string { return l.proxyURL }

// Names lists the instances, in order.
func (l *Lab) Names() []string {
	out := make([]string, len(l.instances))
	for i, in := range l.instances {
		out[i] = in.name
	}
	return out
}

// Options returns the options the lab runs with, defaults filled in.
func (l *Lab) Options() Options { return l.opts }

// Close stops the health checks, the proxy and the instances. It is safe
// to call more than once.
func (l *Lab) Close() error {
	var errs []error
	l.closed.Do(func() {
		l.cancel()
		l.wg.Wait()
		if l.proxy != nil {
			errs = append(errs, l.proxy.Close())
		}
		for _, in := range l.instances {
			errs = append(errs, in.close())
		}
		l.hops.CloseIdleConnections()
		l.client.CloseIdleConnections()
	})
	return errors.Join(errs...)
}

// index returns the position of the instance called name, or -1.
func (l *Lab) index(name string) int {
	for i, in := range l.instances {
		if in.name == name {
			return i
		}
	}
	return -1
}

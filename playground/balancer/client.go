package balancer

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// MaxBurst is the most requests one Burst sends.
const MaxBurst = 30

// Request is one request the app sends through the proxy for a visitor,
// standing in for the visitor's browser.
type Request struct {
	Visitor string
	Policy  Policy
	Method  string // default GET
	Path    string // /work, /echo or /cart
	// ClientIP is the visitor's address as the app's own server saw it.
	ClientIP string
	// Header is sent as it is (a forged X-Forwarded-For, say).
	Header http.Header
	// Jar keeps cookies between requests, as a browser would; nil keeps
	// none.
	Jar http.CookieJar
}

// Result is what came back for one request.
type Result struct {
	N int
	// At is when it was sent, from the burst's start; Elapsed how long
	// it took.
	At, Elapsed time.Duration
	Status      int
	// Instance served it ("" when none did); Tried lists the proxy's
	// hops, "app-2 503, app-3 200".
	Instance string
	Tried    string
	Body     string
	Err      string
}

// Retried reports whether the proxy needed a second hop.
func (r Result) Retried() bool { return strings.Contains(r.Tried, ", ") }

// Send sends one request through the proxy as a client span.
func (l *Lab) Send(ctx context.Context, r Request) (res Result) {
	if r.Method == "" {
		r.Method = http.MethodGet
	}
	url := l.proxyURL + r.Path
	ctx, span := l.opts.Tracer.Start(ctx, fmt.Sprintf("%s %s via the load balancer", r.Method, r.Path),
		trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
			attribute.String("http.request.method", r.Method),
			attribute.String("url.full", url),
			attribute.String("peer.service", "load-balancer"),
			attribute.String("engineroom.lb.policy", string(r.Policy))))
	defer span.End()
	start := time.Now()
	defer func() { res.Elapsed = time.Since(start) }()
	req, err := http.NewRequestWithContext(ctx, r.Method, url, nil)
	if err != nil {
		res.Err = err.Error()
		return res
	}
	for k, vs := range r.Header {
		req.Header[k] = vs
	}
	req.Header.Set(headerVisitor, r.Visitor)
	req.Header.Set(headerPolicy, string(r.Policy))
	req.Header.Set(headerPeer, r.ClientIP)
	propagation.TraceContext{}.Inject(ctx, propagation.HeaderCarrier(req.Header))
	client := &http.Client{Transport: l.client.Transport, Jar: r.Jar, Timeout: l.client.Timeout}
	hr, err := client.Do(req)
	if err != nil {
		res.Err = describe(err)
		span.SetStatus(codes.Error, res.Err)
		return res
	}
	defer hr.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(hr.Body, 4<<10))
	res.Status, res.Body, res.Tried = hr.StatusCode, strings.TrimSpace(string(body)), hr.Header.Get(headerTried)
	if hr.StatusCode < 500 {
		res.Instance = hr.Header.Get("X-Instance")
	}
	span.SetAttributes(attribute.Int("http.response.status_code", hr.StatusCode),
		attribute.String("engineroom.instance", res.Instance),
		attribute.String("engineroom.lb.tried", res.Tried))
	if hr.StatusCode >= 500 {
		span.SetStatus(codes.Error, hr.Status)
	}
	return res
}

// Burst sends n requests (at most MaxBurst), one every `every`, without
// waiting for answers, as many clients would, and returns them in the
// order sent. Each request's work can depend on the ones in flight:
// that is what least-connections looks at.
func (l *Lab) Burst(ctx context.Context, r Request, n int, every time.Duration) []Result {
	n = min(max(n, 0), MaxBurst)
	out := make([]Result, n)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		if i > 0 && !sleep(ctx, every) {
			out = out[:i]
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			at := time.Since(start)
			res := l.Send(ctx, r)
			res.N, res.At = i+1, at
			out[i] = res
		}()
	}
	wg.Wait()
	return out
}

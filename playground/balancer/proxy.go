package balancer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Headers between the app, the proxy and the instances.
const (
	// headerVisitor carries the visitor id from the app to the proxy and
	// from the proxy to the instances: it keys the visitor's settings.
	headerVisitor = "X-Lab-Visitor"
	// headerPolicy is the visitor's policy, read and dropped by the proxy.
	headerPolicy = "X-Lab-Policy"
	// headerPeer is the visitor's own address. The app stands in for the
	// visitor's browser here, so the proxy takes the client address from
	// it instead of the connection's (always loopback); dropped before
	// forwarding.
	headerPeer = "X-Lab-Peer"
	// headerTried lists the proxy's hops for a request: "app-2 503,
	// app-3 200".
	headerTried = "X-Lab-Tried"
	// stickyCookie names the instance a client sticks to.
	stickyCookie = "lb_instance"
)

var errNoInstance = errors.New("balancer: no instance in rotation")

// route is what the proxy knows of one incoming request.
type route struct {
	v      *visitor
	policy Policy
	sticky int      // the instance the cookie names, or -1
	tried  []string // each hop: "app-2 503"
}

type routeKey struct{}

// newProxy is the reverse proxy: ReverseProxy with Rewrite for the
// forwarding headers, a transport that balances, retries and traces each
// hop, and handlers for the sticky cookie and for failures.
func (l *Lab) newProxy() http.Handler {
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			in := pr.In
			if peer := in.Header.Get(headerPeer); net.ParseIP(peer) != nil {
				in = in.WithContext(in.Context()) // a shallow copy
				in.RemoteAddr = net.JoinHostPort(peer, "0")
			}
			// Rewrite starts from no X-Forwarded-For at all, so a client
			// cannot slip in an address unnoticed. Copying the client's
			// value keeps the chain of earlier proxies; SetXForwarded then
			// appends the address this proxy saw, the one entry it vouches
			// for.
			pr.Out.Header["X-Forwarded-For"] = in.Header["X-Forwarded-For"]
			(&httputil.ProxyRequest{In: in, Out: pr.Out}).SetXForwarded()
			host, _, _ := net.SplitHostPort(in.RemoteAddr)
			if strings.Contains(host, ":") {
				host = `"[` + host + `]"`
			}
			pr.Out.Header.Set("Forwarded", fmt.Sprintf("for=%s;host=%s;proto=http", host, in.Host))
			pr.Out.Header.Del(headerPeer)
			pr.Out.Header.Del(headerPolicy)
			pr.Out.URL.Scheme, pr.Out.URL.Host = "http", "instance.invalid" // the transport picks
		},
		Transport: hopTransport{l},
		ModifyResponse: func(res *http.Response) error {
			rt := res.Request.Context().Value(routeKey{}).(*route)
			res.Header.Set(headerTried, strings.Join(rt.tried, ", "))
			served := l.index(res.Header.Get("X-Instance"))
			if rt.policy == Sticky && served >= 0 && served != rt.sticky {
				res.Header.Add("Set-Cookie", (&http.Cookie{Name: stickyCookie, Value: l.instances[served].name,
					Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode}).String())
			}
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			rt := r.Context().Value(routeKey{}).(*route)
			w.Header().Set(headerTried, strings.Join(rt.tried, ", "))
			http.Error(w, "502 Bad Gateway: "+describe(err), http.StatusBadGateway)
		},
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := propagation.TraceContext{}.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		rt := &route{v: l.visitors.get(r.Header.Get(headerVisitor)), policy: Policy(r.Header.Get(headerPolicy)), sticky: -1}
		if c, err := r.Cookie(stickyCookie); err == nil {
			rt.sticky = l.index(c.Value)
		}
		rt.v.mu.Lock()
		rt.v.lastUsed = time.Now()
		rt.v.mu.Unlock()
		rp.ServeHTTP(w, r.WithContext(context.WithValue(ctx, routeKey{}, rt)))
	})
}

// hopTransport sends the proxy's request to an instance the policy
// picks; when that fails (no answer, or 503) it counts a failure against
// the instance and, for an idempotent request, tries once more on
// another.
type hopTransport struct{ l *Lab }

func (t hopTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	l := t.l
	rt := req.Context().Value(routeKey{}).(*route)
	exclude := -1
	for attempt := 0; ; attempt++ {
		i, ok := rt.v.pick(rt.policy, rt.sticky, exclude)
		if !ok {
			rt.tried = append(rt.tried, "none in rotation")
			return nil, errNoInstance
		}
		res, err := l.hop(req, rt, i, attempt)
		if err == nil && res.StatusCode != http.StatusServiceUnavailable {
			return res, nil
		}
		c := Check{At: time.Now(), Passive: true, Result: "503"}
		if err != nil {
			c.Result = describe(err)
		}
		rt.v.mu.Lock()
		rt.v.record(l.instances[i].name, i, c, l.opts.Fall, l.opts.Rise)
		rt.v.mu.Unlock()
		l.ensureChecker(rt.v)
		if attempt > 0 || !idempotent(req.Method) {
			return res, err
		}
		if res != nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 4<<10))
			res.Body.Close()
		}
		exclude = i
	}
}

func idempotent(method string) bool { return method == http.MethodGet || method == http.MethodHead }

// hop sends req to instance i as a client span naming the instance.
func (l *Lab) hop(req *http.Request, rt *route, i, attempt int) (*http.Response, error) {
	in := l.instances[i]
	out := req.Clone(req.Context())
	out.URL.Host = in.addr
	attrs := []attribute.KeyValue{
		attribute.String("http.request.method", req.Method),
		attribute.String("url.full", out.URL.String()),
		attribute.String("server.address", "127.0.0.1"),
		attribute.String("peer.service", in.name),
		attribute.String("engineroom.instance", in.name),
		attribute.String("engineroom.lb.policy", string(rt.policy)),
		attribute.String("http.request.header.x-forwarded-for", req.Header.Get("X-Forwarded-For")),
	}
	if _, port, err := net.SplitHostPort(in.addr); err == nil {
		attrs = append(attrs, attribute.String("server.port", port))
	}
	if attempt > 0 {
		attrs = append(attrs, attribute.Int("http.request.resend_count", attempt))
	}
	ctx, span := l.opts.Tracer.Start(req.Context(), fmt.Sprintf("proxy %s %s → %s", req.Method, req.URL.Path, in.name),
		trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	defer span.End()
	propagation.TraceContext{}.Inject(ctx, propagation.HeaderCarrier(out.Header))
	res, err := l.hops.RoundTrip(out.WithContext(ctx))
	if err != nil {
		rt.v.release(i, false)
		rt.tried = append(rt.tried, in.name+" "+describe(err))
		span.SetStatus(codes.Error, describe(err))
		return nil, err
	}
	rt.tried = append(rt.tried, fmt.Sprintf("%s %d", in.name, res.StatusCode))
	span.SetAttributes(attribute.Int("http.response.status_code", res.StatusCode))
	ok := res.StatusCode < 500
	if !ok {
		span.SetStatus(codes.Error, res.Status)
	}
	res.Body = &doneBody{ReadCloser: res.Body, done: func() { rt.v.release(i, ok) }}
	return res, nil
}

// doneBody tells the balancer once when a response body is closed: the
// request is no longer in flight.
type doneBody struct {
	io.ReadCloser
	once sync.Once
	done func()
}

func (b *doneBody) Close() error {
	b.once.Do(b.done)
	return b.ReadCloser.Close()
}

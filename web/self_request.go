package web

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// selfRequest is a request the server sends to itself: a method (GET
// when empty), a target (path and query), headers and a body.
type selfRequest struct {
	Method string
	Target string
	Header http.Header
	Body   []byte
	// Cookies, when not nil, are exactly the cookies sent — an empty list
	// sends none, as a browser attaches none of its SameSite=Lax cookies
	// to another site's form post. Nil sends the visitor's own cookie.
	Cookies []*http.Cookie
}

// selfExchange is a request the server sent to itself and the answer it
// got, as they travelled.
type selfExchange struct {
	Method string
	// Sent are the headers the request carried, in the order shown; the
	// visitor cookie among them.
	Sent     http.Header
	SentBody []byte
	Target   string
	Host     string
	Status   int
	Header   http.Header
	Body     []byte
	// Took is how long the server took to answer.
	Took time.Duration
}

// maxBodyAttr caps a body a client span keeps for the back end pane.
const maxBodyAttr = 4096

// spanHeaders are the request headers a client span records.
var spanHeaders = [...]string{"Content-Type", "If-None-Match", "Idempotency-Key", "Origin", "Sec-Fetch-Site"}

// sendSelf sends r through the server's own router, in process, as the
// visitor of c would: with their visitor cookie (or r.Cookies), from
// their address, to the same host, through the same proxy. It is a client
// span named name under ctx, so the server span the request opens, and
// everything beneath it, lands in the same trace as the demo that sent it.
func (s *Server) sendSelf(ctx context.Context, c echo.Context, name string, r selfRequest) (selfExchange, error) {
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	path, query, _ := strings.Cut(r.Target, "?")
	attrs := []attribute.KeyValue{
		attribute.String("http.request.method", method),
		attribute.String("url.path", path),
		attribute.String("server.address", "this server, through its own router"),
	}
	if query != "" {
		attrs = append(attrs, attribute.String("url.query", query))
	}
	ctx, span := s.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	defer span.End()
	x := selfExchange{Method: method, Target: r.Target, Sent: r.Header.Clone(), SentBody: r.Body}
	if x.Sent == nil {
		x.Sent = http.Header{}
	}
	if len(r.Body) > 0 {
		x.Sent.Set(echo.HeaderContentLength, strconv.Itoa(len(r.Body)))
		span.SetAttributes(attribute.Int("http.request.body.size", len(r.Body)))
		if len(r.Body) <= maxBodyAttr {
			span.SetAttributes(attribute.String("http.request.body", string(r.Body)))
		}
	}
	switch {
	case r.Cookies == nil:
		x.Sent.Set("Cookie", visitorCookieName(c)+"="+s.visitor.sign(visitorID(c)))
	case len(r.Cookies) > 0:
		names, pairs := make([]string, len(r.Cookies)), make([]string, len(r.Cookies))
		for i, ck := range r.Cookies {
			names[i], pairs[i] = ck.Name, ck.Name+"="+ck.Value
		}
		x.Sent.Set("Cookie", strings.Join(pairs, "; "))
		span.SetAttributes(attribute.StringSlice("engineroom.cookies_sent", names))
	default:
		span.SetAttributes(attribute.StringSlice("engineroom.cookies_sent", []string{}))
	}
	for _, h := range spanHeaders {
		if v := r.Header.Values(h); len(v) > 0 {
			span.SetAttributes(attribute.String("http.request.header."+strings.ToLower(h), strings.Join(v, ", ")))
		}
	}

	outer := c.Request()
	req, err := http.NewRequestWithContext(ctx, method, r.Target, bytes.NewReader(r.Body))
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
		return x, err
	}
	req.Header = x.Sent.Clone()
	req.Host, req.RemoteAddr, req.TLS = outer.Host, outer.RemoteAddr, outer.TLS
	x.Host = req.Host
	// What a proxy in front of us adds travels on too: the client's
	// address, and the scheme (so cookies are named and flagged as for
	// the outer request). The server believes them from the same peers.
	for _, name := range []string{s.cfg.ClientIPHeader, echo.HeaderXForwardedProto} {
		if v := outer.Header.Get(name); name != "" && v != "" {
			req.Header.Set(name, v)
		}
	}
	rec := httptest.NewRecorder()
	start := time.Now()
	s.echo.ServeHTTP(rec, req)
	x.Took = time.Since(start)
	res := rec.Result()
	x.Status, x.Header = res.StatusCode, res.Header
	x.Body, err = io.ReadAll(res.Body)
	if err != nil {
		return x, err
	}
	span.SetAttributes(
		attribute.Int("http.response.status_code", x.Status),
		attribute.Int("http.response.body.size", len(x.Body)),
	)
	if len(x.Body) > 0 && len(x.Body) <= maxBodyAttr {
		span.SetAttributes(attribute.String("http.response.body", string(x.Body)))
	}
	if x.Status >= 400 {
		span.SetStatus(codes.Error, http.StatusText(x.Status))
	}
	return x, nil
}

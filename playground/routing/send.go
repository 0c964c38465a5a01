package routing

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// maxBody bounds the response body a run keeps.
const maxBody = 4096

// Exchange is one request to the app and what came back — or how
// the connection ended without an answer.
type Exchange struct {
	Method string        `json:"method"`
	Target string        `json:"target"`
	Sent   http.Header   `json:"request_headers"`
	Status int           `json:"status"`
	Header http.Header   `json:"response_headers"`
	Body   string        `json:"response_body"`
	Took   time.Duration `json:"-"`
	// Dropped is the client's error when no response came at all.
	Dropped string `json:"dropped,omitempty"`
}

// request is what a run sends to the app.
type request struct {
	Method string
	Target string
	Header http.Header
	Body   string
}

// clientSpan opens the span of the demo sending req: the caller's side.
func (a *App) clientSpan(ctx context.Context, r request) (context.Context, trace.Span) {
	return a.tracer.Start(ctx, r.Method+" "+pathOf(r.Target), trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
		attribute.String("http.request.method", r.Method),
		attribute.String("url.full", "http://"+Host+r.Target),
		attribute.String("server.address", Host),
	))
}

func endClientSpan(span trace.Span, x *Exchange) {
	if x.Dropped != "" {
		span.SetStatus(codes.Error, x.Dropped)
		return
	}
	span.SetAttributes(attribute.Int("http.response.status_code", x.Status))
	if x.Status >= 400 {
		span.SetStatus(codes.Error, http.StatusText(x.Status))
	}
}

// sendInProcess hands r to h as a server would, with a real request and a
// recorder for the response: no socket, the same code path.
func (a *App) sendInProcess(ctx context.Context, h http.Handler, r request) (Exchange, error) {
	ctx, span := a.clientSpan(ctx, r)
	defer span.End()
	x := Exchange{Method: r.Method, Target: r.Target, Sent: r.Header.Clone()}
	req, err := http.NewRequestWithContext(ctx, r.Method, "http://"+Host+r.Target, strings.NewReader(r.Body))
	if err != nil {
		return x, err
	}
	req.RequestURI, req.RemoteAddr = r.Target, "192.0.2.10:50123"
	if r.Header != nil {
		req.Header = r.Header.Clone()
	}
	rec := httptest.NewRecorder()
	start := time.Now()
	h.ServeHTTP(rec, req)
	x.Took = time.Since(start)
	res := rec.Result()
	x.Status, x.Header = res.StatusCode, res.Header
	body, _ := io.ReadAll(io.LimitReader(res.Body, maxBody))
	x.Body = string(body)
	endClientSpan(span, &x)
	return x, nil
}

// sendLoopback serves h on a listener of its own on 127.0.0.1 for one
// request, so a panic nothing recovers meets net/http's own last resort —
// it logs the panic and closes the connection — instead of this server.
// It returns the exchange and the first line net/http logged.
func (a *App) sendLoopback(ctx context.Context, h http.Handler, r request) (Exchange, string, error) {
	x := Exchange{Method: r.Method, Target: r.Target, Sent: r.Header.Clone()}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return x, "", fmt.Errorf("routing: listening on loopback: %w", err)
	}
	var errLog appRun
	srv := &http.Server{Handler: h, ErrorLog: log.New(&errLog, "", 0), ReadHeaderTimeout: 2 * time.Second}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(ln)
	}()
	defer func() {
		_ = srv.Close()
		<-served
	}()
	ctx, span := a.clientSpan(ctx, r)
	defer span.End()
	req, err := http.NewRequestWithContext(ctx, r.Method, "http://"+ln.Addr().String()+r.Target, strings.NewReader(r.Body))
	if err != nil {
		return x, "", err
	}
	req.Host = Host
	for k, v := range r.Header {
		req.Header[k] = v
	}
	// The trace travels with the request, as between any two services.
	propagation.TraceContext{}.Inject(ctx, propagation.HeaderCarrier(req.Header))
	x.Sent = req.Header.Clone()
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	start := time.Now()
	res, err := (&http.Client{Transport: tr, Timeout: 5 * time.Second}).Do(req)
	x.Took = time.Since(start)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		x.Dropped = err.Error()
	} else {
		body, _ := io.ReadAll(io.LimitReader(res.Body, maxBody))
		_ = res.Body.Close()
		x.Status, x.Header, x.Body = res.StatusCode, res.Header, string(body)
	}
	endClientSpan(span, &x)
	lines := errLog.lines()
	if len(lines) == 0 {
		return x, "", nil
	}
	return x, lines[0], nil
}

// pathOf is the path of a target, without its query.
func pathOf(target string) string {
	p, _, _ := strings.Cut(target, "?")
	return p
}

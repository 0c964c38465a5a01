package web

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// selfExchange is a request the server sent to itself and the answer it
// got, as they travelled.
type selfExchange struct {
	// Sent are the headers the request carried, in the order shown; the
	// visitor cookie among them.
	Sent   http.Header
	Target string
	Host   string
	Status int
	Header http.Header
	Body   []byte
}

// maxBodyAttr caps the response body a client span keeps for the back
// end pane.
const maxBodyAttr = 4096

// getSelf sends GET target through the server's own router, in process,
// as the visitor of c would: with their visitor cookie, from their
// address, to the same host. It is a client span named name under ctx, so
// the server span the request opens, and everything beneath it, lands in
// the same trace as the demo that sent it.
func (s *Server) getSelf(ctx context.Context, c echo.Context, name, target string, h http.Header) (selfExchange, error) {
	ctx, span := s.tracer.Start(ctx, name,
		trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(
			attribute.String("http.request.method", http.MethodGet),
			attribute.String("url.path", target),
			attribute.String("server.address", "this server, through its own router"),
		))
	defer span.End()
	x := selfExchange{Target: target, Sent: h.Clone()}
	if x.Sent == nil {
		x.Sent = http.Header{}
	}
	x.Sent.Set("Cookie", visitorCookie+"="+s.visitor.sign(visitorID(c)))
	if v := h.Values("If-None-Match"); len(v) > 0 {
		span.SetAttributes(attribute.String("http.request.header.if-none-match", strings.Join(v, ", ")))
	}

	outer := c.Request()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
		return x, err
	}
	req.Header = x.Sent.Clone()
	req.Host, req.RemoteAddr = outer.Host, outer.RemoteAddr
	x.Host = req.Host
	if name := s.cfg.ClientIPHeader; name != "" && outer.Header.Get(name) != "" {
		req.Header.Set(name, outer.Header.Get(name))
	}
	rec := httptest.NewRecorder()
	s.echo.ServeHTTP(rec, req)
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

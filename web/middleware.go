package web

import (
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	ertrace "github.com/engineroom/engineroom/playground/trace"
)

func kindAttr(kind string) attribute.KeyValue { return ertrace.KindKey.String(kind) }
func bytesAttr(n int) attribute.KeyValue {
	return attribute.Int("http.response.body.size", n)
}

// observe opens the request's server span, names the trace in the
// traceresponse and Server-Timing headers, and writes one log line when
// the request is done.
func (s *Server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req, res := c.Request(), c.Response()
		start := time.Now()
		c.Set(startKey, start)
		ctx, span := s.tracer.Start(req.Context(), req.Method+" "+c.Path(),
			trace.WithSpanKind(trace.SpanKindServer),
			trace.WithTimestamp(start),
			trace.WithAttributes(
				attribute.String("http.request.method", req.Method),
				attribute.String("url.path", req.URL.Path),
				attribute.String("http.route", c.Path()),
				attribute.String("client.address", c.RealIP()),
				attribute.String("user_agent.original", req.UserAgent()),
			))
		c.SetRequest(req.WithContext(ctx))
		sc := span.SpanContext()
		// The flags say whether the trace was recorded (01) or not (00).
		res.Header()["Traceresponse"] = []string{"00-" + sc.TraceID().String() + "-" + sc.SpanID().String() + "-" + sc.TraceFlags().String()}
		res.Before(func() {
			res.Header().Set("Server-Timing", s.serverTiming(sc.TraceID(), start))
		})
		if err := next(c); err != nil {
			c.Error(err)
		}
		status := res.Status
		span.SetAttributes(attribute.Int("http.response.status_code", status))
		if status >= 500 {
			span.SetStatus(codes.Error, http.StatusText(status))
		}
		span.End()
		// Probes and scrapes come every few seconds and say nothing about
		// visitors: they would drown the log.
		if p := c.Path(); p != "/healthz" && p != "/metrics" {
			s.log.LogAttrs(req.Context(), slog.LevelInfo, "request",
				slog.String("id", res.Header().Get(echo.HeaderXRequestID)),
				slog.String("method", req.Method),
				slog.String("path", req.URL.Path),
				slog.Int("status", status),
				slog.Duration("latency", time.Since(start)),
				slog.Int64("bytes", res.Size),
				slog.String("trace", sc.TraceID().String()),
			)
		}
		return nil
	}
}

// serverTiming sums the finished spans of a trace by kind, for the
// Server-Timing header browsers show in their network panel.
func (s *Server) serverTiming(id trace.TraceID, start time.Time) string {
	b := make([]byte, 0, 96)
	for _, k := range s.traces.Store().Totals(id) {
		b = append(b, k.Kind...)
		b = append(b, ";dur="...)
		b = strconv.AppendFloat(b, float64(k.Total)/1e6, 'f', 2, 64)
		b = append(b, ", "...)
	}
	b = append(b, "total;dur="...)
	b = strconv.AppendFloat(b, float64(time.Since(start))/1e6, 'f', 2, 64)
	return string(b)
}

// traced wraps a middleware so the part it runs before handing on to the
// next one shows up as a span of kind middleware — in the traces that are
// recorded (see requestSampler); otherwise it costs nothing.
func (s *Server) traced(name string, mw echo.MiddlewareFunc) echo.MiddlewareFunc {
	key := "span:" + name
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		h := mw(func(c echo.Context) error {
			if sp, ok := c.Get(key).(trace.Span); ok {
				sp.End()
			}
			return next(c)
		})
		return func(c echo.Context) error {
			if !trace.SpanFromContext(c.Request().Context()).IsRecording() {
				return h(c)
			}
			_, span := s.tracer.Start(c.Request().Context(), name, trace.WithAttributes(kindAttr(ertrace.KindMiddleware)))
			c.Set(key, span)
			err := h(c)
			if span.IsRecording() {
				// The middleware answered by itself instead of handing on.
				if err != nil {
					span.SetStatus(codes.Error, err.Error())
				}
				span.End()
			}
			return err
		}
	}
}

// contentSecurityPolicy allows only our own scripts, styles and images: no
// inline script or style, no framing by other sites.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'self'"

// securityHeaders are the headers every response carries, keys already in
// canonical form. The value slices are shared by every response and never
// changed.
var securityHeaders = [...]struct {
	key   string
	value []string
}{
	{"Content-Security-Policy", []string{contentSecurityPolicy}},
	{"X-Content-Type-Options", []string{"nosniff"}},
	{"X-Frame-Options", []string{"SAMEORIGIN"}},
	{"Referrer-Policy", []string{"strict-origin-when-cross-origin"}},
	{"Cross-Origin-Opener-Policy", []string{"same-origin"}},
	{"Permissions-Policy", []string{"camera=(), microphone=(), geolocation=(), interest-cohort=()"}},
}

var hsts = []string{"max-age=31536000; includeSubDomains"}

// secureHeaders sets the security headers every response carries, and
// HSTS over TLS.
func (s *Server) secureHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		for _, sh := range securityHeaders {
			h[sh.key] = sh.value
		}
		if c.Scheme() == "https" {
			h["Strict-Transport-Security"] = hsts
		}
		return next(c)
	}
}

// csrf checks the token of every state-changing page request, from the
// X-CSRF-Token header (partial updates) or the _csrf form field. Its
// cookie is Secure whenever the request came over HTTPS.
func (s *Server) csrf() echo.MiddlewareFunc {
	check := middleware.CSRFWithConfig(middleware.CSRFConfig{
		TokenLookup:    "header:" + echo.HeaderXCSRFToken + ",form:_csrf",
		CookieName:     "er_csrf",
		CookiePath:     "/",
		CookieHTTPOnly: true,
		CookieSameSite: http.SameSiteLaxMode,
		CookieSecure:   strings.HasPrefix(s.cfg.BaseURL, "https://"),
		ErrorHandler: func(err error, c echo.Context) error {
			return echo.NewHTTPError(http.StatusForbidden,
				"This form's security token is missing or out of date. Reload the page and try again.")
		},
	})
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		h := check(next)
		return func(c echo.Context) error {
			if c.Scheme() == "https" {
				res := c.Response()
				res.Before(func() { secureCookie(res.Header(), "er_csrf") })
			}
			return h(c)
		}
	}
}

// secureCookie adds the Secure attribute to the cookie name that h sets,
// where it lacks it.
func secureCookie(h http.Header, name string) {
	for i, v := range h["Set-Cookie"] {
		if strings.HasPrefix(v, name+"=") && !strings.Contains(v, "; Secure") {
			h["Set-Cookie"][i] = v + "; Secure"
		}
	}
}

// csrfToken is the token page forms carry.
func csrfToken(c echo.Context) string {
	t, _ := c.Get("csrf").(string)
	return t
}

// requireJSON guards the JSON API: state-changing requests must say
// Content-Type: application/json (which a cross-site form cannot send
// without a CORS preflight we never answer), and browsers' cross-site
// requests are refused outright.
func (s *Server) requireJSON(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if req.Header.Get("Sec-Fetch-Site") == "cross-site" {
			return echo.NewHTTPError(http.StatusForbidden, "cross-site requests to the API are refused")
		}
		if req.Method != http.MethodGet && req.Method != http.MethodHead {
			mt, _, _ := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType))
			if mt != echo.MIMEApplicationJSON {
				return echo.NewHTTPError(http.StatusUnsupportedMediaType, "send the body as JSON with Content-Type: application/json")
			}
		}
		return next(c)
	}
}

// parseForm reads a posted form before anything else looks at it, so a
// body over the limit is answered 413 rather than taken for a form
// without its CSRF token.
func parseForm(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if c.Request().Method == http.MethodPost {
			if _, err := readForm(c); err != nil {
				return err
			}
		}
		return next(c)
	}
}

// readForm returns the posted form; a body over the limit stays a 413 and
// anything else unreadable is a 400.
func readForm(c echo.Context) (url.Values, error) {
	form, err := c.FormParams()
	if err == nil {
		return form, nil
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		return nil, he
	}
	return nil, echo.NewHTTPError(http.StatusBadRequest, "The form could not be read: "+err.Error())
}

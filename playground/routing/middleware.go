package routing

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	ertrace "github.com/engineroom/engineroom/playground/trace"
)

// Keys the app's layers leave on the Echo context for the ones after.
const (
	appRequestIDKey = "routing.request_id"
	appCallerKey    = "routing.caller"
)

// appServerSpanKey finds the app's server span, which the logging layer
// renames once the router has picked a route.
type appServerSpanKey struct{}

// serve is the app's outermost layer, outside the router: it opens the
// server span — continuing the trace the caller sent in traceparent, when
// the request came over a real connection — and records the status.
func (a *App) serve(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := propagation.TraceContext{}.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		ctx, span := a.tracer.Start(ctx, r.Method+" (no route)", trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(
				attribute.String("http.request.method", r.Method),
				attribute.String("url.path", r.URL.Path),
				attribute.String("server.address", Host+" (the lesson's demo app)"),
			))
		sw := &statusRecorder{ResponseWriter: w}
		finished := false
		defer func() {
			if !finished {
				span.SetStatus(codes.Error, "the handler panicked and nothing recovered it: no response")
			}
			span.End()
		}()
		h.ServeHTTP(sw, r.WithContext(context.WithValue(ctx, appServerSpanKey{}, span)))
		finished = true
		span.SetAttributes(attribute.Int("http.response.status_code", sw.statusCode()))
		if sw.statusCode() >= 500 {
			span.SetStatus(codes.Error, http.StatusText(sw.statusCode()))
		}
	})
}

// statusRecorder remembers the status a response was sent with.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusRecorder) statusCode() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

// layer wraps one middleware in a span that covers everything inside it
// — the layers after it and the handler — so the waterfall nests like the
// chain does, and records whether it handed on or answered by itself.
func (a *App) layer(run *appRun, name string, mw echo.MiddlewareFunc) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		key := "routing.handed_on:" + name
		h := mw(func(c echo.Context) error { c.Set(key, true); return next(c) })
		return func(c echo.Context) error {
			ctx, span := a.tracer.Start(c.Request().Context(), name, trace.WithAttributes(ertrace.KindKey.String(ertrace.KindMiddleware)))
			c.SetRequest(c.Request().WithContext(ctx))
			i := run.step(name)
			finished := false
			defer func() {
				if !finished {
					span.SetStatus(codes.Error, "unwound by a panic")
					run.setOutcome(i, "unwound by a panic")
				}
				span.End()
			}()
			err := h(c)
			finished = true
			if handedOn, _ := c.Get(key).(bool); !handedOn {
				status := c.Response().Status
				run.setOutcome(i, fmt.Sprintf("answered %d by itself", status))
				if status >= 400 {
					span.SetStatus(codes.Error, fmt.Sprintf("answered %d %s", status, http.StatusText(status)))
				}
			}
			return err
		}
	}
}

// handlerSpan runs a route's handler inside its own span.
func (a *App) handlerSpan(run *appRun, name string, h echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx, span := a.tracer.Start(c.Request().Context(), "handler "+name, trace.WithAttributes(ertrace.KindKey.String(ertrace.KindHandler)))
		c.SetRequest(c.Request().WithContext(ctx))
		i := run.step("handler " + name)
		finished := false
		defer func() {
			if !finished {
				span.SetStatus(codes.Error, "panicked")
				run.setOutcome(i, "panicked")
			}
			span.End()
		}()
		err := h(c)
		finished = true
		switch {
		case err != nil:
			span.SetStatus(codes.Error, err.Error())
			run.setOutcome(i, "returned an error: "+err.Error())
		default:
			run.setOutcome(i, fmt.Sprintf("answered %d", c.Response().Status))
		}
		return err
	}
}

// logging names the request, lets the rest of the chain run, and writes
// one line when it is done — with the status the chain ended on. A panic
// that nothing recovers skips the line.
func (a *App) logging(run *appRun, log *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req, start := c.Request(), time.Now()
			id := a.newRequestID()
			c.Response().Header().Set(echo.HeaderXRequestID, id)
			c.Set(appRequestIDKey, id)
			route := c.Path()
			run.mu.Lock()
			run.route = route
			for i, n := range c.ParamNames() {
				run.params = append(run.params, Param{Name: n, Value: c.ParamValues()[i]})
			}
			run.mu.Unlock()
			if sp, ok := req.Context().Value(appServerSpanKey{}).(trace.Span); ok && route != "" {
				sp.SetName(req.Method + " " + route)
				sp.SetAttributes(attribute.String("http.route", route))
			}
			trace.SpanFromContext(req.Context()).SetAttributes(attribute.String("engineroom.request_id", id))
			if err := next(c); err != nil {
				c.Error(err)
			}
			log.LogAttrs(req.Context(), slog.LevelInfo, "request", slog.String("id", id),
				slog.String("method", req.Method), slog.String("path", req.URL.Path),
				slog.Int("status", c.Response().Status), slog.Duration("latency", time.Since(start).Round(time.Microsecond)))
			return nil
		}
	}
}

// recoverPanics turns a panic below it into a plain 500 that names the
// request id and nothing else; the panic value and the stack go to the
// span and the log, where the team looks.
func (a *App) recoverPanics(run *appRun, log *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) (err error) {
			span := trace.SpanFromContext(c.Request().Context())
			defer func() {
				v := recover()
				if v == nil {
					return
				}
				if v == http.ErrAbortHandler {
					panic(v)
				}
				msg := fmt.Sprint(v)
				span.SetAttributes(
					attribute.String("exception.type", fmt.Sprintf("%T", v)),
					attribute.String("exception.message", msg),
					attribute.String("exception.stacktrace", trimStack(string(debug.Stack()))),
				)
				span.SetStatus(codes.Error, "recovered a panic: "+msg)
				id, _ := c.Get(appRequestIDKey).(string)
				log.LogAttrs(c.Request().Context(), slog.LevelError, "panic recovered", slog.String("id", id), slog.String("panic", msg))
				run.mu.Lock()
				run.panic = msg
				run.mu.Unlock()
				err = c.String(http.StatusInternalServerError, "Internal Server Error\nrequest id: "+id+"\n")
			}()
			return next(c)
		}
	}
}

// trimStack keeps the frames from where the panic happened outwards, at
// most maxFrames, without addresses and with short file names: enough to
// find the line, small enough to read.
func trimStack(stack string) string {
	const maxFrames = 8
	lines := strings.Split(strings.TrimSpace(stack), "\n")
	start := 1
	for i, l := range lines {
		if strings.HasPrefix(l, "panic(") {
			start = i + 2
		}
	}
	var out []string
	for i := start; i+1 < len(lines) && len(out) < 2*maxFrames; i += 2 {
		fn := strings.ReplaceAll(lines[i], "github.com/engineroom/engineroom/", "")
		if j := strings.LastIndex(fn, "("); j > 0 {
			fn = fn[:j] + "(…)"
		}
		file := strings.TrimSpace(lines[i+1])
		if j := strings.LastIndex(file, " +0x"); j > 0 {
			file = file[:j]
		}
		parts := strings.Split(file, "/")
		if len(parts) > 2 {
			file = strings.Join(parts[len(parts)-2:], "/")
		}
		out = append(out, fn, "\t"+file)
	}
	return strings.Join(out, "\n")
}

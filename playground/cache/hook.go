package cache

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// tracingHook makes every command a client span named after it, with the
// OpenTelemetry database attributes (db.system.name, db.operation.name,
// db.query.text with values elided, db.namespace, server.address/port)
// and the engine's own: cache.hit, cache.key, cache.value_bytes,
// cache.ttl_ms, cache.evicted, cache.index (the command maintains the LRU
// index, not a value). A pipeline is a span per command, each lasting the
// whole round trip and carrying db.operation.batch.size; MULTI and EXEC
// and the commands that set a connection up are not traced.
type tracingHook struct {
	tracer trace.Tracer
	base   []attribute.KeyValue
}

func newTracingHook(t trace.Tracer, ro *redis.Options) *tracingHook {
	host, port := hostPort(ro.Addr)
	base := []attribute.KeyValue{
		attribute.String("db.system", "redis"),
		attribute.String("db.system.name", "redis"),
		attribute.String("db.namespace", strconv.Itoa(ro.DB)),
		attribute.String("server.address", host),
	}
	if port > 0 {
		base = append(base, attribute.Int("server.port", port))
	}
	return &tracingHook{tracer: t, base: base}
}

// DialHook leaves dialing alone.
func (h *tracingHook) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessHook traces one command.
func (h *tracingHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if !traced(ctx, cmd) {
			return next(ctx, cmd)
		}
		sctx, span := h.start(ctx, cmd, 1)
		err := next(sctx, cmd)
		h.end(ctx, span, cmd)
		return err
	}
}

// ProcessPipelineHook traces every command of a pipeline.
func (h *tracingHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		n := 0
		for _, cmd := range cmds {
			if traced(ctx, cmd) {
				n++
			}
		}
		if n == 0 {
			return next(ctx, cmds)
		}
		spans := make([]trace.Span, len(cmds))
		for i, cmd := range cmds {
			if traced(ctx, cmd) {
				_, spans[i] = h.start(ctx, cmd, n)
			}
		}
		err := next(ctx, cmds)
		for i, cmd := range cmds {
			if spans[i] != nil {
				h.end(ctx, spans[i], cmd)
			}
		}
		return err
	}
}

func (h *tracingHook) start(ctx context.Context, cmd redis.Cmder, batch int) (context.Context, trace.Span) {
	name := strings.ToUpper(cmd.Name())
	ctx, span := h.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient))
	if !span.IsRecording() {
		return ctx, span
	}
	args := cmd.Args()
	span.SetAttributes(h.base...)
	span.SetAttributes(
		attribute.String("db.operation.name", name),
		attribute.String("db.query.text", queryText(name, args)),
	)
	if batch > 1 {
		span.SetAttributes(attribute.Int("db.operation.batch.size", batch))
	}
	if keys := valueKeys(name, args); len(keys) == 1 {
		span.SetAttributes(attribute.String("cache.key", keys[0]))
	} else if len(keys) > 1 {
		span.SetAttributes(attribute.StringSlice("cache.keys", keys))
	} else if len(args) > 1 && isIndexKey(argString(args[1])) {
		span.SetAttributes(attribute.Bool("cache.index", true))
	}
	if name == "SET" && len(args) > 2 {
		span.SetAttributes(attribute.Int("cache.value_bytes", argLen(args[2])))
		if ms, ok := setTTL(args); ok {
			span.SetAttributes(attribute.Int64("cache.ttl_ms", ms))
		}
	}
	return ctx, span
}

func (h *tracingHook) end(ctx context.Context, span trace.Span, cmd redis.Cmder) {
	defer span.End()
	if !span.IsRecording() {
		return
	}
	err := cmd.Err()
	switch c := cmd.(type) {
	case *redis.StringCmd:
		if cmd.Name() == "get" {
			span.SetAttributes(attribute.Bool("cache.hit", err == nil))
			if err == nil {
				span.SetAttributes(attribute.Int("cache.value_bytes", len(c.Val())))
			}
		}
	case *redis.MapStringStringCmd:
		span.SetAttributes(attribute.Int("db.response.returned_rows", len(c.Val())))
	case *redis.StringSliceCmd:
		span.SetAttributes(attribute.Int("db.response.returned_rows", len(c.Val())))
	case *redis.ZSliceCmd:
		span.SetAttributes(attribute.Int("db.response.returned_rows", len(c.Val())))
	case *redis.IntCmd:
		if cmd.Name() == "del" && err == nil {
			span.SetAttributes(attribute.Int64("cache.deleted", c.Val()))
			if n, ok := ctx.Value(noteKey{}).(note); ok {
				n.annotate(span)
			}
		}
	}
	if err != nil && !errors.Is(err, redis.Nil) {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
}

// note is what the engine tells the hook about a pipeline's DEL: which
// keys it evicts and which expired entries it prunes.
type note struct {
	evicted, expired []string
}

type noteKey struct{}

func withNote(ctx context.Context, n note) context.Context {
	return context.WithValue(ctx, noteKey{}, n)
}

func (n note) annotate(span trace.Span) {
	if len(n.evicted) > 0 {
		span.SetAttributes(attribute.StringSlice("cache.evicted", n.evicted))
	}
	if len(n.expired) > 0 {
		span.SetAttributes(attribute.StringSlice("cache.expired", n.expired))
	}
	for _, k := range n.evicted {
		span.AddEvent("cache.evicted", trace.WithAttributes(attribute.String("cache.key", k)))
	}
}

type untracedKey struct{}

// withoutTrace marks commands that are no lesson's work (the PING of New).
func withoutTrace(ctx context.Context) context.Context {
	return context.WithValue(ctx, untracedKey{}, true)
}

// traced reports whether cmd gets a span: not the MULTI/EXEC around a
// transaction, nor the commands that set up a connection (their
// arguments may hold credentials).
func traced(ctx context.Context, cmd redis.Cmder) bool {
	switch cmd.Name() {
	case "multi", "exec", "hello", "auth", "client", "select":
		return false
	}
	return ctx.Value(untracedKey{}) == nil
}

// hostPort splits a server address for the span attributes.
func hostPort(addr string) (string, int) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr, 0
	}
	p, _ := strconv.Atoi(port)
	return host, p
}

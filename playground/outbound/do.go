package outbound

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sony/gobreaker/v2"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// Do makes call: attempts, each under its own timeout, with waits
// between them when retrying is safe and worth it, all within the
// deadline, through the circuit breaker of (call.Service, call.Key).
//
// It returns the 2xx reply, or an *Error saying why there was none. Any
// other error means the call itself is invalid (no Service, a bad URL or
// method); nothing is sent then.
func (c *Client) Do(ctx context.Context, call Call) (*Reply, error) {
	p, err := c.prepare(call)
	if err != nil {
		return nil, err
	}
	parent := ctx
	ctx, span := c.opts.Tracer.Start(ctx, p.Name, trace.WithSpanKind(trace.SpanKindInternal),
		trace.WithAttributes(callAttrs(p)...))
	defer span.End()
	ctx, cancel := context.WithTimeout(ctx, p.policy.Deadline)
	defer cancel()
	deadline := c.opts.Now().Add(p.policy.Deadline)

	b := c.breakers.get(breakerID{p.Service, p.Key})
	before := b.state()
	reply, attempts, fail, why := c.run(parent, ctx, p, b, deadline)
	after := b.state()

	span.SetAttributes(
		attribute.Int("outbound.attempts", attempts),
		attribute.String("outbound.breaker.before", before.Mode.String()),
		attribute.String("outbound.breaker.after", after.Mode.String()),
		attribute.Int("outbound.breaker.consecutive_failures", after.ConsecutiveFailures),
		attribute.Int("outbound.breaker.threshold", after.Threshold),
	)
	if fail == nil {
		span.SetAttributes(attribute.String("outbound.outcome", "ok"))
		return reply, nil
	}
	span.SetAttributes(
		attribute.String("outbound.outcome", fail.Kind.String()),
		attribute.String("outbound.no_retry_reason", why),
		attribute.String("error.type", fail.Kind.String()),
	)
	if fail.Kind == KindBreakerOpen && !after.RetryAt.IsZero() {
		span.SetAttributes(attribute.String("outbound.breaker.retry_at", after.RetryAt.UTC().Format(time.RFC3339Nano)))
	}
	span.SetStatus(codes.Error, fail.Error())
	if c.opts.OnFailure != nil {
		c.opts.OnFailure(fail)
	}
	return nil, fail
}

// callAttrs describes a call before it starts.
func callAttrs(p *prepared) []attribute.KeyValue {
	attrs := []attribute.KeyValue{
		attribute.String("outbound.service", p.Service),
		attribute.Int64("outbound.deadline_ms", p.policy.Deadline.Milliseconds()),
		attribute.Int64("outbound.attempt_timeout_ms", p.policy.AttemptTimeout.Milliseconds()),
		attribute.Int("outbound.max_attempts", p.policy.MaxAttempts),
		attribute.String("outbound.retry_policy", p.why),
	}
	if p.key != "" {
		attrs = append(attrs, attribute.String("outbound.idempotency_key", p.key))
	}
	return attrs
}

// run makes the attempts. It returns the reply, or the failure and why
// no further attempt was made.
func (c *Client) run(parent, ctx context.Context, p *prepared, b *breaker, deadline time.Time) (*Reply, int, *Error, string) {
	var last outcome
	for n := 1; ; n++ {
		done, err := b.allow()
		if err != nil {
			if n > 1 {
				return nil, n - 1, last.err, "the circuit breaker opened: no further attempts"
			}
			e := c.breakerOpen(p, b, err)
			if e.RetryAfter == 0 {
				return nil, 0, e, "the circuit breaker is half-open and its probe is under way: the service was not called"
			}
			return nil, 0, e, "the circuit breaker is open: the service was not called"
		}
		timeout := min(p.policy.AttemptTimeout, c.remaining(ctx, deadline))
		o := c.attempt(parent, ctx, p, n, timeout)
		done(o.verdict)
		if o.err == nil {
			o.reply.Attempts = n
			return o.reply, n, nil, ""
		}
		o.err.Attempts = n
		if o.reply != nil {
			o.reply.Attempts = n
		}
		last = o
		wait, rule, why := c.next(ctx, p, n, o, deadline)
		if why != "" {
			return nil, n, o.err, why
		}
		if err := c.wait(ctx, wait, n+1, o.reason, rule); err != nil {
			e := *o.err
			e.Kind, e.Err = KindCanceled, err
			if errors.Is(err, context.DeadlineExceeded) {
				e.Kind = KindTimeout
			}
			return nil, n, &e, "the wait before the next attempt was cut short: " + err.Error()
		}
	}
}

// breakerOpen is the failure of a call the breaker refused.
func (c *Client) breakerOpen(p *prepared, b *breaker, err error) *Error {
	e := &Error{Service: p.Service, Kind: KindBreakerOpen}
	if errors.Is(err, gobreaker.ErrOpenState) {
		e.RetryAfter = max(time.Until(b.state().RetryAt), 0)
	}
	return e
}

// remaining is the time left before the call's deadline, on the injected
// clock and on the context's real one, whichever is shorter.
func (c *Client) remaining(ctx context.Context, deadline time.Time) time.Duration {
	left := deadline.Sub(c.opts.Now())
	if d, ok := ctx.Deadline(); ok {
		left = min(left, time.Until(d))
	}
	return left
}

// wait sleeps d before attempt n, as a span saying why.
func (c *Client) wait(ctx context.Context, d time.Duration, n int, reason, rule string) error {
	name := fmt.Sprintf("backoff %s before attempt %d", human(d), n)
	ctx, span := c.opts.Tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindInternal),
		trace.WithAttributes(
			attribute.String("outbound.backoff.reason", reason),
			attribute.String("outbound.backoff.rule", rule),
			attribute.Int64("outbound.backoff_ms", d.Milliseconds()),
		))
	defer span.End()
	if err := c.opts.Sleep(ctx, d); err != nil {
		span.SetStatus(codes.Error, err.Error())
		return err
	}
	return nil
}

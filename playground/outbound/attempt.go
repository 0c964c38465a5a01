package outbound

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// outcome is what one attempt came to.
type outcome struct {
	reply *Reply // the reply, when there was one
	err   *Error // nil on success
	// verdict is what the breaker is told: nil, errFailure or errExcluded.
	verdict error
	// retry says whether the failure is worth another attempt.
	retry bool
	// reason says in a few words what went wrong, e.g. "HTTP 503".
	reason string
	// noRetry says why a failure that is not worth retrying is not.
	noRetry string
	// retryAfter is the reply's Retry-After, when it had one.
	retryAfter    time.Duration
	hasRetryAfter bool
}

// attempt sends the request once, under a timeout of its own, as a
// client span. parent is the caller's context, ctx the call's.
func (c *Client) attempt(parent, ctx context.Context, p *prepared, n int, timeout time.Duration) outcome {
	name := fmt.Sprintf("%s %s (attempt %d of %d)", p.Method, pathOf(p.url), n, p.policy.MaxAttempts)
	ctx, span := c.opts.Tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient))
	defer span.End()
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req := p.request(actx)
	if span.IsRecording() {
		span.SetAttributes(requestAttrs(req, p, n)...)
	}
	o := c.send(parent, ctx, actx, req, p, timeout)
	if o.reply != nil && span.IsRecording() {
		span.SetAttributes(replyAttrs(o.reply)...)
	}
	if o.err != nil {
		span.SetAttributes(attribute.String("error.type", errorType(o)))
		span.SetStatus(codes.Error, o.reason)
	}
	return o
}

// send makes the request and reads the reply.
func (c *Client) send(parent, ctx, actx context.Context, req *http.Request, p *prepared, timeout time.Duration) outcome {
	resp, err := c.http.Do(req)
	if err != nil {
		return transportFailure(parent, ctx, actx, p.Service, err, timeout)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.opts.MaxReplyBytes+1))
	r := &Reply{Status: resp.StatusCode, Header: resp.Header, Body: body, service: p.Service}
	if err != nil {
		o := transportFailure(parent, ctx, actx, p.Service, fmt.Errorf("reading the reply: %w", err), timeout)
		o.reply, o.err.Status, o.err.Reply = r, r.Status, r
		return o
	}
	if int64(len(body)) > c.opts.MaxReplyBytes {
		r.Body = body[:c.opts.MaxReplyBytes]
		return malformed(r, fmt.Errorf("the reply is larger than %d bytes", c.opts.MaxReplyBytes))
	}
	return classify(r, p.Into, c.opts.Now())
}

// classify judges a reply by its status.
func classify(r *Reply, into any, now time.Time) outcome {
	s := r.Status
	o := outcome{reply: r, reason: "HTTP " + strconv.Itoa(s)}
	if t := http.StatusText(s); t != "" {
		o.reason += " " + t
	}
	switch {
	case s >= 200 && s < 300:
		if into != nil && s != http.StatusNoContent {
			if err := json.Unmarshal(r.Body, into); err != nil {
				return malformed(r, fmt.Errorf("decoding the reply: %w", err))
			}
		}
		return o
	case s >= 500 || s == http.StatusTooManyRequests:
		o.verdict = errFailure
		o.err = &Error{Service: r.service, Kind: KindUnavailable, Status: s, Reply: r}
		switch s {
		case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
			http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			o.retry = true
		default:
			o.noRetry = o.reason + " is not a passing failure"
		}
		o.retryAfter, o.hasRetryAfter = parseRetryAfter(r.Header.Get("Retry-After"), now)
		if o.hasRetryAfter {
			o.err.RetryAfter = o.retryAfter
		}
	default:
		o.verdict = errExcluded
		o.err = &Error{Service: r.service, Kind: KindRejected, Status: s, Reply: r}
		o.noRetry = o.reason + " refuses the request itself: repeating it would not help"
	}
	return o
}

// malformed fails an attempt whose 2xx reply could not be read.
func malformed(r *Reply, err error) outcome {
	return outcome{
		reply:   r,
		err:     &Error{Service: r.service, Kind: KindMalformed, Status: r.Status, Reply: r, Err: err},
		verdict: errFailure,
		reason:  "malformed reply: " + err.Error(),
		noRetry: "a malformed reply is not retried: the service did answer",
	}
}

// transportFailure judges a request that got no (whole) reply.
func transportFailure(parent, ctx, actx context.Context, service string, err error, timeout time.Duration) outcome {
	var nerr net.Error
	o := outcome{err: &Error{Service: service, Err: err}}
	switch {
	case parent.Err() != nil:
		// The caller gave up: not the service's fault.
		o.verdict = errExcluded
		o.err.Kind, o.reason = KindCanceled, "the caller canceled the call"
		if errors.Is(parent.Err(), context.DeadlineExceeded) {
			o.err.Kind, o.reason = KindTimeout, "the caller's deadline passed"
		}
		o.noRetry = o.reason
	case ctx.Err() != nil:
		o.verdict = errFailure
		o.err.Kind, o.reason = KindTimeout, "the call's deadline passed"
		o.noRetry = "no time left before the deadline"
	case actx.Err() != nil:
		o.verdict, o.retry = errFailure, true
		o.err.Kind, o.reason = KindTimeout, "no answer within the attempt's "+human(timeout)
	case errors.As(err, &nerr) && nerr.Timeout():
		o.verdict, o.retry = errFailure, true
		o.err.Kind, o.reason = KindTimeout, "network timeout: "+rootCause(err)
	default:
		o.verdict, o.retry = errFailure, true
		o.err.Kind, o.reason = KindUnavailable, "network error: "+rootCause(err)
	}
	return o
}

// rootCause is the innermost message of err.
func rootCause(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}

// errorType is the span's error.type: the status code of an HTTP
// failure, else the kind ("timeout", "unavailable", "malformed", …).
func errorType(o outcome) string {
	if o.err.Kind != KindMalformed && o.err.Status != 0 {
		return strconv.Itoa(o.err.Status)
	}
	return o.err.Kind.String()
}

// human formats a duration for people: whole milliseconds below a
// second ("240 ms"), else seconds to a tenth ("1.5 s").
func human(d time.Duration) string {
	if d < time.Second {
		return strconv.FormatInt(d.Milliseconds(), 10) + " ms"
	}
	return strconv.FormatFloat(d.Round(100*time.Millisecond).Seconds(), 'f', -1, 64) + " s"
}

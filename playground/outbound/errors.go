package outbound

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Kind says why a call failed, in the terms a "graceful degradation"
// message needs.
type Kind int

// The kinds of failure.
const (
	// KindTimeout: no answer before the deadline (or an attempt's timeout
	// on the last attempt).
	KindTimeout Kind = iota + 1
	// KindUnavailable: the service failed (5xx), was busy (429), or could
	// not be reached (a network error).
	KindUnavailable
	// KindBreakerOpen: the circuit breaker is open, so the service was not
	// called at all. RetryAfter says when it lets a probe through.
	KindBreakerOpen
	// KindRejected: the service refused the request itself (a 4xx other
	// than 429, or a redirect); repeating it would not help.
	KindRejected
	// KindMalformed: the service answered 2xx with a body that could not
	// be read or decoded.
	KindMalformed
	// KindCanceled: the caller's context was canceled.
	KindCanceled
)

// String names the kind: "timeout", "unavailable", "breaker_open",
// "rejected", "malformed" or "canceled".
func (k Kind) String() string {
	switch k {
	case KindTimeout:
		return "timeout"
	case KindUnavailable:
		return "unavailable"
	case KindBreakerOpen:
		return "breaker_open"
	case KindRejected:
		return "rejected"
	case KindMalformed:
		return "malformed"
	case KindCanceled:
		return "canceled"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Error is a failed call, with what a message to the user needs. Do and
// DecodeJSON return it as *Error; errors.As finds it.
type Error struct {
	// Service is the Call's Service.
	Service string
	// Kind says why the call failed.
	Kind Kind
	// Attempts is how many requests were sent (0 when the breaker was open).
	Attempts int
	// Status is the HTTP status of the last attempt's reply, 0 when it
	// got none.
	Status int
	// RetryAfter is how long the service (its Retry-After header) or the
	// open breaker asks callers to wait; 0 when nothing was said.
	RetryAfter time.Duration
	// Reply is the last reply, when there was one (a rejection's body
	// usually says why, e.g. {"error":{"code":"card_declined"}}).
	Reply *Reply
	// Err is the underlying error; nil when the status or the breaker
	// says it all.
	Err error
}

// Error describes the failure as "outbound: calling <service>: …".
func (e *Error) Error() string {
	msg := fmt.Sprintf("outbound: calling %s: %s", e.Service, e.summary())
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

func (e *Error) summary() string {
	var s string
	switch e.Kind {
	case KindTimeout:
		s = "timed out"
	case KindUnavailable:
		s = "unavailable"
	case KindBreakerOpen:
		if e.RetryAfter > 0 {
			return fmt.Sprintf("circuit breaker open, next try in %s", e.RetryAfter.Round(time.Millisecond))
		}
		return "circuit breaker half-open, a probe is already under way"
	case KindRejected:
		s = "rejected"
	case KindMalformed:
		s = "malformed reply"
	case KindCanceled:
		s = "canceled"
	default:
		s = e.Kind.String()
	}
	if e.Status != 0 {
		s += fmt.Sprintf(" (HTTP %d)", e.Status)
	}
	if e.Attempts != 1 {
		s += fmt.Sprintf(" after %d attempts", e.Attempts)
	}
	return s
}

// DecodeJSON decodes r's body into v. A body that is not valid JSON for v
// is an *Error of KindMalformed. DecodeJSON does not tell the breaker: to
// have a malformed reply counted as a failure, set Call.Into instead,
// which decodes the reply while the attempt is still open.
func DecodeJSON(r *Reply, v any) error {
	if r == nil {
		return errors.New("outbound: decoding a reply: no reply")
	}
	if err := json.Unmarshal(r.Body, v); err != nil {
		return &Error{
			Service:  r.service,
			Kind:     KindMalformed,
			Attempts: r.Attempts,
			Status:   r.Status,
			Reply:    r,
			Err:      fmt.Errorf("decoding the reply: %w", err),
		}
	}
	return nil
}

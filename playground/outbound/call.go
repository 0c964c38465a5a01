package outbound

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Call is one call to a service: an HTTP request and how to make it.
type Call struct {
	// Service names the service, e.g. "payments". Required. With Key it
	// picks the circuit breaker.
	Service string
	// Key separates breakers of one service: the visitor id, so that one
	// visitor's faults never open the breaker for another. May be empty.
	Key string
	// Name names the call's span, e.g. "payment gateway: authorize".
	// Default "<Service>: <Method> <path>".
	Name string
	// Method is the HTTP method. Default GET.
	Method string
	// URL is the absolute http or https URL to call.
	URL string
	// Header holds the request's headers (cloned for every attempt).
	// An Authorization header is sent but never recorded in the trace.
	Header http.Header
	// Body is the request body, sent again with every attempt. A body
	// without a Content-Type header is sent as application/json.
	Body []byte
	// IdempotencyKey, when set, is sent as the Idempotency-Key header and
	// makes a POST or PATCH safe to retry. An Idempotency-Key in Header
	// counts the same.
	IdempotencyKey string
	// Into, when not nil, receives a 2xx reply's body decoded as JSON
	// (see DecodeJSON; a 204 is left alone). A body that does not decode
	// fails the attempt as KindMalformed: not retried, and counted by the
	// breaker.
	Into any
	// Policy sets deadlines and retries; zero fields take the Client's.
	Policy Policy
}

// Policy says how long a call may take and how it retries.
type Policy struct {
	// Deadline bounds the whole call, waits included. Default 3s.
	Deadline time.Duration
	// AttemptTimeout bounds each attempt (never beyond the Deadline).
	// Default 1s.
	AttemptTimeout time.Duration
	// MaxAttempts caps the attempts of a call that is safe to retry; a
	// call that is not gets one. Default 3.
	MaxAttempts int
	// BaseDelay is the backoff before the second attempt, doubled for
	// each one after; the wait is a random share of it (full jitter).
	// Default 100ms.
	BaseDelay time.Duration
	// MaxDelay caps the backoff before jitter. Default 1s.
	MaxDelay time.Duration
}

var defaultPolicy = Policy{
	Deadline:       3 * time.Second,
	AttemptTimeout: time.Second,
	MaxAttempts:    3,
	BaseDelay:      100 * time.Millisecond,
	MaxDelay:       time.Second,
}

// orDefaults fills p's zero (or negative) fields from d.
func (p Policy) orDefaults(d Policy) Policy {
	if p.Deadline <= 0 {
		p.Deadline = d.Deadline
	}
	if p.AttemptTimeout <= 0 {
		p.AttemptTimeout = d.AttemptTimeout
	}
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = d.MaxAttempts
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = d.BaseDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = d.MaxDelay
	}
	p.MaxDelay = max(p.MaxDelay, p.BaseDelay)
	return p
}

// Reply is a service's answer: what Do returns for a 2xx, and what an
// *Error keeps of any other.
type Reply struct {
	// Status is the HTTP status code.
	Status int
	// Header holds the reply's headers.
	Header http.Header
	// Body is the whole reply body.
	Body []byte
	// Attempts is how many requests the call took.
	Attempts int

	service string
}

// idempotentMethods may be repeated without doing the work twice.
var idempotentMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPut: true,
	http.MethodDelete: true, http.MethodOptions: true,
}

// prepared is a Call checked and completed for sending.
type prepared struct {
	Call
	url    *url.URL
	key    string // the Idempotency-Key sent, if any
	policy Policy
	safe   bool   // repeating the request is safe
	why    string // why it is, or is not
}

// prepare checks call and fills in its defaults.
func (c *Client) prepare(call Call) (*prepared, error) {
	if call.Service == "" {
		return nil, errors.New("outbound: preparing a call: Service is empty")
	}
	if call.Method == "" {
		call.Method = http.MethodGet
	}
	call.Method = strings.ToUpper(call.Method)
	u, err := url.Parse(call.URL)
	if err != nil {
		return nil, fmt.Errorf("outbound: preparing a call to %s: %w", call.Service, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("outbound: preparing a call to %s: %q is not an absolute http(s) URL", call.Service, call.URL)
	}
	if _, err := http.NewRequest(call.Method, u.String(), nil); err != nil {
		return nil, fmt.Errorf("outbound: preparing a call to %s: %w", call.Service, err)
	}
	if call.Name == "" {
		call.Name = call.Service + ": " + call.Method + " " + pathOf(u)
	}
	p := &prepared{Call: call, url: u, policy: call.Policy.orDefaults(c.opts.Policy)}
	p.key = call.IdempotencyKey
	if p.key == "" {
		p.key = call.Header.Get("Idempotency-Key")
	}
	switch {
	case idempotentMethods[call.Method]:
		p.safe, p.why = true, call.Method+" is idempotent: safe to repeat"
	case p.key != "":
		p.safe, p.why = true, call.Method+" with an Idempotency-Key: the service does the work once"
	default:
		p.why = call.Method + " without an Idempotency-Key: a repeat could do the work twice"
	}
	if !p.safe {
		p.policy.MaxAttempts = 1
	}
	return p, nil
}

// request builds the HTTP request of one attempt.
func (p *prepared) request(ctx context.Context) *http.Request {
	var body io.Reader
	if len(p.Body) > 0 {
		body = bytes.NewReader(p.Body)
	}
	// The method and URL were checked by prepare: this cannot fail.
	req, _ := http.NewRequestWithContext(ctx, p.Method, p.url.String(), body)
	for k, v := range p.Header {
		req.Header[k] = slices.Clone(v)
	}
	if p.IdempotencyKey != "" {
		req.Header.Set("Idempotency-Key", p.IdempotencyKey)
	}
	if len(p.Body) > 0 && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "engineroom-outbound")
	}
	return req
}

// pathOf is u's path for span names, "/" when it has none.
func pathOf(u *url.URL) string {
	if p := u.EscapedPath(); p != "" {
		return p
	}
	return "/"
}

package outbound

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

func TestSpans(t *testing.T) {
	srv, s := serve(t,
		step{status: 503, body: `{"error":{"code":"processing_error"}}`},
		step{status: 201, header: map[string]string{"Idempotent-Replayed": "false"}, body: `{"id":"pay_1"}`})
	c := newTestClient(t, Options{})
	header := http.Header{"Authorization": {"Bearer sk_secret_123"}, "X-Request-Id": {"req-7"}}
	_, err := c.Do(context.Background(), Call{
		Service: "payments", Key: "v1", Name: "payment gateway: authorize",
		Method: "POST", URL: srv.URL + "/v1/payments?expand=card", Header: header,
		Body: []byte(`{"amount_cents":1200}`), IdempotencyKey: "idem-1",
	})
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
	for _, r := range s.requests() {
		if r.header.Get("Authorization") != "Bearer sk_secret_123" || r.header.Get("Content-Type") != "application/json" ||
			r.body != `{"amount_cents":1200}` || r.header.Get("User-Agent") != "engineroom-outbound" {
			t.Errorf("request = %+v", r)
		}
	}
	spans := c.spans()
	if len(spans) != 4 {
		t.Fatalf("%d spans, want 4", len(spans))
	}
	for _, sp := range spans {
		for _, kv := range sp.Attributes() {
			if strings.Contains(kv.Value.Emit(), "sk_secret") {
				t.Errorf("span %q records the secret in %s", sp.Name(), kv.Key)
			}
		}
	}

	call := spanNamed(t, spans, "payment gateway: authorize")
	if call.SpanKind() != trace.SpanKindInternal || call.Status().Code != codes.Unset {
		t.Errorf("call span: kind %v, status %v", call.SpanKind(), call.Status())
	}
	assertAttrs(t, call, map[string]string{
		"outbound.service":                      "payments",
		"outbound.attempts":                     "2",
		"outbound.max_attempts":                 "3",
		"outbound.deadline_ms":                  "3000",
		"outbound.attempt_timeout_ms":           "1000",
		"outbound.retry_policy":                 "POST with an Idempotency-Key: the service does the work once",
		"outbound.idempotency_key":              "idem-1",
		"outbound.breaker.before":               "closed",
		"outbound.breaker.after":                "closed",
		"outbound.breaker.consecutive_failures": "0",
		"outbound.breaker.threshold":            "3",
		"outbound.outcome":                      "ok",
	})

	host, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	first := spanNamed(t, spans, "POST /v1/payments (attempt 1 of 3)")
	second := spanNamed(t, spans, "POST /v1/payments (attempt 2 of 3)")
	common := map[string]string{
		"http.request.method":                 "POST",
		"url.full":                            srv.URL + "/v1/payments?expand=card",
		"server.address":                      host,
		"server.port":                         port,
		"peer.service":                        "payments",
		"http.request.header.authorization":   `["Bearer [redacted]"]`,
		"http.request.header.idempotency-key": `["idem-1"]`,
		"http.request.header.x-request-id":    `["req-7"]`,
		"http.request.header.content-type":    `["application/json"]`,
		"http.request.body":                   `{"amount_cents":1200}`,
		"http.request.body.size":              "21",
	}
	assertAttrs(t, first, common)
	assertAttrs(t, first, map[string]string{
		"http.response.status_code": "503",
		"http.response.body":        `{"error":{"code":"processing_error"}}`,
		"error.type":                "503",
	})
	assertAttrs(t, second, common)
	assertAttrs(t, second, map[string]string{
		"http.response.status_code":                "201",
		"http.response.body":                       `{"id":"pay_1"}`,
		"http.response.body.size":                  "14",
		"http.request.resend_count":                "1",
		"http.response.header.idempotent-replayed": `["false"]`,
	})
	if _, ok := attrValue(first, "http.request.resend_count"); ok {
		t.Error("the first attempt has a resend count")
	}
	if _, ok := attrValue(second, "error.type"); ok {
		t.Error("the good attempt has an error.type")
	}
	for _, sp := range []struct {
		name   string
		status codes.Code
	}{{first.Name(), codes.Error}, {second.Name(), codes.Unset}} {
		got := spanNamed(t, spans, sp.name)
		if got.SpanKind() != trace.SpanKindClient || got.Status().Code != sp.status ||
			got.Parent().SpanID() != call.SpanContext().SpanID() {
			t.Errorf("%s: kind %v, status %v, parent %v", sp.name, got.SpanKind(), got.Status(), got.Parent().SpanID())
		}
	}
	if first.Status().Description != "HTTP 503 Service Unavailable" {
		t.Errorf("first attempt status = %q", first.Status().Description)
	}

	backoff := spanNamed(t, spans, "backoff 50 ms before attempt 2")
	assertAttrs(t, backoff, map[string]string{
		"outbound.backoff.reason": "HTTP 503 Service Unavailable",
		"outbound.backoff.rule":   "full jitter: a random wait between 0 and 100 ms",
		"outbound.backoff_ms":     "50",
	})
	if backoff.Parent().SpanID() != call.SpanContext().SpanID() ||
		backoff.StartTime().Before(first.EndTime()) || second.StartTime().Before(backoff.EndTime()) {
		t.Error("the backoff span is not between the attempts, under the call")
	}
}

func TestSpansOfFailures(t *testing.T) {
	srv, _ := serve(t, step{status: 500})
	c := newTestClient(t, Options{Policy: once, Breaker: BreakerSettings{Failures: 1}})
	_, _ = c.Do(context.Background(), Call{Service: "pay", Key: "k", Method: "POST", URL: srv.URL + "/v1/payments"})
	_, err := c.Do(context.Background(), Call{Service: "pay", Key: "k", Name: "second", URL: srv.URL})
	spans := c.spans()
	if len(spans) != 3 {
		t.Fatalf("%d spans, want 3 (the second call reaches no server)", len(spans))
	}
	first := spanNamed(t, spans, "pay: POST /v1/payments")
	assertAttrs(t, first, map[string]string{
		"outbound.max_attempts":    "1",
		"outbound.retry_policy":    "POST without an Idempotency-Key: a repeat could do the work twice",
		"outbound.outcome":         "unavailable",
		"error.type":               "unavailable",
		"outbound.no_retry_reason": "not retried: POST without an Idempotency-Key: a repeat could do the work twice",
		"outbound.breaker.after":   "open",
	})
	if e := asError(t, err); e.Kind != KindBreakerOpen {
		t.Errorf("second call: %v", e)
	}
	second := spanNamed(t, spans, "second")
	assertAttrs(t, second, map[string]string{
		"outbound.attempts":        "0",
		"outbound.outcome":         "breaker_open",
		"outbound.breaker.before":  "open",
		"outbound.breaker.after":   "open",
		"outbound.no_retry_reason": "the circuit breaker is open: the service was not called",
	})
	if _, ok := attrValue(second, "outbound.breaker.retry_at"); !ok {
		t.Error("no outbound.breaker.retry_at on a call the breaker refused")
	}
	if second.Status().Code != codes.Error || !strings.HasPrefix(second.Status().Description, "outbound: calling pay: circuit breaker open") {
		t.Errorf("status = %+v", second.Status())
	}
}

func TestBodiesAreTruncated(t *testing.T) {
	big := `"` + strings.Repeat("é", 3000) + `"` // 6002 bytes
	srv, _ := serve(t, step{status: 200, body: big})
	c := newTestClient(t, Options{})
	reply, err := c.Do(context.Background(), Call{Service: "s", Method: "PUT", URL: srv.URL, Body: []byte(big)})
	if err != nil || string(reply.Body) != big {
		t.Fatalf("Do = %v, %d bytes", err, len(reply.Body))
	}
	attempt := spanNamed(t, c.spans(), "PUT / (attempt 1 of 3)")
	for _, key := range []string{"http.request.body", "http.response.body"} {
		v, _ := attrValue(attempt, key)
		shown, note, ok := strings.Cut(v.AsString(), "…")
		if !ok || len(shown) > maxBodyAttr || len(shown) < maxBodyAttr-3 || note != " [4095 of 6002 bytes shown]" {
			t.Errorf("%s: %d bytes shown, note %q", key, len(shown), note)
		}
		if size, _ := attrValue(attempt, key+".size"); size.AsInt64() != 6002 {
			t.Errorf("%s.size = %v", key, size.Emit())
		}
	}
}

func TestURLCredentialsAreRedacted(t *testing.T) {
	srv, s := serve(t, step{status: 200})
	u, _ := url.Parse(srv.URL)
	u.User = url.UserPassword("user", "hunter2")
	c := newTestClient(t, Options{})
	if _, err := c.Do(context.Background(), Call{Service: "s", URL: u.String() + "/x"}); err != nil {
		t.Fatal(err)
	}
	if user, pass, ok := (&http.Request{Header: s.requests()[0].header}).BasicAuth(); !ok || user != "user" || pass != "hunter2" {
		t.Errorf("the server got no basic auth")
	}
	attempt := spanNamed(t, c.spans(), "GET /x (attempt 1 of 3)")
	if got := attrs(attempt)["url.full"]; got != "http://REDACTED:REDACTED@"+u.Host+"/x" {
		t.Errorf("url.full = %q", got)
	}
}

func assertAttrs(t *testing.T, sp sdktrace.ReadOnlySpan, want map[string]string) {
	t.Helper()
	got := attrs(sp)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s = %q, want %q", sp.Name(), k, got[k], v)
		}
	}
}

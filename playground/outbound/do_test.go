package outbound

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestDoRetries(t *testing.T) {
	ok := step{status: 200, body: `{"ok":true}`}
	unavailable := step{status: 503, body: `{"error":{"code":"unavailable"}}`}
	tests := []struct {
		name       string
		method     string
		key        string
		steps      []step
		wantErr    Kind // 0: success
		wantStatus int
		attempts   int
		sleeps     []time.Duration
		why        string // in the call span's outbound.no_retry_reason
	}{
		{name: "success", method: "GET", steps: []step{ok}, wantStatus: 200, attempts: 1},
		{name: "503 then success", method: "GET", steps: []step{unavailable, ok},
			wantStatus: 200, attempts: 2, sleeps: []time.Duration{50 * time.Millisecond}},
		{name: "500 502 504 then success", method: "PUT",
			steps:   []step{{status: 500}, {status: 502}, {status: 504}, ok},
			wantErr: KindUnavailable, wantStatus: 504, attempts: 3,
			sleeps: []time.Duration{50 * time.Millisecond, 100 * time.Millisecond},
			why:    "all 3 attempts used"},
		{name: "429 is retried", method: "DELETE", steps: []step{{status: 429}, ok},
			wantStatus: 200, attempts: 2, sleeps: []time.Duration{50 * time.Millisecond}},
		{name: "501 is not retried", method: "GET", steps: []step{{status: 501}, ok},
			wantErr: KindUnavailable, wantStatus: 501, attempts: 1, why: "not a passing failure"},
		{name: "POST without a key is not retried", method: "POST", steps: []step{unavailable, ok},
			wantErr: KindUnavailable, wantStatus: 503, attempts: 1,
			why: "POST without an Idempotency-Key: a repeat could do the work twice"},
		{name: "POST with a key is retried", method: "POST", key: "order-42", steps: []step{unavailable, ok},
			wantStatus: 200, attempts: 2, sleeps: []time.Duration{50 * time.Millisecond}},
		{name: "PATCH with a key is retried", method: "PATCH", key: "k", steps: []step{{status: 500}, ok},
			wantStatus: 200, attempts: 2, sleeps: []time.Duration{50 * time.Millisecond}},
		{name: "400 is not retried", method: "GET", steps: []step{{status: 400}, ok},
			wantErr: KindRejected, wantStatus: 400, attempts: 1, why: "refuses the request itself"},
		{name: "402 with a key is not retried", method: "POST", key: "k", steps: []step{{status: 402}, ok},
			wantErr: KindRejected, wantStatus: 402, attempts: 1, why: "HTTP 402 Payment Required"},
		{name: "409 is not retried", method: "PUT", steps: []step{{status: 409}, ok},
			wantErr: KindRejected, wantStatus: 409, attempts: 1, why: "HTTP 409 Conflict refuses"},
		{name: "redirect is not followed", method: "GET",
			steps:   []step{{status: 302, header: map[string]string{"Location": "/elsewhere"}}, ok},
			wantErr: KindRejected, wantStatus: 302, attempts: 1, why: "HTTP 302 Found refuses"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, s := serve(t, tt.steps...)
			c := newTestClient(t, Options{})
			reply, err := c.Do(context.Background(), Call{
				Service: "svc", Key: "v1", Method: tt.method, URL: srv.URL + "/things/1",
				IdempotencyKey: tt.key,
			})
			if tt.wantErr == 0 {
				if err != nil {
					t.Fatalf("Do: %v", err)
				}
				if reply.Status != tt.wantStatus || reply.Attempts != tt.attempts || string(reply.Body) != `{"ok":true}` {
					t.Errorf("reply = %d, %d attempts, %q", reply.Status, reply.Attempts, reply.Body)
				}
			} else {
				e := asError(t, err)
				if reply != nil {
					t.Errorf("reply = %+v, want nil with an error", reply)
				}
				if e.Kind != tt.wantErr || e.Status != tt.wantStatus || e.Attempts != tt.attempts || e.Service != "svc" {
					t.Errorf("error = %+v, want kind %v, status %d, %d attempts", e, tt.wantErr, tt.wantStatus, tt.attempts)
				}
				if e.Reply == nil || e.Reply.Status != tt.wantStatus {
					t.Errorf("error's reply = %+v", e.Reply)
				}
			}
			if got := len(s.requests()); got != tt.attempts {
				t.Errorf("server got %d requests, want %d", got, tt.attempts)
			}
			if got := c.time.Sleeps(); !slices.Equal(got, tt.sleeps) {
				t.Errorf("sleeps = %v, want %v", got, tt.sleeps)
			}
			for _, r := range s.requests() {
				if got := r.header.Get("Idempotency-Key"); got != tt.key {
					t.Errorf("Idempotency-Key = %q, want %q", got, tt.key)
				}
				if r.method != tt.method {
					t.Errorf("method = %q", r.method)
				}
			}
			call := spanNamed(t, c.spans(), "svc: "+tt.method+" /things/1")
			if got := attrs(call)["outbound.no_retry_reason"]; !strings.Contains(got, tt.why) || (tt.why == "") != (got == "") {
				t.Errorf("no_retry_reason = %q, want it to say %q", got, tt.why)
			}
		})
	}
}

func TestDoRetryAfter(t *testing.T) {
	start := newFakeTime().Now()
	tests := []struct {
		name       string
		steps      []step
		deadline   time.Duration
		attempts   int
		sleeps     []time.Duration
		retryAfter time.Duration // of the error; 0: success
		why        string
	}{
		{name: "seconds", steps: []step{
			{status: 503, header: map[string]string{"Retry-After": "1"}}, {status: 200}},
			attempts: 2, sleeps: []time.Duration{time.Second}},
		{name: "HTTP date", steps: []step{
			{status: 503, header: map[string]string{"Retry-After": start.Add(2 * time.Second).Format(http.TimeFormat)}},
			{status: 200}},
			attempts: 2, sleeps: []time.Duration{2 * time.Second}},
		{name: "429 with a wait", steps: []step{
			{status: 429, header: map[string]string{"Retry-After": "2"}}, {status: 200}},
			attempts: 2, sleeps: []time.Duration{2 * time.Second}},
		{name: "zero means at once", steps: []step{
			{status: 503, header: map[string]string{"Retry-After": "0"}}, {status: 200}},
			attempts: 2, sleeps: []time.Duration{0}},
		{name: "garbage falls back to backoff", steps: []step{
			{status: 503, header: map[string]string{"Retry-After": "soon"}}, {status: 200}},
			attempts: 2, sleeps: []time.Duration{50 * time.Millisecond}},
		{name: "past the deadline: no wait at all", steps: []step{
			{status: 503, header: map[string]string{"Retry-After": "30"}}, {status: 200}},
			attempts: 1, retryAfter: 30 * time.Second, why: "asked for a wait of 30 s (Retry-After), but only 3 s of the deadline is left"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := serve(t, tt.steps...)
			c := newTestClient(t, Options{})
			reply, err := c.Do(context.Background(), Call{Service: "svc", URL: srv.URL, Policy: Policy{Deadline: tt.deadline}})
			if got := c.time.Sleeps(); !slices.Equal(got, tt.sleeps) {
				t.Errorf("sleeps = %v, want %v", got, tt.sleeps)
			}
			if tt.retryAfter == 0 {
				if err != nil || reply.Attempts != tt.attempts {
					t.Fatalf("Do = %+v, %v; want %d attempts", reply, err, tt.attempts)
				}
				return
			}
			e := asError(t, err)
			if e.RetryAfter != tt.retryAfter || e.Attempts != tt.attempts || e.Kind != KindUnavailable {
				t.Errorf("error = %+v", e)
			}
			call := spanNamed(t, c.spans(), "svc: GET /")
			if got := attrs(call)["outbound.no_retry_reason"]; !strings.Contains(got, tt.why) {
				t.Errorf("no_retry_reason = %q, want %q", got, tt.why)
			}
		})
	}
}

func TestRetryAfterLeavesRoomForTheAttempt(t *testing.T) {
	// 2 s asked, 3 s deadline: the first wait fits; after it only ~1 s is
	// left, so the second 2 s wait does not.
	srv, s := serve(t, step{status: 503, header: map[string]string{"Retry-After": "2"}})
	c := newTestClient(t, Options{})
	_, err := c.Do(context.Background(), Call{Service: "svc", URL: srv.URL})
	e := asError(t, err)
	if e.Attempts != 2 || len(s.requests()) != 2 || e.RetryAfter != 2*time.Second {
		t.Errorf("error = %+v, server got %d", e, len(s.requests()))
	}
	if got := c.time.Sleeps(); !slices.Equal(got, []time.Duration{2 * time.Second}) {
		t.Errorf("sleeps = %v", got)
	}
	if !strings.Contains(e.Error(), "unavailable (HTTP 503) after 2 attempts") {
		t.Errorf("Error() = %q", e.Error())
	}
}

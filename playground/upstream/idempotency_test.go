package upstream

import (
	"bytes"
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

func TestIdempotency(t *testing.T) {
	clock := newClock()
	var hooks atomic.Int32
	g := startGateway(t, GatewayOptions{Seed: 4, Now: clock.Now,
		Webhook: func(context.Context, []byte, string) error { hooks.Add(1); return nil }})
	c := newClient(t, g, "acct_idem")
	other := newClient(t, g, "acct_other")
	const create = `{"amount_cents":700,"currency":"GBP","card_number":"4242424242424242"}`

	first := c.do("POST", "/v1/payments", "k-create", create)
	again := c.do("POST", "/v1/payments", "k-create", create)
	if first.status != 201 || again.status != 201 || !bytes.Equal(first.body, again.body) {
		t.Fatalf("replay differs: %d %s / %d %s", first.status, first.body, again.status, again.body)
	}
	if first.header.Get("Idempotent-Replayed") != "" || again.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("Idempotent-Replayed = %q then %q", first.header.Get("Idempotent-Replayed"), again.header.Get("Idempotent-Replayed"))
	}
	var p Payment
	first.into(t, &p)
	capture := "/v1/payments/" + p.ID + "/capture"

	tests := []struct {
		name     string
		client   *client
		path     string
		key      string
		body     string
		status   int
		replayed bool
		code     string
	}{
		{"capture", c, capture, "k-cap", "", 200, false, ""},
		{"retried capture is replayed", c, capture, "k-cap", "", 200, true, ""},
		{"capture without the key does not capture again", c, capture, "", "", 409, false, "invalid_state"},
		{"key reused with another body", c, "/v1/payments", "k-create", `{"amount_cents":701,"currency":"GBP","card_number":"4242424242424242"}`, 422, false, "idempotency_key_reused"},
		{"key reused on another path", c, capture, "k-create", "", 422, false, "idempotency_key_reused"},
		{"keys are per account", other, "/v1/payments", "k-create", create, 201, false, ""},
		{"validation errors are not kept", c, "/v1/payments", "k-fix", `{"amount_cents":0}`, 400, false, "invalid_amount"},
		{"so the corrected request runs", c, "/v1/payments", "k-fix", create, 201, false, ""},
		{"retryable errors are not kept", c, "/v1/payments", "k-503", `{"amount_cents":5,"currency":"EUR","card_number":"4000000000000119"}`, 503, false, "processing_error"},
		{"and run again", c, "/v1/payments", "k-503", `{"amount_cents":5,"currency":"EUR","card_number":"4000000000000119"}`, 503, false, "processing_error"},
		{"declines are kept", c, "/v1/payments", "k-402", `{"amount_cents":5,"currency":"EUR","card_number":"4000000000000002"}`, 402, false, "card_declined"},
		{"and replayed", c, "/v1/payments", "k-402", `{"amount_cents":5,"currency":"EUR","card_number":"4000000000000002"}`, 402, true, "card_declined"},
	}
	var firstCapture []byte
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.client.do("POST", tt.path, tt.key, tt.body)
			if r.status != tt.status {
				t.Fatalf("status = %d, want %d (body %s)", r.status, tt.status, r.body)
			}
			if got := r.header.Get("Idempotent-Replayed") == "true"; got != tt.replayed {
				t.Errorf("replayed = %v, want %v", got, tt.replayed)
			}
			if tt.code != "" {
				if e := r.apiError(t); e.Code != tt.code {
					t.Errorf("code = %q, want %q", e.Code, tt.code)
				}
			}
			if tt.path == capture && tt.status == 200 {
				if firstCapture == nil {
					firstCapture = r.body
				} else if !bytes.Equal(r.body, firstCapture) {
					t.Errorf("replayed capture %s, first %s", r.body, firstCapture)
				}
			}
		})
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	if n := hooks.Load(); n != 1 {
		t.Errorf("%d capture webhooks, want 1", n)
	}
}

func TestIdempotencyKeyExpires(t *testing.T) {
	clock := newClock()
	g := startGateway(t, GatewayOptions{Seed: 5, Now: clock.Now})
	c := newClient(t, g, "acct_expiry")
	const create = `{"amount_cents":700,"currency":"GBP","card_number":"4242424242424242"}`
	a := c.do("POST", "/v1/payments", "k", create)
	clock.Add(24*time.Hour - time.Second)
	b := c.do("POST", "/v1/payments", "k", create)
	clock.Add(time.Second)
	d := c.do("POST", "/v1/payments", "k", create)
	if !bytes.Equal(a.body, b.body) || b.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("within 24h: %s then %s", a.body, b.body)
	}
	if bytes.Equal(a.body, d.body) || d.status != http.StatusCreated || d.header.Get("Idempotent-Replayed") != "" {
		t.Errorf("after 24h the key still replays: %s", d.body)
	}
}

func TestIdemStoreBounded(t *testing.T) {
	now := newClock().Now()
	s := idemStore{entries: make(map[string]*idemEntry)}
	for i, k := range []string{"a", "b", "c", "d", "e"} {
		at := now.Add(time.Duration(i) * time.Minute)
		s.put(&idemEntry{key: k, created: at}, at, time.Hour, 3)
	}
	later := now.Add(10 * time.Minute)
	tests := []struct {
		key  string
		kept bool
	}{{"a", false}, {"b", false}, {"c", true}, {"d", true}, {"e", true}}
	for _, tt := range tests {
		if got := s.get(tt.key, later, time.Hour) != nil; got != tt.kept {
			t.Errorf("key %q kept = %v, want %v", tt.key, got, tt.kept)
		}
	}
	if got := s.get("c", now.Add(2*time.Hour), time.Hour); got != nil {
		t.Errorf("expired key still returned")
	}
	s.put(&idemEntry{key: "f", created: now.Add(3 * time.Hour)}, now.Add(3*time.Hour), time.Hour, 3)
	if len(s.entries) != 1 || len(s.order) != 1 {
		t.Errorf("after expiry: %d entries, %d in order, want 1, 1", len(s.entries), len(s.order))
	}
}

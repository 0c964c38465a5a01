package upstream

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestWebhookDelivered(t *testing.T) {
	clock := newClock()
	type delivery struct {
		body []byte
		sig  string
	}
	got := make(chan delivery, 4)
	g := startGateway(t, GatewayOptions{Seed: 8, Now: clock.Now, WebhookSecret: []byte("whsec_test"),
		Webhook: func(_ context.Context, body []byte, sig string) error {
			got <- delivery{body, sig}
			return nil
		}})
	c := newClient(t, g, "acct_hooks")
	p := c.authorize("900")
	c.do("POST", "/v1/payments/"+p.ID+"/capture", "", "")
	c.do("POST", "/v1/payments/"+p.ID+"/refunds", "", `{"amount_cents":400}`)

	seen := map[string]Event{}
	for range 2 {
		select {
		case d := <-got:
			if err := VerifySignature([]byte("whsec_test"), d.body, d.sig, clock.Now(), time.Minute); err != nil {
				t.Errorf("VerifySignature: %v (header %q)", err, d.sig)
			}
			var e Event
			result{body: d.body}.into(t, &e)
			seen[e.Type] = e
		case <-time.After(5 * time.Second):
			t.Fatal("webhook not delivered")
		}
	}
	captured, refunded := seen["payment.captured"], seen["charge.refunded"]
	if captured.Data.ID != p.ID || captured.Data.Status != StatusCaptured || captured.Created != clock.Now().Unix() || captured.ID == "" {
		t.Errorf("captured event = %+v", captured)
	}
	if refunded.Data.RefundedCents != 400 || len(refunded.Data.Refunds) != 1 || refunded.ID == captured.ID {
		t.Errorf("refunded event = %+v", refunded)
	}
}

func TestVerifySignature(t *testing.T) {
	secret, body := []byte("whsec_a"), []byte(`{"id":"evt_1"}`)
	at := time.Unix(1_770_000_000, 0)
	good := Sign(secret, body, at)
	tests := []struct {
		name   string
		secret []byte
		body   []byte
		header string
		now    time.Time
		want   error
	}{
		{"good", secret, body, good, at, nil},
		{"good, within the window", secret, body, good, at.Add(4 * time.Minute), nil},
		{"forged with another secret", secret, body, Sign([]byte("whsec_b"), body, at), at, ErrBadSignature},
		{"body changed", secret, []byte(`{"id":"evt_2"}`), good, at, ErrBadSignature},
		{"timestamp changed", secret, body, "t=1770000001," + good[len("t=1770000000,"):], at, ErrBadSignature},
		{"stale: replayed after the window", secret, body, good, at.Add(6 * time.Minute), ErrStale},
		{"from the future beyond the window", secret, body, good, at.Add(-6 * time.Minute), ErrStale},
		{"a second v1 that matches", secret, body, good[:len("t=1770000000,")] + "v1=00ff," + good[len("t=1770000000,"):], at, nil},
		{"no v1", secret, body, "t=1770000000", at, ErrNoSignature},
		{"no t", secret, body, good[len("t=1770000000,"):], at, ErrNoSignature},
		{"empty", secret, body, "", at, ErrNoSignature},
		{"garbage", secret, body, "t=soon,v1=zz", at, ErrNoSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifySignature(tt.secret, tt.body, tt.header, tt.now, 5*time.Minute)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("VerifySignature = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestWebhookSecret(t *testing.T) {
	given := []byte("whsec_given")
	g := startGateway(t, GatewayOptions{WebhookSecret: given})
	given[0] = 'X' // the gateway keeps its own copy
	got := g.WebhookSecret()
	got[1] = 'X' // and hands out copies
	if s := string(g.WebhookSecret()); s != "whsec_given" {
		t.Errorf("WebhookSecret = %q, want whsec_given", s)
	}
	a, b := startGateway(t, GatewayOptions{Seed: 1}), startGateway(t, GatewayOptions{Seed: 1})
	other := startGateway(t, GatewayOptions{Seed: 2})
	sa, sb, so := string(a.WebhookSecret()), string(b.WebhookSecret()), string(other.WebhookSecret())
	if sa != sb || sa == so || len(sa) != len("whsec_")+48 || sa[:6] != "whsec_" {
		t.Errorf("derived secrets: %q and %q for seed 1, %q for seed 2", sa, sb, so)
	}
}

func TestWebhookPostedToURL(t *testing.T) {
	clock := newClock()
	type delivery struct {
		header http.Header
		body   []byte
	}
	got := make(chan delivery, 2)
	var status atomic.Int32
	status.Store(http.StatusOK)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- delivery{r.Header.Clone(), b}
		w.WriteHeader(int(status.Load()))
	}))
	t.Cleanup(receiver.Close)
	g := startGateway(t, GatewayOptions{Seed: 3, Now: clock.Now, WebhookSecret: []byte("whsec_url"), WebhookURL: receiver.URL + "/hooks"})
	c := newClient(t, g, "acct_url")
	var p Payment
	c.do("POST", "/v1/payments", "", `{"amount_cents":700,"currency":"EUR","card_number":"4242424242424242","metadata":{"order":"A-17"}}`).into(t, &p)
	if p.Metadata["order"] != "A-17" {
		t.Fatalf("metadata = %v, want order A-17", p.Metadata)
	}
	c.do("POST", "/v1/payments/"+p.ID+"/capture", "", "")
	select {
	case d := <-got:
		if ct := d.header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type = %q", ct)
		}
		if err := VerifySignature([]byte("whsec_url"), d.body, d.header.Get(SignatureHeader), clock.Now(), time.Minute); err != nil {
			t.Errorf("VerifySignature: %v", err)
		}
		var e Event
		result{body: d.body}.into(t, &e)
		if e.Type != "payment.captured" || e.Data.Metadata["order"] != "A-17" {
			t.Errorf("event = %+v", e)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("webhook not posted")
	}
	// A failing receiver is reported to nobody but does not break the gateway.
	status.Store(http.StatusInternalServerError)
	post := postWebhook(receiver.URL)
	if err := post(context.Background(), []byte(`{}`), "t=1,v1=00"); err == nil {
		t.Error("postWebhook to a 500 receiver: no error")
	}
	<-got
	if err := postWebhook("http://127.0.0.1:1/nothing")(context.Background(), nil, ""); err == nil {
		t.Error("postWebhook to a closed port: no error")
	}
	if err := postWebhook("::bad url")(context.Background(), nil, ""); err == nil {
		t.Error("postWebhook to a bad URL: no error")
	}
}

func TestMetadataLimits(t *testing.T) {
	g := startGateway(t, GatewayOptions{Seed: 4})
	c := newClient(t, g, "acct_meta")
	many := map[string]string{}
	for i := range MaxMetadataKeys + 1 {
		many["k"+strconv.Itoa(i)] = "v"
	}
	tooMany, _ := json.Marshal(map[string]any{"amount_cents": 100, "currency": "EUR", "card_number": CardSuccess, "metadata": many})
	tests := []struct {
		name, body, field string
	}{
		{"too many keys", string(tooMany), "metadata"},
		{"long value", `{"amount_cents":100,"currency":"EUR","card_number":"4242424242424242","metadata":{"k":"` + strings.Repeat("x", 201) + `"}}`, "metadata.k"},
		{"empty key", `{"amount_cents":100,"currency":"EUR","card_number":"4242424242424242","metadata":{"":"v"}}`, "metadata."},
		{"not strings", `{"amount_cents":100,"currency":"EUR","card_number":"4242424242424242","metadata":{"k":1}}`, "metadata"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.do("POST", "/v1/payments", "", tt.body)
			if r.status != http.StatusBadRequest || r.apiError(t).Field != tt.field {
				t.Errorf("status %d, error %+v; want 400 naming %q", r.status, r.apiError(t), tt.field)
			}
		})
	}
}

package upstream

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Event is the body of a webhook.
type Event struct {
	ID string `json:"id"`
	// Type is "payment.captured" or "charge.refunded".
	Type    string `json:"type"`
	Created int64  `json:"created"`
	// Data is the payment after the change.
	Data Payment `json:"data"`
}

// Errors of VerifySignature.
var (
	ErrNoSignature  = errors.New("upstream: webhook signature header malformed or missing")
	ErrBadSignature = errors.New("upstream: webhook signature does not match")
	ErrStale        = errors.New("upstream: webhook timestamp outside the tolerance")
)

// DefaultTolerance is the timestamp window VerifySignature applies when
// given none.
const DefaultTolerance = 5 * time.Minute

// Sign returns the signature header value for body at t:
// "t=<unix>,v1=<hex HMAC-SHA256 of "<unix>.<body>">".
func Sign(secret, body []byte, t time.Time) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret []byte, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(body)
	return m.Sum(nil)
}

// VerifySignature checks a signature header made by Sign: one of its v1
// values must be the HMAC of its timestamp and body, and the timestamp
// must lie within tolerance of now, either side (DefaultTolerance when
// tolerance <= 0). A replayed webhook fails once its timestamp leaves
// the window.
func VerifySignature(secret, body []byte, header string, now time.Time, tolerance time.Duration) error {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	var ts string
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			if b, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, b)
			}
		}
	}
	unixT, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return ErrNoSignature
	}
	want := mac(secret, ts, body)
	matched := false
	for _, s := range sigs {
		if hmac.Equal(s, want) {
			matched = true
		}
	}
	if !matched {
		return ErrBadSignature
	}
	if d := now.Sub(time.Unix(unixT, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("upstream: verifying a webhook signed %s from now: %w", -d, ErrStale)
	}
	return nil
}

// notify sends an event about p to the Webhook hook, if any, in a
// goroutine Close waits for. The caller holds a's lock.
func (g *Gateway) notify(a *account[*ledger], typ string, p *Payment) {
	if g.hook == nil {
		return
	}
	now := g.svc.now()
	data := *p
	data.Refunds = append([]Refund{}, p.Refunds...)
	body, err := json.Marshal(Event{ID: randomID("evt", a.rng), Type: typ, Created: unix(now), Data: data})
	if err != nil {
		return
	}
	sig := Sign(g.secret, body, now)
	g.hookMu.Lock()
	defer g.hookMu.Unlock()
	if g.hookClosed {
		return
	}
	g.hooks.Add(1)
	go func() {
		defer g.hooks.Done()
		_ = g.hook(g.hookCtx, body, sig)
	}()
}

// SignatureHeader is the header a webhook's signature travels in.
const SignatureHeader = "Gateway-Signature"

// postWebhook delivers events to url over HTTP: one attempt, answered
// with a 2xx within 5 s or it counts as failed.
func postWebhook(url string) func(ctx context.Context, body []byte, signature string) error {
	client := &http.Client{Timeout: 5 * time.Second}
	return func(ctx context.Context, body []byte, signature string) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return fmt.Errorf("upstream: delivering a webhook: %w", err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "engineroom-gateway/1")
		req.Header.Set(SignatureHeader, signature)
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("upstream: delivering a webhook: %w", err)
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		if resp.StatusCode/100 != 2 {
			return fmt.Errorf("upstream: delivering a webhook: the receiver answered %s", resp.Status)
		}
		return nil
	}
}

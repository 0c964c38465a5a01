package upstream

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable clock for the options' Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// startGateway starts a gateway closed when the test ends.
func startGateway(t testing.TB, opts GatewayOptions) *Gateway {
	t.Helper()
	g, err := StartGateway(opts)
	if err != nil {
		t.Fatalf("StartGateway: %v", err)
	}
	t.Cleanup(func() {
		if err := g.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return g
}

// startMailer starts a mailer closed when the test ends.
func startMailer(t testing.TB, opts MailerOptions) *Mailer {
	t.Helper()
	m, err := StartMailer(opts)
	if err != nil {
		t.Fatalf("StartMailer: %v", err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return m
}

// startReservations starts a reservation system closed when the test
// ends.
func startReservations(t testing.TB, opts ReservationOptions) *Reservations {
	t.Helper()
	res, err := StartReservations(opts)
	if err != nil {
		t.Fatalf("StartReservations: %v", err)
	}
	t.Cleanup(func() {
		if err := res.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return res
}

// server is any of the services.
type server interface {
	URL() string
	Close() error
}

// client calls a service as one account.
type client struct {
	t     testing.TB
	base  string
	token string
	hc    *http.Client
}

func newClient(t testing.TB, s server, token string) *client {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &client{t: t, base: s.URL(), token: token, hc: &http.Client{Transport: tr}}
}

// result is a response read in full.
type result struct {
	status int
	header http.Header
	body   []byte
}

// try sends a request; key is the Idempotency-Key ("" for none).
func (c *client) try(method, path, key, body string) (result, error) {
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		return result{}, err
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return result{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return result{}, err
	}
	return result{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// do is try failing the test on a transport error.
func (c *client) do(method, path, key, body string) result {
	c.t.Helper()
	r, err := c.try(method, path, key, body)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

// into decodes the body into v.
func (r result) into(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decoding %q: %v", r.body, err)
	}
}

// apiError decodes an error body.
func (r result) apiError(t testing.TB) APIError {
	t.Helper()
	var e struct {
		Error APIError `json:"error"`
	}
	r.into(t, &e)
	return e.Error
}

// authorize creates a payment that succeeds and returns it.
func (c *client) authorize(amount string) Payment {
	c.t.Helper()
	r := c.do("POST", "/v1/payments", "", `{"amount_cents":`+amount+`,"currency":"EUR","card_number":"4242424242424242"}`)
	if r.status != http.StatusCreated {
		c.t.Fatalf("authorize: status %d, body %s", r.status, r.body)
	}
	var p Payment
	r.into(c.t, &p)
	return p
}

package upstream

import (
	"encoding/json"
	"net/http"
	"runtime"
	"testing"
	"time"
)

// probe is one request per service that succeeds on a fresh account.
type probe struct {
	name         string
	start        func(t *testing.T) server
	method, path string
	body         string
	status       int
}

func probes() []probe {
	return []probe{
		{"gateway", func(t *testing.T) server { return startGateway(t, GatewayOptions{Seed: 21}) },
			"POST", "/v1/payments", `{"amount_cents":5,"currency":"EUR","card_number":"4242424242424242"}`, 201},
		{"mailer", func(t *testing.T) server { return startMailer(t, MailerOptions{Seed: 21}) },
			"POST", "/v1/messages", mail, 202},
		{"reservations", func(t *testing.T) server { return startReservations(t, ReservationOptions{Seed: 21}) },
			"GET", "/v1/flights/1/availability", "", 200},
	}
}

func TestFaultsStayWithTheirAccount(t *testing.T) {
	faults := []struct {
		name, faults string
		timeout      time.Duration
		check        func(t *testing.T, want int, r result, err error)
	}{
		{"error rate 1", `{"error_rate":1}`, 0, func(t *testing.T, _ int, r result, err error) {
			if err != nil || r.status != 500 || r.apiError(t).Code != "internal_error" {
				t.Errorf("status %d, body %s, err %v", r.status, r.body, err)
			}
		}},
		{"malformed", `{"malformed":true}`, 0, func(t *testing.T, _ int, r result, err error) {
			if err != nil || r.status != 200 || json.Valid(r.body) || len(r.body) == 0 {
				t.Errorf("status %d, body %s, err %v", r.status, r.body, err)
			}
		}},
		{"hang", `{"hang":true}`, 100 * time.Millisecond, func(t *testing.T, _ int, r result, err error) {
			wantTimeout(t, r, err)
		}},
		{"latency and jitter", `{"latency_ms":300,"jitter_ms":50}`, 50 * time.Millisecond, func(t *testing.T, _ int, r result, err error) {
			wantTimeout(t, r, err)
		}},
		{"small latency", `{"latency_ms":5,"jitter_ms":5}`, 0, func(t *testing.T, want int, r result, err error) {
			if err != nil || r.status != want {
				t.Errorf("status %d, want %d, err %v", r.status, want, err)
			}
		}},
	}
	for _, p := range probes() {
		t.Run(p.name, func(t *testing.T) {
			s := p.start(t)
			bystander := newClient(t, s, "bystander")
			for _, f := range faults {
				t.Run(f.name, func(t *testing.T) {
					c := newClient(t, s, "faulty")
					if r := c.do("PUT", "/v1/faults", "", f.faults); r.status != 200 {
						t.Fatalf("PUT /v1/faults: %d %s", r.status, r.body)
					}
					c.hc.Timeout = f.timeout
					r, err := c.try(p.method, p.path, "", p.body)
					f.check(t, p.status, r, err)
					c.hc.Timeout = 0
					if r := c.do("GET", "/v1/faults", "", ""); r.status != 200 || !json.Valid(r.body) {
						t.Errorf("GET /v1/faults under its own faults: %d %s", r.status, r.body)
					}
					if r := bystander.do(p.method, p.path, "", p.body); r.status != p.status {
						t.Errorf("another account: status %d, want %d (body %s)", r.status, p.status, r.body)
					}
					c.do("PUT", "/v1/faults", "", `{}`)
					if r := c.do(p.method, p.path, "", p.body); r.status != p.status {
						t.Errorf("faults off: status %d, want %d", r.status, p.status)
					}
				})
			}
		})
	}
}

func TestCloseReleasesHungRequest(t *testing.T) {
	for _, p := range probes() {
		t.Run(p.name, func(t *testing.T) {
			before := runtime.NumGoroutine()
			s := p.start(t)
			c := newClient(t, s, "acct_hung")
			c.do("PUT", "/v1/faults", "", `{"hang":true}`)
			done := make(chan result, 1)
			go func() {
				r, _ := c.try(p.method, p.path, "", p.body)
				done <- r
			}()
			time.Sleep(50 * time.Millisecond) // let the request reach the hang
			start := time.Now()
			if err := s.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if err := s.Close(); err != nil {
				t.Fatalf("second Close: %v", err)
			}
			select {
			case r := <-done:
				// 504 from the hang, or no answer at all: either way released.
				if took := time.Since(start); (r.status != 0 && r.status != 504) || took > 4*time.Second {
					t.Errorf("released after %s with status %d", took, r.status)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("the hung request outlived Close")
			}
			c.hc.Transport.(interface{ CloseIdleConnections() }).CloseIdleConnections()
			deadline := time.Now().Add(5 * time.Second)
			for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if n := runtime.NumGoroutine(); n > before {
				t.Errorf("%d goroutines after Close, %d before", n, before)
			}
			if _, err := c.try("GET", "/v1/faults", "", ""); err == nil {
				t.Error("still answering after Close")
			}
		})
	}
}

func TestServiceRoutes(t *testing.T) {
	m := startMailer(t, MailerOptions{})
	res := startReservations(t, ReservationOptions{})
	tests := []struct {
		s            server
		method, path string
		status       int
		code         string
	}{
		{m, "GET", "/v1/payments/x", 404, "not_found"},
		{m, "PUT", "/v1/messages", 405, "method_not_allowed"},
		{m, "POST", "/v1/messages/msg_1", 405, "method_not_allowed"},
		{m, "DELETE", "/v1/faults", 405, "method_not_allowed"},
		{res, "GET", "/v1/flights/1", 404, "not_found"},
		{res, "POST", "/v1/flights/1/availability", 405, "method_not_allowed"},
		{res, "GET", "/v1/holds", 405, "method_not_allowed"},
		{res, "PUT", "/v1/holds/hold_1", 405, "method_not_allowed"},
		{res, "GET", "/v1/holds/hold_1/confirm", 405, "method_not_allowed"},
	}
	for _, tt := range tests {
		r := newClient(t, tt.s, "routes").do(tt.method, tt.path, "", "")
		if e := r.apiError(t); r.status != tt.status || e.Code != tt.code {
			t.Errorf("%s %s: status %d, error %+v", tt.method, tt.path, r.status, e)
		}
	}
	for _, p := range probes() {
		s := p.start(t)
		for _, rt := range []struct{ method, path, body string }{{p.method, p.path, p.body}, {"PUT", "/v1/faults", "{}"}} {
			r := newClient(t, s, "not a token").do(rt.method, rt.path, "", rt.body)
			if e := r.apiError(t); r.status != http.StatusUnauthorized || e.Field != "Authorization" {
				t.Errorf("%s %s %s without a valid token: status %d, error %+v", p.name, rt.method, rt.path, r.status, e)
			}
		}
	}
}

// TestServicesDeterministic checks that the same seed and requests give
// the same ids on the mailer and the reservation system.
func TestServicesDeterministic(t *testing.T) {
	run := func(seed uint64) (ids []string) {
		m := newClient(t, startMailer(t, MailerOptions{Seed: seed}), "acct_seeded")
		res := newClient(t, startReservations(t, ReservationOptions{Seed: seed}), "acct_seeded")
		id := 1
		for initialSeats(seed, id) < 3 {
			id++
		}
		for range 3 {
			var msg Message
			m.do("POST", "/v1/messages", "", mail).into(t, &msg)
			ids = append(ids, msg.ID, res.hold(id, 1).ID)
		}
		return ids
	}
	a, b, other := run(42), run(42), run(43)
	for i := range a {
		if a[i] != b[i] || a[i] == other[i] {
			t.Errorf("id %d: %q, then %q with the same seed, %q with another", i, a[i], b[i], other[i])
		}
	}
}

func TestAccountsLRU(t *testing.T) {
	m := startMailer(t, MailerOptions{MaxAccounts: 2})
	a, b, c := newClient(t, m, "a"), newClient(t, m, "b"), newClient(t, m, "c")
	a.do("POST", "/v1/messages", "", mail)
	b.do("POST", "/v1/messages", "", mail)
	a.do("GET", "/v1/messages", "", "") // a is now used more recently than b
	c.do("POST", "/v1/messages", "", mail)
	for _, tt := range []struct {
		c     *client
		total int
	}{{c, 1}, {a, 1}, {b, 0}} { // b last: reading it makes an account again
		var list MessageList
		tt.c.do("GET", "/v1/messages", "", "").into(t, &list)
		if list.Total != tt.total {
			t.Errorf("account %s holds %d messages, want %d", tt.c.token, list.Total, tt.total)
		}
	}
}

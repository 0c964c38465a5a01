package upstream

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"testing"
	"time"
)

func TestFaultsClamped(t *testing.T) {
	g := startGateway(t, GatewayOptions{Seed: 6})
	c := newClient(t, g, "acct_clamp")
	tests := []struct {
		name string
		body string
		want Faults
	}{
		{"in range", `{"latency_ms":10,"jitter_ms":5,"error_rate":0.25,"hang":true,"malformed":true}`, Faults{10, 5, 0.25, true, true}},
		{"too high", `{"latency_ms":99999,"jitter_ms":99999,"error_rate":7}`, Faults{LatencyMS: 5000, JitterMS: 2000, ErrorRate: 1}},
		{"negative", `{"latency_ms":-1,"jitter_ms":-5,"error_rate":-0.5}`, Faults{}},
		{"missing fields are off", `{}`, Faults{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var put, got Faults
			r := c.do("PUT", "/v1/faults", "", tt.body)
			if r.status != http.StatusOK {
				t.Fatalf("PUT: status %d (body %s)", r.status, r.body)
			}
			r.into(t, &put)
			c.do("GET", "/v1/faults", "", "").into(t, &got)
			if put != tt.want || got != tt.want {
				t.Errorf("PUT answered %+v, GET %+v, want %+v", put, got, tt.want)
			}
		})
	}
	if r := c.do("PUT", "/v1/faults", "", `{"latency":5}`); r.status != 400 || r.apiError(t).Field != "latency" {
		t.Errorf("unknown fault field: status %d body %s", r.status, r.body)
	}
}

func TestFaults(t *testing.T) {
	g := startGateway(t, GatewayOptions{Seed: 7})
	bystander := newClient(t, g, "acct_bystander")
	tests := []struct {
		name    string
		faults  string
		timeout time.Duration
		check   func(t *testing.T, r result, err error)
	}{
		{"latency beyond the client timeout", `{"latency_ms":400}`, 50 * time.Millisecond, wantTimeout},
		{"jitter beyond the client timeout", `{"latency_ms":300,"jitter_ms":100}`, 50 * time.Millisecond, wantTimeout},
		{"hang", `{"hang":true}`, 100 * time.Millisecond, wantTimeout},
		{"latency within the client timeout", `{"latency_ms":20}`, 5 * time.Second, func(t *testing.T, r result, err error) {
			if err != nil || r.status != http.StatusCreated {
				t.Errorf("status %d, err %v", r.status, err)
			}
		}},
		{"error rate 1", `{"error_rate":1}`, 5 * time.Second, func(t *testing.T, r result, err error) {
			if err != nil || r.status != http.StatusInternalServerError || r.apiError(t).Code != "internal_error" {
				t.Errorf("status %d, body %s, err %v", r.status, r.body, err)
			}
		}},
		{"malformed", `{"malformed":true}`, 5 * time.Second, func(t *testing.T, r result, err error) {
			if err != nil || r.status != http.StatusOK || json.Valid(r.body) || len(r.body) == 0 {
				t.Errorf("status %d, body %s, err %v", r.status, r.body, err)
			}
		}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, g, "acct_fault_"+string(rune('a'+i)))
			if r := c.do("PUT", "/v1/faults", "", tt.faults); r.status != http.StatusOK {
				t.Fatalf("PUT /v1/faults: %d %s", r.status, r.body)
			}
			c.hc.Timeout = tt.timeout
			r, err := c.try("POST", "/v1/payments", "", `{"amount_cents":5,"currency":"EUR","card_number":"4242424242424242"}`)
			tt.check(t, r, err)

			bystander.authorize("5") // other accounts are unaffected
			c.hc.Timeout = 0
			if r := c.do("PUT", "/v1/faults", "", `{}`); r.status != http.StatusOK {
				t.Fatalf("switching faults off: %d %s", r.status, r.body)
			}
			c.authorize("5")
		})
	}
}

func wantTimeout(t *testing.T, r result, err error) {
	t.Helper()
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("want a client timeout, got status %d, err %v", r.status, err)
	}
}

// TestDeterministic checks that the same seed and requests give the same
// ids and error_rate decisions, and another seed other ones.
func TestDeterministic(t *testing.T) {
	run := func(seed uint64) []string {
		g := startGateway(t, GatewayOptions{Seed: seed})
		c := newClient(t, g, "acct_seeded")
		c.do("PUT", "/v1/faults", "", `{"error_rate":0.5}`)
		var out []string
		for range 20 {
			r := c.do("POST", "/v1/payments", "", `{"amount_cents":5,"currency":"EUR","card_number":"4242424242424242"}`)
			var p Payment
			if r.status == http.StatusCreated {
				r.into(t, &p)
			}
			out = append(out, http.StatusText(r.status)+" "+p.ID)
		}
		return out
	}
	a, b, other := run(42), run(42), run(43)
	fails := 0
	for i := range a {
		if a[i] != b[i] {
			t.Errorf("request %d: %q then %q with the same seed", i, a[i], b[i])
		}
		if a[i] == http.StatusText(500)+" " {
			fails++
		}
	}
	if fails == 0 || fails == len(a) {
		t.Errorf("error_rate 0.5 failed %d of %d requests", fails, len(a))
	}
	if equal := func() bool {
		for i := range a {
			if a[i] != other[i] {
				return false
			}
		}
		return true
	}(); equal {
		t.Errorf("seeds 42 and 43 gave the same run %q", a)
	}
}

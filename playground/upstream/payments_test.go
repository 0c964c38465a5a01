package upstream

import (
	"net/http"
	"strings"
	"testing"
)

func TestCreatePaymentCards(t *testing.T) {
	g := startGateway(t, GatewayOptions{Seed: 1, Now: newClock().Now})
	c := newClient(t, g, "acct_cards")
	tests := []struct {
		name       string
		card       string
		status     int
		code       string
		field      string
		retryAfter string
		last4      string
	}{
		{name: "success", card: CardSuccess, status: 201, last4: "4242"},
		{name: "success with spaces", card: "4242 4242 4242 4242", status: 201, last4: "4242"},
		{name: "other valid card", card: "5555555555554444", status: 201, last4: "4444"},
		{name: "declined", card: CardDeclined, status: 402, code: "card_declined", field: "card_number"},
		{name: "insufficient funds", card: CardInsufficientFunds, status: 402, code: "insufficient_funds", field: "card_number"},
		{name: "processing error", card: CardProcessingError, status: 503, code: "processing_error", retryAfter: "1"},
		{name: "fails luhn", card: "4242424242424241", status: 400, code: "invalid_card_number", field: "card_number"},
		{name: "letters", card: "4242abcd42424242", status: 400, code: "invalid_card_number", field: "card_number"},
		{name: "too short", card: "42", status: 400, code: "invalid_card_number", field: "card_number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.do("POST", "/v1/payments", "", `{"amount_cents":1250,"currency":"USD","card_number":"`+tt.card+`","description":"tea"}`)
			if r.status != tt.status {
				t.Fatalf("status = %d, want %d (body %s)", r.status, tt.status, r.body)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			if got := r.header.Get("Retry-After"); got != tt.retryAfter {
				t.Errorf("Retry-After = %q, want %q", got, tt.retryAfter)
			}
			if tt.status != 201 {
				e := r.apiError(t)
				if e.Code != tt.code || e.Field != tt.field || e.Message == "" {
					t.Errorf("error = %+v, want code %q field %q", e, tt.code, tt.field)
				}
				return
			}
			var p Payment
			r.into(t, &p)
			if !strings.HasPrefix(p.ID, "pay_") || p.Status != StatusAuthorized || p.AmountCents != 1250 ||
				p.Currency != "USD" || p.Description != "tea" || p.CardLast4 != tt.last4 ||
				p.CapturedCents != 0 || p.RefundedCents != 0 || p.Created != newClock().Now().Unix() {
				t.Errorf("payment = %+v", p)
			}
		})
	}
}

func TestCreatePaymentValidation(t *testing.T) {
	g := startGateway(t, GatewayOptions{Seed: 1})
	c := newClient(t, g, "acct_validation")
	tests := []struct {
		name  string
		body  string
		code  string
		field string
	}{
		{"amount zero", `{"amount_cents":0,"currency":"EUR","card_number":"4242424242424242"}`, "invalid_amount", "amount_cents"},
		{"amount too big", `{"amount_cents":1000001,"currency":"EUR","card_number":"4242424242424242"}`, "invalid_amount", "amount_cents"},
		{"amount missing", `{"currency":"EUR","card_number":"4242424242424242"}`, "missing_field", "amount_cents"},
		{"amount a string", `{"amount_cents":"5","currency":"EUR","card_number":"4242424242424242"}`, "invalid_type", "amount_cents"},
		{"currency unknown", `{"amount_cents":5,"currency":"JPY","card_number":"4242424242424242"}`, "invalid_currency", "currency"},
		{"currency lower case", `{"amount_cents":5,"currency":"eur","card_number":"4242424242424242"}`, "invalid_currency", "currency"},
		{"card missing", `{"amount_cents":5,"currency":"EUR"}`, "invalid_card_number", "card_number"},
		{"unknown field", `{"amount_cents":5,"currency":"EUR","card_number":"4242424242424242","cvc":"123"}`, "unknown_field", "cvc"},
		{"description too long", `{"amount_cents":5,"currency":"EUR","card_number":"4242424242424242","description":"` + strings.Repeat("x", 501) + `"}`, "invalid_description", "description"},
		{"not json", `amount=5`, "invalid_json", ""},
		{"trailing data", `{"amount_cents":5,"currency":"EUR","card_number":"4242424242424242"} {}`, "invalid_json", ""},
		{"empty", ``, "invalid_json", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.do("POST", "/v1/payments", "", tt.body)
			if r.status != http.StatusBadRequest {
				t.Fatalf("status = %d, want 400 (body %s)", r.status, r.body)
			}
			if e := r.apiError(t); e.Code != tt.code || e.Field != tt.field || e.Message == "" {
				t.Errorf("error = %+v, want code %q field %q", e, tt.code, tt.field)
			}
		})
	}
}

func TestPaymentStateMachine(t *testing.T) {
	g := startGateway(t, GatewayOptions{Seed: 2})
	c := newClient(t, g, "acct_states")
	p := c.authorize("1000")
	base := "/v1/payments/" + p.ID
	steps := []struct {
		name     string
		method   string
		path     string
		body     string
		status   int
		code     string
		state    string // status of the payment afterwards
		refunded int64
	}{
		{"refund before capture", "POST", base + "/refunds", `{"amount_cents":100}`, 409, "invalid_state", StatusAuthorized, 0},
		{"capture", "POST", base + "/capture", ``, 200, "", StatusCaptured, 0},
		{"capture twice", "POST", base + "/capture", `{}`, 409, "invalid_state", StatusCaptured, 0},
		{"capture with unknown field", "POST", base + "/capture", `{"amount_cents":5}`, 400, "unknown_field", StatusCaptured, 0},
		{"partial refund", "POST", base + "/refunds", `{"amount_cents":300}`, 201, "", StatusCaptured, 300},
		{"refund beyond captured", "POST", base + "/refunds", `{"amount_cents":800}`, 400, "invalid_amount", StatusCaptured, 300},
		{"refund zero", "POST", base + "/refunds", `{"amount_cents":0}`, 400, "invalid_amount", StatusCaptured, 300},
		{"refund the rest", "POST", base + "/refunds", ``, 201, "", StatusRefunded, 1000},
		{"refund after full refund", "POST", base + "/refunds", `{"amount_cents":1}`, 409, "invalid_state", StatusRefunded, 1000},
		{"unknown payment", "GET", "/v1/payments/pay_0000000000000000", ``, 404, "not_found", StatusRefunded, 1000},
		{"capture unknown payment", "POST", "/v1/payments/pay_0000000000000000/capture", ``, 404, "not_found", StatusRefunded, 1000},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			r := c.do(s.method, s.path, "", s.body)
			if r.status != s.status {
				t.Fatalf("status = %d, want %d (body %s)", r.status, s.status, r.body)
			}
			if s.code != "" {
				if e := r.apiError(t); e.Code != s.code {
					t.Errorf("code = %q, want %q", e.Code, s.code)
				}
			}
			var got Payment
			c.do("GET", base, "", "").into(t, &got)
			if got.Status != s.state || got.RefundedCents != s.refunded {
				t.Errorf("payment = %+v, want status %q refunded %d", got, s.state, s.refunded)
			}
		})
	}
	var got Payment
	c.do("GET", base, "", "").into(t, &got)
	if got.CapturedCents != 1000 || len(got.Refunds) != 2 || got.Refunds[0].AmountCents != 300 || got.Refunds[1].AmountCents != 700 {
		t.Errorf("final payment = %+v", got)
	}
}

func TestAccounts(t *testing.T) {
	g := startGateway(t, GatewayOptions{Seed: 3})
	alice, bob := newClient(t, g, "alice"), newClient(t, g, "bob-2_x")
	p := alice.authorize("500")
	for _, path := range []string{"/v1/payments/" + p.ID, "/v1/payments/" + p.ID + "/capture"} {
		method := map[bool]string{true: "GET", false: "POST"}[!strings.HasSuffix(path, "capture")]
		if r := bob.do(method, path, "", ""); r.status != http.StatusNotFound {
			t.Errorf("bob %s %s: status %d, want 404", method, path, r.status)
		}
	}
	if r := alice.do("GET", "/v1/payments/"+p.ID, "", ""); r.status != http.StatusOK {
		t.Errorf("alice GET: status %d", r.status)
	}
	for _, token := range []string{"", "has space", "bad/slash", strings.Repeat("a", 65), "é"} {
		c := newClient(t, g, token)
		r := c.do("GET", "/v1/payments/"+p.ID, "", "")
		if e := r.apiError(t); r.status != http.StatusUnauthorized || e.Code != "unauthorized" || e.Field != "Authorization" {
			t.Errorf("token %q: status %d, error %+v", token, r.status, e)
		}
	}
}

func TestRoutes(t *testing.T) {
	g := startGateway(t, GatewayOptions{})
	c := newClient(t, g, "routes")
	tests := []struct {
		method, path string
		status       int
		code         string
	}{
		{"GET", "/v1/nothing", 404, "not_found"},
		{"DELETE", "/v1/payments", 405, "method_not_allowed"},
		{"GET", "/v1/payments/x/capture", 405, "method_not_allowed"},
		{"POST", "/v1/faults", 405, "method_not_allowed"},
	}
	for _, tt := range tests {
		r := c.do(tt.method, tt.path, "", "")
		if e := r.apiError(t); r.status != tt.status || e.Code != tt.code {
			t.Errorf("%s %s: status %d, error %+v", tt.method, tt.path, r.status, e)
		}
	}
	big := `{"description":"` + strings.Repeat("x", maxBody) + `"}`
	if r := c.do("POST", "/v1/payments", "", big); r.status != http.StatusRequestEntityTooLarge || r.apiError(t).Code != "body_too_large" {
		t.Errorf("oversized body: status %d, body %s", r.status, r.body)
	}
}

func TestLuhn(t *testing.T) {
	for _, tt := range []struct {
		s    string
		want bool
	}{{CardSuccess, true}, {CardDeclined, true}, {CardInsufficientFunds, true}, {CardProcessingError, true},
		{"4242424242424241", false}, {"79927398713", false}, {"378282246310005", true}, {"", false}} {
		if got := luhn(tt.s); got != tt.want {
			t.Errorf("luhn(%q) = %v, want %v", tt.s, got, tt.want)
		}
	}
}

func TestListPayments(t *testing.T) {
	g := startGateway(t, GatewayOptions{Seed: 11})
	c := newClient(t, g, "acct_list")
	if r := c.do("GET", "/v1/payments", "", ""); r.status != http.StatusOK || !strings.Contains(string(r.body), `"payments":[]`) {
		t.Fatalf("empty list: %d %s", r.status, r.body)
	}
	var ids []string
	for range MaxPayments + 3 {
		ids = append(ids, c.authorize("100").ID)
	}
	var list PaymentList
	c.do("GET", "/v1/payments?limit=2", "", "").into(t, &list)
	if list.Total != MaxPayments || len(list.Payments) != 2 || list.Payments[0].ID != ids[len(ids)-1] || list.Payments[1].ID != ids[len(ids)-2] {
		t.Errorf("list = total %d, %d payments; want %d, newest first", list.Total, len(list.Payments), MaxPayments)
	}
	if r := c.do("GET", "/v1/payments/"+ids[0], "", ""); r.status != http.StatusNotFound {
		t.Errorf("the oldest payment past the cap: status %d, want 404", r.status)
	}
	for _, bad := range []string{"0", "51", "x"} {
		if r := c.do("GET", "/v1/payments?limit="+bad, "", ""); r.status != http.StatusBadRequest || r.apiError(t).Field != "limit" {
			t.Errorf("limit=%s: status %d", bad, r.status)
		}
	}
}

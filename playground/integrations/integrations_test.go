package integrations

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/engineroom/engineroom/playground/outbound"
	"github.com/engineroom/engineroom/playground/upstream"
)

func TestCustomerRef(t *testing.T) {
	a := New(Options{WebhookSecret: []byte("whsec_a")})
	b := New(Options{WebhookSecret: []byte("whsec_b")})
	keyed := New(Options{WebhookSecret: []byte("whsec_a"), RefKey: []byte("refs")})
	shape := regexp.MustCompile(`^cus_[0-9a-f]{16}$`)
	tests := []struct {
		name       string
		x, y       string
		same       bool
		notVisitor bool
	}{
		{name: "stable", x: a.CustomerRef("uma"), y: a.CustomerRef("uma"), same: true},
		{name: "per visitor", x: a.CustomerRef("uma"), y: a.CustomerRef("vic")},
		{name: "keyed by the webhook secret by default", x: a.CustomerRef("uma"), y: b.CustomerRef("uma")},
		{name: "keyed by RefKey when set", x: a.CustomerRef("uma"), y: keyed.CustomerRef("uma")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !shape.MatchString(tt.x) || !shape.MatchString(tt.y) {
				t.Errorf("references %q and %q, want cus_ and 16 hex digits", tt.x, tt.y)
			}
			if (tt.x == tt.y) != tt.same {
				t.Errorf("references %q and %q: same %t, want %t", tt.x, tt.y, tt.x == tt.y, tt.same)
			}
		})
	}
}

// TestNewDefaults uses an App with every option left out but the URLs.
func TestNewDefaults(t *testing.T) {
	s, err := upstream.Start(upstream.Options{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	app := New(Options{GatewayURL: s.Gateway.URL(), MailerURL: s.Mailer.URL(), ReservationsURL: s.Reservations.URL()})
	p, err := app.Charge(context.Background(), "wes", ChargeRequest{Card: upstream.CardSuccess, AmountCents: 10})
	if err != nil || p.Status != upstream.StatusCaptured || p.Metadata["customer"] != app.CustomerRef("wes") {
		t.Errorf("Charge = %+v, %v", p, err)
	}
	if got, err := app.SetFaults(context.Background(), "wes", EmailService, Faults{JitterMS: 5}); err != nil || got.JitterMS != 5 {
		t.Errorf("SetFaults = %+v, %v", got, err)
	}
	if app.hooks.log.max != 10_000 || app.faults.max != 10_000 {
		t.Errorf("MaxVisitors = %d and %d, want 10,000", app.hooks.log.max, app.faults.max)
	}
	if d := time.Since(app.hooks.now()); d < 0 || d > time.Minute {
		t.Errorf("the receiver's clock is %s off", d)
	}
}

func TestExplain(t *testing.T) {
	rejected := func(body string) *outbound.Error {
		return &outbound.Error{Service: PaymentsService, Kind: outbound.KindRejected, Status: 409, Attempts: 1,
			Reply: &outbound.Reply{Status: 409, Body: []byte(body)}}
	}
	const refused = ". Nothing was done; trying the same again will not help."
	tests := []struct {
		name       string
		service    string
		err        error
		idempotent bool
		want       Outcome
	}{
		{
			name: "not an outbound error", service: PaymentsService, err: errors.New("bad URL"),
			want: Outcome{Title: "Something went wrong", Message: "The request could not be sent. Nothing was changed."},
		},
		{
			name: "rejected, wrapped", service: ReservationsService,
			err:  fmt.Errorf("booking: %w", rejected(`{"error":{"code":"sold_out","message":"no seats left"}}`)),
			want: Outcome{Title: "Refused by the reservation system", Message: "No seats left" + refused, Safe: true},
		},
		{
			name: "rejected, message already capitalised", service: PaymentsService,
			err:  rejected(`{"error":{"code":"invalid_state","message":"Only an authorized payment can be captured"}}`),
			want: Outcome{Title: "Refused by the payment gateway", Message: "Only an authorized payment can be captured" + refused, Safe: true},
		},
		{
			name: "rejected, no body", service: EmailService, err: rejected(``),
			want: Outcome{Title: "Refused by the email service", Message: "The request was refused" + refused, Safe: true},
		},
		{
			name: "rejected, not JSON", service: PaymentsService, err: rejected(`<html>`),
			want: Outcome{Title: "Refused by the payment gateway", Message: "The request was refused" + refused, Safe: true},
		},
		{
			name: "unavailable, unknown service", service: "weather", idempotent: true,
			err: &outbound.Error{Kind: outbound.KindUnavailable, Status: 502, RetryAfter: 3 * time.Second},
			want: Outcome{Title: "The weather is having trouble",
				Message: "It answered with an error. It is safe to try again: the request carries an Idempotency-Key, so the weather does the work at most once.",
				Safe:    true, RetryAfter: 3 * time.Second},
		},
		{
			name: "timeout", service: EmailService, err: &outbound.Error{Kind: outbound.KindTimeout},
			want: Outcome{Title: "The email service did not answer in time", Message: unknownMsg},
		},
		{
			name: "malformed", service: ReservationsService, err: &outbound.Error{Kind: outbound.KindMalformed}, idempotent: true,
			want: Outcome{Title: "The reservation system sent an answer we cannot read",
				Message: "It is safe to try again: the request carries an Idempotency-Key, so the reservation system does the work at most once.",
				Safe:    true},
		},
		{
			name: "breaker open", service: EmailService,
			err: &outbound.Error{Kind: outbound.KindBreakerOpen, RetryAfter: 7 * time.Second},
			want: Outcome{Title: "The email service is paused",
				Message: "It failed several times in a row, so the app stopped calling it for a moment (the circuit breaker is open). " +
					"Nothing was sent; your data is kept.", Safe: true, RetryAfter: 7 * time.Second},
		},
		{
			name: "canceled", service: PaymentsService, err: &outbound.Error{Kind: outbound.KindCanceled},
			want: Outcome{Title: "Cancelled", Message: "The request was cancelled before an answer came back. " + unknownMsg},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Explain(tt.service, tt.err, tt.idempotent); got != tt.want {
				t.Errorf("Explain = %+v\nwant      %+v", got, tt.want)
			}
		})
	}
}

func TestProblemOf(t *testing.T) {
	tests := []struct {
		name                 string
		err                  error
		code, message, field string
	}{
		{name: "nil"},
		{name: "not an outbound error", err: errors.New("boom")},
		{name: "no reply", err: &outbound.Error{Kind: outbound.KindTimeout}},
		{name: "not JSON", err: &outbound.Error{Reply: &outbound.Reply{Body: []byte("oops")}}},
		{
			name: "a problem", err: &outbound.Error{Reply: &outbound.Reply{Body: []byte(
				`{"error":{"code":"invalid_amount","message":"too much","field":"amount_cents"}}`)}},
			code: "invalid_amount", message: "too much", field: "amount_cents",
		},
		{
			name: "wrapped", err: fmt.Errorf("integrations: switching faults: %w", &outbound.Error{Reply: &outbound.Reply{
				Body: []byte(`{"error":{"code":"unauthorized","message":"send a key","field":"Authorization"}}`)}}),
			code: "unauthorized", message: "send a key", field: "Authorization",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, message, field := ProblemOf(tt.err)
			if code != tt.code || message != tt.message || field != tt.field {
				t.Errorf("ProblemOf = %q, %q, %q; want %q, %q, %q", code, message, field, tt.code, tt.message, tt.field)
			}
		})
	}
}

func TestMaxVisitors(t *testing.T) {
	secret := []byte("whsec_lru")
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	app := New(Options{WebhookSecret: secret, Now: func() time.Time { return now }, MaxVisitors: 2})
	deliver := func(visitor string) {
		t.Helper()
		b := event(t, "evt_"+visitor+strconv.Itoa(len(app.Deliveries(visitor))), app.CustomerRef(visitor), now)
		if _, err := app.Webhooks().Receive(b, upstream.Sign(secret, b, now)); err != nil {
			t.Fatal(err)
		}
	}
	// a, b, then a again (most recent), then c: b is dropped.
	for _, v := range []string{"a", "b", "a", "c"} {
		deliver(v)
	}
	for v, want := range map[string]int{"a": 2, "b": 0, "c": 1} {
		if got := len(app.Deliveries(v)); got != want {
			t.Errorf("visitor %s: %d deliveries kept, want %d", v, got, want)
		}
	}
}

func TestVisitorMap(t *testing.T) {
	tests := []struct {
		name    string
		max     int
		updates []string
		kept    map[string]int // visitor → how often updated, for those kept
	}{
		{"under the cap", 3, []string{"a", "b"}, map[string]int{"a": 1, "b": 1}},
		{"oldest dropped", 2, []string{"a", "b", "c"}, map[string]int{"b": 1, "c": 1}},
		{"an update refreshes", 2, []string{"a", "b", "a", "c"}, map[string]int{"a": 2, "c": 1}},
		{"the empty visitor is dropped when oldest", 2, []string{"", "a", "b"}, map[string]int{"a": 1, "b": 1}},
		{"the empty visitor is kept when newest", 2, []string{"a", "b", ""}, map[string]int{"b": 1, "": 1}},
		{"cap of one", 1, []string{"a", "b", "b"}, map[string]int{"b": 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Map iteration order varies: repeat to catch an eviction
			// that depends on it.
			for range 50 {
				m := newVisitorMap[int](tt.max)
				for _, v := range tt.updates {
					m.update(v, func(n int) int { return n + 1 })
				}
				if len(m.items) != len(tt.kept) {
					t.Fatalf("%d visitors kept, want %d", len(m.items), len(tt.kept))
				}
				for v, want := range tt.kept {
					var got int
					m.get(v, func(n int) { got = n })
					if got != want {
						t.Fatalf("visitor %q = %d, want %d (kept %v)", v, got, want, m.items)
					}
				}
			}
		})
	}
}

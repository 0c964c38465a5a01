package outbound

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestErrorMessages(t *testing.T) {
	tests := []struct {
		err  *Error
		want string
	}{
		{&Error{Service: "payments", Kind: KindTimeout, Attempts: 3, Err: context.DeadlineExceeded},
			"outbound: calling payments: timed out after 3 attempts: context deadline exceeded"},
		{&Error{Service: "payments", Kind: KindUnavailable, Attempts: 1, Status: 503},
			"outbound: calling payments: unavailable (HTTP 503)"},
		{&Error{Service: "payments", Kind: KindRejected, Attempts: 1, Status: 402},
			"outbound: calling payments: rejected (HTTP 402)"},
		{&Error{Service: "payments", Kind: KindMalformed, Attempts: 1, Status: 200, Err: errors.New("decoding the reply: EOF")},
			"outbound: calling payments: malformed reply (HTTP 200): decoding the reply: EOF"},
		{&Error{Service: "payments", Kind: KindCanceled, Attempts: 2, Err: context.Canceled},
			"outbound: calling payments: canceled after 2 attempts: context canceled"},
		{&Error{Service: "payments", Kind: KindBreakerOpen, RetryAfter: 9500 * time.Millisecond},
			"outbound: calling payments: circuit breaker open, next try in 9.5s"},
		{&Error{Service: "payments", Kind: Kind(42), Attempts: 1},
			"outbound: calling payments: kind(42)"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestNames(t *testing.T) {
	kinds := map[Kind]string{KindTimeout: "timeout", KindUnavailable: "unavailable", KindBreakerOpen: "breaker_open",
		KindRejected: "rejected", KindMalformed: "malformed", KindCanceled: "canceled", 0: "kind(0)"}
	for k, want := range kinds {
		if k.String() != want {
			t.Errorf("Kind(%d) = %q, want %q", int(k), k.String(), want)
		}
	}
	modes := map[Mode]string{Closed: "closed", HalfOpen: "half-open", Open: "open", 7: "unknown"}
	for m, want := range modes {
		if m.String() != want {
			t.Errorf("Mode(%d) = %q, want %q", int(m), m.String(), want)
		}
	}
}

func TestDecodeJSON(t *testing.T) {
	var v struct{ ID string }
	if err := DecodeJSON(&Reply{Status: 200, Body: []byte(`{"ID":"pay_1","extra":true}`)}, &v); err != nil || v.ID != "pay_1" {
		t.Errorf("DecodeJSON = %v, %+v", err, v)
	}
	r := &Reply{Status: 201, Body: []byte(`{"ID":`), Attempts: 2, service: "payments"}
	err := DecodeJSON(r, &v)
	e := asError(t, err)
	if e.Kind != KindMalformed || e.Service != "payments" || e.Status != 201 || e.Attempts != 2 || e.Reply != r ||
		!strings.Contains(err.Error(), "malformed reply (HTTP 201) after 2 attempts: decoding the reply: unexpected end of JSON input") {
		t.Errorf("DecodeJSON = %+v (%v)", e, err)
	}
	if err := DecodeJSON(nil, &v); err == nil || errors.As(err, &e) {
		t.Errorf("DecodeJSON(nil) = %v", err)
	}
}

func TestDecodeJSONOfARejection(t *testing.T) {
	srv, _ := serve(t, step{status: 402, body: `{"error":{"code":"card_declined"}}`})
	c := newTestClient(t, Options{})
	_, err := c.Do(context.Background(), Call{Service: "payments", URL: srv.URL})
	var body struct {
		Error struct{ Code string }
	}
	if err := DecodeJSON(asError(t, err).Reply, &body); err != nil || body.Error.Code != "card_declined" {
		t.Errorf("DecodeJSON = %v, %+v", err, body)
	}
}

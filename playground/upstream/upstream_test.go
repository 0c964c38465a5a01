package upstream

import (
	"fmt"
	"testing"
	"time"
)

func TestStart(t *testing.T) {
	clock := newClock()
	s, err := Start(Options{Seed: 31, Now: clock.Now,
		Mailer:       MailerOptions{Seed: 32},
		Reservations: ReservationOptions{HoldTTL: time.Minute}})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })

	pay := newClient(t, s.Gateway, "visitor").authorize("100")
	if pay.Created != clock.Now().Unix() {
		t.Errorf("gateway clock: payment created %d, want %d", pay.Created, clock.Now().Unix())
	}

	var msg Message
	newClient(t, s.Mailer, "visitor").do("POST", "/v1/messages", "", mail).into(t, &msg)
	var want Message
	newClient(t, startMailer(t, MailerOptions{Seed: 32}), "visitor").do("POST", "/v1/messages", "", mail).into(t, &want)
	if msg.ID != want.ID || msg.Created != clock.Now().Unix() {
		t.Errorf("mailer: message %+v, want id %s (its own seed) created %d (the shared clock)", msg, want.ID, clock.Now().Unix())
	}

	res := newClient(t, s.Reservations, "visitor")
	id := 1
	for initialSeats(31, id) == 0 {
		id++
	}
	h := res.hold(id, 1)
	if h.ExpiresAt != clock.Now().Add(time.Minute).Unix() {
		t.Errorf("reservations: hold %+v, want it to expire in a minute on the shared clock", h)
	}
	if n := res.seatsOf(id); n != initialSeats(31, id)-1 {
		t.Errorf("reservations: %d seats left, want %d (the shared seed)", n, initialSeats(31, id)-1)
	}

	urls := map[string]bool{s.Gateway.URL(): true, s.Mailer.URL(): true, s.Reservations.URL(): true}
	if len(urls) != 3 {
		t.Errorf("the services share a port: %v", urls)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	for u := range urls {
		c := newClient(t, urlOnly(u), "visitor")
		if _, err := c.try("GET", "/v1/faults", "", ""); err == nil {
			t.Errorf("%s still answers after Close", u)
		}
	}
}

func TestServicesClosePartial(t *testing.T) {
	tests := []struct {
		name string
		s    *Services
	}{
		{"none started", &Services{}},
		{"only the gateway", &Services{Gateway: startGateway(t, GatewayOptions{})}},
		{"gateway and mailer", &Services{Gateway: startGateway(t, GatewayOptions{}), Mailer: startMailer(t, MailerOptions{})}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
}

// urlOnly is a server known only by its URL.
type urlOnly string

func (u urlOnly) URL() string  { return string(u) }
func (u urlOnly) Close() error { return fmt.Errorf("not closable") }

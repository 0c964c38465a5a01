// Package upstream simulates the third-party services the demo
// applications call over HTTP, each a real server on its own loopback
// port:
//
//   - a payment gateway (StartGateway) that authorizes, captures and
//     refunds payments and reports captures and refunds as signed
//     webhooks;
//   - an email service (StartMailer) whose sent messages land in the
//     sending account's own mailbox, read back over HTTP;
//   - a flight reservation system (StartReservations) that holds seats
//     for a while, then confirms or releases them.
//
// Start runs all three. They share their manners: a small JSON API under
// /v1, errors shaped {"error":{"code","message","field"}}, strict JSON
// decoding, Idempotency-Key on POSTs, accounts (bearer tokens) kept
// apart and bounded in number, and per-account fault switches at
// /v1/faults (latency, errors, hangs, malformed responses). Given the
// same Seed, clock and requests, a service answers the same way: ids,
// seat counts and fault decisions come from seeded sources.
package upstream

import (
	"errors"
	"time"
)

// Options configures Start. Seed and Now apply to every service whose
// own options leave them zero.
type Options struct {
	// Seed seeds every service's random decisions.
	Seed uint64
	// Now is every service's clock. Default time.Now.
	Now func() time.Time
	// Gateway, Mailer and Reservations configure each service.
	Gateway      GatewayOptions
	Mailer       MailerOptions
	Reservations ReservationOptions
}

// Services are the three simulated services, started together.
type Services struct {
	Gateway      *Gateway
	Mailer       *Mailer
	Reservations *Reservations
}

// Start starts the gateway, the mailer and the reservation system. When
// one fails to start, those already started are closed.
func Start(opts Options) (*Services, error) {
	inherit := func(seed *uint64, now *func() time.Time) {
		if *seed == 0 {
			*seed = opts.Seed
		}
		if *now == nil {
			*now = opts.Now
		}
	}
	inherit(&opts.Gateway.Seed, &opts.Gateway.Now)
	inherit(&opts.Mailer.Seed, &opts.Mailer.Now)
	inherit(&opts.Reservations.Seed, &opts.Reservations.Now)

	s := &Services{}
	var err error
	if s.Gateway, err = StartGateway(opts.Gateway); err != nil {
		return nil, errors.Join(err, s.Close())
	}
	if s.Mailer, err = StartMailer(opts.Mailer); err != nil {
		return nil, errors.Join(err, s.Close())
	}
	if s.Reservations, err = StartReservations(opts.Reservations); err != nil {
		return nil, errors.Join(err, s.Close())
	}
	return s, nil
}

// Close closes every service that was started and reports their errors
// together. It is safe to call more than once.
func (s *Services) Close() error {
	var errs []error
	if s.Reservations != nil {
		errs = append(errs, s.Reservations.Close())
	}
	if s.Mailer != nil {
		errs = append(errs, s.Mailer.Close())
	}
	if s.Gateway != nil {
		errs = append(errs, s.Gateway.Close())
	}
	return errors.Join(errs...)
}

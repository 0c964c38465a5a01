package integrations

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/engineroom/engineroom/playground/outbound"
	"github.com/engineroom/engineroom/playground/upstream"
)

// Hold is a hold on seats as the reservation system shows it.
type Hold = upstream.Hold

// ReservationPolicy is how the app calls the reservation system: three
// attempts of at most a second each, all within three seconds. Only calls
// that are safe to repeat (GET, DELETE, a POST with an Idempotency-Key)
// get more than one.
var ReservationPolicy = outbound.Policy{Deadline: 3 * time.Second, AttemptTimeout: time.Second, MaxAttempts: 3,
	BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}

// releaseBreaker is the circuit breaker of releases: a compensating
// action must still be tried when the failures it cleans up after have
// opened the reservation system's own breaker.
const releaseBreaker = ReservationsService + " release"

// Availability reads the free seats of a flight at the reservation system,
// as the visitor's account sees them.
func (a *App) Availability(ctx context.Context, visitor string, flightID int64) (int, error) {
	var av upstream.Availability
	_, err := a.call(ctx, visitor, request{
		service: ReservationsService, name: "reservation system: seats available", method: http.MethodGet,
		path: "/v1/flights/" + strconv.FormatInt(flightID, 10) + "/availability", into: &av, policy: ReservationPolicy,
	})
	return av.SeatsAvailable, err
}

// HoldSeats holds seats on a flight for the reservation system's hold
// TTL. key, when set, is the Idempotency-Key: a repeat with the same key
// returns the same hold instead of holding more seats, and replayed says
// so.
func (a *App) HoldSeats(ctx context.Context, visitor string, flightID int64, seats int, key string) (h Hold, replayed bool, err error) {
	reply, err := a.call(ctx, visitor, request{
		service: ReservationsService, name: "reservation system: hold seats", method: http.MethodPost, path: "/v1/holds",
		body: map[string]int64{"flight_id": flightID, "seats": int64(seats)}, key: key, into: &h, policy: ReservationPolicy,
	})
	if err != nil {
		return Hold{}, false, err
	}
	return h, reply.Header.Get("Idempotent-Replayed") == "true", nil
}

// ConfirmHold takes a hold's seats for good. It is sent with the
// Idempotency-Key "confirm-<hold id>", so a repeat after a lost answer
// is answered from the record. A hold that expired fails with status 410.
func (a *App) ConfirmHold(ctx context.Context, visitor, holdID string) (Hold, error) {
	var h Hold
	_, err := a.call(ctx, visitor, request{
		service: ReservationsService, name: "reservation system: confirm hold", method: http.MethodPost,
		path: "/v1/holds/" + holdID + "/confirm", body: struct{}{}, key: "confirm-" + holdID, into: &h, policy: ReservationPolicy,
	})
	return h, err
}

// ReleaseHold gives a hold's seats back. Releasing a released hold
// answers the same; a confirmed hold is refused with 409, an expired one
// with 410.
func (a *App) ReleaseHold(ctx context.Context, visitor, holdID string) (Hold, error) {
	var h Hold
	_, err := a.call(ctx, visitor, request{
		service: ReservationsService, breaker: releaseBreaker, name: "reservation system: release hold",
		method: http.MethodDelete, path: "/v1/holds/" + holdID, into: &h, policy: ReservationPolicy,
	})
	return h, err
}

// ReadHold reads one of the visitor's holds back.
func (a *App) ReadHold(ctx context.Context, visitor, holdID string) (Hold, error) {
	var h Hold
	_, err := a.call(ctx, visitor, request{
		service: ReservationsService, breaker: ReservationsService + " read", name: "reservation system: read hold",
		method: http.MethodGet, path: "/v1/holds/" + holdID, into: &h, policy: controlPolicy,
	})
	return h, err
}

// statusOf is the HTTP status of a failed call's answer, 0 when none came.
func statusOf(err error) int {
	var oe *outbound.Error
	if errors.As(err, &oe) {
		return oe.Status
	}
	return 0
}

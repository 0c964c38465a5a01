package integrations

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"time"

	"github.com/engineroom/engineroom/playground/outbound"
	"github.com/engineroom/engineroom/playground/upstream"
)

// Faults are a visitor's fault switches at one service.
type Faults = upstream.Faults

// controlPolicy is for the fault switches themselves: a quick answer or
// none, never retried into a long wait.
var controlPolicy = outbound.Policy{Deadline: 2 * time.Second, AttemptTimeout: time.Second, MaxAttempts: 2}

// SetFaults switches the visitor's faults at a service (all off with the
// zero Faults) and returns them as the service clamped them.
func (a *App) SetFaults(ctx context.Context, visitor, service string, f Faults) (Faults, error) {
	if _, ok := a.urls[service]; !ok {
		return Faults{}, fmt.Errorf("integrations: no service called %q", service)
	}
	var got Faults
	_, err := a.call(ctx, visitor, request{
		service: service, breaker: service + " faults", name: ServiceTitle(service) + ": set fault switches",
		method: http.MethodPut, path: "/v1/faults", body: f, into: &got, policy: controlPolicy,
	})
	if err != nil {
		return Faults{}, fmt.Errorf("integrations: switching faults: %w", err)
	}
	a.faults.update(visitor, func(m map[string]Faults) map[string]Faults {
		m = maps.Clone(m)
		if m == nil {
			m = map[string]Faults{}
		}
		if got == (Faults{}) {
			delete(m, service)
		} else {
			m[service] = got
		}
		return m
	})
	return got, nil
}

// ActiveFaults are the visitor's fault switches that are on, by service,
// as this app last set them.
func (a *App) ActiveFaults(visitor string) map[string]Faults {
	var out map[string]Faults
	a.faults.get(visitor, func(m map[string]Faults) { out = maps.Clone(m) })
	return out
}

// Describe says in a few words what a service's faults do, e.g.
// "800 ms ± 200 ms added, 30% errors".
func Describe(f Faults) string {
	var parts []string
	switch {
	case f.LatencyMS > 0 && f.JitterMS > 0:
		parts = append(parts, fmt.Sprintf("%d ms ± %d ms added", f.LatencyMS, f.JitterMS))
	case f.LatencyMS > 0:
		parts = append(parts, fmt.Sprintf("%d ms added", f.LatencyMS))
	case f.JitterMS > 0:
		parts = append(parts, fmt.Sprintf("up to %d ms added", f.JitterMS))
	}
	if f.ErrorRate > 0 {
		parts = append(parts, fmt.Sprintf("%.0f%% errors", f.ErrorRate*100))
	}
	if f.Hang {
		parts = append(parts, "hangs")
	}
	if f.Malformed {
		parts = append(parts, "malformed answers")
	}
	if len(parts) == 0 {
		return "off"
	}
	out := parts[0]
	for _, p := range parts[1:] {
		out += ", " + p
	}
	return out
}

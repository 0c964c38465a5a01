package upstream

import (
	"net/http"
	"time"
)

// Bounds of the fault switches; values beyond them are clamped.
const (
	MaxLatencyMS = 5000
	MaxJitterMS  = 2000
)

// Faults are one account's fault switches (PUT and GET /v1/faults), the
// same on every service. They apply to every request of that account
// except those to /v1/faults.
type Faults struct {
	// LatencyMS delays every answer, 0..5000 ms; the work is done first,
	// so a client that gives up waiting may find it done.
	LatencyMS int `json:"latency_ms"`
	// JitterMS adds a random 0..JitterMS ms on top, 0..2000 ms.
	JitterMS int `json:"jitter_ms"`
	// ErrorRate is the share of requests answered 500, 0..1.
	ErrorRate float64 `json:"error_rate"`
	// Hang holds every request until the client gives up.
	Hang bool `json:"hang"`
	// Malformed answers 200 with truncated JSON (the work is still done).
	Malformed bool `json:"malformed"`
}

// clamp brings every switch into its range.
func (f Faults) clamp() Faults {
	f.LatencyMS = min(max(f.LatencyMS, 0), MaxLatencyMS)
	f.JitterMS = min(max(f.JitterMS, 0), MaxJitterMS)
	if !(f.ErrorRate >= 0) { // also NaN
		f.ErrorRate = 0
	}
	f.ErrorRate = min(f.ErrorRate, 1)
	return f
}

// faultPlan is what the faults do to one request.
type faultPlan struct {
	delay     time.Duration
	fail      bool
	hang      bool
	malformed bool
}

// plan draws the faults for one request from the account's source.
func (a *account[S]) plan() faultPlan {
	a.mu.Lock()
	defer a.mu.Unlock()
	f := a.faults
	p := faultPlan{delay: time.Duration(f.LatencyMS) * time.Millisecond, hang: f.Hang, malformed: f.Malformed}
	if f.JitterMS > 0 {
		p.delay += time.Duration(a.rng.IntN(f.JitterMS+1)) * time.Millisecond
	}
	if f.ErrorRate > 0 {
		p.fail = a.rng.Float64() < f.ErrorRate
	}
	return p
}

// getFaults shows the account's active fault switches.
func getFaults[S any](_ *http.Request, a *account[S], _ []byte) response {
	return jsonResponse(http.StatusOK, a.faults)
}

// putFaults replaces the account's fault switches (missing fields mean
// off) and shows them as clamped.
func putFaults[S any](_ *http.Request, a *account[S], body []byte) response {
	var f Faults
	if e := decode(body, &f, false); e != nil {
		return *e
	}
	a.faults = f.clamp()
	return jsonResponse(http.StatusOK, a.faults)
}

package ops

import "sync/atomic"

// Requests counts a server's requests: those in flight now, and those
// answered, by status class. It is safe for concurrent use; the zero
// value is ready.
type Requests struct {
	inFlight atomic.Int64
	served   [6]atomic.Uint64 // by status / 100; 0 holds anything outside 1xx–5xx
}

// Begin counts a request that has arrived.
func (r *Requests) Begin() { r.inFlight.Add(1) }

// End counts a request answered with status.
func (r *Requests) End(status int) {
	r.inFlight.Add(-1)
	class := status / 100
	if class < 1 || class > 5 {
		class = 0
	}
	r.served[class].Add(1)
}

// InFlight is how many requests have arrived and are not answered yet.
func (r *Requests) InFlight() int64 { return r.inFlight.Load() }

// ClassCount is how many answers had a status of one class ("2xx").
type ClassCount struct {
	Class string `json:"class"`
	Count uint64 `json:"count"`
}

// Served lists the answers by status class, 1xx to 5xx, then "other"
// when any status fell outside them.
func (r *Requests) Served() []ClassCount {
	out := make([]ClassCount, 0, 6)
	for c := 1; c <= 5; c++ {
		out = append(out, ClassCount{Class: string(rune('0'+c)) + "xx", Count: r.served[c].Load()})
	}
	if n := r.served[0].Load(); n > 0 {
		out = append(out, ClassCount{Class: "other", Count: n})
	}
	return out
}

// Total is how many requests have been answered.
func (r *Requests) Total() uint64 {
	var n uint64
	for i := range r.served {
		n += r.served[i].Load()
	}
	return n
}

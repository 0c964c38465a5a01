package trace

import (
	"slices"
	"time"
)

// PartJobs is the job queue as a part of the back end. The sequence
// diagram draws a job enqueued as a note on the server's lifeline; Parts
// counts it as a call to the queue.
const PartJobs = "Job queue"

// PartUse is what one part of the back end did in a trace.
type PartUse struct {
	// Part is a participant as Sequence names it, or PartJobs.
	Part string
	// Calls are the messages the part received, in order: the browser's
	// requests (to the server), statements, cache commands, calls to a
	// service, jobs enqueued. The browser receives none: it only sends.
	Calls []Message
	// Answers are the part's answers to those calls, in order.
	Answers []Message
	// Hits and Misses count the cache's lookups that found their key and
	// those that did not (the cache.hit attribute of its spans).
	Hits, Misses int
}

// Time is how long the part's finished calls took together.
func (p PartUse) Time() time.Duration {
	var d time.Duration
	for _, m := range p.Calls {
		d += m.Duration
	}
	return d
}

// Errors counts the part's calls that failed.
func (p PartUse) Errors() int {
	n := 0
	for _, m := range p.Calls {
		if m.Error {
			n++
		}
	}
	return n
}

// Parts sums a trace up by part of the back end, from the same messages
// its sequence diagram draws, so the two never disagree about which span
// touched what. Parts come in the diagram's order, the job queue right
// after the server; a part the trace did not touch is left out. Like the
// diagram it reads at most MaxMessages messages.
func Parts(spans []Span) []PartUse {
	d := Sequence(spans)
	order := slices.Clone(d.Participants)
	uses := make(map[string]*PartUse, len(order)+1)
	use := func(part string) *PartUse {
		if u, ok := uses[part]; ok {
			return u
		}
		u := &PartUse{Part: part}
		uses[part] = u
		return u
	}
	for _, p := range order {
		use(p)
	}
	for _, m := range d.Messages {
		switch {
		case m.Note && m.Kind == MsgJob:
			u := use(PartJobs)
			u.Calls = append(u.Calls, m)
		case m.Note:
			// A wait or a summary of messages left out: no part's work.
		case m.Return:
			u := use(m.From)
			u.Answers = append(u.Answers, m)
		default:
			u := use(m.To)
			u.Calls = append(u.Calls, m)
		}
	}
	if _, ok := uses[PartJobs]; ok {
		at := slices.Index(order, PartServer) + 1
		order = slices.Insert(order, at, PartJobs)
	}
	if c, ok := uses[PartCache]; ok {
		for _, s := range spans {
			if s.Kind != KindCache {
				continue
			}
			switch hit, _ := s.Attr("cache.hit"); hit {
			case "true":
				c.Hits++
			case "false":
				c.Misses++
			}
		}
	}
	out := make([]PartUse, 0, len(order))
	for _, p := range order {
		out = append(out, *uses[p])
	}
	return out
}

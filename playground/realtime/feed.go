package realtime

import (
	"context"
	"sync"
	"time"
)

// Change is one status change of the flight, as the feed publishes it.
type Change struct {
	// Seq is the feed's version after this change: 1, 2, 3, ...
	Seq     int    `json:"seq"`
	Status  string `json:"status"`
	Gate    string `json:"gate"`
	Departs string `json:"departs"`
	// Note says what changed, in a few words.
	Note string `json:"note"`
	// Final marks the last change: the flight has gone.
	Final bool `json:"final,omitempty"`
	// Published is when the feed published it.
	Published time.Time `json:"published"`
}

// step is one line of the script: a change and when it happens, in
// Options.Step units from the feed's start.
type step struct {
	at     int
	change Change
}

// Flight is the flight every feed follows.
const Flight = "ER181 London Heathrow → New York JFK"

// initial is the board before the first change (version 0).
func initial() Change {
	return Change{Status: "On time", Gate: "—", Departs: "10:35", Note: "Gate to be announced"}
}

// script is the fixed sequence every feed plays: the same changes, at
// the same moments, for every run. The quiet gap before boarding is
// longer than a long poll's timeout.
func script() []step {
	return []step{
		{3, Change{Status: "On time", Gate: "B32", Departs: "10:35", Note: "Gate B32 assigned"}},
		{6, Change{Status: "On time", Gate: "C7", Departs: "10:35", Note: "Gate change: B32 → C7"}},
		{9, Change{Status: "Delayed", Gate: "C7", Departs: "10:55", Note: "Delayed 20 min"}},
		{23, Change{Status: "Boarding", Gate: "C7", Departs: "10:55", Note: "Boarding at C7"}},
		{26, Change{Status: "Final call", Gate: "C7", Departs: "10:55", Note: "Final call"}},
		{29, Change{Status: "Departed", Gate: "C7", Departs: "10:58", Note: "Departed 10:58", Final: true}},
	}
}

// Changes is how many changes a feed publishes.
func Changes() int { return len(script()) }

// feed is one run's flight board: it publishes the script on timers and
// lets readers wait for a version newer than the one they have.
type feed struct {
	id    string
	now   func() time.Time
	start time.Time

	mu      sync.Mutex
	changes []Change      // published so far, in order
	news    chan struct{} // closed and replaced at each publish
	ended   chan struct{} // closed after the last change has lingered
	timers  []*time.Timer
}

// newFeed starts a feed: each change of the script is published at its
// moment, and the feed ends linger after the last one.
func newFeed(id string, opts Options) *feed {
	f := &feed{id: id, now: opts.Now, start: opts.Now(), news: make(chan struct{}), ended: make(chan struct{})}
	f.mu.Lock()
	defer f.mu.Unlock()
	steps := script()
	for i, s := range steps {
		c := s.change
		c.Seq = i + 1
		f.timers = append(f.timers, time.AfterFunc(time.Duration(s.at)*opts.Step, func() { f.publish(c) }))
	}
	last := time.Duration(steps[len(steps)-1].at)*opts.Step + opts.Linger
	f.timers = append(f.timers, time.AfterFunc(last, f.end))
	return f
}

func (f *feed) publish(c Change) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c.Published = f.now()
	f.changes = append(f.changes, c)
	close(f.news)
	f.news = make(chan struct{})
}

func (f *feed) end() {
	f.mu.Lock()
	defer f.mu.Unlock()
	select {
	case <-f.ended:
	default:
		close(f.ended)
	}
}

// stop cancels the timers still pending and ends the feed.
func (f *feed) stop() {
	f.mu.Lock()
	for _, t := range f.timers {
		t.Stop()
	}
	f.mu.Unlock()
	f.end()
}

// current returns the board as it stands: the latest change, or the
// initial board at version 0.
func (f *feed) current() Change {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.changes) == 0 {
		c := initial()
		c.Published = f.start
		return c
	}
	return f.changes[len(f.changes)-1]
}

// publishedSoFar returns the changes published so far.
func (f *feed) publishedSoFar() []Change {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Change(nil), f.changes...)
}

// since returns the changes newer than version after, and a channel
// closed at the next publish.
func (f *feed) since(after int) ([]Change, <-chan struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	after = max(after, 0)
	if after >= len(f.changes) {
		return nil, f.news
	}
	return append([]Change(nil), f.changes[after:]...), f.news
}

// wait returns the changes newer than after as soon as there are any,
// or nil when timeout passes, the feed ends or ctx is done.
func (f *feed) wait(ctx context.Context, after int, timeout time.Duration) []Change {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		cs, news := f.since(after)
		if len(cs) > 0 {
			return cs
		}
		select {
		case <-news:
		case <-t.C:
			return nil
		case <-f.ended:
			cs, _ := f.since(after)
			return cs
		case <-ctx.Done():
			return nil
		}
	}
}

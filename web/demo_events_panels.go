package web

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/engineroom/engineroom/playground/events"
	"github.com/engineroom/engineroom/playground/jobs"
	"github.com/engineroom/engineroom/web/view"
)

// eventFaultLabels names the faults as the panels offer them.
var eventFaultLabels = map[events.Fault]string{events.Flaky: faultFlaky, events.AlwaysFails: faultAlways, events.CrashBeforeAck: faultCrash}

// eventConsumerName is a consumer as the panels name it.
func eventConsumerName(c events.Consumer) string {
	switch c {
	case events.Miles:
		return "miles (idempotent)"
	case events.MilesNaive:
		return "miles (naive)"
	}
	return string(c)
}

// eventsView turns an event's progress into the panel's view.
func eventsView(r events.Run, dead []events.Delivery, demoID string, now time.Time) view.EventsOutput {
	id := strconv.FormatInt(r.EventID, 10)
	o := view.EventsOutput{EventID: id, Booking: r.Booking.Ref, Email: r.Booking.Email, Miles: events.Thousands(r.Booking.Miles),
		URL: "/event-runs/" + id + "?demo=" + demoID, ShowDead: demoID == "event-retries"}
	if !r.Done {
		o.Trigger = eventsPoll
	}
	done := 0
	for _, d := range r.Deliveries {
		c := view.EventConsumer{Name: eventConsumerName(d.Consumer), JobID: strconv.FormatInt(d.JobID, 10),
			MaxAttempts: d.MaxAttempts, Fault: eventFaultLabels[d.Fault]}
		if d.ReplayOf != 0 {
			c.Replay, c.Fault = strconv.FormatInt(d.ReplayOf, 10), ""
		}
		failed := false
		for _, a := range d.Attempts {
			row := view.EventAttempt{N: a.N, At: fmt.Sprintf("+%d ms", a.Start.Sub(r.PublishedAt).Milliseconds()),
				Outcome: a.Outcome, Detail: shortenRunes(a.Detail, 200), TraceID: a.TraceID}
			if a.N > 1 && a.Wait > 0 {
				row.Waited = fmt.Sprintf("%d ms", a.Wait.Milliseconds())
			}
			if !a.End.IsZero() {
				row.Took = fmt.Sprintf("%d ms", a.End.Sub(a.Start).Milliseconds())
			}
			failed = failed || a.Outcome == events.OutcomeFailed || a.Outcome == events.OutcomeCrashed
			c.Attempts = append(c.Attempts, row)
		}
		switch {
		case d.State == jobs.StateCompleted:
			c.State, c.Level = "done", "ok"
			done++
		case d.State == jobs.StateDiscarded:
			c.State, c.Level = "dead letter: out of attempts", "error"
			done++
		case d.State == jobs.StateRunning:
			c.State = "running"
		case failed:
			c.State, c.Level = "waiting to retry", "warn"
			if wait := d.NextRunAt.Sub(now); wait > 0 {
				c.Next = fmt.Sprintf("Next attempt in %d ms.", wait.Milliseconds())
			} else {
				c.Next = "Next attempt due now: a worker picks it up within 100 ms."
			}
		default:
			c.State = "queued"
		}
		o.Consumers = append(o.Consumers, c)
	}
	for _, d := range dead {
		msg := ""
		if n := len(d.Attempts); n > 0 {
			msg = d.Attempts[n-1].Detail
		}
		o.Dead = append(o.Dead, view.EventDead{JobID: strconv.FormatInt(d.JobID, 10), Consumer: string(d.Consumer),
			Event: strconv.FormatInt(d.EventID, 10), Attempts: len(d.Attempts), Error: shortenRunes(msg, 200)})
	}
	if demoID == "event-idempotency" {
		o.Balances = eventBalances(r)
	}
	o.Arrived = eventArrivals(r)
	o.Summary, o.Level = eventSummary(r, o, demoID, done)
	return o
}

// eventArrivals says what reached the customer so far, consumer by
// consumer, as the customer would notice it.
func eventArrivals(r events.Run) []string {
	var out []string
	for _, d := range r.Deliveries {
		if d.ReplayOf != 0 {
			continue
		}
		worked := d.State == jobs.StateCompleted
		for _, a := range d.Attempts {
			worked = worked || a.Outcome == events.OutcomeCrashed
		}
		if !worked {
			for _, x := range r.Deliveries {
				worked = worked || (x.ReplayOf == d.JobID && x.State == jobs.StateCompleted)
			}
		}
		wait := "not yet"
		if d.Dead() {
			wait = "not yet: its job is a dead letter"
		}
		switch d.Consumer {
		case events.Email:
			if worked {
				wait = "“Booking " + r.Booking.Ref + " confirmed” is in " + r.Booking.Email + "'s inbox"
			}
			out = append(out, "Email: "+wait)
		case events.Miles, events.MilesNaive:
			b := r.Balances[0]
			label := "Miles"
			switch {
			case d.Consumer == events.MilesNaive:
				b, label = r.Balances[1], "Miles (naive account)"
			case len(r.Deliveries) > 0 && r.Deliveries[len(r.Deliveries)-1].Consumer == events.MilesNaive:
				label = "Miles (idempotent account)"
			}
			out = append(out, fmt.Sprintf("%s: %s (was %s)", label, events.Thousands(b.After), events.Thousands(b.Before)))
		case events.Analytics:
			if worked {
				wait = "the booking is counted in today's report"
			}
			out = append(out, "Analytics: "+wait)
		}
	}
	return out
}

// eventBalances compares the two miles accounts.
func eventBalances(r events.Run) []view.EventBalance {
	var out []view.EventBalance
	for _, b := range r.Balances {
		credited := b.After - b.Before
		times := credited / max(r.Booking.Miles, 1)
		words := map[int]string{0: "not yet", 1: "once", 2: "twice"}[times]
		if words == "" {
			words = strconv.Itoa(times) + " times"
		}
		name := "miles (idempotent)"
		if b.Account == events.AccountNaive {
			name = "miles (naive)"
		}
		out = append(out, view.EventBalance{Account: name, Before: events.Thousands(b.Before), After: events.Thousands(b.After),
			Credits: fmt.Sprintf("%s (+%s)", words, events.Thousands(credited)), Wrong: times > 1})
	}
	return out
}

// eventSummary says in a sentence or two what the run showed so far:
// the deliveries worth a look first, then the rest in one sentence.
func eventSummary(r events.Run, o view.EventsOutput, demoID string, done int) (string, string) {
	if !r.Done {
		return fmt.Sprintf("Delivering: %d of %d jobs finished so far. This box reloads itself until they all are.", done, len(r.Deliveries)), ""
	}
	if demoID == "event-idempotency" {
		return idempotencySummary(o)
	}
	var notes []string
	plain, lastMS := 0, int64(0)
	level := "ok"
	for _, d := range r.Deliveries {
		n := len(d.Attempts)
		if n == 0 {
			continue
		}
		last := d.Attempts[n-1]
		name := eventConsumerName(d.Consumer)
		switch {
		case d.ReplayOf != 0:
			notes = append(notes, fmt.Sprintf("Dead letter #%d (%s) was replayed and worked on attempt %d.", d.ReplayOf, name, n))
		case d.Dead():
			level = "error"
			notes = append(notes, fmt.Sprintf("%s failed all %d attempts and was discarded: a dead letter.", name, n))
		case n > 1 && d.Attempts[0].Outcome == events.OutcomeCrashed:
			did := "skipped the duplicate"
			if last.Outcome != events.OutcomeDuplicate {
				did, level = "did the work twice", "warn"
			}
			notes = append(notes, fmt.Sprintf("%s crashed before the ack; the queue delivered it again after %d ms, and it %s.", name, last.Wait.Milliseconds(), did))
		case n > 1:
			var waits []string
			for _, a := range d.Attempts[1:] {
				waits = append(waits, fmt.Sprintf("%d ms", a.Wait.Milliseconds()))
			}
			notes = append(notes, fmt.Sprintf("%s failed %s, then worked on attempt %d of %d, after waits of %s.", name, times(n-1), n, d.MaxAttempts, strings.Join(waits, " and ")))
		default:
			plain++
			lastMS = max(lastMS, last.End.Sub(r.PublishedAt).Milliseconds())
		}
	}
	switch {
	case len(notes) == 0:
		return fmt.Sprintf("All %d jobs finished on their first attempt, the last +%d ms after the publish.", plain, lastMS), level
	case plain > 0:
		notes = append(notes, fmt.Sprintf("The other %d finished on their first attempt by +%d ms.", plain, lastMS))
	}
	return strings.Join(notes, " "), level
}

// idempotencySummary compares the two miles consumers.
func idempotencySummary(o view.EventsOutput) (string, string) {
	var parts []string
	level := "ok"
	for _, b := range o.Balances {
		if b.Wrong {
			level = "warn"
			parts = append(parts, fmt.Sprintf("%s credited %s: %s miles too many.", b.Account, b.Credits, o.Miles))
		} else {
			parts = append(parts, fmt.Sprintf("%s credited %s.", b.Account, b.Credits))
		}
	}
	return strings.Join(parts, " "), level
}

// times says how many times: once, twice, 3 times.
func times(n int) string {
	switch n {
	case 1:
		return "once"
	case 2:
		return "twice"
	}
	return strconv.Itoa(n) + " times"
}

// eventsRun is the JSON twin's output.
type eventsRun struct {
	Event       int64            `json:"event"`
	Type        string           `json:"type"`
	Booking     events.Booking   `json:"booking"`
	Done        bool             `json:"done"`
	Summary     string           `json:"summary"`
	Deliveries  []eventDelivery  `json:"deliveries"`
	Balances    []events.Balance `json:"balances,omitempty"`
	DeadLetters []int64          `json:"dead_letters"`
	// Progress is the page that follows the deliveries.
	Progress string `json:"progress"`
}

type eventDelivery struct {
	Consumer    string   `json:"consumer"`
	Job         int64    `json:"job"`
	State       string   `json:"state"`
	MaxAttempts int      `json:"max_attempts"`
	Outcomes    []string `json:"outcomes"`
}

// eventsData is the run as the JSON twin gives it.
func eventsData(r events.Run, o view.EventsOutput) eventsRun {
	d := eventsRun{Event: r.EventID, Type: r.Type, Booking: r.Booking, Done: r.Done, Summary: o.Summary,
		Balances: r.Balances, DeadLetters: []int64{}, Progress: o.URL}
	for _, x := range r.Deliveries {
		ed := eventDelivery{Consumer: string(x.Consumer), Job: x.JobID, State: string(x.State), MaxAttempts: x.MaxAttempts, Outcomes: []string{}}
		for _, a := range x.Attempts {
			ed.Outcomes = append(ed.Outcomes, a.Outcome)
		}
		d.Deliveries = append(d.Deliveries, ed)
	}
	for _, x := range o.Dead {
		id, _ := strconv.ParseInt(x.JobID, 10, 64)
		d.DeadLetters = append(d.DeadLetters, id)
	}
	return d
}

package main

import (
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// kindSummary is the latency and statuses of one kind of action.
type kindSummary struct {
	name               string
	count              int
	p50, p95, p99, max time.Duration
	statuses           map[int]int // 0 counts actions that got no answer
	errors             map[string]int
}

// topErrors is the commonest errors, at most n, with their counts.
func (k kindSummary) topErrors(n int) []string {
	msgs := slices.SortedFunc(maps.Keys(k.errors), func(a, b string) int {
		if c := k.errors[b] - k.errors[a]; c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	var out []string
	for _, m := range msgs[:min(n, len(msgs))] {
		out = append(out, fmt.Sprintf("%d× %s", k.errors[m], m))
	}
	return out
}

// report is a class's figures.
type report struct {
	run                  classRun
	kinds                []kindSummary // join, page, demo, sql, the total, then the attackers'
	attack               *kindSummary  // the attackers' actions, when there were attackers
	actions              int
	tooMany, unavailable int
	sqlDemo              int // actions that ran a demo or the heavy query
	slipP99, slipMax     time.Duration
	// sqlOverTime is the students' SQL p99 in each window of the run, to
	// show whether a tail is spread out or one bad moment.
	window      time.Duration
	sqlOverTime []time.Duration
}

// sqlWindows is how many windows the SQL p99 over time has.
const sqlWindows = 6

// p99OverTime is the p99 latency of the students' SQL actions sent in each
// of n equal windows of the run (0 for a window with none).
func p99OverTime(run classRun, n int) (time.Duration, []time.Duration) {
	window := run.opts.duration / time.Duration(n)
	if window <= 0 {
		return 0, nil
	}
	lat := make([][]time.Duration, n)
	for _, o := range run.outcomes {
		if o.kind != kindSQL || o.attacker {
			continue
		}
		i := min(int(o.at/window), n-1)
		lat[i] = append(lat[i], o.latency)
	}
	out := make([]time.Duration, n)
	for i, l := range lat {
		slices.Sort(l)
		out[i] = percentile(l, 0.99)
	}
	return window, out
}

// percentile is the nearest-rank percentile p (0 < p <= 1) of sorted
// durations: the smallest value at least a fraction p of them are at or
// under. It is 0 for no durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// summarize works out the figures of a class run.
func summarize(run classRun) report {
	r := report{run: run}
	summary := func(name string, keep func(outcome) bool) kindSummary {
		k := kindSummary{name: name, statuses: map[int]int{}, errors: map[string]int{}}
		var lat []time.Duration
		for _, o := range run.outcomes {
			if !keep(o) {
				continue
			}
			lat = append(lat, o.latency)
			k.statuses[o.status]++
			if o.err != "" {
				k.errors[o.err]++
			}
		}
		slices.Sort(lat)
		k.count = len(lat)
		k.p50, k.p95, k.p99 = percentile(lat, 0.50), percentile(lat, 0.95), percentile(lat, 0.99)
		k.max = percentile(lat, 1)
		return k
	}
	// The students' figures leave the attackers out.
	for _, name := range []string{kindJoin, kindPage, kindDemo, kindSQL} {
		r.kinds = append(r.kinds, summary(name, func(o outcome) bool { return o.kind == name && !o.attacker }))
	}
	r.kinds = append(r.kinds, summary("total", func(o outcome) bool { return !o.attacker }))
	if run.opts.attackers > 0 {
		a := summary(kindAttack, func(o outcome) bool { return o.attacker })
		r.attack = &a
	}
	var slips []time.Duration
	for _, o := range run.outcomes {
		if o.attacker {
			continue
		}
		r.actions++
		slips = append(slips, o.slip)
		switch o.status {
		case http.StatusTooManyRequests:
			r.tooMany++
		case http.StatusServiceUnavailable:
			r.unavailable++
		}
		if o.kind == kindDemo || o.kind == kindSQL {
			r.sqlDemo++
		}
	}
	slices.Sort(slips)
	r.slipP99, r.slipMax = percentile(slips, 0.99), percentile(slips, 1)
	r.window, r.sqlOverTime = p99OverTime(run, sqlWindows)
	return r
}

// unavailableShare is the share of demo and SQL actions answered 503.
func (r report) unavailableShare() float64 {
	n := 0
	for _, o := range r.run.outcomes {
		if (o.kind == kindDemo || o.kind == kindSQL) && o.status == http.StatusServiceUnavailable {
			n++
		}
	}
	if r.sqlDemo == 0 {
		return 0
	}
	return float64(n) / float64(r.sqlDemo)
}

// cpuPerAction is the server's CPU time per action, or 0 when unknown.
func (r report) cpuPerAction() time.Duration {
	if r.run.server.why != "" || r.actions == 0 {
		return 0
	}
	return r.run.server.cpu / time.Duration(r.actions)
}

// write prints the report as a table and a few lines of figures.
func (r report) write(w io.Writer) {
	o := r.run.opts
	fmt.Fprintf(w, "\n%-6s %7s %9s %9s %9s %9s  %s\n", "kind", "count", "p50 ms", "p95 ms", "p99 ms", "max ms", "statuses")
	rows := r.kinds
	if r.attack != nil {
		rows = append(slices.Clip(rows), *r.attack)
	}
	for _, k := range rows {
		fmt.Fprintf(w, "%-6s %7d %9s %9s %9s %9s  %s\n", k.name, k.count, ms(k.p50), ms(k.p95), ms(k.p99), ms(k.max), statusList(k.statuses))
	}
	fmt.Fprintln(w, "(latency: from sending the request to the last byte of the answer; a join is a student's first lesson page)")
	if r.attack != nil {
		fmt.Fprintln(w, "(attack: the attackers' joins and hostile statements; the rows above and every figure below are the students' alone)")
	}
	for _, k := range rows {
		if k.name == "total" {
			continue
		}
		for _, e := range k.topErrors(3) {
			fmt.Fprintf(w, "error, %s: %s\n", k.name, e)
		}
	}
	offered := float64(o.students) / o.every.Seconds()
	fmt.Fprintf(w, "\nthroughput: %.1f actions/s (%d actions started in %s; the class asks for %.1f/s)\n",
		float64(r.actions)/o.duration.Seconds(), r.actions, o.duration, offered)
	fmt.Fprintf(w, "429: %d   503: %d (%.2f%% of %d demo and sql actions)\n", r.tooMany, r.unavailable, 100*r.unavailableShare(), r.sqlDemo)
	if len(r.sqlOverTime) > 0 {
		p99s := make([]string, len(r.sqlOverTime))
		for i, d := range r.sqlOverTime {
			p99s[i] = ms(d)
		}
		fmt.Fprintf(w, "sql p99 over time: %s ms (each %s of the run)\n", strings.Join(p99s, ", "), r.window.Round(time.Millisecond))
	}
	fmt.Fprintf(w, "schedule slip: p99 %s ms, max %s ms (how late actions started; large values mean the load tool was short of CPU)\n", ms(r.slipP99), ms(r.slipMax))
	s, cores := r.run.server, float64(r.run.cores)
	if s.why != "" {
		fmt.Fprintf(w, "server RSS and CPU: not measured (%s)\n", s.why)
	} else {
		fmt.Fprintf(w, "server RSS: %s MiB before, peak %s MiB during the run (sampled every %s), %s MiB at the end; VmHWM %s MiB since it started\n",
			mib(s.rssStart), mib(s.rssPeak), meterInterval, mib(s.rssEnd), mib(s.hwm))
		fmt.Fprintf(w, "server CPU: %.2f s in %.1f s = %.2f of %d cores; %s ms per action\n",
			s.cpu.Seconds(), s.wall.Seconds(), s.cpu.Seconds()/s.wall.Seconds(), r.run.cores, ms(r.cpuPerAction()))
		if per := r.cpuPerAction(); per > 0 {
			capacity := cores / per.Seconds()
			fmt.Fprintf(w, "CPU bound: %d cores / %s ms per action = at most %.0f actions/s, about %.0f students at one action every %s\n",
				r.run.cores, ms(per), capacity, capacity*o.every.Seconds(), o.every)
		}
	}
	if t := r.run.tool; t.why == "" && t.wall > 0 {
		fmt.Fprintf(w, "load tool CPU: %.2f s = %.2f of %d cores, on the same machine\n", t.cpu.Seconds(), t.cpu.Seconds()/t.wall.Seconds(), r.run.cores)
	}
}

// ms formats a duration in milliseconds.
func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64)
}

// mib formats bytes in MiB.
func mib(b int64) string {
	return strconv.FormatFloat(float64(b)/(1<<20), 'f', 1, 64)
}

// statusList is "200:480 503:3", in status order; actions with no answer
// show as "none".
func statusList(statuses map[int]int) string {
	var parts []string
	for _, code := range slices.Sorted(maps.Keys(statuses)) {
		name := strconv.Itoa(code)
		if code == 0 {
			name = "none"
		}
		parts = append(parts, fmt.Sprintf("%s:%d", name, statuses[code]))
	}
	return strings.Join(parts, " ")
}

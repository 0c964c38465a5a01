package web

import (
	"fmt"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/engineroom/engineroom/playground/balancer"
	"github.com/engineroom/engineroom/web/view"
)

const balancerLesson = "reverse-proxies-and-load-balancing"

// balancerIdle is how long the web tier of the load-balancing lesson
// stays up after its last use.
const balancerIdle = 10 * time.Minute

// balancer returns the load-balancing lesson's web tier, started if need
// be (see lazyLab).
func (s *Server) balancer(c echo.Context) (*balancer.Lab, error) {
	return s.balance.get(c, balancerIdle, func() (*balancer.Lab, error) {
		lab, err := balancer.Start(balancer.Options{Tracer: s.traces.Tracer("github.com/engineroom/engineroom/playground/balancer")})
		if err != nil {
			return nil, fmt.Errorf("web: %w", err)
		}
		return lab, nil
	}, func(l *balancer.Lab) { _ = l.Close() })
}

// lbStates are the states a panel offers, with the words it shows.
var lbStates = []struct {
	Label string
	State balancer.State
}{
	{"up", balancer.Up},
	{"slow (300 ms a request)", balancer.Slow},
	{"down (answers 503)", balancer.Down},
	{"crashed (drops connections)", balancer.Crashed},
}

func lbStateLabels(states ...balancer.State) []string {
	var out []string
	for _, s := range lbStates {
		for _, want := range states {
			if s.State == want {
				out = append(out, s.Label)
			}
		}
	}
	return out
}

func lbStateOf(label string) balancer.State {
	for _, s := range lbStates {
		if s.Label == label {
			return s.State
		}
	}
	return balancer.Up
}

var lbInstances = []string{"app-1", "app-2", "app-3"}

// lbView turns a burst into the panel's view: a chip per request, the
// counts per instance, the tier and the health log since start.
func lbView(lab *balancer.Lab, visitor string, policy balancer.Policy, rs []balancer.Result, start time.Time) view.LBOutput {
	o := view.LBOutput{Policy: string(policy), ElapsedMS: time.Since(start).Milliseconds()}
	colour := map[string]int{}
	for i, n := range lab.Names() {
		colour[n] = i
	}
	served := map[string]int{}
	for _, r := range rs {
		req := view.LBRequest{N: r.N, AtMS: r.At.Milliseconds(), TookMS: r.Elapsed.Milliseconds(),
			Status: r.Status, Instance: r.Instance, Colour: colour[r.Instance], Tried: r.Tried, Retried: r.Retried()}
		if req.Retried {
			req.FailedOn, _, _ = strings.Cut(r.Tried, " ")
		}
		o.Requests = append(o.Requests, req)
		served[r.Instance]++
	}
	for i, in := range lab.Cluster(visitor) {
		share := 0
		if len(rs) > 0 {
			share = (served[in.Name]*100 + len(rs)/2) / len(rs)
		}
		o.Instances = append(o.Instances, view.LBInstance{Name: in.Name, Colour: i, State: string(in.State),
			InRotation: in.InRotation, Served: served[in.Name], Share: share})
	}
	// Passing checks of healthy instances are noise: keep the failures,
	// the changes, and every check of an instance that had either.
	log := lab.Log(visitor, start)
	eventful := map[string]bool{}
	for _, c := range log {
		if !c.OK || c.Change != "" {
			eventful[c.Instance] = true
		}
	}
	for _, c := range log {
		if !eventful[c.Instance] {
			continue
		}
		o.Checks = append(o.Checks, view.LBCheck{AtMS: c.At.Sub(start).Milliseconds(), Instance: c.Instance,
			Passive: c.Passive, OK: c.OK, Result: c.Result, Change: c.Change})
	}
	return o
}

// lbSummary says in one sentence what a burst showed.
func lbSummary(o *view.LBOutput, rs []balancer.Result) {
	var failed, retried int
	for _, r := range rs {
		if r.Instance == "" {
			failed++
		} else if r.Retried() {
			retried++
		}
	}
	var counts []string
	for _, in := range o.Instances {
		counts = append(counts, fmt.Sprintf("%s %d", in.Name, in.Served))
	}
	o.Summary = fmt.Sprintf("%d requests, %s: %s.", len(rs), o.Policy, strings.Join(counts, " · "))
	if retried > 0 {
		o.Summary += fmt.Sprintf(" %d failed on the first instance tried and %s retried on another.", retried, map[bool]string{true: "was", false: "were"}[retried == 1])
	}
	if failed > 0 {
		o.Summary += fmt.Sprintf(" %d failed.", failed)
		o.Warn = true
	}
	changed := map[string]bool{}
	for _, c := range o.Checks {
		if c.Change != "" {
			o.Summary += fmt.Sprintf(" %s %s at +%d ms.", c.Instance, c.Change, c.AtMS)
			o.Warn = o.Warn || c.Change == "taken out"
			changed[c.Instance] = true
		}
	}
	for _, in := range o.Instances {
		if !in.InRotation && !changed[in.Name] {
			o.Summary += fmt.Sprintf(" %s stayed out of rotation.", in.Name)
			o.Warn = true
		}
	}
}

package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"time"

	"github.com/engineroom/engineroom/playground/balancer"
	"github.com/engineroom/engineroom/web/view"
)

// demoLoadBalance sends a burst through the proxy with one instance
// made slow, down or crashed, under the chosen policy.
func (s *Server) demoLoadBalance() *demo {
	return &demo{
		ID: "load-balance", Title: "Three instances, one proxy", Lesson: balancerLesson,
		Description: "A burst of requests, one every 40 ms, through a reverse proxy to three app servers on loopback. Make one of them slow or broken.",
		Button:      "Send the burst",
		Params: []param{
			{Name: "policy", Label: "Policy", Kind: "select", Options: []string{string(balancer.RoundRobin), string(balancer.LeastConnections)}, Default: string(balancer.RoundRobin)},
			{Name: "instance", Label: "Instance", Kind: "select", Options: lbInstances, Default: "app-2"},
			{Name: "state", Label: "That instance is", Kind: "select", Options: lbStateLabels(balancer.States...), Default: lbStates[1].Label},
			{Name: "requests", Label: "Requests", Kind: "number", Default: "12", Min: 1, Max: balancer.MaxBurst, Hint: "1 to 30."},
		},
		Run: func(ctx context.Context, in demoInput) (demoOutput, error) {
			return s.runBurst(ctx, in, balancer.Policy(in.Params["policy"]), in.Int("requests"), 40*time.Millisecond)
		},
	}
}

// demoLBHealth breaks or mends an instance and sends requests slowly
// enough to watch the health checks take it out or bring it back.
func (s *Server) demoLBHealth() *demo {
	return &demo{
		ID: "lb-health-check", Title: "Health checks take it out", Lesson: balancerLesson,
		Description: "The proxy asks each instance GET /healthz every 250 ms; two failures in a row take it out of rotation, two passes bring it back.",
		Button:      "Send the requests",
		Params: []param{
			{Name: "instance", Label: "Instance", Kind: "select", Options: lbInstances, Default: "app-2"},
			{Name: "state", Label: "Make it", Kind: "select", Options: lbStateLabels(balancer.Down, balancer.Crashed, balancer.Up), Default: lbStates[2].Label},
			{Name: "requests", Label: "Requests, one every 100 ms", Kind: "number", Default: "12", Min: 1, Max: 20, Hint: "1 to 20."},
		},
		Run: func(ctx context.Context, in demoInput) (demoOutput, error) {
			return s.runBurst(ctx, in, balancer.RoundRobin, in.Int("requests"), 100*time.Millisecond)
		},
	}
}

// runBurst sets the chosen instance's state, sends the burst and shows it.
func (s *Server) runBurst(ctx context.Context, in demoInput, policy balancer.Policy, n int, every time.Duration) (demoOutput, error) {
	lab, err := s.balancer(in.Request)
	if err != nil {
		return demoOutput{}, err
	}
	start := time.Now()
	if err := lab.Set(in.Visitor, map[string]balancer.State{in.Params["instance"]: lbStateOf(in.Params["state"])}); err != nil {
		return demoOutput{}, &paramError{err.Error()}
	}
	rs := lab.Burst(ctx, balancer.Request{Visitor: in.Visitor, Policy: policy, Path: "/work", ClientIP: in.Request.RealIP()}, n, every)
	o := lbView(lab, in.Visitor, policy, rs, start)
	lbSummary(&o, rs)
	return demoOutput{Data: o, View: view.LBResult(o)}, nil
}

// forgedXFF is the address the forwarded-headers panel pretends to be.
const forgedXFF = "203.0.113.66"

// demoForwardedHeaders shows what an instance behind the proxy sees of
// the visitor.
func (s *Server) demoForwardedHeaders() *demo {
	return &demo{
		ID: "forwarded-headers", Title: "Who is asking?", Lesson: balancerLesson,
		Description: "Behind a proxy, every connection comes from the proxy. The proxy writes the visitor's address into X-Forwarded-For; which part can the app believe?",
		Button:      "Send it through the proxy",
		Params: []param{
			{Name: "forge", Label: "Send a forged X-Forwarded-For: " + forgedXFF, Kind: "checkbox", Default: "on"},
		},
		Run: func(ctx context.Context, in demoInput) (demoOutput, error) {
			lab, err := s.balancer(in.Request)
			if err != nil {
				return demoOutput{}, err
			}
			h := http.Header{}
			o := view.ForwardedOutput{ClientIP: in.Request.RealIP(), ClientIPSource: "the connection's peer address (CLIENT_IP_HEADER is not set)"}
			if s.cfg.ClientIPHeader != "" {
				o.ClientIPSource = "the " + s.cfg.ClientIPHeader + " header its own proxy sets (CLIENT_IP_HEADER), or the peer address without it"
			}
			if in.Params["forge"] == "on" {
				h.Set("X-Forwarded-For", forgedXFF)
				o.Forged = forgedXFF
			}
			r := lab.Send(ctx, balancer.Request{Visitor: in.Visitor, Policy: balancer.RoundRobin, Path: "/echo", ClientIP: o.ClientIP, Header: h})
			var seen balancer.Seen
			if err := json.Unmarshal([]byte(r.Body), &seen); err != nil {
				return demoOutput{}, fmt.Errorf("web: the instance answered %d: %q", r.Status, r.Body)
			}
			o.Instance = seen.Instance
			o.Seen = [][2]string{{"RemoteAddr (the connection)", seen.RemoteAddr}, {"Host", seen.Host},
				{"X-Forwarded-For", seen.XForwardedFor}, {"X-Forwarded-Proto", seen.XForwardedProto},
				{"X-Forwarded-Host", seen.XForwardedHost}, {"Forwarded", seen.Forwarded}}
			for _, a := range strings.Split(seen.XForwardedFor, ",") {
				o.Chain = append(o.Chain, strings.TrimSpace(a))
			}
			o.Trusted = o.Chain[len(o.Chain)-1]
			return demoOutput{Data: o, View: view.ForwardedResult(o)}, nil
		},
	}
}

// Where the sticky-sessions panel keeps carts.
const (
	inMemory = "in each instance's memory"
	inShared = "in a shared store (like Redis)"
)

// demoStickySessions adds items to a cart with sticky routing, then
// crashes the instance holding the cart.
func (s *Server) demoStickySessions() *demo {
	return &demo{
		ID: "sticky-sessions", Title: "Sticky sessions", Lesson: balancerLesson,
		Description: "Each request adds an item to your cart. The proxy's cookie keeps you on one instance — until that instance crashes.",
		Button:      "Fill the cart",
		Params: []param{
			{Name: "store", Label: "Carts are kept", Kind: "select", Options: []string{inMemory, inShared}, Default: inMemory},
			{Name: "crash", Label: "Crash your instance after request", Kind: "number", Default: "3", Min: 0, Max: 8, Hint: "0 never crashes it."},
			{Name: "requests", Label: "Requests", Kind: "number", Default: "6", Min: 1, Max: 8, Hint: "1 to 8."},
		},
		Run: func(ctx context.Context, in demoInput) (demoOutput, error) {
			lab, err := s.balancer(in.Request)
			if err != nil {
				return demoOutput{}, err
			}
			start := time.Now()
			if err := lab.Set(in.Visitor, nil); err != nil {
				return demoOutput{}, err
			}
			lab.SharedSessions(in.Visitor, in.Params["store"] == inShared)
			jar, _ := cookiejar.New(nil)
			req := balancer.Request{Visitor: in.Visitor, Policy: balancer.Sticky, Method: http.MethodPost, Path: "/cart", ClientIP: in.Request.RealIP(), Jar: jar}
			var rs []balancer.Result
			var notes []string
			var items []int // the cart's size after each request; 0 when it failed
			lost := false   // a later request found no cart
			for i := range in.Int("requests") {
				if i > 0 && sleep(ctx, 100*time.Millisecond) != nil {
					break
				}
				r := lab.Send(ctx, req)
				r.N, r.At = i+1, time.Since(start)
				var cart balancer.Cart
				note := "failed: " + r.Tried
				if json.Unmarshal([]byte(r.Body), &cart) == nil && r.Instance != "" {
					note = fmt.Sprintf("%d in the cart", cart.Items)
					if cart.NewSession && i > 0 {
						note += " (a new, empty session: the cart was lost)"
						lost = true
					}
				}
				rs, notes, items = append(rs, r), append(notes, note), append(items, cart.Items)
				if i+1 == in.Int("crash") && r.Instance != "" {
					if err := lab.Set(in.Visitor, map[string]balancer.State{r.Instance: balancer.Crashed}); err != nil {
						return demoOutput{}, err
					}
				}
			}
			o := lbView(lab, in.Visitor, balancer.Sticky, rs, start)
			lbSummary(&o, rs)
			for i := range o.Requests {
				o.Requests[i].Note = notes[i]
			}
			o.Summary = stickySummary(rs, items, lost) + " " + o.Summary
			return demoOutput{Data: o, View: view.StickyResult(o)}, nil
		},
	}
}

// stickySummary says what happened to the cart: kept on one instance,
// lost with it, or carried on from the shared store.
func stickySummary(rs []balancer.Result, items []int, lost bool) string {
	if len(rs) == 0 {
		return ""
	}
	first, last := rs[0].Instance, rs[len(rs)-1].Instance
	peak := 0
	for i, r := range rs {
		if r.Instance != first {
			break
		}
		peak = items[i]
	}
	switch final := items[len(items)-1]; {
	case first == last:
		return fmt.Sprintf("Every request stuck to %s; the cart holds %d.", first, final)
	case last == "":
		return fmt.Sprintf("%s held the cart (%d items) and crashed; the last request failed.", first, peak)
	case lost:
		return fmt.Sprintf("The cart was lost: %s held %d items and crashed; %s started an empty cart and now holds %d.", first, peak, last, final)
	default:
		return fmt.Sprintf("The cart survived: %s crashed after %d items, and %s read it from the shared store: %d now.", first, peak, last, final)
	}
}

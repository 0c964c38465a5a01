package web_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

const balancerPage = "/lessons/reverse-proxies-and-load-balancing"

// lbRun is the JSON twin's output of the burst panels.
type lbRun struct {
	Summary  string `json:"summary"`
	Requests []struct {
		Instance string `json:"instance"`
		Status   int    `json:"status"`
		Tried    string `json:"tried"`
		Retried  bool   `json:"retried"`
		Note     string `json:"note"`
	} `json:"requests"`
	Instances []struct {
		Name       string `json:"name"`
		InRotation bool   `json:"in_rotation"`
		Served     int    `json:"served"`
	} `json:"instances"`
	Checks []struct {
		Instance string `json:"instance"`
		Change   string `json:"change"`
	} `json:"health_log"`
}

func TestBalancerPanels(t *testing.T) {
	srv := newDemoServer(t)
	tests := []struct {
		name, id string
		set      map[string]string
		// wantText is in the summary; wantChips chips are shown; wantOut
		// names the instance out of rotation after the run ("" for none).
		wantText  string
		wantChips int
		wantOut   string
	}{
		{name: "least connections steers away from a slow instance", id: "load-balance",
			set:      map[string]string{"policy": "least-connections", "state": "slow (300 ms a request)", "requests": "12"},
			wantText: "12 requests, least-connections:", wantChips: 12},
		{name: "a down instance is retried around, then taken out", id: "load-balance",
			set:      map[string]string{"state": "down (answers 503)", "requests": "9"},
			wantText: "app-2 taken out at +", wantChips: 9, wantOut: "app-2"},
		{name: "a crashed instance is taken out by the health checks", id: "lb-health-check",
			set:      map[string]string{"instance": "app-3", "state": "crashed (drops connections)", "requests": "6"},
			wantText: "app-3 taken out at +", wantChips: 6, wantOut: "app-3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, doc := demoPanelRun(t, srv, balancerPage, tt.id, tt.set)
			if r.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %.500s", r.StatusCode, r.text)
			}
			out := doc.Find(".pane-front .output")
			if got := strings.Join(strings.Fields(out.Find(".notice").Text()), " "); !strings.Contains(got, tt.wantText) {
				t.Errorf("summary %q, want %q in it", got, tt.wantText)
			}
			if n := out.Find("ol.lb-chips li.lb-chip").Length(); n != tt.wantChips {
				t.Errorf("%d chips, want %d", n, tt.wantChips)
			}
			if n := out.Find("ul.lb-tier li.lb-instance").Length(); n != 3 {
				t.Errorf("%d instances listed, want 3", n)
			}
			out.Find("ul.lb-tier li.lb-instance").Each(func(_ int, s *goquery.Selection) {
				name := s.Find(".lb-chip").Text()
				if s.HasClass("lb-out") != (name == tt.wantOut) {
					t.Errorf("%s out of rotation = %v, want only %q out", name, s.HasClass("lb-out"), tt.wantOut)
				}
			})
			if tt.wantOut != "" && !strings.Contains(out.Find("ol.lb-log li.lb-log-change").Text(), tt.wantOut) {
				t.Errorf("the health log does not show %s taken out: %q", tt.wantOut, out.Find("ol.lb-log").Text())
			}
			hops := doc.Find(".pane-back ol.waterfall li.span.kind-http .span-name")
			if !strings.Contains(hops.Text(), "→ app-") {
				t.Errorf("the waterfall names no instance: %q", hops.Text())
			}
		})
	}
}

func TestBalancerJSON(t *testing.T) {
	srv := newDemoServer(t)
	t.Run("load-balance", func(t *testing.T) {
		r, got := demoAPIRun(t, srv, "load-balance", map[string]any{"policy": "least-connections", "requests": 12})
		if r.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %s", r.StatusCode, r.text)
		}
		var o lbRun
		if err := json.Unmarshal(got.Output, &o); err != nil {
			t.Fatal(err)
		}
		total := 0
		for _, in := range o.Instances {
			total += in.Served
			if in.Name == "app-2" && in.Served > 3 {
				t.Errorf("least-connections gave the slow app-2 %d of 12", in.Served)
			}
		}
		if total != 12 || len(o.Requests) != 12 {
			t.Errorf("served %d, %d requests; want 12", total, len(o.Requests))
		}
		// Every request is a client span to the proxy, with one hop to
		// the instance that served it as its child.
		byID := map[string]apiSpan{}
		for _, s := range got.Trace.Spans {
			byID[s.SpanID] = s
		}
		hops := 0
		for _, s := range got.Trace.Spans {
			inst := s.Attributes["engineroom.instance"]
			if !strings.HasPrefix(s.Name, "proxy GET /work → ") {
				continue
			}
			hops++
			if s.Kind != "http" || inst == "" || s.Name != "proxy GET /work → "+inst || s.Attributes["peer.service"] != inst {
				t.Errorf("hop span %q: kind %s, attributes %v", s.Name, s.Kind, s.Attributes)
			}
			if p := byID[s.ParentID]; p.Name != "GET /work via the load balancer" || p.Attributes["engineroom.instance"] != inst {
				t.Errorf("hop %q has parent %q served by %q", s.Name, p.Name, p.Attributes["engineroom.instance"])
			}
		}
		if hops != 12 {
			t.Errorf("%d hop spans, want 12", hops)
		}
	})
	t.Run("forwarded-headers", func(t *testing.T) {
		for _, forge := range []bool{true, false} {
			r, got := demoAPIRun(t, srv, "forwarded-headers", map[string]any{"forge": forge})
			if r.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", r.StatusCode, r.text)
			}
			var o struct {
				Chain   []string `json:"chain"`
				Trusted string   `json:"trusted"`
				Seen    [][2]string
			}
			if err := json.Unmarshal(got.Output, &o); err != nil {
				t.Fatal(err)
			}
			want := "192.0.2.1"
			if forge {
				want = "203.0.113.66, 192.0.2.1"
			}
			if strings.Join(o.Chain, ", ") != want || o.Trusted != "192.0.2.1" {
				t.Errorf("forge %v: chain %v, trusted %q; want %s", forge, o.Chain, o.Trusted, want)
			}
			if len(o.Seen) == 0 || !strings.HasPrefix(o.Seen[0][1], "127.0.0.1:") {
				t.Errorf("forge %v: the instance saw %v, want the proxy's loopback address first", forge, o.Seen)
			}
		}
	})
	t.Run("sticky-sessions", func(t *testing.T) {
		for _, tt := range []struct{ store, last string }{
			{"in each instance's memory", "2 in the cart"},
			{"in a shared store (like Redis)", "5 in the cart"},
		} {
			r, got := demoAPIRun(t, srv, "sticky-sessions", map[string]any{"store": tt.store, "crash": 3, "requests": 6})
			if r.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", r.StatusCode, r.text)
			}
			var o lbRun
			if err := json.Unmarshal(got.Output, &o); err != nil {
				t.Fatal(err)
			}
			first := o.Requests[0].Instance
			if len(o.Requests) != 6 || o.Requests[1].Instance != first || o.Requests[2].Instance != first {
				t.Fatalf("%s: requests %+v, want the first three on one instance", tt.store, o.Requests)
			}
			if o.Requests[3].Status != http.StatusBadGateway || o.Requests[5].Instance == first || o.Requests[5].Note != tt.last {
				t.Errorf("%s: after the crash %+v, want a 502 and then %q on another instance", tt.store, o.Requests[3:], tt.last)
			}
		}
	})
}

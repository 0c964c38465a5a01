package balancer

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"
)

func TestPolicies(t *testing.T) {
	l, _ := startLab(t, Options{})
	tests := []struct {
		policy Policy
		want   map[string]int
	}{
		{RoundRobin, map[string]int{"app-1": 3, "app-2": 3, "app-3": 3}},
		{LeastConnections, map[string]int{"app-1": 3, "app-2": 3, "app-3": 3}},
		{Sticky, map[string]int{"app-1": 9}},
	}
	for _, tt := range tests {
		t.Run(string(tt.policy), func(t *testing.T) {
			jar, _ := cookiejar.New(nil)
			var rs []Result
			for range 9 {
				rs = append(rs, l.Send(t.Context(), Request{Visitor: "v-" + string(tt.policy), Policy: tt.policy, Path: "/work", Jar: jar}))
			}
			got := counts(rs)
			if len(got) != len(tt.want) {
				t.Fatalf("served %v, want %v", got, tt.want)
			}
			for k, n := range tt.want {
				if got[k] != n {
					t.Errorf("served %v, want %v", got, tt.want)
				}
			}
		})
	}
}

func TestLeastConnectionsAvoidsASlowInstance(t *testing.T) {
	l, _ := startLab(t, Options{SlowLatency: 250 * time.Millisecond})
	tests := []struct {
		policy   Policy
		min, max int // requests app-2 serves
	}{
		{RoundRobin, 4, 4},
		{LeastConnections, 1, 2},
	}
	for _, tt := range tests {
		t.Run(string(tt.policy), func(t *testing.T) {
			visitor := "slow-" + string(tt.policy)
			if err := l.Set(visitor, map[string]State{"app-2": Slow}); err != nil {
				t.Fatal(err)
			}
			rs := l.Burst(t.Context(), Request{Visitor: visitor, Policy: tt.policy, Path: "/work"}, 12, 25*time.Millisecond)
			if n := counts(rs)["app-2"]; n < tt.min || n > tt.max {
				t.Errorf("app-2 served %d of 12 (%v), want %d to %d", n, counts(rs), tt.min, tt.max)
			}
			for _, r := range rs {
				if slow := r.Instance == "app-2"; slow != (r.Elapsed >= 250*time.Millisecond) {
					t.Errorf("request %d on %s took %v", r.N, r.Instance, r.Elapsed)
				}
				if r.Status != http.StatusOK {
					t.Errorf("request %d: %d %s", r.N, r.Status, r.Err)
				}
			}
		})
	}
}

func TestHealthChecksTakeOutAndBringBack(t *testing.T) {
	l, _ := startLab(t, Options{})
	start := time.Now()
	if err := l.Set("v", map[string]State{"app-2": Down}); err != nil {
		t.Fatal(err)
	}
	inRotation := func() bool { return l.Cluster("v")[1].InRotation }
	waitFor(t, "app-2 taken out", func() bool { return !inRotation() })
	for range 6 {
		if r := l.Send(t.Context(), Request{Visitor: "v", Policy: RoundRobin, Path: "/work"}); r.Instance == "app-2" || r.Status != 200 {
			t.Errorf("after removal: %+v", r)
		}
	}
	if err := l.Set("v", nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "app-2 back in", inRotation)
	var changes []string
	for _, c := range l.Log("v", start) {
		if c.Change != "" {
			changes = append(changes, c.Instance+" "+c.Change)
		}
		if c.Instance == "app-2" && c.Change == "taken out" && (c.Fails != 2 || c.Result != "503") {
			t.Errorf("removal entry %+v, want 2 fails of 503", c)
		}
	}
	if got := strings.Join(changes, "; "); got != "app-2 taken out; app-2 back in" {
		t.Errorf("changes = %q", got)
	}
	// Healthy again: the checks stop by themselves.
	v := l.visitors.peek("v")
	waitFor(t, "the checks to stop", func() bool { v.mu.Lock(); defer v.mu.Unlock(); return !v.checking })
}

func TestRetryOnAnotherInstance(t *testing.T) {
	l, rec := startLab(t, Options{Fall: 5})
	if err := l.Set("v", map[string]State{"app-2": Crashed}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		method, path string
		status       int
		tried        string
	}{
		{http.MethodGet, "/work", 200, "app-1 200"},
		{http.MethodGet, "/work", 200, "app-2 connection dropped, app-3 200"},
		{http.MethodPost, "/cart", 200, "app-1 200"},
		{http.MethodPost, "/cart", 502, "app-2 connection dropped"},
	}
	for _, tt := range tests {
		r := l.Send(t.Context(), Request{Visitor: "v", Policy: RoundRobin, Method: tt.method, Path: tt.path})
		if r.Status != tt.status || r.Tried != tt.tried {
			t.Errorf("%s %s: %d tried %q, want %d tried %q", tt.method, tt.path, r.Status, r.Tried, tt.status, tt.tried)
		}
	}
	var retries int
	for _, s := range rec.Ended() {
		for _, a := range s.Attributes() {
			if a.Key == "http.request.resend_count" {
				retries++
			}
		}
	}
	if retries != 1 {
		t.Errorf("%d hop spans carry a resend count, want 1", retries)
	}
}

func TestForwardedHeaders(t *testing.T) {
	l, rec := startLab(t, Options{})
	tests := []struct {
		forged, wantXFF string
	}{
		{"", "192.0.2.7"},
		{"203.0.113.66", "203.0.113.66, 192.0.2.7"},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.forged != "" {
			h.Set("X-Forwarded-For", tt.forged)
		}
		r := l.Send(t.Context(), Request{Visitor: "v", Policy: RoundRobin, Path: "/echo", ClientIP: "192.0.2.7", Header: h})
		var seen Seen
		if err := json.Unmarshal([]byte(r.Body), &seen); err != nil {
			t.Fatalf("%v: %s", err, r.Body)
		}
		if seen.XForwardedFor != tt.wantXFF || seen.XForwardedProto != "http" ||
			!strings.HasPrefix(seen.RemoteAddr, "127.0.0.1:") || !strings.HasPrefix(seen.Forwarded, "for=192.0.2.7;host=127.0.0.1:") {
			t.Errorf("forged %q: the instance saw %+v", tt.forged, seen)
		}
	}
	// Each hop is a child of the app's request span and names its instance.
	parents := map[string]string{}
	for _, s := range rec.Ended() {
		parents[s.SpanContext().SpanID().String()] = s.Name()
	}
	hops := 0
	for _, s := range rec.Ended() {
		if strings.HasPrefix(s.Name(), "proxy GET /echo → app-") {
			hops++
			if p := parents[s.Parent().SpanID().String()]; p != "GET /echo via the load balancer" {
				t.Errorf("hop %q has parent %q", s.Name(), p)
			}
		}
	}
	if hops != 2 {
		t.Errorf("%d hop spans, want 2", hops)
	}
}

func TestStickySessions(t *testing.T) {
	for _, shared := range []bool{false, true} {
		// Checks that run once at Set and then wait: the request that
		// finds the instance crashed is the second failure.
		l, _ := startLab(t, Options{HealthInterval: time.Hour})
		l.SharedSessions("v", shared)
		jar, _ := cookiejar.New(nil)
		add := func() (Cart, Result) {
			r := l.Send(context.Background(), Request{Visitor: "v", Policy: Sticky, Method: http.MethodPost, Path: "/cart", Jar: jar})
			var c Cart
			_ = json.Unmarshal([]byte(r.Body), &c)
			return c, r
		}
		for want := 1; want <= 3; want++ {
			if c, _ := add(); c.Instance != "app-1" || c.Items != want {
				t.Fatalf("shared %v: add %d gave %+v", shared, want, c)
			}
		}
		if err := l.Set("v", map[string]State{"app-1": Crashed}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the first check", func() bool { return len(l.Log("v", time.Time{})) == 3 })
		if _, r := add(); r.Status != http.StatusBadGateway {
			t.Errorf("shared %v: the sticky instance crashed, got %d", shared, r.Status)
		}
		c, _ := add()
		wantItems := 1
		if shared {
			wantItems = 4
		}
		if c.Instance == "app-1" || c.Items != wantItems {
			t.Errorf("shared %v: after the crash %+v, want another instance with %d items", shared, c, wantItems)
		}
	}
}

func TestVisitorsAreBounded(t *testing.T) {
	l, _ := startLab(t, Options{MaxVisitors: 2})
	for _, v := range []string{"a", "b", "c"} {
		if err := l.Set(v, map[string]State{"app-1": Down}); err != nil {
			t.Fatal(err)
		}
	}
	if l.visitors.peek("a") != nil || l.visitors.peek("c") == nil || l.visitors.lru.Len() != 2 {
		t.Errorf("kept %d visitors, a kept: %v", l.visitors.lru.Len(), l.visitors.peek("a") != nil)
	}
	if err := l.Set("c", map[string]State{"app-9": Down}); err == nil {
		t.Error("an unknown instance was accepted")
	}
}

package web_test

import (
	"compress/gzip"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/engineroom/engineroom/web"
)

// scrape GETs /metrics as Prometheus does, with no cookie, and parses the
// text exposition.
func scrape(t *testing.T, c *client, h http.Header) (reply, map[string]*dto.MetricFamily) {
	t.Helper()
	r := c.get("/metrics", h)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: status %d\n%.1000s", r.StatusCode, r.text)
	}
	body := io.Reader(strings.NewReader(r.text))
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(body)
		if err != nil {
			t.Fatal(err)
		}
		body = zr
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(body)
	if err != nil {
		t.Fatalf("parsing /metrics: %v", err)
	}
	return r, fams
}

// sample finds the sample of a family whose labels include want; nil if
// there is none.
func sample(fams map[string]*dto.MetricFamily, name string, want map[string]string) *dto.Metric {
	f := fams[name]
	if f == nil {
		return nil
	}
next:
	for _, m := range f.GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if got[k] != v {
				continue next
			}
		}
		return m
	}
	return nil
}

func TestMetricsEndpoint(t *testing.T) {
	srv := newDemoServer(t)
	c := newClient(t, srv)
	const lesson = "/lessons/what-happens-when-you-click"
	for range 2 {
		if r := c.get(lesson, nil); r.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: status %d", lesson, r.StatusCode)
		}
	}
	c.get("/no/such/page/at/all", nil)
	c.send("BREW", lesson, "", nil)
	if r := c.postJSON("/api/v1/sql", `{"sql": "SELECT count(*) FROM flights"}`, nil); r.StatusCode != http.StatusOK {
		t.Fatalf("POST /api/v1/sql: status %d\n%.500s", r.StatusCode, r.text)
	}
	// The first search misses and stores, the second hits.
	demoAPIRunAs(t, c, "cache-aside", `{"route": "LHR-ORD", "ttl": 60, "mode": "cold, then warm"}`)
	// A failing gateway: the first two payments are unavailable, their
	// third failed attempt opens the breaker, the third payment fails fast.
	demoAPIRunAs(t, c, "circuit-breaker", `{"gateway": "failing (every call errors)", "payments": 3}`)

	prom := newClient(t, srv)
	r, fams := scrape(t, prom, nil)
	if mt := r.Header.Get("Content-Type"); !strings.HasPrefix(mt, "text/plain") || !strings.Contains(mt, "version=0.0.4") {
		t.Errorf("Content-Type %q, want the text format", mt)
	}
	if ck := r.Header.Values("Set-Cookie"); len(ck) > 0 {
		t.Errorf("/metrics set cookies %q", ck)
	}
	if tr := r.Header.Get("Traceresponse"); !strings.HasSuffix(tr, "-00") {
		t.Errorf("traceresponse %q: want a trace that is not recorded", tr)
	}
	if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}

	counter := func(name string, labels map[string]string) float64 {
		t.Helper()
		m := sample(fams, name, labels)
		if m == nil || m.GetCounter() == nil {
			t.Errorf("no counter %s%v", name, labels)
			return 0
		}
		return m.GetCounter().GetValue()
	}
	gauge := func(name string) float64 {
		t.Helper()
		m := sample(fams, name, nil)
		if m == nil || m.GetGauge() == nil {
			t.Errorf("no gauge %s", name)
			return 0
		}
		return m.GetGauge().GetValue()
	}
	tests := []struct {
		name string
		got  float64
		ok   func(float64) bool
	}{
		{"lesson page requests", counter("http_requests_total", map[string]string{"route": "/lessons/:slug", "method": "GET", "code": "200"}), atLeast(2)},
		{"unmatched requests", counter("http_requests_total", map[string]string{"route": "unmatched", "method": "GET", "code": "404"}), atLeast(1)},
		{"a made-up method", counter("http_requests_total", map[string]string{"route": "/lessons/:slug", "method": "other"}), atLeast(1)},
		{"SQL requests", counter("http_requests_total", map[string]string{"route": "/api/v1/sql", "method": "POST", "code": "200"}), atLeast(1)},
		{"demo requests", counter("http_requests_total", map[string]string{"route": "/api/v1/demos/:id", "method": "POST", "code": "200"}), atLeast(2)},
		{"cache hits", counter("engineroom_cache_hits_total", nil), atLeast(1)},
		{"cache misses", counter("engineroom_cache_misses_total", nil), atLeast(1)},
		{"gateway unavailable", counter("engineroom_outbound_errors_total", map[string]string{"service": "payments", "kind": "unavailable"}), atLeast(1)},
		{"breaker open", counter("engineroom_outbound_errors_total", map[string]string{"service": "payments", "kind": "breaker_open"}), atLeast(1)},
		{"email errors start at 0", counter("engineroom_outbound_errors_total", map[string]string{"service": "email", "kind": "timeout"}), equal(0)},
		{"sandboxes open", gauge("engineroom_sandboxes"), atLeast(1)},
		{"sandboxes created", counter("engineroom_sandboxes_created_total", nil), atLeast(1)},
		{"sandboxes set aside", gauge("engineroom_sandboxes_warm"), atLeast(0)},
		{"SQLite memory", gauge("engineroom_sqlite_memory_bytes"), atLeast(1)},
		{"jobs waiting", gauge("engineroom_jobs_waiting"), atLeast(0)},
		{"queries running", gauge("engineroom_queries_running"), atLeast(0)},
		{"queries waiting", gauge("engineroom_queries_waiting"), atLeast(0)},
		{"queries refused, queue full", counter("engineroom_queries_saturated_total", nil), equal(0)},
		{"queries into the long lane", counter("engineroom_queries_long_lane_total", nil), atLeast(0)},
		{"queries stopped to make way", counter("engineroom_queries_crowded_total", nil), equal(0)},
		{"heavy visitors' queries", counter("engineroom_queries_heavy_total", nil), equal(0)},
		{"requests in flight, this scrape", gauge("engineroom_http_requests_in_flight"), atLeast(1)},
		{"goroutines", gauge("go_goroutines"), atLeast(1)},
	}
	for _, tt := range tests {
		if !tt.ok(tt.got) {
			t.Errorf("%s: %v", tt.name, tt.got)
		}
	}

	h := sample(fams, "http_request_duration_seconds", map[string]string{"route": "/lessons/:slug", "method": "GET"})
	if h == nil || h.GetHistogram() == nil {
		t.Fatal("no latency histogram for the lesson route")
	}
	if hist := h.GetHistogram(); hist.GetSampleCount() < 2 || hist.GetSampleSum() <= 0 || len(hist.GetBucket()) < 10 {
		t.Errorf("lesson latency: %d samples summing to %vs in %d buckets", hist.GetSampleCount(), hist.GetSampleSum(), len(hist.GetBucket()))
	}
	for _, m := range fams["http_requests_total"].GetMetric() {
		for _, l := range m.GetLabel() {
			if (l.GetName() == "route" && strings.Contains(l.GetValue(), "such")) || l.GetValue() == "BREW" {
				t.Errorf("a request's own text became a label: %s=%q", l.GetName(), l.GetValue())
			}
		}
	}
	if f := fams["engineroom_cache_hits_total"]; !strings.Contains(f.GetHelp(), "rate(engineroom_cache_misses_total") {
		t.Errorf("the hit counter's help does not say how to get the ratio: %q", f.GetHelp())
	}
	if _, ok := fams["process_start_time_seconds"]; !ok {
		t.Error("no process collector")
	}

	// A scrape is a request like any other: the next one counts it. The
	// gzip middleware compresses it once.
	_, fams = scrape(t, prom, hdr("Accept-Encoding", "gzip"))
	if v := sample(fams, "http_requests_total", map[string]string{"route": "/metrics", "code": "200"}); v == nil || v.GetCounter().GetValue() < 1 {
		t.Errorf("the first scrape is not counted: %v", v)
	}
}

// TestMetricsPerServer checks that two servers in one process keep their
// own numbers.
func TestMetricsPerServer(t *testing.T) {
	a, b := newServer(t, web.Config{}), newServer(t, web.Config{})
	ca := newClient(t, a)
	ca.get("/healthz", nil)
	_, fa := scrape(t, ca, nil)
	_, fb := scrape(t, newClient(t, b), nil)
	if sample(fa, "http_requests_total", map[string]string{"route": "/healthz"}) == nil {
		t.Error("server a did not count its health check")
	}
	if m := sample(fb, "http_requests_total", map[string]string{"route": "/healthz"}); m != nil {
		t.Errorf("server b counted server a's health check: %v", m)
	}
}

func atLeast(n float64) func(float64) bool { return func(v float64) bool { return v >= n } }
func equal(n float64) func(float64) bool   { return func(v float64) bool { return v == n } }

// TestProbesAreNotLogged: health checks and metric scrapes come every few
// seconds; the request log keeps to what visitors asked for.
func TestProbesAreNotLogged(t *testing.T) {
	var out logBuffer
	srv := newServer(t, web.Config{Logger: slog.New(slog.NewJSONHandler(&out, nil))})
	c := newClient(t, srv)
	for _, path := range []string{"/healthz", "/metrics", lessonPath} {
		if r := c.get(path, nil); r.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: status %d", path, r.StatusCode)
		}
	}
	log := out.String()
	if !strings.Contains(log, `"path":"`+lessonPath+`"`) {
		t.Errorf("the lesson's request is not in the log:\n%s", log)
	}
	for _, probe := range []string{"/healthz", "/metrics"} {
		if strings.Contains(log, `"path":"`+probe+`"`) {
			t.Errorf("%s is in the request log:\n%s", probe, log)
		}
	}
}

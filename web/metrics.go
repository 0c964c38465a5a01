package web

import (
	"net/http"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/trace"

	"github.com/engineroom/engineroom/playground/integrations"
	"github.com/engineroom/engineroom/playground/outbound"
)

// unmatchedRoute is the route label of requests no route matched, so a
// scan of random URLs adds one series, not one per URL.
const unmatchedRoute = "unmatched"

// serverMetrics is the server's own Prometheus registry: one per Server,
// not the global default, so several servers in one process (tests) keep
// their numbers apart. Requests and outbound failures are counted as they
// happen; everything else is read when /metrics is scraped.
type serverMetrics struct {
	registry *prometheus.Registry
	handler  http.Handler
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	failures *prometheus.CounterVec

	// series keeps each route, method and status's counter and histogram
	// once looked up: counting a request is then a map read and two
	// atomic adds, without hashing and checking label values each time.
	// Routes, methods and statuses are few, so the map stays small.
	mu     sync.RWMutex
	series map[requestKey]requestSeries
}

type requestKey struct {
	route, method string
	status        int
}

type requestSeries struct {
	count   prometheus.Counter
	latency prometheus.Observer
}

// newMetrics makes the registry with the Go runtime and process
// collectors, the server's own counters, and a collector that reads the
// engines' numbers on each scrape.
func (s *Server) newMetrics() *serverMetrics {
	m := &serverMetrics{registry: prometheus.NewRegistry(), series: map[requestKey]requestSeries{}}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "http_requests_total",
		Help: "Requests answered, by route pattern (" + unmatchedRoute + " when none matched), method and status code.",
	}, []string{"route", "method", "code"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "http_request_duration_seconds",
		Help: "Time from a request's arrival to its answer, by route pattern and method.",
		// Buckets for this server's budgets: a lesson page answers in
		// well under a millisecond, a SQL panel within 25 ms at p99, a
		// class within 250 ms; a slow third-party call takes seconds.
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"route", "method"})
	m.failures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "engineroom_outbound_errors_total",
		Help: "Calls to third-party services that failed after their retries, by service and kind (timeout, unavailable, breaker_open, rejected, malformed, canceled).",
	}, []string{"service", "kind"})
	// Every series that can fail starts at 0, so rate() sees its first
	// failure instead of a series appearing from nowhere.
	for _, svc := range []string{integrations.PaymentsService, integrations.EmailService, integrations.ReservationsService} {
		for k := outbound.KindTimeout; k <= outbound.KindCanceled; k++ {
			m.failures.WithLabelValues(svc, k.String())
		}
	}
	m.registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.latency, m.failures,
		newScraped(s),
	)
	m.handler = promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{
		// One failing collector leaves the others' numbers served.
		ErrorHandling: promhttp.ContinueOnError,
		// The server's gzip middleware compresses the answer already.
		DisableCompression: true,
	})
	return m
}

// observe counts one answered request under its route pattern, never its
// URL, so the series stay as many as the routes.
func (m *serverMetrics) observe(c echo.Context, status int, took time.Duration) {
	// Echo names the closest route even when its handler answers 404 or
	// 405 (/static/a/b is /static/:file), and no route at all for a path
	// nothing resembles.
	route := c.Path()
	if route == "" {
		route = unmatchedRoute
	}
	k := requestKey{route, methodLabel(c.Request().Method), status}
	m.mu.RLock()
	rs, ok := m.series[k]
	m.mu.RUnlock()
	if !ok {
		rs = requestSeries{
			count:   m.requests.WithLabelValues(k.route, k.method, strconv.Itoa(status)),
			latency: m.latency.WithLabelValues(k.route, k.method),
		}
		m.mu.Lock()
		m.series[k] = rs
		m.mu.Unlock()
	}
	rs.count.Inc()
	rs.latency.Observe(took.Seconds())
}

// methodLabel keeps the methods HTTP defines and calls any other "other":
// a client can send any word as a method, and each must not become a
// series.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return method
	}
	return "other"
}

// outboundClient is the client the demo applications call the
// third-party services with, its failed calls counted by service and
// kind.
func (m *serverMetrics) outboundClient(tracer trace.Tracer) *outbound.Client {
	return outbound.New(outbound.Options{Tracer: tracer, OnFailure: func(e *outbound.Error) {
		m.failures.WithLabelValues(e.Service, e.Kind.String()).Inc()
	}})
}

// showMetrics answers GET /metrics in Prometheus's text format. Like
// /healthz it needs no visitor: no cookie, no CSRF token, and (a GET of
// no API route) no recorded trace.
func (s *Server) showMetrics(c echo.Context) error {
	s.Metrics().ServeHTTP(c.Response(), c.Request())
	return nil
}

// Metrics serves the Prometheus metrics, as GET /metrics does unless
// Config.MetricsApart.
func (s *Server) Metrics() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(echo.HeaderCacheControl, "no-store")
		s.metrics.handler.ServeHTTP(w, r)
	})
}

// stateDBPath is the job queue's state database file.
func (s *Server) stateDBPath() string {
	if s.cfg.StateDB == "" && s.third != nil {
		return filepath.Join(s.third.tempDir, "state.db")
	}
	return s.cfg.StateDB
}

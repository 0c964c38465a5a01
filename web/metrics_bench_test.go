package web

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// BenchmarkObserveRequest is what counting one request for /metrics adds
// to every request: a counter and a histogram under its route.
func BenchmarkObserveRequest(b *testing.B) {
	s := newBenchServer(b)
	c := s.echo.NewContext(httptest.NewRequest(http.MethodGet, "/lessons/what-happens-when-you-click", nil), httptest.NewRecorder())
	c.SetPath("/lessons/:slug")
	b.ReportAllocs()
	for b.Loop() {
		s.metrics.observe(c, http.StatusOK, 80*time.Microsecond)
	}
}

// BenchmarkScrapeMetrics is one GET /metrics: every collector read and
// the text written.
func BenchmarkScrapeMetrics(b *testing.B) {
	s := newBenchServer(b)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code)
		}
	}
}

package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/engineroom/engineroom/playground/sandbox"
)

// newBenchServer starts a server for benchmarks: one visitor sends
// requests back to back, so the per-visitor query rate is off.
func newBenchServer(b *testing.B) *Server {
	b.Helper()
	s, err := New(context.Background(), Config{Sandbox: sandbox.Options{QueriesPerMinute: -1}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close(context.Background()) })
	return s
}

// visitorCookieFor makes a request carry an established visitor, as a
// returning browser would.
func visitorCookieFor(s *Server) *http.Cookie {
	return &http.Cookie{Name: visitorCookie, Value: s.visitor.sign(newVisitorID())}
}

// BenchmarkLessonPage renders the first lesson through the whole stack:
// middleware, tracing, the handler and templ.
func BenchmarkLessonPage(b *testing.B) {
	s := newBenchServer(b)
	ck := visitorCookieFor(s)
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, "/lessons/what-happens-when-you-click", nil)
		req.AddCookie(ck)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code)
		}
	}
}

// BenchmarkBareEcho is the baseline: an Echo handler with no middleware
// writing the same bytes the lesson page is.
func BenchmarkBareEcho(b *testing.B) {
	page := lessonBytes(b, newBenchServer(b))
	e := bareEcho(page)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	}
}

// BenchmarkDemoRequestEcho runs the first demo as a partial update: the
// handler, the trace snapshot, the waterfall and the fragment.
func BenchmarkDemoRequestEcho(b *testing.B) {
	s := newBenchServer(b)
	benchPanel(b, s, "request-echo", "message=hello")
}

// benchPanel posts a demo's form as the partial-update script does, as one
// returning visitor, until the benchmark ends.
func benchPanel(b *testing.B, s *Server, id, form string) {
	ck := visitorCookieFor(s)
	const token = "benchmarktokenbenchmarktoken1234"
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/demos/"+id, strings.NewReader(form+"&_csrf="+token))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("HX-Request", "true")
		req.AddCookie(ck)
		req.AddCookie(&http.Cookie{Name: "er_csrf", Value: token})
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code, rec.Body.String())
		}
	}
}

func lessonBytes(tb testing.TB, s *Server) []byte {
	tb.Helper()
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/lessons/what-happens-when-you-click", nil))
	if rec.Code != http.StatusOK {
		tb.Fatal(rec.Code)
	}
	return rec.Body.Bytes()
}

func bareEcho(page []byte) *echo.Echo {
	e := echo.New()
	e.GET("/*", func(c echo.Context) error { return c.HTMLBlob(http.StatusOK, page) })
	return e
}

// BenchmarkSQLRoundTrip is the SQL panel's JSON twin through the whole
// stack: middleware, tracing, the sandbox, and the JSON answer with its
// trace.
func BenchmarkSQLRoundTrip(b *testing.B) {
	s := newBenchServer(b)
	if err := s.Ready(context.Background()); err != nil {
		b.Fatal(err)
	}
	ck := visitorCookieFor(s)
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/sql", strings.NewReader(`{"sql": "SELECT name, tier, miles FROM members WHERE id = 42"}`))
		req.Header.Set("Content-Type", "application/json")
		req.AddCookie(ck)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code, rec.Body.String())
		}
	}
}

// BenchmarkDemoPanels runs lesson demos as the browser's partial-update
// script does (a form post with HX-Request), each visitor on its own
// sandbox: what a class costs the server per click. "group-by" is the
// heavier query a class is asked to run in the SQL basics lesson.
func BenchmarkDemoPanels(b *testing.B) {
	s := newBenchServer(b)
	if err := s.Ready(context.Background()); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct{ name, id, form string }{
		{"group-by", "sql-select", "sql=" + url.QueryEscape("SELECT origin, count(*) AS flights FROM flights GROUP BY origin ORDER BY flights DESC LIMIT 5;")},
		{"sql-select", "sql-select", ""},
		{"index-plan", "index-plan", ""},
		{"n-plus-one", "n-plus-one", ""},
		{"sql-injection", "sql-injection", ""},
		{"double-booking", "double-booking", ""},
		// The same flight search from the cache (a hit after the first
		// run) and straight from the database.
		{"flight-search-cached", "cache-aside", "route=LHR-ORD&ttl=300&mode=" + url.QueryEscape("one search")},
		{"flight-search-uncached", "sql-select", "sql=" + url.QueryEscape("SELECT flight_no, departs_at, arrives_at, miles_price, seats FROM flights WHERE origin = 'LHR' AND destination = 'ORD' AND departs_at >= '2026-04-15' ORDER BY departs_at LIMIT 8")},
	} {
		b.Run(bc.name, func(b *testing.B) {
			benchPanel(b, s, bc.id, bc.form)
		})
	}
}

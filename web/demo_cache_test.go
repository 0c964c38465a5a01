package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/engineroom/engineroom/web"
)

// testDemosCacheAside: a visitor's first search of a route misses, asks the
// database and stores the answer; the second hits and never touches the
// database; "cold, then warm" shows both in one run; another visitor's
// cache is their own.
func testDemosCacheAside(t *testing.T, srv *web.Server) {
	c := primed(t, srv)
	other := primed(t, srv)
	const page = "/lessons/cache-aside"
	run := func(c *client, route, mode string) ([]string, int, int) {
		t.Helper()
		form := url.Values{"route": {route}, "ttl": {"60"}, "mode": {mode}, "_csrf": {c.cookie(csrfCookie)}}
		r := c.postForm("/demos/cache-aside", form, hdr("HX-Request", "true", "HX-Current-URL", "http://example.com"+page))
		if r.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %.1000s", r.StatusCode, r.text)
		}
		doc := parseHTML(t, r.text)
		var verdicts []string
		doc.Find(".pane-front .compare-side .notice strong").Each(func(_ int, s *goquery.Selection) {
			verdicts = append(verdicts, s.Text())
		})
		rows := doc.Find(".pane-back ol.waterfall li.span")
		return verdicts, rows.Filter(".kind-sql").Length(), rows.Filter(".kind-cache").Length()
	}
	tests := []struct {
		name         string
		client       *client
		route, mode  string
		wantVerdicts []string
		wantSQL      bool
	}{
		{"first search misses", c, "LHR-ORD", "one search", []string{"Miss."}, true},
		{"second search hits", c, "LHR-ORD", "one search", []string{"Hit."}, false},
		{"another route is another key", c, "SIN-SYD", "one search", []string{"Miss."}, true},
		{"another visitor has their own cache", other, "LHR-ORD", "one search", []string{"Miss."}, true},
		{"cold, then warm", c, "LHR-ORD", "cold, then warm", []string{"Miss.", "Hit."}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			verdicts, sqlRows, cacheRows := run(tt.client, tt.route, tt.mode)
			if strings.Join(verdicts, " ") != strings.Join(tt.wantVerdicts, " ") {
				t.Errorf("verdicts = %q, want %q", verdicts, tt.wantVerdicts)
			}
			if (sqlRows > 0) != tt.wantSQL {
				t.Errorf("%d SQL spans, want some = %v", sqlRows, tt.wantSQL)
			}
			if cacheRows == 0 {
				t.Error("no cache spans in the waterfall")
			}
		})
	}
}

// testDemosStampede: searches of a cold key each query the database
// without protection, and share one query with request coalescing.
func testDemosStampede(t *testing.T, srv *web.Server) {
	c := primed(t, srv)
	tests := []struct {
		protection string
		requests   string
		wantSQL    int
		wantText   string
	}{
		{"no protection", "10", 10, "Stampede. All 10 searches missed"},
		{"request coalescing", "10", 1, "Coalesced. All 10 searches missed"},
		{"no protection", "3", 3, "Stampede. All 3 searches missed"},
	}
	for _, tt := range tests {
		t.Run(tt.protection+" "+tt.requests, func(t *testing.T) {
			form := url.Values{"requests": {tt.requests}, "protection": {tt.protection}, "route": {"SIN-SYD"}, "_csrf": {c.cookie(csrfCookie)}}
			r := c.postForm("/demos/cache-stampede", form, hdr("HX-Request", "true"))
			if r.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %.1000s", r.StatusCode, r.text)
			}
			doc := parseHTML(t, r.text)
			if got := strings.Join(strings.Fields(doc.Find(".pane-front .output").Text()), " "); !strings.Contains(got, tt.wantText) {
				t.Errorf("output = %.300q, want %q in it", got, tt.wantText)
			}
			if n := doc.Find(".pane-back ol.waterfall li.span.kind-sql").Length(); n != tt.wantSQL {
				t.Errorf("%d SQL spans, want %d", n, tt.wantSQL)
			}
		})
	}
}

// testDemosCacheFill: a small cache evicts its least recently used pages
// once full, and the visitor's own cache keys are not touched.
func testDemosCacheFill(t *testing.T, srv *web.Server) {
	c := primed(t, srv)
	// A key in the visitor's own cache, from the cache-aside lesson.
	form := url.Values{"route": {"LHR-ORD"}, "ttl": {"300"}, "mode": {"one search"}, "_csrf": {c.cookie(csrfCookie)}}
	if r := c.postForm("/demos/cache-aside", form, hdr("HX-Request", "true")); r.StatusCode != http.StatusOK {
		t.Fatalf("cache-aside: status %d", r.StatusCode)
	}
	tests := []struct {
		pages, holds string
		wantEvicted  int
		wantText     string
	}{
		{"24", "12", 12, "Evicted. Reading product:1 again is a miss"},
		{"12", "12", 0, "Still there. Reading product:1 again is a hit"},
		{"5", "3", 2, "Evicted. Reading product:1 again is a miss"},
		{"30", "30", -1, "Evicted. Reading product:1 again is a miss"}, // the 2 KiB cap
	}
	for _, tt := range tests {
		t.Run(tt.pages+" into "+tt.holds, func(t *testing.T) {
			form := url.Values{"pages": {tt.pages}, "holds": {tt.holds}, "_csrf": {c.cookie(csrfCookie)}}
			r := c.postForm("/demos/cache-fill", form, hdr("HX-Request", "true"))
			if r.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %.1000s", r.StatusCode, r.text)
			}
			doc := parseHTML(t, r.text)
			out := strings.Join(strings.Fields(doc.Find(".pane-front .output").Text()), " ")
			if !strings.Contains(out, tt.wantText) {
				t.Errorf("output = %.300q, want %q in it", out, tt.wantText)
			}
			if got := strings.TrimSpace(doc.Find(".pane-front .big-number").Contents().First().Text()); tt.wantEvicted >= 0 && got != fmt.Sprint(tt.wantEvicted) || got == "0" && tt.wantEvicted < 0 {
				t.Errorf("evicted = %q, want %d", got, tt.wantEvicted)
			}
		})
	}
	// The visitor's own cached search is still a hit.
	r := c.postForm("/demos/cache-aside", form, hdr("HX-Request", "true"))
	if !strings.Contains(r.text, "Hit.") {
		t.Error("filling the small cache evicted the visitor's own cached search")
	}
}

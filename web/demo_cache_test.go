package web_test

import (
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

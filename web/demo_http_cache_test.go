package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/engineroom/engineroom/web"
)

// httpCacheOut is the JSON twin's output of the HTTP caching demo.
type httpCacheOut struct {
	FlightID int    `json:"flight_id"`
	URL      string `json:"url"`
	MaxAgeS  int    `json:"max_age_s"`
	LaterS   int    `json:"second_visit_after_s"`
	Changed  bool   `json:"changed_in_between"`
	Visits   []struct {
		AtS          int    `json:"at_s"`
		Sent         bool   `json:"request_sent"`
		IfNoneMatch  string `json:"if_none_match"`
		Status       int    `json:"status"`
		ETag         string `json:"etag"`
		CacheControl string `json:"cache_control"`
		BodyBytes    int    `json:"body_bytes"`
		ServedFrom   string `json:"served_from"`
		PriceShown   int64  `json:"price_shown_miles"`
	} `json:"visits"`
}

// testDemosHTTPCache checks what the HTTP caching lesson teaches: a stale
// copy is revalidated with its ETag and comes back 304 with no body; a
// changed flight comes back 200 with a new ETag; a fresh copy is used
// without any request.
func testDemosHTTPCache(t *testing.T, srv *web.Server) {
	const fromServer, revalidated, fresh = "server", "browser cache, revalidated by a 304", "browser cache, fresh: no request"
	tests := []struct {
		name        string
		params      map[string]string
		wantSecond  int    // status of the second visit; 0 when none was sent
		wantFrom    string // where the second visit's page came from
		wantSameTag bool
		wantRaise   int64 // how much the price shown rose on the second visit
		wantSQL     []string
		wantRenders int    // flight JSON renders
		wantBadges  string // the visits' status badges
		wantNote    string // in the second visit's note
	}{
		{name: "defaults: stale, revalidated", params: map[string]string{},
			wantSecond: 304, wantFrom: revalidated, wantSameTag: true, wantSQL: []string{"SELECT", "SELECT"}, wantRenders: 1,
			wantBadges: "200 OK|304 Not Modified", wantNote: "304: the ETag still matches"},
		{name: "changed in between", params: map[string]string{"changed": "on"},
			wantSecond: 200, wantFrom: fromServer, wantRaise: 500, wantSQL: []string{"SELECT", "UPDATE", "SELECT"}, wantRenders: 2,
			wantBadges: "200 OK|200 OK", wantNote: "The price changed, so the ETag did too"},
		{name: "fresh: no request", params: map[string]string{"later": "30"},
			wantFrom: fresh, wantSQL: []string{"SELECT"}, wantRenders: 1, wantBadges: "200 OK|no request"},
		{name: "fresh and changed: the old price", params: map[string]string{"later": "30", "changed": "on"},
			wantFrom: fresh, wantSQL: []string{"SELECT", "UPDATE"}, wantRenders: 1, wantBadges: "200 OK|no request",
			wantNote: "the browser does not ask: it showed its old copy"},
		{name: "max-age 0 revalidates at once", params: map[string]string{"max_age": "0", "later": "0"},
			wantSecond: 304, wantFrom: revalidated, wantSameTag: true, wantSQL: []string{"SELECT", "SELECT"}, wantRenders: 1,
			wantBadges: "200 OK|304 Not Modified", wantNote: "304"},
	}
	t.Run("visitor changed the data", func(t *testing.T) { testDemosHTTPCacheOwnData(t, srv) })
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			params := map[string]any{}
			for k, v := range tt.params {
				params[k] = v
			}
			r, got := demoAPIRun(t, srv, "http-cache", params)
			if r.StatusCode != http.StatusOK {
				t.Fatalf("status = %d; body:\n%.1000s", r.StatusCode, r.text)
			}
			var out httpCacheOut
			dec := json.NewDecoder(bytes.NewReader(got.Output))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&out); err != nil {
				t.Fatal(err)
			}
			maxAge, later := paramOr(tt.params, "max_age", "60"), paramOr(tt.params, "later", "120")
			if out.FlightID != 42 || out.URL != "/api/v1/flights/42?max_age="+maxAge || fmt.Sprint(out.MaxAgeS) != maxAge ||
				fmt.Sprint(out.LaterS) != later || out.Changed != (tt.params["changed"] == "on") {
				t.Errorf("run = flight %d, url %q, max-age %d, later %d, changed %v", out.FlightID, out.URL, out.MaxAgeS, out.LaterS, out.Changed)
			}
			if len(out.Visits) != 2 {
				t.Fatalf("%d visits, want 2", len(out.Visits))
			}
			v1, v2 := out.Visits[0], out.Visits[1]
			if !v1.Sent || v1.AtS != 0 || v1.Status != 200 || v1.IfNoneMatch != "" || v1.BodyBytes < 100 || v1.ServedFrom != fromServer ||
				v1.PriceShown <= 0 || !strings.HasPrefix(v1.ETag, `"`) || v1.CacheControl != "private, max-age="+maxAge {
				t.Errorf("first visit = %+v, want a 200 with body, ETag and Cache-Control", v1)
			}
			if v2.AtS != out.LaterS || v2.Sent != (tt.wantSecond != 0) || v2.Status != tt.wantSecond || v2.ServedFrom != tt.wantFrom {
				t.Errorf("second visit = %+v, want status %d served from %q", v2, tt.wantSecond, tt.wantFrom)
			}
			switch {
			case tt.wantSecond == 0 && (v2.IfNoneMatch != "" || v2.ETag != "" || v2.CacheControl != "" || v2.BodyBytes != 0):
				t.Errorf("second visit = %+v: nothing was sent, so nothing should be recorded", v2)
			case tt.wantSecond != 0 && (v2.IfNoneMatch != v1.ETag || v2.CacheControl != v1.CacheControl):
				t.Errorf("second visit sent If-None-Match %q (want the first ETag %s), got Cache-Control %q", v2.IfNoneMatch, v1.ETag, v2.CacheControl)
			case tt.wantSecond == 304 && (v2.BodyBytes != 0 || v2.ETag != v1.ETag):
				t.Errorf("304 with %d body bytes and ETag %s, want none and %s", v2.BodyBytes, v2.ETag, v1.ETag)
			case tt.wantSecond == 200 && (v2.BodyBytes < 100 || v2.ETag == v1.ETag || v2.ETag == ""):
				t.Errorf("200 with %d body bytes and ETag %s, want a body and a new ETag (was %s)", v2.BodyBytes, v2.ETag, v1.ETag)
			}
			if v2.PriceShown != v1.PriceShown+tt.wantRaise {
				t.Errorf("price shown %d then %d, want a rise of %d", v1.PriceShown, v2.PriceShown, tt.wantRaise)
			}

			byKind := assertSpans(t, got.Trace)
			var sqlOps []string
			for _, s := range byKind["sql"] {
				sqlOps = append(sqlOps, s.Attributes["db.operation.name"])
			}
			if strings.Join(sqlOps, " ") != strings.Join(tt.wantSQL, " ") {
				t.Errorf("SQL spans %v, want %v", sqlOps, tt.wantSQL)
			}
			renders := 0
			for _, s := range byKind["render"] {
				if s.Name == "render flight JSON" {
					renders++
				}
			}
			if renders != tt.wantRenders {
				t.Errorf("%d flight renders, want %d: a 304 skips the render", renders, tt.wantRenders)
			}
			if n := len(byKind["http"]); n != 1+min(tt.wantSecond, 1) {
				t.Errorf("%d requests out, want %d", n, 1+min(tt.wantSecond, 1))
			}

			_, doc := demoPanelRun(t, srv, "/lessons/http-caching", "http-cache", tt.params)
			visits := doc.Find(".pane-front ol.visits > li.visit")
			var badges []string
			visits.Find(".visit-head .visit-status").Each(func(_ int, b *goquery.Selection) { badges = append(badges, b.Text()) })
			if strings.Join(badges, "|") != tt.wantBadges {
				t.Errorf("badges %q, want %q", strings.Join(badges, "|"), tt.wantBadges)
			}
			if visits.Length() != 2 {
				t.Fatalf("%d visits shown, want 2", visits.Length())
			}
			second := visits.Eq(1)
			if n := second.Find("pre.http").Length(); n != 2*min(tt.wantSecond, 1) {
				t.Errorf("the second visit shows %d HTTP messages, want %d", n, 2*min(tt.wantSecond, 1))
			}
			if tt.wantSecond == 304 {
				req, res := second.Find("pre.http").Eq(0).Text(), second.Find("pre.http-response").Text()
				if !strings.Contains(req, "If-None-Match: "+v1.ETag) || !strings.Contains(res, "HTTP/1.1 304 Not Modified") ||
					!strings.Contains(res, "Etag: "+v1.ETag) || second.Find(".http-body").Length() != 0 {
					t.Errorf("the 304 exchange shows:\n%s\n%s", req, res)
				}
			}
			if note := strings.Join(strings.Fields(second.Find(".note").Text()), " "); !strings.Contains(note, tt.wantNote) {
				t.Errorf("second visit's notes = %q, want %q", note, tt.wantNote)
			}
			if shared := doc.Find(".pane-front .output > p.note").Last().Text(); !strings.Contains(shared, "CDN") || !strings.Contains(shared, "s-maxage="+maxAge) {
				t.Errorf("the closing note = %q, want what a CDN would do with s-maxage=%s", shared, maxAge)
			}
			if n := doc.Find(".pane-back li.span.kind-render").FilterFunction(func(_ int, s *goquery.Selection) bool {
				return s.Find(".span-name").Text() == "render flight JSON"
			}).Length(); n != tt.wantRenders {
				t.Errorf("the waterfall shows %d flight renders, want %d", n, tt.wantRenders)
			}
		})
	}
}

// testDemosHTTPCacheOwnData checks that a visitor who renamed the flights
// table gets the server's own 409, and the way out, from the demo.
func testDemosHTTPCacheOwnData(t *testing.T, srv *web.Server) {
	c := newClient(t, srv)
	c.get("/lessons/http-caching", nil)
	if st := sqlPost(t, c, "ALTER TABLE flights RENAME TO old_flights", false).Statements[0]; st.Error != nil {
		t.Fatalf("renaming flights: %+v", *st.Error)
	}
	r := c.postJSON("/api/v1/demos/http-cache", "{}", nil)
	e := decodeProblem(t, r)
	if r.StatusCode != http.StatusConflict || !strings.Contains(e.Detail, "no such table: flights") || !strings.Contains(e.Detail, "Reset my database") {
		t.Errorf("status %d, detail %q: want 409 naming the missing table and Reset my database", r.StatusCode, e.Detail)
	}
}

// paramOr is a test's parameter, or the demo's default.
func paramOr(params map[string]string, name, def string) string {
	if v, ok := params[name]; ok {
		return v
	}
	return def
}

package web_test

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/engineroom/engineroom/web"
)

type apiAirport struct {
	Code string `json:"code"`
	City string `json:"city"`
}

type apiFlight struct {
	ID          int64      `json:"id"`
	FlightNo    string     `json:"flight_no"`
	Origin      apiAirport `json:"origin"`
	Destination apiAirport `json:"destination"`
	DepartsAt   string     `json:"departs_at"`
	ArrivesAt   string     `json:"arrives_at"`
	SeatsLeft   int64      `json:"seats_left"`
	MilesPrice  int64      `json:"miles_price"`
}

type apiFlightList struct {
	Flights    []apiFlight `json:"flights"`
	NextCursor *string     `json:"next_cursor"`
}

var linkRE = regexp.MustCompile(`^<(/api/v1/[^>]+)>; rel="next"$`)

// storedTrace fetches the trace of a response.
func storedTrace(t *testing.T, c *client, r reply) apiTrace {
	t.Helper()
	tr := c.get("/api/v1/traces/"+traceIDOf(t, r), nil)
	if tr.StatusCode != http.StatusOK {
		t.Fatalf("GET the trace: status %d", tr.StatusCode)
	}
	var out apiTrace
	decodeJSON(t, tr, &out)
	return out
}

// sqlTexts are the statements of a trace's SQL spans, in order, each cut
// to its first line.
func sqlTexts(tr apiTrace) []string {
	var out []string
	for _, s := range sqlSpansOf(tr) {
		first, _, _ := strings.Cut(s.Attributes["db.query.text"], "\n")
		out = append(out, first)
	}
	return out
}

// TestAPIFlightsPages follows the Link header through every page of a
// filtered list and checks the pages against one SQL query: the same
// flights, in order, none twice.
func TestAPIFlightsPages(t *testing.T) {
	srv := newServer(t, web.Config{})
	sqlReady(t, srv)
	tests := []struct {
		name  string
		query string
		where string
		check func(f apiFlight) bool
	}{
		{name: "route", query: "origin=LHR&destination=ORD&limit=3", where: "origin = 'LHR' AND destination = 'ORD'",
			check: func(f apiFlight) bool { return f.Origin.Code == "LHR" && f.Destination.Code == "ORD" }},
		{name: "lower-case code", query: "origin=sin&limit=20", where: "origin = 'SIN'",
			check: func(f apiFlight) bool { return f.Origin.Code == "SIN" }},
		{name: "day", query: "date=2026-04-20&limit=7", where: "departs_at >= '2026-04-20' AND departs_at < '2026-04-21'",
			check: func(f apiFlight) bool { return strings.HasPrefix(f.DepartsAt, "2026-04-20 ") }},
		{name: "cheap", query: "max_miles=6000&limit=100", where: "miles_price <= 6000",
			check: func(f apiFlight) bool { return f.MilesPrice <= 6000 }},
		{name: "none", query: "origin=XXX", where: "origin = 'XXX'", check: func(apiFlight) bool { return false }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, srv)
			var want []string
			for _, row := range sqlPost(t, c, "SELECT id FROM flights WHERE "+tt.where+" ORDER BY departs_at, id", false).Statements[0].Rows {
				want = append(want, sqlCellText(row[0]))
			}
			limit, _ := strconv.Atoi(strings.TrimPrefix(regexp.MustCompile(`limit=\d+`).FindString(tt.query), "limit="))
			var got []string
			next := "/api/v1/flights?" + tt.query
			for pages := 0; next != ""; pages++ {
				if pages > 200 {
					t.Fatal("the pages never end")
				}
				r := c.get(next, nil)
				if r.StatusCode != http.StatusOK {
					t.Fatalf("GET %s: status %d: %s", next, r.StatusCode, r.text)
				}
				var page apiFlightList
				decodeJSON(t, r, &page)
				for _, f := range page.Flights {
					if !tt.check(f) || f.FlightNo == "" || f.Origin.City == "" || f.ArrivesAt <= f.DepartsAt {
						t.Errorf("flight %+v does not match %s", f, tt.query)
					}
					got = append(got, strconv.FormatInt(f.ID, 10))
				}
				next = ""
				link := r.Header.Get("Link")
				switch m := linkRE.FindStringSubmatch(link); {
				case page.NextCursor == nil && link != "":
					t.Errorf("the last page has a Link %q", link)
				case page.NextCursor != nil && (m == nil || !strings.Contains(m[1], "cursor="+*page.NextCursor)):
					t.Errorf("Link = %q, want the next page with cursor %s", link, *page.NextCursor)
				case page.NextCursor != nil:
					if limit > 0 && len(page.Flights) != limit {
						t.Errorf("a page before the last has %d flights, want %d", len(page.Flights), limit)
					}
					next = m[1]
				}
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("paged flights\n%v\nwant\n%v", got, want)
			}
		})
	}
}

// TestAPIFlightsTagAndTrace: a list's ETag stays put while its rows do
// and changes with them; its SQL shows in the trace with its parameters.
func TestAPIFlightsTagAndTrace(t *testing.T) {
	srv := newServer(t, web.Config{})
	sqlReady(t, srv)
	c := newClient(t, srv)
	const path = "/api/v1/flights?origin=LHR&limit=2"
	first := c.get(path, nil)
	etag := first.Header.Get("ETag")
	if first.StatusCode != http.StatusOK || !etagRE.MatchString(etag) || first.Header.Get("Cache-Control") != "private, no-cache" {
		t.Fatalf("status %d, ETag %q, Cache-Control %q", first.StatusCode, etag, first.Header.Get("Cache-Control"))
	}
	if r := c.get(path, hdr("If-None-Match", etag)); r.StatusCode != http.StatusNotModified || r.text != "" || r.Header.Get("ETag") != etag {
		t.Errorf("If-None-Match with the tag: status %d, body %q, ETag %q", r.StatusCode, r.text, r.Header.Get("ETag"))
	}
	if r := c.get(path, hdr("If-None-Match", `"0000000000000000"`)); r.StatusCode != http.StatusOK || r.text != first.text {
		t.Errorf("another tag: status %d", r.StatusCode)
	}

	tr := storedTrace(t, c, first)
	spans := sqlSpansOf(tr)
	if len(spans) != 1 {
		t.Fatalf("SQL spans = %q, want the one SELECT", sqlTexts(tr))
	}
	q := spans[0].Attributes
	if !strings.Contains(q["db.query.text"], "FROM flights f") || !strings.Contains(q["db.query.text"], "ORDER BY f.departs_at, f.id") ||
		q["db.query.parameter.0"] != "LHR" || q["db.query.parameter.1"] != "3" {
		t.Errorf("the SELECT span = %v", q)
	}
	names := map[string]bool{}
	for _, s := range tr.Spans {
		names[s.Name] = true
	}
	for _, n := range []string{"handler list flights", "list flights", "render JSON", "compare ETag with If-None-Match"} {
		if !names[n] {
			t.Errorf("no span %q in %v", n, names)
		}
	}

	var page apiFlightList
	decodeJSON(t, first, &page)
	sqlPost(t, c, "UPDATE flights SET seats = seats + 1 WHERE id = "+strconv.FormatInt(page.Flights[1].ID, 10), false)
	r := c.get(path, hdr("If-None-Match", etag))
	if r.StatusCode != http.StatusOK || r.Header.Get("ETag") == etag {
		t.Errorf("after a change: status %d, ETag %q (was %s): want 200 and a new tag", r.StatusCode, r.Header.Get("ETag"), etag)
	}
	var again apiFlightList
	decodeJSON(t, r, &again)
	if again.Flights[1].SeatsLeft != page.Flights[1].SeatsLeft+1 {
		t.Errorf("seats_left = %d, want %d", again.Flights[1].SeatsLeft, page.Flights[1].SeatsLeft+1)
	}
	// Another visitor's database is their own.
	if r := newClient(t, srv).get(path, hdr("If-None-Match", etag)); r.StatusCode != http.StatusNotModified {
		t.Errorf("a new visitor with the first tag: status %d, want 304", r.StatusCode)
	}
}

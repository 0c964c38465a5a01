package web_test

import (
	"net/http"
	"regexp"
	"strconv"
	"testing"

	"github.com/engineroom/engineroom/web"
)

var etagRE = regexp.MustCompile(`^"[0-9a-f]{16}"$`)

// TestFlightJSON covers GET /api/v1/flights/{id}: a strong ETag that
// stays put while the row does, Cache-Control, and If-None-Match read as
// RFC 9110 says (weak comparison, lists, "*").
func TestFlightJSON(t *testing.T) {
	srv := newServer(t, web.Config{})
	sqlReady(t, srv)
	c := newClient(t, srv)
	const path = "/api/v1/flights/42"

	first := c.get(path, nil)
	if first.StatusCode != http.StatusOK {
		t.Fatalf("status = %d; body:\n%s", first.StatusCode, first.text)
	}
	var f struct {
		ID       int    `json:"id"`
		FlightNo string `json:"flight_no"`
		Origin   struct {
			Code string `json:"code"`
			City string `json:"city"`
		} `json:"origin"`
		Destination struct {
			Code string `json:"code"`
			City string `json:"city"`
		} `json:"destination"`
		DepartsAt  string `json:"departs_at"`
		ArrivesAt  string `json:"arrives_at"`
		Seats      int    `json:"seats_left"`
		MilesPrice int    `json:"miles_price"`
	}
	decodeJSON(t, first, &f)
	if f.ID != 42 || f.FlightNo == "" || f.Origin.Code == "" || f.Origin.City == "" || f.Destination.Code == "" ||
		f.Destination.City == "" || f.DepartsAt == "" || f.ArrivesAt <= f.DepartsAt || f.Seats < 0 || f.MilesPrice <= 0 {
		t.Errorf("flight = %+v", f)
	}
	etag := first.Header.Get("ETag")
	if !etagRE.MatchString(etag) {
		t.Fatalf("ETag = %q, want a strong tag matching %s", etag, etagRE)
	}
	if got := first.Header.Get("Cache-Control"); got != "private, max-age=60" {
		t.Errorf("Cache-Control = %q, want private, max-age=60", got)
	}
	if got := first.Header.Get("Content-Length"); got != strconv.Itoa(len(first.text)) {
		t.Errorf("Content-Length = %q for %d bytes", got, len(first.text))
	}
	assertSecurityHeaders(t, first, false)
	if again := c.get(path, nil); again.Header.Get("ETag") != etag || again.text != first.text {
		t.Errorf("a second GET has ETag %q, want the same %q and the same body", again.Header.Get("ETag"), etag)
	}
	if other := c.get("/api/v1/flights/43", nil); other.StatusCode != http.StatusOK || other.Header.Get("ETag") == etag {
		t.Errorf("flight 43: status %d, ETag %q: want 200 and a tag of its own", other.StatusCode, other.Header.Get("ETag"))
	}

	bare := etag[1 : len(etag)-1]
	tests := []struct {
		name string
		inm  []string // If-None-Match lines
		want int
	}{
		{name: "the same tag", inm: []string{etag}, want: 304},
		{name: "the same tag, weak", inm: []string{"W/" + etag}, want: 304},
		{name: "in a list", inm: []string{`"0000000000000000", ` + etag}, want: 304},
		{name: "in a list without spaces", inm: []string{`"a","b",` + etag}, want: 304},
		{name: "after a tag holding a comma", inm: []string{`"a,b", ` + etag}, want: 304},
		{name: "on a second line", inm: []string{`"a"`, etag}, want: 304},
		{name: "star", inm: []string{"*"}, want: 304},
		{name: "another tag", inm: []string{`"0000000000000000"`}, want: 200},
		{name: "another weak tag", inm: []string{`W/"0000000000000000"`}, want: 200},
		{name: "a list without it", inm: []string{`"a", W/"b"`}, want: 200},
		{name: "unquoted", inm: []string{bare}, want: 200},
		{name: "lower-case weak prefix", inm: []string{"w/" + etag}, want: 200},
		{name: "after a malformed element", inm: []string{`junk, ` + etag}, want: 200},
		{name: "empty", inm: []string{""}, want: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for _, v := range tt.inm {
				h.Add("If-None-Match", v)
			}
			r := c.get(path, h)
			if r.StatusCode != tt.want {
				t.Fatalf("If-None-Match %q: status %d, want %d", tt.inm, r.StatusCode, tt.want)
			}
			if r.Header.Get("ETag") != etag || r.Header.Get("Cache-Control") != "private, max-age=60" {
				t.Errorf("ETag %q, Cache-Control %q: want %q and private, max-age=60", r.Header.Get("ETag"), r.Header.Get("Cache-Control"), etag)
			}
			if tt.want == http.StatusNotModified {
				if r.text != "" || r.Header.Get("Content-Length") != "" || r.Header.Get("Content-Type") != "" {
					t.Errorf("304 with body %q, Content-Length %q, Content-Type %q: want none", r.text, r.Header.Get("Content-Length"), r.Header.Get("Content-Type"))
				}
			} else if r.text != first.text {
				t.Errorf("body = %q, want the flight again", r.text)
			}
		})
	}

	t.Run("gzip does not touch a 304", func(t *testing.T) {
		r := c.get(path, hdr("If-None-Match", etag, "Accept-Encoding", "gzip"))
		if r.StatusCode != http.StatusNotModified || r.text != "" || r.Header.Get("Content-Encoding") != "" {
			t.Errorf("status %d, body %q, Content-Encoding %q: want a bare 304", r.StatusCode, r.text, r.Header.Get("Content-Encoding"))
		}
	})
	t.Run("a changed row changes the tag", func(t *testing.T) {
		sqlPost(t, c, "UPDATE flights SET miles_price = miles_price + 500 WHERE id = 42", false)
		r := c.get(path, hdr("If-None-Match", etag))
		if r.StatusCode != http.StatusOK || r.Header.Get("ETag") == etag || !etagRE.MatchString(r.Header.Get("ETag")) {
			t.Errorf("status %d, ETag %q: want 200 and a new tag (was %s)", r.StatusCode, r.Header.Get("ETag"), etag)
		}
		if again := c.get(path, hdr("If-None-Match", r.Header.Get("ETag"))); again.StatusCode != http.StatusNotModified {
			t.Errorf("the new tag: status %d, want 304", again.StatusCode)
		}
	})
	t.Run("another visitor's database is their own", func(t *testing.T) {
		r := newClient(t, srv).get(path, hdr("If-None-Match", etag))
		if r.StatusCode != http.StatusNotModified {
			t.Errorf("a new visitor with the original tag: status %d, want 304 (their flight is unchanged)", r.StatusCode)
		}
	})
}

// TestFlightJSONErrors covers the endpoint's refusals: problem details,
// as everywhere under /api/v1.
func TestFlightJSONErrors(t *testing.T) {
	srv := newServer(t, web.Config{})
	sqlReady(t, srv)
	tests := []struct {
		name   string
		method string
		path   string
		header http.Header
		want   int
		text   string
	}{
		{name: "max-age 0", method: "GET", path: "/api/v1/flights/42?max_age=0", want: 200},
		{name: "max-age too large", method: "GET", path: "/api/v1/flights/42?max_age=86401", want: 400, text: "max_age: a whole number of seconds from 0 to 86400"},
		{name: "max-age not a number", method: "GET", path: "/api/v1/flights/42?max_age=soon", want: 400, text: "max_age: a whole number of seconds from 0 to 86400"},
		{name: "id not a number", method: "GET", path: "/api/v1/flights/abc", want: 400, text: "a flight id is a whole number from 1 up"},
		{name: "id 0", method: "GET", path: "/api/v1/flights/0", want: 400, text: "a flight id is a whole number from 1 up"},
		{name: "no such flight", method: "GET", path: "/api/v1/flights/999999", want: 404, text: "there is no flight 999999 in your database"},
		{name: "cross-site", method: "GET", path: "/api/v1/flights/42", header: hdr("Sec-Fetch-Site", "cross-site"), want: 403, text: "cross-site requests to the API are refused"},
		{name: "POST", method: "POST", path: "/api/v1/flights/42", header: hdr("Content-Type", "application/json"), want: 405},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newClient(t, srv).send(tt.method, tt.path, "", tt.header)
			if r.StatusCode != tt.want {
				t.Fatalf("status = %d, want %d; body:\n%s", r.StatusCode, tt.want, r.text)
			}
			if tt.want == http.StatusOK {
				if got := r.Header.Get("Cache-Control"); got != "private, max-age=0" {
					t.Errorf("Cache-Control = %q, want private, max-age=0", got)
				}
				return
			}
			if r.Header.Get("ETag") != "" || r.Header.Get("Cache-Control") != "" {
				t.Errorf("an error carries ETag %q, Cache-Control %q: want neither", r.Header.Get("ETag"), r.Header.Get("Cache-Control"))
			}
			e := decodeProblem(t, r)
			if e.Status != tt.want || (tt.text != "" && e.Detail != tt.text) {
				t.Errorf("error = %+v, want %d %q", e, tt.want, tt.text)
			}
		})
	}
}

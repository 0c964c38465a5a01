package web_test

import (
	"cmp"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/engineroom/engineroom/web"
)

// squash joins the words of an element's text with single spaces.
func squash(s *goquery.Selection) string { return strings.Join(strings.Fields(s.Text()), " ") }

// TestAPIReferencePage checks GET /api against the OpenAPI document it is
// rendered from: every operation, grouped by its tag, with its method,
// path, summary, parameters, responses and a curl command.
func TestAPIReferencePage(t *testing.T) {
	srv := newServer(t, web.Config{BaseURL: "https://engineroom.example/"})
	k := loadContract(t, srv)
	r := newClient(t, srv).get("/api", nil)
	if r.StatusCode != http.StatusOK || r.Header.Get("Content-Type") != htmlType {
		t.Fatalf("GET /api: status %d, Content-Type %q", r.StatusCode, r.Header.Get("Content-Type"))
	}
	assertSecurityHeaders(t, r, false)
	doc := parseHTML(t, r.text)
	assertNoInlineCode(t, doc)
	if got := squash(doc.Find("h1")); got != "Engine Room API" {
		t.Errorf("h1 = %q", got)
	}
	if got := squash(doc.Find("title")); got != "API reference · Engine Room" {
		t.Errorf("title = %q", got)
	}
	if doc.Find(`.site-nav a[href="/api"]`).Length() != 1 {
		t.Error("the site navigation has no link to /api")
	}
	if doc.Find(`a[href="/api/v1/openapi.json"]`).Length() == 0 {
		t.Error("no link to the OpenAPI document")
	}
	if doc.Find(`script[src*="//"], link[href*="//"]`).Length() > 0 {
		t.Error("the page loads something from another origin")
	}

	// Every operation, in its tag's section.
	ops := 0
	for path, item := range k.doc.Paths.Map() {
		for method, op := range item.Operations() {
			ops++
			sec := doc.Find("#op-" + op.OperationID)
			if sec.Length() != 1 {
				t.Errorf("%s %s: %d sections #op-%s", method, path, sec.Length(), op.OperationID)
				continue
			}
			if got := sec.Closest("section.api-group").AttrOr("id", ""); got != "tag-"+strings.ToLower(op.Tags[0]) {
				t.Errorf("%s %s is in section %q, want tag-%s", method, path, got, strings.ToLower(op.Tags[0]))
			}
			if m, p := squash(sec.Find("h3 .api-method")), squash(sec.Find("h3 .api-path")); m != method || p != path {
				t.Errorf("heading %q %q, want %q %q", m, p, method, path)
			}
			if got := squash(sec.Find(".api-summary")); !strings.HasPrefix(got, op.Summary+".") {
				t.Errorf("%s summary = %q, want it to start with %q", op.OperationID, got, op.Summary)
			}
			var params []string
			sec.Find("dl.api-params dt code").Each(func(_ int, s *goquery.Selection) { params = append(params, s.Text()) })
			var want []string
			for _, p := range op.Parameters {
				want = append(want, p.Value.Name)
			}
			if !slices.Equal(params, want) {
				t.Errorf("%s parameters = %q, want %q", op.OperationID, params, want)
			}
			var statuses []string
			sec.Find(".api-responses dt").Each(func(_ int, s *goquery.Selection) { statuses = append(statuses, squash(s)) })
			var wantStatuses []string
			for code := range op.Responses.Map() {
				wantStatuses = append(wantStatuses, code)
			}
			slices.Sort(wantStatuses)
			if !slices.Equal(statuses, wantStatuses) {
				t.Errorf("%s responses = %q, want %q", op.OperationID, statuses, wantStatuses)
			}
			curl := sec.Find("details.curl pre code").Text()
			if !strings.HasPrefix(curl, "curl -s -i -c jar.txt -b jar.txt") || !strings.Contains(curl, "'https://engineroom.example/api/v1/") {
				t.Errorf("%s curl = %q", op.OperationID, curl)
			}
			if id := sec.Find("details.curl pre code").AttrOr("id", ""); sec.Find(`button[data-copy="#`+id+`"]`).Length() != 1 {
				t.Errorf("%s: no copy button for the curl command", op.OperationID)
			}
		}
	}
	if n := doc.Find("section.api-operation").Length(); n != ops {
		t.Errorf("%d operations on the page, %d in the document", n, ops)
	}

	tests := []struct {
		op       string
		wantBody []string
		wantCurl string
	}{
		{op: "createOrder", wantBody: []string{"customer_id", "items", "items[].product_id", "items[].quantity"},
			wantCurl: "curl -s -i -c jar.txt -b jar.txt -X POST \\\n  -H 'Content-Type: application/json' \\\n" +
				`  -d '{"customer_id":1,"items":[{"product_id":5,"quantity":2}]}' \` + "\n  'https://engineroom.example/api/v1/orders'"},
		{op: "createBooking", wantBody: []string{"member_id", "flight_id"},
			wantCurl: "curl -s -i -c jar.txt -b jar.txt -X POST \\\n  -H 'Content-Type: application/json' \\\n" +
				`  -d '{"member_id":1,"flight_id":42}' \` + "\n  'https://engineroom.example/api/v1/bookings'"},
		{op: "listFlights", wantCurl: "curl -s -i -c jar.txt -b jar.txt \\\n  'https://engineroom.example/api/v1/flights?limit=5&origin=LHR'"},
		{op: "cancelBooking", wantCurl: "curl -s -i -c jar.txt -b jar.txt -X DELETE \\\n  'https://engineroom.example/api/v1/bookings/3842'"},
		{op: "resetSQL", wantCurl: "curl -s -i -c jar.txt -b jar.txt -X POST \\\n  -H 'Content-Type: application/json' \\\n  -d '{}' \\\n  'https://engineroom.example/api/v1/sql/reset'"},
	}
	for _, tt := range tests {
		t.Run(tt.op, func(t *testing.T) {
			sec := doc.Find("#op-" + tt.op)
			var body []string
			sec.Find("dl.api-fields dt code").Each(func(_ int, s *goquery.Selection) { body = append(body, s.Text()) })
			if !slices.Equal(body, tt.wantBody) {
				t.Errorf("body fields = %q, want %q", body, tt.wantBody)
			}
			if got := sec.Find("details.curl pre code").Text(); got != tt.wantCurl {
				t.Errorf("curl =\n%s\nwant\n%s", got, tt.wantCurl)
			}
		})
	}

	// Every problem type has the section its type URI points at.
	for typ, title := range k.problemTypes {
		_, anchor, _ := strings.Cut(typ, "#")
		sec := doc.Find("#" + anchor)
		if sec.Length() != 1 || !strings.Contains(squash(sec.Find("h3")), title) || squash(sec.Find(".api-problem-type")) != typ {
			t.Errorf("problem type %s: section %d, heading %q", typ, sec.Length(), squash(sec.Find("h3")))
		}
	}
	// Every response body names its schema, and the schema is on the page.
	doc.Find(`.api-responses a[href^="#schema-"]`).Each(func(_ int, s *goquery.Selection) {
		if href := s.AttrOr("href", ""); doc.Find(href).Length() != 1 {
			t.Errorf("a response links to %s, which is not on the page", href)
		}
	})
	var flight []string
	doc.Find("#schema-Flight dl.api-fields dt code").Each(func(_ int, s *goquery.Selection) { flight = append(flight, s.Text()) })
	if want := []string{"id", "flight_no", "origin", "destination", "departs_at", "arrives_at", "seats_left", "miles_price"}; !slices.Equal(flight, want) {
		t.Errorf("Flight fields = %q, want %q", flight, want)
	}
}

// curlRE reads a curl command the reference page shows.
var curlRE = regexp.MustCompile(`^curl -s -i -c jar\.txt -b jar\.txt(?: -X (\w+))?(?: \\\n  -H 'Content-Type: application/json' \\\n  -d '(.*)')? \\\n  '(http://[^']+)'$`)

// TestAPIReferenceCurlRuns runs the curl command of every operation on the
// page through the server and checks the exchange against the document:
// each succeeds, but for the one that names an example trace, which is
// not kept. They run in the page's order with one cookie jar, so "who am
// I" follows the login.
func TestAPIReferenceCurlRuns(t *testing.T) {
	srv := newServer(t, web.Config{})
	sqlReady(t, srv)
	k := loadContract(t, srv)
	c := newClient(t, srv)
	doc := parseHTML(t, c.get("/api", nil).text)
	doc.Find("section.api-operation").Each(func(_ int, sec *goquery.Selection) {
		id := strings.TrimPrefix(sec.AttrOr("id", ""), "op-")
		t.Run(id, func(t *testing.T) {
			m := curlRE.FindStringSubmatch(sec.Find("details.curl pre code").Text())
			if m == nil {
				t.Fatalf("curl = %q, want it to match %s", sec.Find("details.curl pre code").Text(), curlRE)
			}
			x := exchange{method: cmp.Or(m[1], "GET"), target: strings.TrimPrefix(m[3], "http://example.com"), body: m[2],
				docValid: true, status: http.StatusOK}
			if x.body != "" {
				x.header = jsonHeader()
			}
			switch {
			case strings.HasPrefix(id, "create"):
				x.status = http.StatusCreated
			case id == "showTrace":
				x.status = http.StatusNotFound
			case id == "deleteSession":
				x.status = http.StatusNoContent
			}
			k.check(t, sqlClientFor(t, c), x)
		})
	})
}

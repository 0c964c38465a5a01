package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	ertrace "github.com/engineroom/engineroom/playground/trace"
	"github.com/engineroom/engineroom/web"
)

// TestTraceSequence runs the cache-aside demo and draws its trace: the
// participants it touched, and an arrow per SQL statement (and its
// answer) and per cache command, as the stored trace has them.
func TestTraceSequence(t *testing.T) {
	srv := newServer(t, web.Config{})
	c := newClient(t, srv)
	r := c.postJSON("/api/v1/demos/cache-aside", `{"route": "LHR-ORD", "mode": "cold, then warm"}`, nil)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("running the demo: status %d: %.500s", r.StatusCode, r.text)
	}
	id := traceIDOf(t, r)

	// The stored trace, finished, as its JSON twin shows it.
	jr := c.get("/api/v1/traces/"+id, nil)
	if jr.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v1/traces/%s: status %d", id, jr.StatusCode)
	}
	var tr ertrace.JSON
	if err := json.Unmarshal([]byte(jr.text), &tr); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, s := range tr.Spans {
		kinds[s.Kind]++
	}
	if kinds[ertrace.KindSQL] == 0 || kinds[ertrace.KindCache] == 0 {
		t.Fatalf("the trace has %d SQL and %d cache spans, want some of each", kinds[ertrace.KindSQL], kinds[ertrace.KindCache])
	}

	target := "/traces/" + id + "/sequence"
	r = c.get(target, nil)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d: %.500s", target, r.StatusCode, r.text)
	}
	if got := r.Header.Get("Content-Type"); got != htmlType {
		t.Errorf("Content-Type = %q, want %q", got, htmlType)
	}
	assertSecurityHeaders(t, r, false)
	doc := parseHTML(t, r.text)
	assertNoInlineCode(t, doc)
	if got := doc.Find("h1").Text(); got != "Sequence diagram" {
		t.Errorf("h1 = %q", got)
	}
	if got := doc.Find(".seq-meta code").Text(); got != id {
		t.Errorf("trace id shown = %q, want %q", got, id)
	}
	if got := doc.Find(".seq-meta a").AttrOr("href", ""); got != "/api/v1/traces/"+id {
		t.Errorf("JSON link = %q", got)
	}
	checkSequenceSVG(t, doc, kinds)

	t.Run("fragment", func(t *testing.T) {
		r := c.get(target, hdr("HX-Request", "true"))
		if r.StatusCode != http.StatusOK || strings.Contains(r.text, "<html") {
			t.Fatalf("status %d, a whole page: %v", r.StatusCode, strings.Contains(r.text, "<html"))
		}
		checkSequenceSVG(t, parseHTML(t, r.text), kinds)
	})

	t.Run("another visitor sees it as the JSON twin does", func(t *testing.T) {
		other := newClient(t, srv)
		if got := other.get("/api/v1/traces/"+id, nil).StatusCode; got != http.StatusOK {
			t.Fatalf("JSON twin: status %d", got)
		}
		r := other.get(target, nil)
		if r.StatusCode != http.StatusOK {
			t.Fatalf("status %d", r.StatusCode)
		}
		checkSequenceSVG(t, parseHTML(t, r.text), kinds)
	})

	for _, bogus := range []string{"nope", "0123456789abcdef0123456789abcdef", strings.Repeat("0", 32), id + "0"} {
		t.Run("unknown "+bogus, func(t *testing.T) {
			r := c.get("/traces/"+bogus+"/sequence", nil)
			if r.StatusCode != http.StatusNotFound {
				t.Fatalf("status %d, want 404", r.StatusCode)
			}
			doc := parseHTML(t, r.text)
			if doc.Find(".error-page").Length() != 1 || !strings.Contains(doc.Find(".error-page").Text(), "no stored trace") {
				t.Errorf("not the 404 page: %.500s", r.text)
			}
		})
	}
}

// checkSequenceSVG checks the diagram against the counts of span kinds
// of its trace.
func checkSequenceSVG(t *testing.T, doc *goquery.Document, kinds map[string]int) {
	t.Helper()
	svg := doc.Find(".seq-scroll svg.seq")
	if svg.Length() != 1 {
		t.Fatalf("%d svg.seq in a .seq-scroll, want 1", svg.Length())
	}
	label := svg.AttrOr("aria-label", "")
	if svg.AttrOr("role", "") != "img" || !strings.HasPrefix(label, "Sequence diagram: Browser, Server, Database and Cache exchange ") {
		t.Errorf("role, aria-label = %q, %q", svg.AttrOr("role", ""), label)
	}
	if got := svg.ChildrenFiltered("title").Text(); got != label {
		t.Errorf("title = %q, want the aria-label %q", got, label)
	}
	var names []string
	svg.Find(".seq-participant .seq-name").Each(func(_ int, s *goquery.Selection) { names = append(names, s.Text()) })
	if want := []string{"Browser", "Server", "Database", "Cache"}; !slices.Equal(names, want) {
		t.Errorf("participants = %q, want %q", names, want)
	}
	msgs := svg.Find("g.seq-msg")
	count := func(sel string) int { return msgs.Filter(sel).Length() }
	tests := []struct {
		sel  string
		want int
	}{
		{`.kind-request:not(.is-return)[data-from="Browser"][data-to="Server"]`, 1},
		{`.kind-request.is-return[data-from="Server"][data-to="Browser"]`, 1},
		{`.kind-sql:not(.is-return)[data-from="Server"][data-to="Database"]`, kinds[ertrace.KindSQL]},
		{`.kind-sql.is-return[data-from="Database"][data-to="Server"]`, kinds[ertrace.KindSQL]},
		{`.kind-cache[data-from="Server"][data-to="Cache"]`, kinds[ertrace.KindCache]},
		{`.is-error`, 0},
	}
	for _, tt := range tests {
		if got := count(tt.sel); got != tt.want {
			t.Errorf("%d messages %s, want %d", got, tt.sel, tt.want)
		}
	}
	if got := msgs.Length(); got != 2+2*kinds[ertrace.KindSQL]+kinds[ertrace.KindCache] {
		t.Errorf("%d messages in all", got)
	}
	if got := msgs.Last().Find(".seq-label").Text(); got != "200 OK" {
		t.Errorf("the response says %q, want 200 OK", got)
	}
	cache := msgs.Filter(".kind-cache").Find(".seq-label")
	// Cold, then warm: the first GET misses, a later one hits.
	var gets []string
	cache.Each(func(_ int, s *goquery.Selection) {
		if strings.HasPrefix(s.Text(), "GET ") {
			gets = append(gets, s.Text())
		}
	})
	if len(gets) < 2 || !strings.HasSuffix(gets[0], " miss") || !strings.HasSuffix(gets[len(gets)-1], " hit") {
		t.Errorf("cache GETs = %q, want a miss, then a hit", gets)
	}
	for _, sel := range []string{".seq-line", ".seq-head", ".seq-dur"} {
		if got := msgs.Filter(":not(.is-return)").Find(sel).Length(); got != msgs.Filter(":not(.is-return)").Length() {
			t.Errorf("%d calls have a %s, want all %d", got, sel, msgs.Filter(":not(.is-return)").Length())
		}
	}
	if got := doc.Find(".seq-list li").Length(); got != msgs.Length() {
		t.Errorf("the list has %d items, want %d", got, msgs.Length())
	}
}

// TestTraceSequenceLink checks the back end pane of a run links to the
// diagram of its trace.
func TestTraceSequenceLink(t *testing.T) {
	srv := newServer(t, web.Config{})
	c := primed(t, srv)
	form := url.Values{"route": {"LHR-ORD"}, "ttl": {"60"}, "mode": {"one search"}, "_csrf": {c.cookie(csrfCookie)}}
	r := c.postForm("/demos/cache-aside", form, hdr("HX-Request", "true"))
	if r.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %.500s", r.StatusCode, r.text)
	}
	id := traceIDOf(t, r)
	link := parseHTML(t, r.text).Find(".pane-back .trace-meta a.trace-sequence")
	if link.Length() != 1 || link.Text() != "Sequence diagram" || link.AttrOr("href", "") != "/traces/"+id+"/sequence" {
		t.Fatalf("link = %d, %q, %q; want /traces/%s/sequence", link.Length(), link.Text(), link.AttrOr("href", ""), id)
	}
	if got := c.get(link.AttrOr("href", ""), nil).StatusCode; got != http.StatusOK {
		t.Errorf("following the link: status %d", got)
	}
}

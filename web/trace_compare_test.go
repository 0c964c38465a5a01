package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	ertrace "github.com/engineroom/engineroom/playground/trace"
	"github.com/engineroom/engineroom/web"
)

var (
	compareDurRE     = `[0-9]+(?:\.[0-9]+)? (?:µs|ms|s)`
	compareVerdictRE = regexp.MustCompile(`^b was ` + compareDurRE + ` (faster|slower) \(([−+])[0-9]+%\)$`)
	compareTimeRE    = regexp.MustCompile(`^` + compareDurRE + `( \([0-9]+×\))?$`)
	compareDiffRE    = regexp.MustCompile(`^([−+])` + compareDurRE + `$`)
)

// TestCompare runs the cache-aside search twice, cold then warm, and
// compares the two traces: both waterfalls, their totals, the difference,
// and a row per span name, the SQL statement only in the cold run.
func TestCompare(t *testing.T) {
	srv := newServer(t, web.Config{})
	c := newClient(t, srv)
	run := func() (string, ertrace.JSON) {
		t.Helper()
		r := c.postJSON("/api/v1/demos/cache-aside", `{"route": "LHR-ORD"}`, nil)
		if r.StatusCode != http.StatusOK {
			t.Fatalf("running the demo: status %d: %.500s", r.StatusCode, r.text)
		}
		id := traceIDOf(t, r)
		var tr ertrace.JSON
		if err := json.Unmarshal([]byte(c.get("/api/v1/traces/"+id, nil).text), &tr); err != nil {
			t.Fatal(err)
		}
		return id, tr
	}
	idA, trA := run() // a miss: the database answers
	idB, trB := run() // a hit: the cache answers
	sqlName := ""
	for _, s := range trA.Spans {
		if s.Kind == ertrace.KindSQL {
			sqlName = s.Name
		}
	}
	if sqlName == "" {
		t.Fatal("the cold run has no SQL span")
	}

	target := "/traces/compare?" + url.Values{"a": {idA}, "b": {idB}}.Encode()
	r := c.get(target, nil)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d: %.500s", target, r.StatusCode, r.text)
	}
	if got := r.Header.Get("Content-Type"); got != htmlType {
		t.Errorf("Content-Type = %q, want %q", got, htmlType)
	}
	assertSecurityHeaders(t, r, false)
	doc := parseHTML(t, r.text)
	assertNoInlineCode(t, doc)
	if got := doc.Find("h1").Text(); got != "Compare two traces" {
		t.Errorf("h1 = %q", got)
	}

	// The verdict agrees with the two totals it sits above.
	verdict := doc.Find("p.compare-verdict")
	m := compareVerdictRE.FindStringSubmatch(verdict.Find("strong").Text())
	if m == nil {
		t.Fatalf("verdict %q does not match %s", verdict.Text(), compareVerdictRE)
	}
	totalA, totalB := doc.Find(".compare-total-a dd").Text(), doc.Find(".compare-total-b dd").Text()
	da, errA := compareParseDur(totalA)
	db, errB := compareParseDur(totalB)
	if errA != nil || errB != nil {
		t.Fatalf("totals %q, %q: %v %v", totalA, totalB, errA, errB)
	}
	if want := map[bool]string{true: "faster", false: "slower"}[db < da]; m[1] != want || !verdict.HasClass("is-"+want) || m[2] != map[string]string{"faster": "−", "slower": "+"}[want] {
		t.Errorf("verdict %q (class %q) for a %s and b %s, want %s", verdict.Text(), verdict.AttrOr("class", ""), totalA, totalB, want)
	}
	diff := doc.Find(".compare-diff")
	if !diff.HasClass("is-"+m[1]) || !compareDiffRE.MatchString(diff.Find("dd").Text()) || diff.Find("dt").Text() != "b − a" {
		t.Errorf("difference: class %q, %q = %q", diff.AttrOr("class", ""), diff.Find("dt").Text(), diff.Find("dd").Text())
	}
	if got := doc.Find(".compare-links a").AttrOr("href", ""); got != "/traces/compare?a="+idB+"&b="+idA {
		t.Errorf("swap link = %q", got)
	}

	// Each side is the back end pane's waterfall of its own trace.
	for _, side := range []struct {
		label, id, total string
		tr               ertrace.JSON
	}{{"a", idA, totalA, trA}, {"b", idB, totalB, trB}} {
		pane := doc.Find(".compare-panes > section.pane.pane-back.compare-side-" + side.label)
		if pane.Length() != 1 {
			t.Fatalf("%d panes for %s", pane.Length(), side.label)
		}
		if got := pane.Find("h2.pane-title").Text(); got != side.label+" total "+side.total {
			t.Errorf("%s: title %q", side.label, got)
		}
		if got := pane.Find(".trace-meta code").Text(); got != side.id[:12]+"…" {
			t.Errorf("%s: trace shown %q, want %q…", side.label, got, side.id[:12])
		}
		if got := pane.Find(".trace-meta a.trace-sequence").AttrOr("href", ""); got != "/traces/"+side.id+"/sequence" {
			t.Errorf("%s: sequence link %q", side.label, got)
		}
		if got := pane.Find(".trace-meta button.trace-pin").AttrOr("data-pin-trace", ""); got != side.id {
			t.Errorf("%s: pin button for %q", side.label, got)
		}
		// The page's own request is still open when the later run is
		// read, so count the spans both saw finished.
		if got := pane.Find("ol.waterfall > li.span").Length(); got < len(side.tr.Spans) {
			t.Errorf("%s: %d rows, want at least the %d spans of its JSON twin", side.label, got, len(side.tr.Spans))
		}
		if got := pane.Find("p.compare-json a").AttrOr("href", ""); got != "/api/v1/traces/"+side.id {
			t.Errorf("%s: JSON link %q", side.label, got)
		}
	}

	// Span by span: the SQL statement only in a; the cache GET in both.
	rows := map[string]*goquery.Selection{}
	doc.Find("table.compare-spans tbody tr.compare-row").Each(func(_ int, tr *goquery.Selection) {
		name := tr.Find(".compare-name").Text()
		if rows[name] != nil {
			t.Errorf("two rows for %q", name)
		}
		rows[name] = tr
		kind := strings.TrimPrefix(regexp.MustCompile(`kind-\S+`).FindString(tr.AttrOr("class", "")), "kind-")
		if kind == "" || tr.Find(".span-kind").Text() == "" {
			t.Errorf("%q: kind %q, label %q", name, kind, tr.Find(".span-kind").Text())
		}
		a, b, d := tr.Find("td.compare-a").Text(), tr.Find("td.compare-b").Text(), tr.Find("td.compare-change").Text()
		switch {
		case tr.HasClass("is-only-a"):
			if !compareTimeRE.MatchString(a) || b != "not in b" || d != "not in b" {
				t.Errorf("%q only in a: %q | %q | %q", name, a, b, d)
			}
		case tr.HasClass("is-only-b"):
			if a != "not in a" || !compareTimeRE.MatchString(b) || d != "not in a" {
				t.Errorf("%q only in b: %q | %q | %q", name, a, b, d)
			}
		case tr.HasClass("is-same"):
			// Within a few microseconds: shown, not highlighted.
			if !compareTimeRE.MatchString(a) || !compareTimeRE.MatchString(b) || (d != "±0" && !compareDiffRE.MatchString(d)) {
				t.Errorf("%q the same: %q | %q | %q", name, a, b, d)
			}
		default:
			dm := compareDiffRE.FindStringSubmatch(d)
			if dm == nil || !compareTimeRE.MatchString(a) || !compareTimeRE.MatchString(b) ||
				!tr.HasClass(map[string]string{"−": "is-faster", "+": "is-slower"}[dm[1]]) {
				t.Errorf("%q in both: %q | %q | %q, class %q", name, a, b, d, tr.AttrOr("class", ""))
			}
		}
	})
	if tr := rows[sqlName]; tr == nil || !tr.HasClass("is-only-a") || !tr.HasClass("kind-sql") || tr.Find(".span-kind").Text() != "SQL" {
		t.Errorf("the SQL span %q is not shown as only in a: %v", sqlName, tr != nil)
	}
	cacheRows := 0
	for name, tr := range rows {
		if tr.HasClass("kind-cache") && !tr.HasClass("is-only-a") && !tr.HasClass("is-only-b") {
			cacheRows++
			if tr.Find(".span-kind").Text() != "Cache" {
				t.Errorf("%q: kind label %q", name, tr.Find(".span-kind").Text())
			}
		}
	}
	if cacheRows == 0 {
		t.Errorf("no cache span is matched in both traces: %v", rows)
	}

	for _, tt := range []struct {
		name, query string
		status      int
		text        string
	}{
		{"unknown a", "a=" + strings.Repeat("0", 32) + "&b=" + idB, http.StatusNotFound, "no stored trace for a:"},
		{"unknown b", "a=" + idA + "&b=nope", http.StatusNotFound, "no stored trace for b:"},
		{"unknown both", "a=x&b=" + idA + "0", http.StatusNotFound, "no stored trace for a or b:"},
		{"script as id", "a=" + url.QueryEscape("<script>alert(1)</script>") + "&b=" + idB, http.StatusNotFound, "no stored trace for a:"},
		{"b missing", "a=" + idA, http.StatusBadRequest, "needs two trace ids"},
		{"none", "", http.StatusBadRequest, "needs two trace ids"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := c.get("/traces/compare?"+tt.query, nil)
			if r.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", r.StatusCode, tt.status)
			}
			page := parseHTML(t, r.text).Find(".error-page")
			if page.Length() != 1 || !strings.Contains(page.Text(), tt.text) {
				t.Errorf("error page does not say %q: %.500s", tt.text, page.Text())
			}
			if strings.Contains(r.text, "<script>alert") {
				t.Error("the id is echoed unescaped")
			}
		})
	}
}

// compareParseDur reads a duration as the waterfall shows it: "312.4 ms",
// "1.20 s", "85 µs".
func compareParseDur(s string) (time.Duration, error) {
	return time.ParseDuration(strings.ReplaceAll(s, " ", ""))
}

// TestComparePinControls checks the back end pane offers to pin its
// trace and compare with a pinned one, both hidden until the script
// shows them.
func TestComparePinControls(t *testing.T) {
	srv := newServer(t, web.Config{})
	c := primed(t, srv)
	form := url.Values{"route": {"LHR-ORD"}, "ttl": {"30"}, "mode": {"one search"}, "_csrf": {c.cookie(csrfCookie)}}
	r := c.postForm("/demos/cache-aside", form, hdr("HX-Request", "true", "X-CSRF-Token", c.cookie(csrfCookie)))
	if r.StatusCode != http.StatusOK {
		t.Fatalf("running the demo: status %d: %.500s", r.StatusCode, r.text)
	}
	id := traceIDOf(t, r)
	meta := parseHTML(t, r.text).Find(".pane-back .trace-meta")
	pin := meta.Find("button.trace-pin")
	if pin.Length() != 1 || pin.AttrOr("type", "") != "button" || pin.AttrOr("data-pin-trace", "") != id ||
		pin.AttrOr("aria-pressed", "") != "false" || pin.Text() != "Pin" || pin.AttrOr("hidden", "x") != "" {
		t.Errorf("pin button: %d, type %q, trace %q, aria-pressed %q, text %q, hidden %v",
			pin.Length(), pin.AttrOr("type", ""), pin.AttrOr("data-pin-trace", ""), pin.AttrOr("aria-pressed", ""), pin.Text(), pin.AttrOr("hidden", "x") == "")
	}
	link := meta.Find("a.trace-compare")
	if _, hasHref := link.Attr("href"); link.Length() != 1 || link.AttrOr("data-compare-trace", "") != id ||
		link.Text() != "Compare with pinned" || link.AttrOr("hidden", "x") != "" || hasHref {
		t.Errorf("compare link: %d, trace %q, text %q, hidden %v, href %v",
			link.Length(), link.AttrOr("data-compare-trace", ""), link.Text(), link.AttrOr("hidden", "x") == "", hasHref)
	}
	for _, a := range meta.Nodes[0].Attr {
		if strings.HasPrefix(a.Key, "hx-") {
			t.Errorf("the meta line carries %s", a.Key)
		}
	}
}

package web_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/engineroom/engineroom/content"
	"github.com/engineroom/engineroom/playground/trace"
	"github.com/engineroom/engineroom/web"
)

// conceptRun is one demo run: the demo's panel as it stands, with values
// set, so the runs between them reach retries, an open breaker and the
// other spans a default run does not.
type conceptRun struct {
	id  string
	set map[string]string
}

// extraConceptRuns are runs beyond every demo's default one.
var extraConceptRuns = []conceptRun{
	{id: "take-payment", set: map[string]string{"card": "4000 0000 0000 0119 (gateway asks to retry)"}},
	{id: "sql-select", set: map[string]string{"sql": "BEGIN; SELECT 1; COMMIT; EXPLAIN QUERY PLAN SELECT * FROM flights"}},
	{id: "webhook-delivery", set: map[string]string{"delivery": hookTwice}},
	{id: "idor-booking", set: map[string]string{"check": "yes (fixed)"}},
}

// mustSee are concepts the runs above must show: the classifier is checked
// against the spans the engines really record, not only against the
// spans of its own table test.
var mustSee = []string{
	"server-request", "middleware", "csrf-check", "handler", "render", "app-step",
	"sql-read", "sql-write", "sql-transaction", "sql-plan",
	"cache-hit", "cache-miss", "cache-write", "cache-eviction",
	"http-service", "http-retry", "http-api", "outbound-call", "backoff", "breaker-open",
	"job-enqueue", "password-hash", "session", "token", "authorization", "rate-limit",
	"encryption", "etag-check", "webhook-send", "webhook-verify", "health-check",
	"polling", "long-poll", "realtime-stream", "realtime-message", "event-publish",
	"replica-read", "shard-routing", "query-queue", "load-shedding",
}

// TestConceptLinksEverySpan runs every demo the lessons place, through the
// real router, and checks that every span row of every back end pane links
// its kind label to the lesson that introduces the span's concept.
func TestConceptLinksEverySpan(t *testing.T) {
	srv := newDemoServer(t)
	sqlReady(t, srv)
	lib, err := content.Load(content.Lessons)
	if err != nil {
		t.Fatal(err)
	}
	pageOf := map[string]string{}
	var runs []conceptRun
	for _, l := range lib.All() {
		for _, id := range l.Demos {
			pageOf[id] = "/lessons/" + l.Slug
			runs = append(runs, conceptRun{id: id})
		}
	}
	runs = append(runs, extraConceptRuns...)
	seen := map[string]bool{}
	for _, run := range runs {
		r, doc := demoPanelRun(t, srv, pageOf[run.id], run.id, run.set)
		if r.StatusCode != http.StatusOK {
			t.Errorf("%s: status %d", run.id, r.StatusCode)
			continue
		}
		rows := doc.Find(".pane-back ol.waterfall > li.span")
		if rows.Length() == 0 {
			t.Errorf("%s: no span rows", run.id)
		}
		rows.Each(func(i int, li *goquery.Selection) {
			name := strings.TrimSpace(li.Find(".span-name").Text())
			links := li.ChildrenFiltered("a.span-concept")
			if links.Length() != 1 || li.Find("summary a").Length() != 0 {
				t.Errorf("%s: row %d (%s) has %d concept links outside its summary, %d inside; want 1 and 0",
					run.id, i, name, links.Length(), li.Find("summary a").Length())
				return
			}
			href := links.AttrOr("href", "")
			slug, id, ok := strings.Cut(strings.TrimPrefix(href, "/lessons/"), "#concept-")
			home, found := lib.Home(id)
			c, known := trace.ConceptByID(id)
			switch {
			case !ok || !found || !known:
				t.Errorf("%s: row %d (%s) links to %q: not a lesson's concept", run.id, i, name, href)
			case home.Slug != slug:
				t.Errorf("%s: row %d (%s) links to %q; concept %s lives in %s", run.id, i, name, href, id, home.Slug)
			case !li.HasClass("kind-" + c.Kind):
				t.Errorf("%s: row %d (%s) is %q but links to %s, a %s concept", run.id, i, name, li.AttrOr("class", ""), id, c.Kind)
			case !strings.HasSuffix(links.AttrOr("aria-label", ""), " — explained in "+home.Title):
				t.Errorf("%s: row %d (%s): aria-label %q", run.id, i, name, links.AttrOr("aria-label", ""))
			}
			seen[id] = true
		})
	}
	for _, id := range mustSee {
		if !seen[id] {
			t.Errorf("no demo run showed a %s span", id)
		}
	}
	var all []string
	for _, c := range trace.Concepts() {
		if !seen[c.ID] {
			all = append(all, c.ID)
		}
	}
	t.Logf("concepts no run showed (covered by the classifier's table test): %v", all)
}

// TestConceptLinksInTheSQLPane checks one pane by selector: each kind of
// statement links to its own lesson, named for people.
func TestConceptLinksInTheSQLPane(t *testing.T) {
	srv := newDemoServer(t)
	sqlReady(t, srv)
	_, doc := demoPanelRun(t, srv, "/lessons/sql-basics", "sql-select", map[string]string{
		"sql": "BEGIN; SELECT flight_no FROM flights LIMIT 1; UPDATE members SET miles = miles WHERE id = 1; COMMIT",
	})
	tests := []struct {
		name, href, label string
	}{
		{"BEGIN", "/lessons/transactions-and-concurrency#concept-sql-transaction", "SQL transaction — explained in Transactions and concurrency"},
		{"SELECT", "/lessons/sql-basics#concept-sql-read", "SQL read — explained in Asking a database questions"},
		{"UPDATE", "/lessons/writing-data-and-constraints#concept-sql-write", "SQL write — explained in Writing data, and the rules that guard it"},
		{"COMMIT", "/lessons/transactions-and-concurrency#concept-sql-transaction", "SQL transaction — explained in Transactions and concurrency"},
	}
	rows := doc.Find(".pane-back li.span.kind-sql")
	if rows.Length() != len(tests) {
		t.Fatalf("%d SQL rows, want %d", rows.Length(), len(tests))
	}
	for i, tt := range tests {
		li := rows.Eq(i)
		a := li.Find("a.span-concept")
		if got := li.Find(".span-name").Text(); got != tt.name {
			t.Errorf("row %d: name %q, want %q", i, got, tt.name)
		}
		if a.AttrOr("href", "") != tt.href || a.AttrOr("aria-label", "") != tt.label || a.AttrOr("title", "") != tt.label {
			t.Errorf("row %d: link href %q aria-label %q title %q; want %q, %q", i, a.AttrOr("href", ""), a.AttrOr("aria-label", ""), a.AttrOr("title", ""), tt.href, tt.label)
		}
		if a.Find(".span-kind").Text() != "SQL" || !li.HasClass("has-concept") || li.Find("summary .span-kind").Length() != 0 {
			t.Errorf("row %d: chip %q, class %q; want the SQL chip in the link only", i, a.Find(".span-kind").Text(), li.AttrOr("class", ""))
		}
	}
	// A chip that does not say what the concept is named still leads the
	// accessible name.
	rows = doc.Find(".pane-back li.span.kind-server a.span-concept")
	if got := rows.First().AttrOr("aria-label", ""); got != "Server request — explained in What happens when you click" {
		t.Errorf("server row aria-label %q", got)
	}
}

// TestConceptLinksLessonPage checks each lesson lists the concepts it
// introduces, in its front matter's order, each an anchor the back end
// pane links to, with its kind's chip.
func TestConceptLinksLessonPage(t *testing.T) {
	srv := newServer(t, web.Config{})
	lib, err := content.Load(content.Lessons)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lib.All() {
		doc := parseHTML(t, newClient(t, srv).get("/lessons/"+l.Slug, nil).text)
		list := doc.Find("section.lesson-concepts")
		if len(l.Introduces) == 0 {
			if list.Length() != 0 {
				t.Errorf("%s introduces nothing but shows a list", l.Slug)
			}
			continue
		}
		if got := strings.TrimSpace(list.Find("h2").Text()); got != "Spans this lesson introduces" {
			t.Errorf("%s: heading %q", l.Slug, got)
		}
		var ids []string
		list.Find("li").Each(func(_ int, li *goquery.Selection) {
			id := strings.TrimPrefix(li.AttrOr("id", ""), "concept-")
			ids = append(ids, id)
			c, _ := trace.ConceptByID(id)
			if !li.HasClass("kind-"+c.Kind) || li.Find(".span-kind").Text() == "" || li.Find(".concept-label").Text() != c.Label {
				t.Errorf("%s: item %s: class %q, chip %q, label %q; want kind-%s and %q", l.Slug, id,
					li.AttrOr("class", ""), li.Find(".span-kind").Text(), li.Find(".concept-label").Text(), c.Kind, c.Label)
			}
		})
		if !slices.Equal(ids, l.Introduces) {
			t.Errorf("%s lists %v, want %v", l.Slug, ids, l.Introduces)
		}
	}
}

// TestConceptLinksJSON checks the JSON twin names each span's concept.
func TestConceptLinksJSON(t *testing.T) {
	srv := newDemoServer(t)
	sqlReady(t, srv)
	r, got := demoAPIRun(t, srv, "cache-aside", map[string]any{})
	if r.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", r.StatusCode, r.text)
	}
	byConcept := map[string]int{}
	for _, s := range got.Trace.Spans {
		c, ok := trace.ConceptByID(s.Concept)
		if !ok || c.Kind != s.Kind {
			t.Errorf("span %q (%s): concept %q", s.Name, s.Kind, s.Concept)
		}
		byConcept[s.Concept]++
	}
	for _, want := range []string{"server-request", "handler", "cache-miss", "sql-read", "cache-write"} {
		if byConcept[want] == 0 {
			t.Errorf("no %s span in %v", want, byConcept)
		}
	}
}

// TestHomeMarksVisitedLessons checks what the visited-lessons script needs
// from the server: every lesson link on the home page and in a lesson's
// map names its lesson, and every page loads the script, deferred, from
// our own origin (the Content-Security-Policy allows no inline script).
func TestHomeMarksVisitedLessons(t *testing.T) {
	srv := newServer(t, web.Config{})
	c := newClient(t, srv)
	for _, tt := range []struct{ page, links string }{
		{"/", "a.lesson-card"},
		{"/lessons/what-is-the-back-end", ".curriculum-map a"},
	} {
		doc := parseHTML(t, c.get(tt.page, nil).text)
		links := doc.Find(tt.links)
		if links.Length() < 30 {
			t.Errorf("%s: %d lesson links, want every lesson", tt.page, links.Length())
		}
		links.Each(func(_ int, a *goquery.Selection) {
			if want := "/lessons/" + a.AttrOr("data-lesson", ""); a.AttrOr("href", "") != want {
				t.Errorf("%s: link %q has data-lesson %q", tt.page, a.AttrOr("href", ""), a.AttrOr("data-lesson", ""))
			}
		})
		if links.Filter(".is-visited").Length() != 0 || doc.Find(".visited-mark").Length() != 0 {
			t.Errorf("%s: the server marked lessons visited; only the browser knows", tt.page)
		}
		script := doc.Find(`head script[src^="/static/visited.js?v="]`)
		if _, deferred := script.Attr("defer"); script.Length() != 1 || !deferred {
			t.Errorf("%s: %d visited.js scripts, deferred %v", tt.page, script.Length(), deferred)
		}
		assertNoInlineCode(t, doc)
	}
	r := c.get("/static/visited.js", nil)
	if mt, _ := mediaType(t, r); r.StatusCode != http.StatusOK || mt != "text/javascript" || !strings.Contains(r.text, "localStorage") {
		t.Errorf("GET /static/visited.js: status %d, type %q", r.StatusCode, mt)
	}
}

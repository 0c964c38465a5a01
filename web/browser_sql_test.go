package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserSQL drives the SQL console and a database lesson the way a
// visitor does: typing SQL, running it from the keyboard, resetting the
// database with its button.
func TestBrowserSQL(t *testing.T) {
	requireChromium(t)
	base := startBrowserServer(t)
	sqlWarmURL(t, base)
	browser := startBrowser(t)
	tests := []struct {
		vp     browserViewport
		lesson bool // also run the N+1 lesson demo
	}{
		{vp: projectorViewport, lesson: true},
		{vp: phoneViewport},
	}
	for _, tt := range tests {
		t.Run(tt.vp.name, func(t *testing.T) {
			tab := openTab(t, browser, base, tt.vp)
			tab.sqlConsole(t)
			tab.saveShot(t, tt.vp.name+"-sql-console.png", "#demo-sql-result")
			tab.noHorizontalScroll(t, "on the SQL console after a run")
			if tt.lesson {
				tab.sqlLessonDemo(t)
				tab.saveShot(t, tt.vp.name+"-n-plus-one.png", "#demo-n-plus-one-result")
			}
		})
	}
}

// sqlWarmURL waits until the server at base runs SQL: the demo data every
// sandbox is cloned from may still be building when the server starts.
func sqlWarmURL(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		res, err := http.Post(base+"/api/v1/sql", "application/json", strings.NewReader(`{"sql":"SELECT 1"}`))
		if err != nil {
			t.Fatalf("warming up: %v", err)
		}
		res.Body.Close()
		switch {
		case res.StatusCode == http.StatusOK:
			return
		case res.StatusCode != http.StatusServiceUnavailable || time.Now().After(deadline):
			t.Fatalf("warming up: status %d", res.StatusCode)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// sqlConsole runs queries in the console from the keyboard, changes the
// visitor's data and resets it with the button.
func (b *browserTab) sqlConsole(t *testing.T) {
	t.Helper()
	b.do(t, "opening the SQL console",
		chromedp.Navigate(b.base+"/sql"),
		chromedp.WaitVisible(chromedp.CSS("#demo-sql-sql")),
		chromedp.Evaluate[chromedp.Void](`window.sameDocument = true`),
	)

	const query = "SELECT code, city FROM airports ORDER BY code LIMIT 3;"
	b.sqlRun(t, query)
	b.do(t, "waiting for three rows", chromedp.WaitVisible(chromedp.CSS("#demo-sql-result table.data tbody tr")))
	if got, want := b.sqlTables(t), [][][]string{{{"AKL", "Auckland"}, {"AMS", "Amsterdam"}, {"ARN", "Stockholm"}}}; !slices.EqualFunc(got, want, sqlTableEqual) {
		t.Errorf("the result tables are %q, want %q", got, want)
	}
	spans := b.sqlSpans(t)
	if !slices.ContainsFunc(spans, func(s sqlSpanRow) bool {
		return strings.Contains(s.Name, "SELECT") && s.Attrs["db.query.text"] == strings.TrimSuffix(query, ";") && s.Attrs["db.system"] == "sqlite"
	}) {
		t.Errorf("no SQL row in the waterfall named SELECT with db.query.text %q: %+v", strings.TrimSuffix(query, ";"), spans)
	}
	loc, err := url.Parse(b.location(t))
	if err != nil {
		t.Fatal(err)
	}
	if loc.Path != "/sql" || loc.Query().Get("q") != query {
		t.Errorf("the address is %s, want /sql?q= holding the query %q", loc, query)
	}
	if !browserEval[bool](t, b, `window.sameDocument === true && history.state && history.state.engineRoom === true`) {
		t.Error("the run did not push a history entry in place: it loaded a new document or pushed nothing")
	}

	// Foreign keys guard the airports the flights use.
	b.sqlRun(t, "DELETE FROM airports WHERE code = 'LHR';")
	if got := b.sqlError(t); !strings.Contains(got, "SQLITE_CONSTRAINT_FOREIGNKEY") {
		t.Errorf("DELETE FROM airports WHERE code = 'LHR' shows %q, want SQLITE_CONSTRAINT_FOREIGNKEY", got)
	}
	b.sqlRun(t, "INSERT INTO airports (code, city, country) VALUES ('ZZZ', 'Testville', 'Nowhere');\nSELECT count(*) FROM airports;")
	if got := b.sqlCount(t); got != "53" {
		t.Errorf("after the insert the count is %q, want 53", got)
	}

	b.click(t, `#demo-sql .sql-tools form[action="/sql/reset"] button[type="submit"]`)
	b.waitFor(t, "the reset notice shows", `(() => {
		const n = document.querySelector('#demo-sql-result .notice-ok');
		return !!n && n.textContent.includes('fresh copy of the demo data');
	})()`, 10*time.Second)

	b.sqlRun(t, "SELECT count(*) FROM airports;")
	if got := b.sqlCount(t); got != "52" {
		t.Errorf("after the reset the count is %q, want 52", got)
	}
	if loc := b.location(t); !strings.HasSuffix(loc, "/sql?q="+url.QueryEscape("SELECT count(*) FROM airports;")) {
		t.Errorf("the address is %s, want the last query in it", loc)
	}
}

// sqlLessonDemo runs the N+1 demo with its defaults and counts its queries.
func (b *browserTab) sqlLessonDemo(t *testing.T) {
	t.Helper()
	b.do(t, "opening the joins lesson",
		chromedp.Navigate(b.base+"/lessons/joins-and-n-plus-one"),
		chromedp.WaitVisible(chromedp.CSS("#demo-n-plus-one button.btn-run")),
	)
	b.click(t, "#demo-n-plus-one button.btn-run")
	b.waitForNewResult(t, "n-plus-one", "")
	r := b.result(t, "n-plus-one")
	n := 0
	for _, k := range r.Kinds {
		if k == "kind-sql" {
			n++
		}
	}
	if n < 21 {
		t.Errorf("the waterfall has %d SQL rows, want at least 21 (1 + 20): %v", n, r.Names)
	}
	if !strings.Contains(r.Output, "21 queries") {
		t.Errorf("the front end pane says %q, want 21 queries", r.Output)
	}
}

// sqlRun types query into the console, runs it with Ctrl+Enter and waits
// for the new result.
func (b *browserTab) sqlRun(t *testing.T, query string) {
	t.Helper()
	before := b.result(t, "sql")
	b.do(t, "typing "+strconv.Quote(query),
		clearField("#demo-sql-sql"),
		chromedp.SendKeys(chromedp.CSS("#demo-sql-sql"), query),
	)
	if got := browserEval[string](t, b, `document.getElementById('demo-sql-sql').value`); got != query {
		t.Fatalf("the textarea holds %q, want %q", got, query)
	}
	b.do(t, "pressing Ctrl+Enter", chromedp.KeyEvent("\r", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	b.waitForNewResult(t, "sql", before.Trace)
}

// sqlTables are the cells of every result table in the console, NULL
// cells as "NULL".
func (b *browserTab) sqlTables(t *testing.T) [][][]string {
	t.Helper()
	return browserEval[[][][]string](t, b, `Array.from(document.querySelectorAll('#demo-sql-result .pane-front table.data')).map((tb) =>
		Array.from(tb.querySelectorAll('tbody tr')).map((tr) => Array.from(tr.cells).map((td) => td.textContent)))`)
}

func sqlTableEqual(a, b [][]string) bool {
	return slices.EqualFunc(a, b, func(x, y []string) bool { return slices.Equal(x, y) })
}

// sqlCount is the single cell of the console's last result table.
func (b *browserTab) sqlCount(t *testing.T) string {
	t.Helper()
	tables := b.sqlTables(t)
	if len(tables) == 0 || len(tables[len(tables)-1]) != 1 || len(tables[len(tables)-1][0]) != 1 {
		t.Fatalf("the console shows %q, want a last table of one cell; errors: %q", tables, b.sqlError(t))
	}
	return tables[len(tables)-1][0][0]
}

// sqlError is the text of the console's statement errors.
func (b *browserTab) sqlError(t *testing.T) string {
	t.Helper()
	return browserEval[string](t, b, `Array.from(document.querySelectorAll('#demo-sql-result .pane-front .notice-error')).map((n) => n.textContent).join(' | ')`)
}

// sqlSpanRow is a SQL row of the console's waterfall.
type sqlSpanRow struct {
	Name  string            `json:"name"`
	Attrs map[string]string `json:"attrs"`
}

func (b *browserTab) sqlSpans(t *testing.T) []sqlSpanRow {
	t.Helper()
	return browserEval[[]sqlSpanRow](t, b, `Array.from(document.querySelectorAll('#demo-sql-result .pane-back li.span.kind-sql')).map((li) => {
		const attrs = {};
		li.querySelectorAll('dl.attrs dt').forEach((dt) => { attrs[dt.textContent] = dt.nextElementSibling ? dt.nextElementSibling.textContent : ''; });
		return { name: li.querySelector('.span-name').textContent, attrs };
	})`)
}

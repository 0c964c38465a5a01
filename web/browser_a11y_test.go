package web

import (
	"context"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/engineroom/engineroom/content"
)

// a11yTabTimeout bounds one theme's whole scan: every page, twice for
// each lesson, under the race detector on a busy machine.
const a11yTabTimeout = 8 * time.Minute

// TestBrowserAccessibility scans every page with axe-core at projector
// size in the light and the dark theme, and on a phone: the home page,
// each lesson before and after its first demo ran (so the result panes
// are scanned too), the SQL console, the API reference, the mailbox, the
// airline's login page, a run's sequence diagram, the comparison of two
// runs, the join page, the rooms page and a room's page, an error page and
// a lesson in presenter mode. Any violation axe rates serious or critical
// fails it. The dark theme's pass runs only the colour rules: the markup
// is the same in both themes.
//
// axe-core is not vendored: AXE_PATH names its axe.min.js, which .ci/run
// installs from npm. Without it the test is skipped, except on CI.
func TestBrowserAccessibility(t *testing.T) {
	axePath := os.Getenv("AXE_PATH")
	if axePath == "" && os.Getenv("CI") == "true" {
		t.Fatal("CI=true but AXE_PATH is not set: .ci/run installs axe-core and sets it")
	}
	if axePath == "" {
		t.Skip("set AXE_PATH to axe-core's axe.min.js to scan every page " +
			"(npm install --prefix /tmp/axe axe-core; AXE_PATH=/tmp/axe/node_modules/axe-core/axe.min.js)")
	}
	requireChromium(t)
	axe, err := os.ReadFile(axePath)
	if err != nil {
		t.Fatalf("reading axe-core: %v", err)
	}
	lib, err := content.Load(content.Lessons)
	if err != nil {
		t.Fatal(err)
	}
	base := startBrowserServer(t)
	for _, theme := range []string{"light", "dark"} {
		t.Run(theme, func(t *testing.T) {
			start := time.Now()
			tab := &a11yScanner{browserTab: openA11yTab(t, startBrowserFor(t, a11yTabTimeout+time.Minute), base, string(axe), theme, projectorViewport)}
			if theme == "dark" {
				// The markup is the same in both themes: only colours change.
				tab.rules = []string{"color-contrast", "link-in-text-block"}
			}
			tab.scanPage(t, "/", false)
			var sequence string
			for _, l := range lib.All() {
				if ran := tab.scanPage(t, "/lessons/"+l.Slug, len(l.Demos) > 0); sequence == "" && ran != "" {
					sequence = ran
				}
			}
			if sequence == "" {
				t.Fatal("no demo run linked to its sequence diagram")
			}
			tab.scanPage(t, "/sql", true)
			tab.scanPage(t, "/api", false)
			tab.scanPage(t, "/mailbox", false)
			tab.scanPage(t, "/airline/login", false)
			tab.scanPage(t, sequence, false)
			id := strings.Split(sequence, "/")[2]
			tab.scanPage(t, "/traces/compare?a="+id+"&b="+id, false)
			tab.scanPage(t, "/join?path=/", false)
			tab.scanRooms(t)
			tab.expectProblem("404")
			tab.scanPage(t, "/lessons/no-such-lesson", false)
			// Last: presenter mode is remembered in the browser.
			tab.scanPage(t, browserLessonPath+"?present=1", true)
			if !browserEval[bool](t, tab.browserTab, presenting) {
				t.Error("?present=1 did not turn presenter mode on: the scan did not see it")
			}
			t.Logf("%s theme: scanned in %v", theme, time.Since(start).Round(time.Millisecond))
		})
	}
	// On a phone the layout changes, not the markup: what the narrow
	// screen can break are scroll regions (a table that fits a projector
	// scrolls on a phone), targets and text that no longer fits.
	t.Run("phone", func(t *testing.T) {
		start := time.Now()
		tab := &a11yScanner{browserTab: openA11yTab(t, startBrowserFor(t, a11yTabTimeout+time.Minute), base, string(axe), "light", phoneViewport)}
		tab.scanPage(t, "/", false)
		for _, l := range lib.All() {
			tab.scanPage(t, "/lessons/"+l.Slug, len(l.Demos) > 0)
		}
		tab.scanPage(t, "/sql", true)
		tab.scanPage(t, "/api", false)
		tab.scanPage(t, "/join?path=/", false)
		tab.scanRooms(t)
		t.Logf("phone: scanned in %v", time.Since(start).Round(time.Millisecond))
	})
}

// scanRooms scans the page that starts a room, starts one from it, and
// scans the room's page as its teacher sees it.
func (b *a11yScanner) scanRooms(t *testing.T) {
	t.Helper()
	b.scanPage(t, "/rooms?back=/", false)
	b.clickToNavigate(t, "form.rooms-start button[type=submit]")
	b.do(t, "waiting for the room's page", chromedp.WaitVisible(chromedp.CSS(`[data-room-role="teach"]`)))
	b.axe(t, "a room's page", "document")
}

// openA11yTab opens a tab of size vp in theme, with motion reduced
// (so no colour is caught halfway through a transition) and axe-core
// loaded into every document before the page's own scripts. DevTools adds
// it, so the page's CSP, which allows only our own scripts, does not
// apply.
func openA11yTab(t *testing.T, browser context.Context, base, axe, theme string, vp browserViewport) *browserTab {
	t.Helper()
	tab := openTab(t, browser, base, vp)
	// openTab's deadline suits a short scenario; keep its tab, not its clock.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(tab.ctx), a11yTabTimeout)
	t.Cleanup(cancel)
	tab.ctx = ctx
	if _, err := chromedp.Call(tab.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: "reduce"}},
	}); err != nil {
		t.Fatalf("reducing motion: %v", err)
	}
	if _, err := chromedp.Call(tab.ctx, page.AddScriptToEvaluateOnNewDocument,
		page.AddScriptToEvaluateOnNewDocumentParams{Source: axe}); err != nil {
		t.Fatalf("adding axe-core to every page: %v", err)
	}
	tab.do(t, "choosing the "+theme+" theme",
		chromedp.Navigate(base+"/"),
		chromedp.Evaluate[chromedp.Void](`localStorage.setItem('er-theme', '`+theme+`')`),
	)
	return tab
}

// a11yViolation is one axe rule a page breaks, with where.
type a11yViolation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	Nodes   int      `json:"nodes"`
	Targets []string `json:"targets"`
	Summary string   `json:"summary"`
}

// a11yScanner scans the pages a tab opens with axe-core.
type a11yScanner struct {
	*browserTab
	rules []string // the axe rules to run; all of them when empty
}

// scanPage opens path, checks its theme and scans it. With runDemo it
// then runs the page's first demo and scans that demo's panel again, its
// result panes now included, and returns the run's sequence diagram link.
func (b *a11yScanner) scanPage(t *testing.T, path string, runDemo bool) string {
	t.Helper()
	b.do(t, "opening "+path,
		chromedp.Navigate(b.base+path),
		chromedp.WaitReady(chromedp.CSS("body")),
	)
	theme := browserEval[string](t, b.browserTab, `localStorage.getItem('er-theme') + ' ' + document.documentElement.dataset.theme`)
	if f := strings.Fields(theme); len(f) != 2 || f[0] != f[1] {
		t.Fatalf("%s: the stored and the shown theme differ: %s", path, theme)
	}
	b.axe(t, path, "document")
	if !runDemo {
		return ""
	}
	id := browserEval[string](t, b.browserTab, `(document.querySelector('section.demo') || {id: ''}).id.replace(/^demo-/, '')`)
	if id == "" {
		t.Errorf("%s: no demo panel to run", path)
		return ""
	}
	b.click(t, "#demo-"+id+" button.btn-run")
	b.waitForNewResult(t, id, "")
	b.axe(t, path+" after running "+id, strconv.Quote("#demo-"+id))
	return browserEval[string](t, b.browserTab, `document.querySelector('#demo-`+id+`-result a.trace-sequence').getAttribute('href')`)
}

// axe runs axe-core on the part of the page the JavaScript expression
// context names, as it is now, and fails the test for every serious or
// critical violation.
func (b *a11yScanner) axe(t *testing.T, where, context string) {
	t.Helper()
	opts := `{ resultTypes: ['violations'] }`
	if len(b.rules) > 0 {
		rules, _ := json.Marshal(b.rules)
		opts = `{ resultTypes: ['violations'], runOnly: { type: 'rule', values: ` + string(rules) + ` } }`
	}
	start := time.Now()
	vs, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]a11yViolation](`axe.run(`+context+`, `+opts+`).then((r) =>
		r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => ({
			id: v.id,
			impact: v.impact,
			help: v.help,
			nodes: v.nodes.length,
			targets: v.nodes.slice(0, 4).map((n) => n.target.flat().join(' >>> ')),
			summary: (v.nodes[0].failureSummary || '').split('\n').slice(0, 3).join(' '),
		})))`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: running axe-core: %v", where, err)
	}
	for _, v := range vs {
		t.Errorf("%s: %s (%s): %s — %d nodes, e.g. %s\n\t%s", where, v.ID, v.Impact, v.Help, v.Nodes,
			strings.Join(v.Targets, " | "), v.Summary)
	}
	if len(vs) == 0 {
		t.Logf("%s: no serious or critical violations (%v)", where, time.Since(start).Round(time.Millisecond))
	}
}

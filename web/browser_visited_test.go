package web

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserVisited follows a span's kind link from a back end pane to
// the lesson that explains it, then checks the home page and a lesson's
// map mark the lessons this browser opened — on a 390 px phone, where the
// linked chips must still sit in their rows. It also lays a pane out in
// presenter mode on a projector.
func TestBrowserVisited(t *testing.T) {
	requireChromium(t)
	base := startBrowserServer(t)
	browser := startBrowser(t)
	t.Run("phone", func(t *testing.T) {
		tab := openTab(t, browser, base, phoneViewport)
		tab.runSQLSelect(t, base+"/lessons/sql-basics")
		tab.chipsInRows(t)
		tab.noHorizontalScroll(t, "after the SQL demo ran")
		tab.saveShot(t, "visited-phone-waterfall.png", "#demo-sql-select-result .pane-back")

		// The server span's chip leads to where server spans are explained.
		link := "#demo-sql-select-result li.span.kind-server > a.span-concept"
		if status := tab.clickToNavigate(t, link); status != 200 {
			t.Fatalf("the server span's lesson answered %d", status)
		}
		if loc, want := tab.location(t), base+"/lessons/what-happens-when-you-click#concept-server-request"; loc != want {
			t.Fatalf("the chip led to %s, want %s", loc, want)
		}
		if id := browserEval[string](t, tab, `(document.querySelector(':target') || {}).id || ''`); id != "concept-server-request" {
			t.Errorf("the target is %q, want the lesson's concept-server-request item", id)
		}
		tab.saveShot(t, "visited-phone-concepts.png", ".lesson-concepts")

		tab.do(t, "opening the home page", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("a.lesson-card")))
		tab.expectVisited(t, "a.lesson-card", "/lessons/sql-basics", "/lessons/what-happens-when-you-click")
		tab.noHorizontalScroll(t, "on the home page with visited lessons")
		tab.saveShot(t, "visited-phone-home.png", `a.lesson-card[href="/lessons/sql-basics"]`)

		// A lesson's map marks them too, but says "you are here" of itself.
		tab.do(t, "opening a lesson with the map", chromedp.Navigate(base+"/lessons/what-is-the-back-end"),
			chromedp.WaitVisible(chromedp.CSS(".curriculum-map")))
		tab.expectVisited(t, ".curriculum-map a", "/lessons/sql-basics", "/lessons/what-happens-when-you-click")
		tab.saveShot(t, "visited-phone-map.png", ".curriculum-map")
		tab.do(t, "opening the home page again", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("a.lesson-card")))
		tab.expectVisited(t, "a.lesson-card", "/lessons/what-is-the-back-end", "/lessons/sql-basics", "/lessons/what-happens-when-you-click")
	})
	t.Run("presenter", func(t *testing.T) {
		tab := openTab(t, browser, base, projectorViewport)
		tab.runSQLSelect(t, base+"/lessons/sql-basics?present=1")
		if !browserEval[bool](t, tab, `document.documentElement.classList.contains('present')`) {
			t.Fatal("presenter mode is off")
		}
		tab.chipsInRows(t)
		tab.saveShot(t, "visited-presenter-waterfall.png", "#demo-sql-select-result .pane-back")
	})
}

// runSQLSelect opens the lesson at url and runs its SQL demo as it stands.
func (b *browserTab) runSQLSelect(t *testing.T, url string) {
	t.Helper()
	b.do(t, "opening "+url, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS("#demo-sql-select button.btn-run")))
	b.click(t, "#demo-sql-select button.btn-run")
	b.waitFor(t, "the SQL span shows", `document.querySelector('#demo-sql-select-result li.span.kind-sql > a.span-concept') !== null`, 15*time.Second)
}

// chipsInRows checks every span row of the SQL demo's pane: its kind chip
// is a link laid over the row's kind column, beside the first line of the
// span's name and clear of it, a target big enough for a finger.
func (b *browserTab) chipsInRows(t *testing.T) {
	t.Helper()
	bad := browserEval[[]string](t, b, `(() => {
		const bad = [];
		const rows = document.querySelectorAll('#demo-sql-select-result li.span');
		if (rows.length === 0) bad.push('no rows');
		for (const li of rows) {
			const a = li.querySelector(':scope > a.span-concept');
			const name = li.querySelector('.span-name');
			if (!a) { bad.push('no link: ' + name.textContent); continue; }
			const c = a.querySelector('.span-kind').getBoundingClientRect();
			const t = a.getBoundingClientRect();
			const n = name.getBoundingClientRect();
			const row = li.querySelector('summary').getBoundingClientRect();
			const line = parseFloat(getComputedStyle(name).lineHeight);
			const what = name.textContent + ': ';
			if (c.right > n.left + 0.5) bad.push(what + 'chip ends at ' + c.right + ', name starts at ' + n.left);
			if (c.left < row.left || c.top < row.top - 0.5 || c.bottom > row.bottom + 0.5) bad.push(what + 'chip outside its row');
			if (c.bottom <= n.top || c.top >= n.top + line) bad.push(what + 'chip not beside the first line of the name');
			if (t.height < 24 || t.width < 24) bad.push(what + 'link target ' + t.width + '×' + t.height);
			if (!a.getAttribute('aria-label').includes(' — explained in ')) bad.push(what + 'aria-label ' + a.getAttribute('aria-label'));
		}
		return bad;
	})()`)
	for _, s := range bad {
		t.Error(s)
	}
}

// expectVisited waits for the visited-lessons script, then checks the
// links matched by sel that it marked are exactly want, each with a check
// mark hidden from screen readers and the word "visited" for them.
func (b *browserTab) expectVisited(t *testing.T, sel string, want ...string) {
	t.Helper()
	q := strconv.Quote(sel)
	b.waitFor(t, "the visited lessons are marked",
		`document.querySelectorAll(`+q+`.split(',').map((s) => s + '.is-visited').join(',')).length === `+strconv.Itoa(len(want)), 5*time.Second)
	type mark struct {
		Href    string `json:"href"`
		Hidden  string `json:"hidden"`
		Spoken  string `json:"spoken"`
		Visible bool   `json:"visible"`
	}
	got := browserEval[[]mark](t, b, `Array.from(document.querySelectorAll(`+q+`)).filter((a) => a.classList.contains('is-visited')).map((a) => {
		const m = a.querySelector('.visited-mark');
		const r = m ? m.getBoundingClientRect() : { width: 0 };
		return {
			href: a.getAttribute('href'),
			hidden: m ? m.querySelector('[aria-hidden="true"]').textContent : '',
			spoken: m ? m.querySelector('.vh').textContent.trim() : '',
			visible: r.width > 0,
		};
	})`)
	var hrefs []string
	for _, m := range got {
		hrefs = append(hrefs, m.Href)
		if m.Hidden != "✓" || m.Spoken != "visited" || !m.Visible {
			t.Errorf("%s: mark %+v; want a visible ✓ and a hidden \"visited\"", m.Href, m)
		}
	}
	slices.Sort(hrefs)
	slices.Sort(want)
	if !slices.Equal(hrefs, want) {
		t.Errorf("%s marked visited: %v, want %v", sel, hrefs, want)
	}
}

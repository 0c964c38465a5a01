package web

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestBrowserPresent is a teacher at a 1280×720 projector: presenter mode
// from the address, type read from the back row, the navigation gone, a
// demo run and stepped through span by span from the keyboard with each
// span's narration, the shortcut list, and the p key turning the mode off
// for good.
func TestBrowserPresent(t *testing.T) {
	requireChromium(t)
	base := startBrowserServer(t)
	browser := startBrowser(t)
	tab := openTab(t, browser, base, projectorViewport)

	tab.do(t, "opening the lesson in presenter mode",
		chromedp.Navigate(base+browserLessonPath+"?present=1"),
		chromedp.WaitVisible(chromedp.CSS("#demo-request-echo button.btn-run")),
	)
	tab.waitFor(t, "presenter mode is on", presenting, 5*time.Second)
	if loc := tab.location(t); loc != base+browserLessonPath {
		t.Errorf("after ?present=1 the address is %s, want the parameter taken out: %s", loc, base+browserLessonPath)
	}
	tab.checkPresenterPage(t)
	tab.noHorizontalScroll(t, "in presenter mode")
	tab.saveShot(t, "present-before-run.png", "#demo-request-echo")

	r := tab.send(t, "request-echo", "hello, back row")
	r.check(t, "hello, back row")
	tab.checkPresenterResult(t)
	tab.noHorizontalScroll(t, "in presenter mode after a run")
	tab.saveShot(t, "present-after-run.png", "#demo-request-echo-result")

	tab.stepThrough(t, r.Rows)
	tab.replayAndRerun(t, r.Trace)
	tab.printHandout(t)
	tab.shortcutList(t)
	tab.toggleWithP(t)
}

// presenting holds while the page is in presenter mode.
const presenting = `document.documentElement.classList.contains('present')`

// press sends keys to the page, with the focus on nothing in particular.
func (b *browserTab) press(t *testing.T, keys string) {
	t.Helper()
	b.do(t, "pressing "+strings.ToValidUTF8(keys, "?"),
		chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur()`),
		chromedp.KeyEvent(keys),
	)
}

// checkPresenterPage checks the type sizes, the hidden chrome and the
// contrast of the lesson page in presenter mode, in both themes.
func (b *browserTab) checkPresenterPage(t *testing.T) {
	t.Helper()
	type page struct {
		Body     float64  `json:"body"`
		Prose    float64  `json:"prose"`
		Code     float64  `json:"code"`
		CodeSel  string   `json:"codeSel"`
		Shown    []string `json:"shown"`
		Contrast []string `json:"contrast"`
	}
	for _, theme := range []string{"light", "dark"} {
		b.do(t, "switching to the "+theme+" theme", chromedp.Evaluate[chromedp.Void](`document.documentElement.dataset.theme = '`+theme+`'`))
		p := browserEval[page](t, b, `(() => {
			const px = (el) => parseFloat(getComputedStyle(el).fontSize);
			let code = 1e9, codeSel = '';
			for (const el of document.querySelectorAll('pre, code')) {
				if (px(el) < code) { code = px(el); codeSel = el.tagName + ' ' + el.textContent.slice(0, 30); }
			}
			const shown = ['.site-header', '.site-nav', '.site-footer', '.lesson-nav']
				.filter((s) => { const el = document.querySelector(s); return el && el.getClientRects().length > 0; });
			return { body: px(document.body), prose: px(document.querySelector('.prose p')), code, codeSel, shown,
				contrast: `+contrastJS+`(['body', '.prose p', '.prose a', '.demo-desc', '.hint', '.demo-form label']) };
		})()`)
		if p.Body < 28 || p.Prose < 28 {
			t.Errorf("%s: body text is %.1f px and prose %.1f px, want at least 28", theme, p.Body, p.Prose)
		}
		if p.Code < 24 {
			t.Errorf("%s: code is %.1f px (%s), want at least 24", theme, p.Code, p.CodeSel)
		}
		if len(p.Shown) > 0 {
			t.Errorf("%s: presenter mode still shows %v", theme, p.Shown)
		}
		for _, c := range p.Contrast {
			t.Errorf("%s: %s", theme, c)
		}
	}
	b.do(t, "going back to the browser's theme", chromedp.Evaluate[chromedp.Void](`delete document.documentElement.dataset.theme`))
}

// contrastJS is a JavaScript function that takes selectors and returns,
// for each first match whose text falls below WCAG AA (4.5:1), what it
// measured. Backgrounds are found by walking up to the first opaque one.
const contrastJS = `((sels) => {
	const rgb = (s) => (s.match(/[\d.]+/g) || []).map(Number);
	const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
		.reduce((a, v, i) => a + v * [0.2126, 0.7152, 0.0722][i], 0);
	const bg = (el) => {
		for (; el; el = el.parentElement) {
			const c = rgb(getComputedStyle(el).backgroundColor);
			if (c.length === 3 || c[3] > 0.99) return c;
		}
		return [255, 255, 255];
	};
	const out = [];
	for (const s of sels) {
		const el = document.querySelector(s);
		if (!el) continue;
		const a = lum(rgb(getComputedStyle(el).color)), b = lum(bg(el));
		const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
		if (ratio < 4.5) out.push(s + ': contrast ' + ratio.toFixed(2) + ':1, want at least 4.5:1');
	}
	return out;
})`

// checkPresenterResult checks a run's panes fill the screen's width, the
// waterfall and the exchange are at least 24 px, and every span carries
// its narration, hidden until stepped to.
func (b *browserTab) checkPresenterResult(t *testing.T) {
	t.Helper()
	type result struct {
		Width      float64  `json:"width"`
		Panes      []int    `json:"panes"`
		Small      []string `json:"small"`
		Narrations int      `json:"narrations"`
		Shown      int      `json:"shown"`
		Rows       int      `json:"rows"`
		Contrast   []string `json:"contrast"`
	}
	r := browserEval[result](t, b, `(() => {
		const res = document.getElementById('demo-request-echo-result');
		const small = [];
		for (const el of res.querySelectorAll('.waterfall *, .trace-meta *, .exchange *, pre, code')) {
			const own = Array.from(el.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim() !== '');
			const size = parseFloat(getComputedStyle(el).fontSize);
			if (own && el.getClientRects().length > 0 && size < 24 && small.length < 5) small.push(el.tagName + '.' + el.className + ' ' + size + 'px');
		}
		const rows = res.querySelectorAll('.pane-back ol.waterfall > li.span');
		const said = Array.from(rows).map((li) => li.querySelector('.span-narration'));
		return {
			width: window.innerWidth,
			panes: Array.from(res.querySelectorAll('.pane')).map((p) => Math.round(p.getBoundingClientRect().width)),
			small,
			narrations: said.filter((p) => p && p.textContent.trim().endsWith('.')).length,
			shown: said.filter((p) => p && p.getClientRects().length > 0).length,
			rows: rows.length,
			contrast: `+contrastJS+`(['#demo-request-echo-result .span-kind', '#demo-request-echo-result .span-name',
				'#demo-request-echo-result .trace-meta', '#demo-request-echo-result .pane-title small', '#demo-request-echo-result .http-start']),
		};
	})()`)
	for _, w := range r.Panes {
		if float64(w) < 0.9*r.Width {
			t.Errorf("a pane is %d px wide on a %.0f px screen: the panes should fill its width, stacked", w, r.Width)
		}
	}
	if len(r.Panes) != 2 {
		t.Errorf("the result has %d panes, want 2", len(r.Panes))
	}
	for _, s := range r.Small {
		t.Errorf("presenter mode: %s in the result is below 24 px", s)
	}
	if r.Narrations != r.Rows || r.Rows == 0 {
		t.Errorf("%d of %d waterfall rows carry a narration sentence", r.Narrations, r.Rows)
	}
	if r.Shown != 0 {
		t.Errorf("%d narrations show before stepping, want none", r.Shown)
	}
	for _, c := range r.Contrast {
		t.Error(c)
	}
}

// stepState is what the request demo's waterfall shows while stepping.
type stepState struct {
	Visible []string `json:"visible"`
	Said    string   `json:"said"`
	Current string   `json:"current"`
	Live    string   `json:"live"`
}

func (b *browserTab) stepState(t *testing.T) stepState {
	t.Helper()
	return browserEval[stepState](t, b, `(() => {
		const rows = Array.from(document.querySelectorAll('#demo-request-echo-result .pane-back ol.waterfall > li.span'));
		const vis = rows.filter((li) => li.getClientRects().length > 0);
		const last = vis[vis.length - 1];
		const said = last && last.querySelector('.span-narration');
		const live = document.querySelector('[aria-live="polite"].present-live');
		return {
			visible: vis.map((li) => Array.from(li.classList).find((c) => c.startsWith('kind-'))),
			said: said && said.getClientRects().length > 0 ? said.textContent : '',
			current: last && last.classList.contains('is-current') ? 'yes' : '',
			live: live ? live.textContent : '',
		};
	})()`)
}

// stepThrough walks the waterfall with the arrow keys: the first → shows
// the server span alone, each → one more with its narration, ← hides the
// last, Escape shows them all again.
func (b *browserTab) stepThrough(t *testing.T, rows int) {
	t.Helper()
	var said []string
	for n := 1; n <= rows; n++ {
		b.press(t, kb.ArrowRight)
		s := b.stepState(t)
		if len(s.Visible) != n {
			t.Fatalf("after %d × → the waterfall shows %d spans (%v), want %d", n, len(s.Visible), s.Visible, n)
		}
		if n == 1 && s.Visible[0] != "kind-server" {
			t.Errorf("the first step shows %s, want the server span", s.Visible[0])
		}
		if s.Said == "" || s.Current != "yes" {
			t.Errorf("step %d: the new span shows narration %q (current: %q), want its sentence, marked current", n, s.Said, s.Current)
		}
		if !strings.Contains(s.Live, s.Said) || !strings.Contains(s.Live, "of") {
			t.Errorf("step %d: the live region says %q, want it to announce %q", n, s.Live, s.Said)
		}
		said = append(said, s.Said)
		if n == 4 {
			b.saveShot(t, "present-stepping.png", "#demo-request-echo-result .pane-back")
			b.do(t, "switching to the dark theme", chromedp.Evaluate[chromedp.Void](`document.documentElement.dataset.theme = 'dark'`))
			b.saveShot(t, "present-stepping-dark.png", "#demo-request-echo-result .pane-back")
			b.do(t, "going back to the browser's theme", chromedp.Evaluate[chromedp.Void](`delete document.documentElement.dataset.theme`))
		}
	}
	all := strings.Join(said, "\n")
	for _, want := range []string{
		"The server receives POST /demos/request-echo",
		"middleware handles the request",
		"The handler (request-echo) takes over",
		"A step of the server's own: read the request",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("no step says %q; the narration was:\n%s", want, all)
		}
	}
	b.press(t, kb.ArrowRight) // past the last span: nothing more to show
	if got := len(b.stepState(t).Visible); got != rows {
		t.Errorf("→ after the last span shows %d spans, want %d", got, rows)
	}
	b.press(t, kb.ArrowLeft)
	if got := len(b.stepState(t).Visible); got != rows-1 {
		t.Errorf("after ← the waterfall shows %d spans, want %d", got, rows-1)
	}
	// A key typed into a field is text, not a shortcut.
	b.do(t, "typing an arrow in the message field",
		chromedp.Focus(chromedp.CSS("#demo-request-echo-message")), chromedp.KeyEvent(kb.ArrowLeft+"p"))
	if got := len(b.stepState(t).Visible); got != rows-1 || !browserEval[bool](t, b, presenting) {
		t.Errorf("keys typed in the message field acted as shortcuts: %d spans shown, presenter mode %v",
			got, browserEval[bool](t, b, presenting))
	}
	b.press(t, kb.Escape)
	s := b.stepState(t)
	if len(s.Visible) != rows || s.Said != "" {
		t.Errorf("after Escape %d of %d spans show, last narration %q; want them all, no narration", len(s.Visible), rows, s.Said)
	}
}

// replayAndRerun replays the waterfall in slow motion with s, then runs
// the demo again with r.
func (b *browserTab) replayAndRerun(t *testing.T, trace string) {
	t.Helper()
	const replaying = `!!document.querySelector('#demo-request-echo-result ol.waterfall.is-replaying')`
	b.press(t, "s")
	if !browserEval[bool](t, b, replaying) {
		t.Error("after s the waterfall is not replaying")
	}
	b.waitFor(t, "the replay ends", `!`+replaying, 10*time.Second)
	if bad := browserEval[int](t, b, `Array.from(document.querySelectorAll('#demo-request-echo-result rect.bar'))
		.filter((r) => r.dataset.w && r.getAttribute('width') !== r.dataset.w).length`); bad != 0 {
		t.Errorf("after the replay %d bars are not back to their width", bad)
	}
	b.press(t, "r")
	b.waitForNewResult(t, "request-echo", trace)
}

// shortcutList opens the list of shortcuts with ? and closes it with
// Escape.
func (b *browserTab) shortcutList(t *testing.T) {
	t.Helper()
	const open = `(() => { const d = document.querySelector('dialog.shortcuts'); return !!d && d.open; })()`
	b.press(t, "?")
	b.waitFor(t, "the shortcut list is open", open, 2*time.Second)
	text := browserEval[string](t, b, `document.querySelector('dialog.shortcuts').textContent`)
	for _, want := range []string{"Presenter mode", "slow motion", "join page", "next span"} {
		if !strings.Contains(text, want) {
			t.Errorf("the shortcut list does not mention %q:\n%s", want, text)
		}
	}
	b.saveShot(t, "present-shortcuts.png", "#demo-request-echo-result")
	b.do(t, "pressing Escape", chromedp.KeyEvent(kb.Escape))
	b.waitFor(t, "the shortcut list is closed", `!`+open, 2*time.Second)
}

// toggleWithP turns presenter mode off with p and checks the choice
// outlives a reload.
func (b *browserTab) toggleWithP(t *testing.T) {
	t.Helper()
	b.press(t, "p")
	if browserEval[bool](t, b, presenting) {
		t.Fatal("p did not turn presenter mode off")
	}
	b.do(t, "reloading", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#demo-request-echo button.btn-run")))
	b.do(t, "letting the scripts run", chromedp.Sleep(300*time.Millisecond))
	if browserEval[bool](t, b, presenting) {
		t.Error("after a reload presenter mode is back on: p's choice was not kept")
	}
	if !browserEval[bool](t, b, `document.querySelector('.site-nav').getClientRects().length > 0`) {
		t.Error("out of presenter mode the site navigation is still hidden")
	}
	if px := browserEval[float64](t, b, `parseFloat(getComputedStyle(document.body).fontSize)`); px >= 28 {
		t.Errorf("out of presenter mode body text is still %.0f px", px)
	}
	b.press(t, "p")
	// Note, as the body is parsed, whether the page is already in presenter
	// mode: it must be, or every reload flashes the normal layout first.
	if _, err := chromedp.Call(b.ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: `new MutationObserver((_, o) => {
		if (!document.body) return;
		window.presentAtBody = document.documentElement.classList.contains('present');
		o.disconnect();
	}).observe(document, { childList: true, subtree: true });`}); err != nil {
		t.Fatalf("watching for the body: %v", err)
	}
	b.do(t, "reloading", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#demo-request-echo button.btn-run")))
	b.waitFor(t, "presenter mode is back after p and a reload", presenting, 5*time.Second)
	if !browserEval[bool](t, b, `window.presentAtBody === true`) {
		t.Error("after a reload presenter mode came on only after the page was shown: the normal layout flashes first")
	}
}

// printHandout looks at the lesson as the print stylesheet lays it out:
// no navigation or forms, the run's panes, and the address of every link
// in the prose after its text.
func (b *browserTab) printHandout(t *testing.T) {
	t.Helper()
	media := func(m string) {
		t.Helper()
		if _, err := chromedp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: m}); err != nil {
			t.Fatalf("emulating %q media: %v", m, err)
		}
	}
	media("print")
	defer media("")
	type handout struct {
		Shown    []string `json:"shown"`
		Panes    int      `json:"panes"`
		LinkText string   `json:"linkText"`
		LinkHref string   `json:"linkHref"`
		Said     int      `json:"said"`
		Body     float64  `json:"body"`
	}
	h := browserEval[handout](t, b, `(() => {
		const seen = (el) => el.getClientRects().length > 0;
		const shown = ['.site-header', '.site-footer', '.lesson-nav', '.demo-form', 'details.curl', 'button']
			.filter((s) => Array.from(document.querySelectorAll(s)).some(seen));
		const a = document.querySelector('.prose a[href]:not([href^="#"])');
		return {
			shown,
			panes: Array.from(document.querySelectorAll('#demo-request-echo-result .pane')).filter(seen).length,
			linkText: a ? getComputedStyle(a, '::after').content : '',
			linkHref: a ? a.getAttribute('href') : '',
			said: Array.from(document.querySelectorAll('#demo-request-echo-result .span-narration')).filter(seen).length,
			body: parseFloat(getComputedStyle(document.body).fontSize),
		};
	})()`)
	if len(h.Shown) > 0 {
		t.Errorf("the printed lesson shows %v", h.Shown)
	}
	if h.Panes != 2 {
		t.Errorf("the printed lesson shows %d panes of the run, want 2", h.Panes)
	}
	if h.LinkHref != "" && !strings.Contains(h.LinkText, h.LinkHref) {
		t.Errorf("a printed link to %s is followed by %s, want its address", h.LinkHref, h.LinkText)
	}
	if h.Said == 0 {
		t.Error("the printed waterfall has no narration")
	}
	if h.Body >= 28 {
		t.Errorf("the printed lesson uses presenter type, %.0f px", h.Body)
	}
	b.saveShot(t, "present-print.png", "")
}

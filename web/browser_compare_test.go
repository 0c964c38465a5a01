package web

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserCompare is a teacher's two classroom tools: pin a cold
// cache-aside run, run it again warm, compare the two traces; and put the
// lesson's address on the projector from the lesson's header.
func TestBrowserCompare(t *testing.T) {
	requireChromium(t)
	base := startBrowserServer(t)
	sqlWarmURL(t, base)
	browser := startBrowser(t)
	for _, vp := range []browserViewport{phoneViewport, projectorViewport} {
		t.Run(vp.name, func(t *testing.T) {
			tab := openTab(t, browser, base, vp)
			tab.pinAndCompare(t, vp)
			tab.joinFromLesson(t, vp)
		})
	}
}

// paneTrace is what a demo's back end pane offers for its trace.
type paneTrace struct {
	ID          string `json:"id"`
	PinShown    bool   `json:"pinShown"`
	PinText     string `json:"pinText"`
	PinPressed  string `json:"pinPressed"`
	CompareShow bool   `json:"compareShown"`
	CompareHref string `json:"compareHref"`
	Stored      string `json:"stored"`
}

func (b *browserTab) paneTrace(t *testing.T, demo string) paneTrace {
	t.Helper()
	return browserEval[paneTrace](t, b, `(() => {
		const meta = document.querySelector(`+strconv.Quote("#demo-"+demo+"-result .pane-back .trace-meta")+`);
		const pin = meta.querySelector('button.trace-pin');
		const cmp = meta.querySelector('a.trace-compare');
		return {
			id: pin.getAttribute('data-pin-trace'),
			pinShown: !pin.hidden && pin.getBoundingClientRect().width > 0,
			pinText: pin.textContent,
			pinPressed: pin.getAttribute('aria-pressed'),
			compareShown: !cmp.hidden && cmp.getBoundingClientRect().width > 0,
			compareHref: cmp.getAttribute('href') || '',
			stored: sessionStorage.getItem('er-pinned-trace') || '',
		};
	})()`)
}

// pinAndCompare runs the demo cold, pins its trace, runs it warm and
// follows "Compare with pinned".
func (b *browserTab) pinAndCompare(t *testing.T, vp browserViewport) {
	t.Helper()
	b.do(t, "opening the lesson",
		chromedp.Navigate(b.base+"/lessons/cache-aside"),
		chromedp.WaitVisible(chromedp.CSS("#demo-cache-aside button.btn-run")),
	)
	b.click(t, "#demo-cache-aside button.btn-run")
	b.waitForNewResult(t, "cache-aside", "")
	cold := b.paneTrace(t, "cache-aside")
	if !cold.PinShown || cold.PinText != "Pin" || cold.PinPressed != "false" || cold.CompareShow || cold.Stored != "" {
		t.Fatalf("before pinning: %+v; want a Pin button and no compare link", cold)
	}
	b.click(t, "#demo-cache-aside-result button.trace-pin")
	if p := b.paneTrace(t, "cache-aside"); p.PinText != "Pinned" || p.PinPressed != "true" || p.Stored != cold.ID || p.CompareShow {
		t.Fatalf("after pinning: %+v; want it pressed, stored, and no compare link to itself", p)
	}

	b.click(t, "#demo-cache-aside button.btn-run")
	b.waitForNewResult(t, "cache-aside", cold.ID[:12]+"…")
	warm := b.paneTrace(t, "cache-aside")
	want := "/traces/compare?a=" + cold.ID + "&b=" + warm.ID
	if warm.ID == cold.ID || !warm.PinShown || warm.PinText != "Pin" || !warm.CompareShow || warm.CompareHref != want || warm.Stored != cold.ID {
		t.Fatalf("the warm run's pane: %+v; want Pin and a compare link to %s", warm, want)
	}
	b.saveShot(t, vp.name+"-compare-meta.png", "#demo-cache-aside-result .pane-back")

	if status := b.clickToNavigate(t, "#demo-cache-aside-result a.trace-compare"); status != 200 {
		t.Fatalf("the compare page answered %d", status)
	}
	if loc := b.location(t); loc != b.base+want {
		t.Fatalf("after the click the page is %s, want %s", loc, b.base+want)
	}
	b.do(t, "waiting for the comparison", chromedp.WaitVisible(chromedp.CSS(".compare-panes .compare-side-b ol.waterfall li.span")))
	type comparePage struct {
		Verdict   string   `json:"verdict"`
		Highlight string   `json:"highlight"`
		Sides     []string `json:"sides"`
		Rows      []int    `json:"rows"`
		OnlyA     []string `json:"onlyA"`
		Pinned    string   `json:"pinned"`
	}
	got := browserEval[comparePage](t, b, `(() => {
		const v = document.querySelector('p.compare-verdict');
		const sides = Array.from(document.querySelectorAll('.compare-panes .compare-side'));
		return {
			verdict: v.textContent.trim(),
			highlight: v.classList.contains('is-faster') ? getComputedStyle(v).backgroundColor : '',
			sides: sides.map((s) => s.querySelector('.trace-meta button.trace-pin').getAttribute('data-pin-trace')),
			rows: sides.map((s) => s.querySelectorAll('ol.waterfall > li.span').length),
			onlyA: Array.from(document.querySelectorAll('tr.compare-row.is-only-a.kind-sql td.compare-b')).map((td) => td.textContent),
			pinned: (document.querySelector('.compare-side-a button.trace-pin') || {}).textContent || '',
		};
	})()`)
	if !regexp.MustCompile(`^b was [0-9.]+ (µs|ms) faster \(−[0-9]+%\)$`).MatchString(got.Verdict) {
		t.Errorf("verdict %q: want b (a cache hit) faster than a (a miss)", got.Verdict)
	}
	if got.Highlight == "" || got.Highlight == "rgba(0, 0, 0, 0)" {
		t.Errorf("the verdict is not highlighted: background %q", got.Highlight)
	}
	if len(got.Sides) != 2 || got.Sides[0] != cold.ID || got.Sides[1] != warm.ID || got.Rows[0] < 5 || got.Rows[1] < 5 {
		t.Errorf("sides %v with %v rows, want %s and %s with their waterfalls", got.Sides, got.Rows, cold.ID, warm.ID)
	}
	if len(got.OnlyA) == 0 || got.OnlyA[0] != "not in b" {
		t.Errorf("SQL rows only in a: %q, want the cold run's SELECT shown as not in b", got.OnlyA)
	}
	if got.Pinned != "Pinned" {
		t.Errorf("a's pane on the compare page says %q, want Pinned", got.Pinned)
	}
	b.noHorizontalScroll(t, "on the compare page")
	b.saveShot(t, vp.name+"-compare.png", "")
	b.saveScreen(t, vp.name+"-compare-top.png")
	b.saveShot(t, vp.name+"-compare-spans.png", "table.compare-spans tbody")
}

// joinFromLesson follows the lesson header's link to the join page and
// checks the address and the QR code fill the screen, dark on light in
// both themes.
func (b *browserTab) joinFromLesson(t *testing.T, vp browserViewport) {
	t.Helper()
	b.do(t, "opening the lesson",
		chromedp.Navigate(b.base+"/lessons/cache-aside"),
		chromedp.WaitVisible(chromedp.CSS("header.lesson-head a.join-link")),
	)
	b.saveScreen(t, vp.name+"-lesson-head.png")
	if status := b.clickToNavigate(t, "header.lesson-head a.join-link"); status != 200 {
		t.Fatalf("the join page answered %d", status)
	}
	if loc := b.location(t); loc != b.base+"/join?path=/lessons/cache-aside" {
		t.Fatalf("after the click the page is %s", loc)
	}
	b.do(t, "waiting for the code", chromedp.WaitVisible(chromedp.CSS(".join-qr svg.qr")))
	type joinPage struct {
		URL      string  `json:"url"`
		FontPx   float64 `json:"fontPx"`
		URLBot   float64 `json:"urlBottom"`
		QRTop    float64 `json:"qrTop"`
		QRBottom float64 `json:"qrBottom"`
		QRSize   float64 `json:"qrSize"`
		Light    string  `json:"light"`
		Dark     string  `json:"dark"`
		Height   float64 `json:"height"`
	}
	read := func() joinPage {
		return browserEval[joinPage](t, b, `(() => {
			window.scrollTo(0, 0);
			const url = document.querySelector('.join-url');
			const qr = document.querySelector('.join-qr svg.qr').getBoundingClientRect();
			return {
				url: url.textContent.trim(),
				fontPx: parseFloat(getComputedStyle(url).fontSize),
				urlBottom: url.getBoundingClientRect().bottom,
				qrTop: qr.top, qrBottom: qr.bottom, qrSize: qr.width,
				light: getComputedStyle(document.querySelector('svg.qr rect.qr-light')).fill,
				dark: getComputedStyle(document.querySelector('svg.qr path.qr-dark')).fill,
				height: window.innerHeight,
			};
		})()`)
	}
	p := read()
	if p.URL != b.base+"/lessons/cache-aside" {
		t.Errorf("the address shown is %q, want %q", p.URL, b.base+"/lessons/cache-aside")
	}
	minFont, minQR := 22.0, 300.0
	if vp.name == projectorViewport.name {
		// The whole of it on one projected screen, big enough for the back row.
		minFont, minQR = 40, 480
		if p.QRTop < 0 || p.QRBottom > p.Height || p.URLBot > p.Height {
			t.Errorf("the code (%.0f to %.0f) or the address (bottom %.0f) is off a %.0f px high screen", p.QRTop, p.QRBottom, p.URLBot, p.Height)
		}
	}
	if p.FontPx < minFont || p.QRSize < minQR {
		t.Errorf("address at %.0f px, code %.0f px wide; want at least %.0f and %.0f", p.FontPx, p.QRSize, minFont, minQR)
	}
	b.noHorizontalScroll(t, "on the join page")
	b.saveScreen(t, vp.name+"-join.png")
	blackOnWhite := func(theme string, p joinPage) {
		if p.Light != "rgb(255, 255, 255)" || p.Dark != "rgb(0, 0, 0)" {
			t.Errorf("in the %s theme the code is %s on %s, want black on white", theme, p.Dark, p.Light)
		}
	}
	blackOnWhite("default", p)
	b.click(t, "[data-theme-toggle]")
	theme := browserEval[string](t, b, `document.documentElement.dataset.theme`)
	blackOnWhite(theme, read())
	b.saveScreen(t, vp.name+"-join-"+theme+".png")
}

// saveScreen writes what the screen shows, scrolled to the top, to
// $SCREENSHOT_DIR, if set.
func (b *browserTab) saveScreen(t *testing.T, name string) {
	t.Helper()
	dir := os.Getenv("SCREENSHOT_DIR")
	if dir == "" {
		return
	}
	b.do(t, "scrolling to the top", chromedp.Evaluate[chromedp.Void](`window.scrollTo({ top: 0, behavior: 'instant' })`))
	png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

package web

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserXSS posts reviews full of script to the XSS lesson's panel
// in a real browser with a trap set: the page must show the markup as
// text, hold no live element from it, and never spring the trap. The tab
// also fails on any CSP violation, so markup that slipped through and was
// blocked would fail the test too.
func TestBrowserXSS(t *testing.T) {
	requireChromium(t)
	base := startBrowserServer(t)
	browser := startBrowser(t)
	const (
		id     = "xss-review"
		result = "#demo-xss-review-result"
	)
	hostile := `Lovely flight <img src=x onerror="window.__pwned=true"> <script>window.__pwned=true</script> <svg onload="window.__pwned=true"></svg>`
	author := `" onmouseover="window.__pwned=true`
	for _, vp := range []browserViewport{phoneViewport, projectorViewport} {
		t.Run(vp.name, func(t *testing.T) {
			tab := openTab(t, browser, base, vp)
			tab.do(t, "opening the XSS lesson",
				chromedp.Navigate(base+"/lessons/xss-and-escaping"),
				chromedp.WaitVisible(chromedp.CSS("#demo-"+id+" button.btn-run")),
			)
			tab.noHorizontalScroll(t, "before posting")
			previous := ""
			for _, run := range []struct {
				name, author, body string
			}{
				{name: "hostile", author: author, body: hostile},
				// One long word of markup: the panes must wrap it, not
				// widen the page.
				{name: "long", author: "Wide", body: strings.Repeat("<b>", 600)},
			} {
				tab.do(t, "typing the "+run.name+" review",
					chromedp.Evaluate[chromedp.Void](`window.__pwned = false`),
					clearField("#demo-"+id+"-author"),
					chromedp.SendKeys(chromedp.CSS("#demo-"+id+"-author"), run.author),
					chromedp.Evaluate[chromedp.Void](`(() => {
						const el = document.getElementById('demo-`+id+`-review');
						el.value = `+strconv.Quote(run.body)+`;
						el.dispatchEvent(new Event('input', { bubbles: true }));
					})()`),
				)
				tab.click(t, "#demo-"+id+" button.btn-run")
				tab.waitForNewResult(t, id, previous)
				// An image's onerror fires after its load fails: give it time.
				tab.do(t, "letting any handler fire", chromedp.Sleep(300*time.Millisecond))
				r := tab.result(t, id)
				previous = r.Trace
				if !strings.Contains(r.Output, "Stored as typed, shown as text.") {
					t.Fatalf("%s: the panel shows %.300q", run.name, r.Output)
				}
				if pwned := browserEval[bool](t, tab, `window.__pwned`); pwned {
					t.Errorf("%s: the trap was sprung: the review ran as script", run.name)
				}
				type shown struct {
					Author  string `json:"author"`
					Body    string `json:"body"`
					Visible bool   `json:"visible"`
					Live    int    `json:"live"`
					Scripts int    `json:"scripts"`
					Mouse   int    `json:"mouse"`
				}
				got := browserEval[shown](t, tab, `(() => {
					const r = document.querySelector(`+strconv.Quote(result)+`);
					const card = r.querySelector('.xss-review.is-new');
					const body = card.querySelector('.xss-review-body');
					return {
						author: card.querySelector('.xss-review-head strong').textContent,
						body: body.textContent,
						visible: body.getBoundingClientRect().height > 0,
						live: r.querySelectorAll('.output img, .output svg, .output b, [onerror], [onload]').length,
						scripts: r.querySelectorAll('script').length,
						mouse: r.querySelectorAll('[onmouseover]').length,
					};
				})()`)
				if got.Body != run.body || got.Author != run.author || !got.Visible {
					t.Errorf("%s: the card shows author %q, body %.200q (visible %v); want the text as typed", run.name, got.Author, got.Body, got.Visible)
				}
				if got.Live != 0 || got.Scripts != 0 || got.Mouse != 0 {
					t.Errorf("%s: the result holds %d live elements or handlers, %d scripts and %d onmouseover: want none", run.name, got.Live, got.Scripts, got.Mouse)
				}
				tab.saveShot(t, vp.name+"-xss-"+run.name+".png", result)
				tab.noHorizontalScroll(t, "after posting the "+run.name+" review")
			}
			tab.saveShot(t, vp.name+"-xss-page.png", "")
		})
	}
}

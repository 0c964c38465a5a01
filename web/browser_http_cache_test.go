package web

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserHTTPCache runs the HTTP caching lesson's panel on a phone and
// a projector: the second visit comes back 304 with no body, and a price
// change brings a 200 with a new ETag.
func TestBrowserHTTPCache(t *testing.T) {
	requireChromium(t)
	base := startBrowserServer(t)
	sqlWarmURL(t, base)
	browser := startBrowser(t)
	for _, vp := range []browserViewport{phoneViewport, projectorViewport} {
		t.Run(vp.name, func(t *testing.T) {
			tab := openTab(t, browser, base, vp)
			tab.do(t, "opening the lesson",
				chromedp.Navigate(base+"/lessons/http-caching"),
				chromedp.WaitVisible(chromedp.CSS("#demo-http-cache button.btn-run")),
			)
			tab.noHorizontalScroll(t, "on the HTTP caching lesson")

			tab.click(t, "#demo-http-cache button.btn-run")
			tab.waitForNewResult(t, "http-cache", "")
			if got := tab.visitStatuses(t); got != "200 OK|304 Not Modified" {
				t.Errorf("the visits show %q, want 200 OK then 304 Not Modified", got)
			}
			r := tab.result(t, "http-cache")
			if !strings.Contains(r.Output, "0 bytes") || !strings.Contains(r.Output, "If-None-Match") {
				t.Errorf("the front end pane does not show the bodiless 304:\n%s", r.Output)
			}
			if n := strings.Count(strings.Join(r.Names, "\n"), "render flight JSON"); n != 1 {
				t.Errorf("the waterfall shows %d flight renders, want 1 (the 304 skips it): %v", n, r.Names)
			}
			tab.noHorizontalScroll(t, "after the HTTP caching demo ran")
			tab.saveShot(t, vp.name+"-http-cache.png", "#demo-http-cache-result")
			tab.saveShot(t, vp.name+"-http-cache-back.png", "#demo-http-cache-result .pane-back")
			tab.saveShot(t, vp.name+"-http-cache-visit-2.png", "#demo-http-cache-result .visit + .visit")

			tab.click(t, "#demo-http-cache-changed")
			tab.click(t, "#demo-http-cache button.btn-run")
			tab.waitForNewResult(t, "http-cache", r.Trace)
			if got := tab.visitStatuses(t); got != "200 OK|200 OK" {
				t.Errorf("after a price change the visits show %q, want 200 OK twice", got)
			}
			tab.noHorizontalScroll(t, "after the price changed")
		})
	}
}

// visitStatuses is the HTTP caching panel's visit badges, joined by |.
func (b *browserTab) visitStatuses(t *testing.T) string {
	t.Helper()
	return browserEval[string](t, b, `Array.from(document.querySelectorAll('#demo-http-cache-result .visit-status')).map((e) => e.textContent).join('|')`)
}

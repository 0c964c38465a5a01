package web

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserBalancer runs the load-balancing panel with app-2 marked
// down, on a phone and on a projector: the first burst shows a request
// that failed on app-2 and was retried elsewhere, and app-2 taken out of
// rotation; the second burst never reaches app-2. Then the lesson's
// other panels run once each. The page never scrolls sideways.
func TestBrowserBalancer(t *testing.T) {
	requireChromium(t)
	base := startBrowserServer(t)
	browser := startBrowser(t)
	for _, vp := range []browserViewport{phoneViewport, projectorViewport} {
		t.Run(vp.name, func(t *testing.T) {
			tab := openTab(t, browser, base, vp)
			tab.do(t, "opening the lesson",
				chromedp.Navigate(base+"/lessons/reverse-proxies-and-load-balancing"),
				chromedp.WaitVisible(chromedp.CSS("#demo-load-balance button.btn-run")),
			)
			tab.do(t, "marking app-2 down",
				chromedp.SetValue(chromedp.CSS("#demo-load-balance-instance"), "app-2"),
				chromedp.SetValue(chromedp.CSS("#demo-load-balance-state"), "down (answers 503)"),
			)
			tab.click(t, "#demo-load-balance button.btn-run")
			tab.waitForNewResult(t, "load-balance", "")
			first := tab.result(t, "load-balance")
			for _, want := range []string{"retried on another", "app-2 taken out at +", "out of rotation", "a request failed (503)"} {
				if !strings.Contains(first.Output, want) {
					t.Errorf("the first burst shows %.600q, want %q", first.Output, want)
				}
			}
			if n := browserEval[int](t, tab, `document.querySelectorAll('#demo-load-balance-result .lb-chips .lb-retried').length`); n < 1 {
				t.Errorf("%d retried chips, want at least 1", n)
			}
			if !strings.Contains(strings.Join(first.Names, "\n"), "proxy GET /work → app-2") {
				t.Errorf("the waterfall shows no hop to app-2: %v", first.Names)
			}
			tab.saveShot(t, vp.name+"-load-balance-down.png", "#demo-load-balance-result")
			tab.noHorizontalScroll(t, "after the first burst")

			tab.click(t, "#demo-load-balance button.btn-run")
			tab.waitForNewResult(t, "load-balance", first.Trace)
			second := tab.result(t, "load-balance")
			if !strings.Contains(second.Output, "app-2 0 ·") || strings.Contains(strings.Join(second.Names, "\n"), "→ app-2") {
				t.Errorf("the second burst still reaches app-2: %.400q", second.Output)
			}
			tab.saveShot(t, vp.name+"-load-balance-out.png", "#demo-load-balance-result")
			tab.noHorizontalScroll(t, "after the second burst")
			// The lesson's other panels: app-2 brought back, then the
			// others as they first run.
			tab.do(t, "bringing app-2 back", chromedp.SetValue(chromedp.CSS("#demo-lb-health-check-state"), "up"))
			for _, p := range []struct{ id, want string }{
				{"lb-health-check", "app-2 back in at +"},
				{"forwarded-headers", "203.0.113.66 came from the client"},
				{"sticky-sessions", "the cart was lost"},
			} {
				tab.click(t, "#demo-"+p.id+" button.btn-run")
				tab.waitForNewResult(t, p.id, "")
				if r := tab.result(t, p.id); !strings.Contains(r.Output, p.want) {
					t.Errorf("%s shows %.400q, want %q", p.id, r.Output, p.want)
				}
				tab.saveShot(t, vp.name+"-"+p.id+".png", "#demo-"+p.id+"-result")
				tab.noHorizontalScroll(t, "after "+p.id+" ran")
			}
			tab.saveShot(t, vp.name+"-balancer-lesson.png", "")
		})
	}
}

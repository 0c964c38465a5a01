package web

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserAPIReference opens the API reference from the site's
// navigation on a phone and on a projector: the page fits the screen, a
// curl command opens, and its Copy button copies it (or selects it where
// the clipboard is not allowed).
func TestBrowserAPIReference(t *testing.T) {
	requireChromium(t)
	base := startBrowserServer(t)
	browser := startBrowser(t)
	for _, vp := range []browserViewport{phoneViewport, projectorViewport} {
		t.Run(vp.name, func(t *testing.T) {
			tab := openTab(t, browser, base, vp)
			tab.do(t, "opening the home page", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS(`.site-nav a[href="/api"]`)))
			if status := tab.clickToNavigate(t, `.site-nav a[href="/api"]`); status != 200 {
				t.Fatalf("/api answered %d, want 200", status)
			}
			if loc := tab.location(t); loc != base+"/api" {
				t.Fatalf("after the click the page is %s, want %s/api", loc, base)
			}
			tab.noHorizontalScroll(t, "on the API reference")
			tab.click(t, "#op-createBooking details.curl > summary")
			tab.waitFor(t, "the curl command shows", `document.querySelector('#op-createBooking details.curl').open &&
				document.querySelector('#op-createBooking-curl').getBoundingClientRect().height > 0`, 5*time.Second)
			tab.noHorizontalScroll(t, "with a curl command open")
			tab.click(t, `#op-createBooking button[data-copy]`)
			tab.waitFor(t, "the button says it copied", `['Copied', 'Selected'].includes(
				document.querySelector('#op-createBooking button[data-copy]').textContent.trim())`, 5*time.Second)
			tab.saveShot(t, vp.name+"-api-reference.png", "#op-createBooking")
		})
	}
}

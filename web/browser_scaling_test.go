package web

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserScaling runs the scaling lesson's three panels on a phone
// and on a projector: a stale read from the replica, a transfer lost
// between two shards' commits and a burst refused by the gate. The page
// never scrolls sideways.
func TestBrowserScaling(t *testing.T) {
	requireChromium(t)
	base := startBrowserServer(t)
	browser := startBrowser(t)
	for _, vp := range []browserViewport{phoneViewport, projectorViewport} {
		t.Run(vp.name, func(t *testing.T) {
			tab := openTab(t, browser, base, vp)
			tab.do(t, "opening the lesson",
				chromedp.Navigate(base+"/lessons/scaling"),
				chromedp.WaitVisible(chromedp.CSS("#demo-read-replica button.btn-run")),
			)
			tab.do(t, "choosing a transfer that stops between the commits",
				chromedp.SetValue(chromedp.CSS("#demo-sharding-action"), "transfer miles"),
				chromedp.Click(chromedp.CSS("#demo-sharding-stop")),
			)
			for _, p := range []struct{ id, want, span string }{
				{"read-replica", "Stale! You earned 500 miles", "SELECT on replica"},
				{"sharding", "miles are gone from both shards", "COMMIT on shard-1"},
				{"back-pressure", "6 refused at once with 503 and Retry-After: 1", "query 12 through the gate"},
			} {
				tab.click(t, "#demo-"+p.id+" button.btn-run")
				tab.waitForNewResult(t, p.id, "")
				r := tab.result(t, p.id)
				if !strings.Contains(r.Output, p.want) {
					t.Errorf("%s shows %.400q, want %q", p.id, r.Output, p.want)
				}
				if !strings.Contains(strings.Join(r.Names, "\n"), p.span) {
					t.Errorf("%s: the waterfall shows no %q: %v", p.id, p.span, r.Names)
				}
				tab.saveShot(t, vp.name+"-"+p.id+".png", "#demo-"+p.id+"-result")
				tab.noHorizontalScroll(t, "after "+p.id+" ran")
			}
			tab.saveShot(t, vp.name+"-scaling-lesson.png", "")
		})
	}
}

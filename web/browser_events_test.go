package web

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserEvents runs the events lesson's panels on a phone and on a
// projector: each region reloads itself until every delivery finished,
// then shows the outcome. The page never scrolls sideways.
func TestBrowserEvents(t *testing.T) {
	requireChromium(t)
	base := startBrowserServer(t)
	browser := startBrowser(t)
	for _, vp := range []browserViewport{phoneViewport, projectorViewport} {
		t.Run(vp.name, func(t *testing.T) {
			tab := openTab(t, browser, base, vp)
			tab.do(t, "opening the lesson",
				chromedp.Navigate(base+"/lessons/queues-and-events"),
				chromedp.WaitVisible(chromedp.CSS("#demo-event-fanout button.btn-run")),
			)
			run := func(id, want string) {
				t.Helper()
				tab.click(t, "#demo-"+id+" button.btn-run")
				tab.waitFor(t, id+" finished", `(() => { const s = document.querySelector('#demo-`+id+`-result .ev-summary');
					return !!s && !s.closest('section.ev-run').hasAttribute('hx-trigger') && s.textContent.includes(`+"`"+want+"`"+`) })()`, 20*time.Second)
				if r := tab.result(t, id); !strings.Contains(r.Output, want) {
					t.Errorf("%s shows %.500q, want %q", id, r.Output, want)
				}
				tab.noHorizontalScroll(t, "after "+id+" ran")
			}
			run("event-fanout", "All 3 jobs finished on their first attempt")
			tab.saveShot(t, vp.name+"-event-fanout.png", "#demo-event-fanout-result")
			tab.do(t, "breaking analytics",
				chromedp.SetValue(chromedp.CSS("#demo-event-retries-consumer"), "analytics"),
				chromedp.SetValue(chromedp.CSS("#demo-event-retries-fault"), "always fails"))
			run("event-retries", "was discarded: a dead letter")
			tab.saveShot(t, vp.name+"-event-dead.png", "#demo-event-retries-result")
			tab.do(t, "choosing the replay", chromedp.SetValue(chromedp.CSS("#demo-event-retries-action"), "retry my dead letters by hand"))
			run("event-retries", "was replayed and worked on attempt 1")
			run("event-idempotency", "3,451 miles too many")
			tab.saveShot(t, vp.name+"-event-idempotency.png", "#demo-event-idempotency-result")
			tab.saveShot(t, vp.name+"-events-lesson.png", "")
		})
	}
}

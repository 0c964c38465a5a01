package web

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// countdownSeconds reads the key's countdown in the invalidation panel as
// whole seconds; -1 once it says "expired" or is not there.
func countdownSeconds(t *testing.T, tab *browserTab) int {
	t.Helper()
	text := browserEval[string](t, tab, `(() => {
		const el = document.querySelector('#demo-cache-invalidation-result .inv-ttl .countdown');
		return el ? el.textContent : '';
	})()`)
	n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(text), "s")))
	if err != nil {
		return -1
	}
	return n
}

// TestBrowserCacheInvalidation runs the invalidation panel with ttl-only:
// the second read shows the old price marked stale, and the key's TTL
// counts down in the page. With a 5 s TTL the countdown reaches
// "expired", and reading again then shows the new price.
func TestBrowserCacheInvalidation(t *testing.T) {
	requireChromium(t)
	base := startBrowserServer(t)
	sqlWarmURL(t, base)
	browser := startBrowser(t)
	const id = "cache-invalidation"
	for _, vp := range []browserViewport{phoneViewport, projectorViewport} {
		t.Run(vp.name, func(t *testing.T) {
			tab := openTab(t, browser, base, vp)
			tab.do(t, "opening the lesson",
				chromedp.Navigate(base+"/lessons/ttl-and-invalidation"),
				chromedp.WaitVisible(chromedp.CSS("#demo-"+id+" button.btn-run")),
			)
			tab.click(t, "#demo-"+id+" button.btn-run")
			tab.waitForNewResult(t, id, "")
			r := tab.result(t, id)
			out := strings.Join(strings.Fields(r.Output), " ")
			for _, want := range []string{"Stale! The page shows $49.99; the database says $39.99.", "In the database: $39.99"} {
				if !strings.Contains(out, want) {
					t.Errorf("the panel shows %q, want %q in it", out, want)
				}
			}
			first := countdownSeconds(t, tab)
			if first < 1 || first > 20 {
				t.Fatalf("the countdown shows %d s, want 1 to 20", first)
			}
			tab.saveShot(t, vp.name+"-cache-invalidation.png", "#demo-"+id+"-result")
			tab.waitFor(t, "the countdown goes down", `(() => {
				const el = document.querySelector('#demo-cache-invalidation-result .inv-ttl .countdown');
				return el && parseInt(el.textContent, 10) < `+strconv.Itoa(first)+`;
			})()`, 10*time.Second)
			tab.noHorizontalScroll(t, "after the invalidation demo ran")
			if vp.name != projectorViewport.name {
				return
			}

			tab.do(t, "setting a 5 s TTL", clearField("#demo-"+id+"-ttl"), chromedp.SendKeys(chromedp.CSS("#demo-"+id+"-ttl"), "5"))
			tab.click(t, "#demo-"+id+" button.btn-run")
			tab.waitForNewResult(t, id, r.Trace)
			r = tab.result(t, id)
			tab.waitFor(t, "the countdown says expired", `(() => {
				const el = document.querySelector('#demo-cache-invalidation-result .inv-ttl .countdown');
				return el && el.textContent === 'expired' && !el.hasAttribute('data-countdown-ms');
			})()`, 15*time.Second)
			tab.saveShot(t, vp.name+"-cache-invalidation-expired.png", "#demo-"+id+"-result")
			tab.do(t, "choosing read again", chromedp.SetValue(chromedp.CSS("#demo-"+id+"-mode"), "read again"))
			tab.click(t, "#demo-"+id+" button.btn-run")
			tab.waitForNewResult(t, id, r.Trace)
			again := strings.Join(strings.Fields(tab.result(t, id).Output), " ")
			if !strings.Contains(again, "Fresh.") || !strings.Contains(again, "cache miss") || strings.Contains(again, "Stale!") {
				t.Errorf("reading again after the TTL shows %q, want a fresh miss", again)
			}
			tab.saveShot(t, vp.name+"-cache-invalidation-read-again.png", "#demo-"+id+"-result")
		})
	}
}

package web

import (
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserCacheAside searches a route twice in the cache-aside lesson:
// the first search misses and queries the database, the second hits and
// the SQL span is gone.
func TestBrowserCacheAside(t *testing.T) {
	requireChromium(t)
	base := startBrowserServer(t)
	sqlWarmURL(t, base)
	browser := startBrowser(t)
	for _, vp := range []browserViewport{phoneViewport, projectorViewport} {
		t.Run(vp.name, func(t *testing.T) {
			tab := openTab(t, browser, base, vp)
			tab.do(t, "opening the lesson",
				chromedp.Navigate(base+"/lessons/cache-aside"),
				chromedp.WaitVisible(chromedp.CSS("#demo-cache-aside button.btn-run")),
			)
			previous := ""
			for _, want := range []struct {
				verdict string
				sql     bool
			}{{"Miss.", true}, {"Hit.", false}} {
				tab.click(t, "#demo-cache-aside button.btn-run")
				tab.waitForNewResult(t, "cache-aside", previous)
				r := tab.result(t, "cache-aside")
				previous = r.Trace
				if !strings.Contains(r.Output, want.verdict) {
					t.Errorf("the panel shows %q, want %q", r.Output, want.verdict)
				}
				if got := slices.Contains(r.Kinds, "kind-sql"); got != want.sql {
					t.Errorf("%s: SQL rows in the waterfall = %v, want %v (%v)", want.verdict, got, want.sql, r.Names)
				}
				if !slices.Contains(r.Kinds, "kind-cache") {
					t.Errorf("%s: no cache rows in the waterfall: %v", want.verdict, r.Names)
				}
				name := vp.name + "-cache-aside-" + strings.TrimSuffix(strings.ToLower(want.verdict), ".")
				tab.saveShot(t, name+".png", "#demo-cache-aside-result")
				tab.saveShot(t, name+"-back.png", "#demo-cache-aside-result .pane-back ol.waterfall")
			}
			tab.noHorizontalScroll(t, "after the cache-aside demo ran")
		})
	}
}

// TestBrowserCacheStampede sends the stampede lesson's searches without
// and with request coalescing: ten SQL rows, then one.
func TestBrowserCacheStampede(t *testing.T) {
	requireChromium(t)
	base := startBrowserServer(t)
	sqlWarmURL(t, base)
	tab := openTab(t, startBrowser(t), base, phoneViewport)
	tab.do(t, "opening the lesson",
		chromedp.Navigate(base+"/lessons/cache-stampede"),
		chromedp.WaitVisible(chromedp.CSS("#demo-cache-stampede button.btn-run")),
	)
	previous := ""
	for _, want := range []struct {
		protection, verdict string
		sqlRows             int
	}{{"no protection", "Stampede.", 10}, {"request coalescing", "Coalesced.", 1}} {
		tab.do(t, "choosing "+want.protection, chromedp.SetValue(chromedp.CSS("#demo-cache-stampede-protection"), want.protection))
		tab.click(t, "#demo-cache-stampede button.btn-run")
		tab.waitForNewResult(t, "cache-stampede", previous)
		r := tab.result(t, "cache-stampede")
		previous = r.Trace
		if !strings.Contains(r.Output, want.verdict) {
			t.Errorf("the panel shows %q, want %q", r.Output, want.verdict)
		}
		sql := 0
		for _, k := range r.Kinds {
			if k == "kind-sql" {
				sql++
			}
		}
		if sql != want.sqlRows {
			t.Errorf("%s: %d SQL rows in the waterfall, want %d", want.protection, sql, want.sqlRows)
		}
		tab.saveShot(t, "phone-cache-stampede-"+strings.ReplaceAll(want.protection, " ", "-")+".png", "#demo-cache-stampede-result")
	}
	tab.noHorizontalScroll(t, "after the stampede demo ran")
}

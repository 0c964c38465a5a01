package web

import (
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserDocuments runs the relational-versus-document lesson's three
// panels on a phone and on a projector: each shows both models, the trace
// has SQL, and the page never scrolls sideways.
func TestBrowserDocuments(t *testing.T) {
	requireChromium(t)
	base := startBrowserServer(t)
	sqlWarmURL(t, base)
	browser := startBrowser(t)
	panels := []struct{ id, want string }{
		{"docs-read", "read two ways"},
		{"docs-filter", "faster with an index on the expression"},
		{"docs-update", "documents changed"},
	}
	for _, vp := range []browserViewport{phoneViewport, projectorViewport} {
		t.Run(vp.name, func(t *testing.T) {
			tab := openTab(t, browser, base, vp)
			tab.do(t, "opening the lesson",
				chromedp.Navigate(base+"/lessons/relational-versus-document-data"),
				chromedp.WaitVisible(chromedp.CSS("#demo-docs-read button.btn-run")),
			)
			for _, p := range panels {
				tab.click(t, "#demo-"+p.id+" button.btn-run")
				tab.waitForNewResult(t, p.id, "")
				r := tab.result(t, p.id)
				if !strings.Contains(r.Output, p.want) {
					t.Errorf("%s shows %.300q, want %q", p.id, r.Output, p.want)
				}
				if !slices.Contains(r.Kinds, "kind-sql") {
					t.Errorf("%s: no SQL rows in the waterfall: %v", p.id, r.Names)
				}
				tab.saveShot(t, vp.name+"-"+p.id+".png", "#demo-"+p.id+"-result")
				tab.noHorizontalScroll(t, "after "+p.id+" ran")
			}
		})
	}
}

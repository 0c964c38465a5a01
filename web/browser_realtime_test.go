package web

import (
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestBrowserRealtime runs the real-time lesson on a phone and on a
// projector: the comparison panel from the keyboard, whose table shows
// polling sending more requests than long polling and one request each
// for SSE and WebSocket, then the single-feed panel over a WebSocket.
// The page never scrolls sideways.
func TestBrowserRealtime(t *testing.T) {
	requireChromium(t)
	base := startBrowserServer(t)
	browser := startBrowser(t)
	for _, vp := range []browserViewport{phoneViewport, projectorViewport} {
		t.Run(vp.name, func(t *testing.T) {
			tab := openTab(t, browser, base, vp)
			tab.do(t, "opening the lesson",
				chromedp.Navigate(base+"/lessons/real-time-updates"),
				chromedp.WaitVisible(chromedp.CSS("#demo-realtime-compare button.btn-run")),
			)
			tab.do(t, "pressing Enter on the compare button",
				chromedp.Focus(chromedp.CSS("#demo-realtime-compare button.btn-run")),
				chromedp.KeyEvent(kb.Enter),
			)
			tab.waitForNewResult(t, "realtime-compare", "")
			r := tab.result(t, "realtime-compare")
			if !strings.Contains(r.Output, "The same 6 changes, four ways") {
				t.Errorf("the comparison shows %.600q", r.Output)
			}
			cells := browserEval[map[string]string](t, tab, `(() => {
				const out = {};
				document.querySelectorAll('#demo-realtime-compare-result table.rt-compare tbody tr').forEach((tr) => {
					out[tr.dataset.transport] = tr.querySelector('td.rt-requests').textContent + '|' + tr.querySelector('td.rt-messages').textContent;
				});
				return out;
			})()`)
			if len(cells) != 4 {
				t.Fatalf("table rows %v, want 4 transports", cells)
			}
			for _, tr := range []string{"sse", "websocket"} {
				if cells[tr] != "1|6 of 6" {
					t.Errorf("%s: %q, want 1 request and 6 of 6 changes", tr, cells[tr])
				}
			}
			requests := func(tr string) int {
				n, _ := strconv.Atoi(strings.Split(cells[tr], "|")[0])
				return n
			}
			if requests("polling") <= requests("long-polling") {
				t.Errorf("polling %q, long polling %q: want polling to send more requests", cells["polling"], cells["long-polling"])
			}
			if !strings.Contains(strings.Join(r.Names, "\n"), "GET /events (event stream)") {
				t.Errorf("the waterfall shows no event stream: %v", r.Names)
			}
			tab.saveShot(t, vp.name+"-realtime-compare.png", "#demo-realtime-compare-result")
			tab.noHorizontalScroll(t, "after the comparison ran")

			tab.do(t, "choosing WebSocket", chromedp.SetValue(chromedp.CSS("#demo-realtime-feed-transport"), "WebSocket"))
			tab.click(t, "#demo-realtime-feed button.btn-run")
			tab.waitForNewResult(t, "realtime-feed", "")
			if f := tab.result(t, "realtime-feed"); !strings.Contains(f.Output, "then 6 messages on the open connection") {
				t.Errorf("the feed panel shows %.600q", f.Output)
			}
			if got := browserEval[string](t, tab, `document.querySelector('#demo-realtime-feed-result .rt-board .rt-status').textContent`); got != "Departed" {
				t.Errorf("the board ends at %q, want Departed", got)
			}
			tab.saveShot(t, vp.name+"-realtime-feed.png", "#demo-realtime-feed-result")
			tab.noHorizontalScroll(t, "after the feed ran")
			tab.saveShot(t, vp.name+"-realtime-lesson.png", "")
		})
	}
}

package web

import (
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserPayment pays one order twice in the payments lesson: paid,
// then charged once, with the gateway calls in the waterfall; then sends
// payments to a failing gateway in the circuit breaker lesson and sees the
// breaker open.
func TestBrowserPayment(t *testing.T) {
	requireChromium(t)
	base := startBrowserServer(t)
	browser := startBrowser(t)
	for _, vp := range []browserViewport{phoneViewport, projectorViewport} {
		t.Run(vp.name, func(t *testing.T) {
			tab := openTab(t, browser, base, vp)
			tab.do(t, "opening the payments lesson",
				chromedp.Navigate(base+"/lessons/taking-a-payment"),
				chromedp.WaitVisible(chromedp.CSS("#demo-take-payment button.btn-run")),
			)
			previous := ""
			for _, want := range []string{"Order 1001 is paid.", "Charged once."} {
				tab.click(t, "#demo-take-payment button.btn-run")
				tab.waitForNewResult(t, "take-payment", previous)
				r := tab.result(t, "take-payment")
				previous = r.Trace
				if !strings.Contains(r.Output, want) || !strings.Contains(r.Output, "Your payments at the gateway: 1") {
					t.Errorf("the panel shows %q, want %q and one payment", r.Output, want)
				}
				if !slices.Contains(r.Kinds, "kind-http") || !slices.Contains(r.Names, "payment gateway: capture") {
					t.Errorf("the waterfall lacks the gateway calls: %v", r.Names)
				}
			}
			tab.saveShot(t, vp.name+"-payment.png", "#demo-take-payment-result")
			tab.noHorizontalScroll(t, "after paying")

			tab.do(t, "opening the circuit breaker lesson",
				chromedp.Navigate(base+"/lessons/circuit-breakers"),
				chromedp.WaitVisible(chromedp.CSS("#demo-circuit-breaker button.btn-run")),
			)
			tab.click(t, "#demo-circuit-breaker button.btn-run")
			tab.waitForNewResult(t, "circuit-breaker", "")
			r := tab.result(t, "circuit-breaker")
			if !strings.Contains(r.Output, "The payment gateway is paused") || !strings.Contains(r.Output, "open") {
				t.Errorf("the breaker panel shows %q, want an open breaker and a paused gateway", r.Output)
			}
			tab.saveShot(t, vp.name+"-circuit-breaker.png", "#demo-circuit-breaker-result")
			tab.noHorizontalScroll(t, "after the breaker opened")
		})
	}
}

package web

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// storyClick runs a story's step by its button and returns its result,
// after checking the front end pane and the span kinds of its trace.
func (b *browserTab) storyClick(t *testing.T, id string, wantText []string, wantKinds ...string) demoResult {
	t.Helper()
	previous := ""
	if r := browserEval[bool](t, b, `!!document.querySelector('#demo-`+id+`-result .pane-back')`); r {
		previous = b.result(t, id).Trace
	}
	b.click(t, "#demo-"+id+" button.btn-run")
	b.waitForNewResult(t, id, previous)
	r := b.result(t, id)
	for _, w := range wantText {
		if !strings.Contains(r.Output, w) {
			t.Errorf("%s shows %q, want %q in it", id, r.Output, w)
		}
	}
	for _, k := range wantKinds {
		if !slices.Contains(r.Kinds, "kind-"+k) {
			t.Errorf("%s's trace has %v, want %s spans", id, r.Kinds, k)
		}
	}
	return r
}

// waitForEmail waits until the mailbox in the demo's result shows the
// confirmation email sent by its job.
func (b *browserTab) waitForEmail(t *testing.T, id string) {
	t.Helper()
	b.waitFor(t, "the confirmation email arrives in "+id,
		`(() => { const m = document.querySelector('#demo-`+id+`-result .mailbox');
			return !!m && m.querySelector('.mail-job') !== null && /sent/.test(m.textContent); })()`, 20*time.Second)
}

// pace waits as a person would before a step that opens the visitor's
// database several times (a checkout does four or five times): the test
// clicks far faster than anyone reads, and each visitor may start only a
// few operations a second.
func (b *browserTab) pace(t *testing.T) {
	t.Helper()
	b.do(t, "pausing", chromedp.Sleep(3*time.Second))
}

// TestBrowserStories walks both stories to the end in the browser, one
// failure path each, at phone and projector size.
func TestBrowserStories(t *testing.T) {
	requireChromium(t)
	base := startBrowserServer(t)
	browser := startBrowser(t)
	for _, vp := range []browserViewport{projectorViewport, phoneViewport} {
		t.Run(vp.name, func(t *testing.T) {
			tab := openTab(t, browser, base, vp)
			tab.do(t, "opening the airline story",
				chromedp.Navigate(base+"/lessons/airline-story"),
				chromedp.WaitVisible(chromedp.CSS("#demo-trip-login button.btn-run")),
			)
			tab.storyClick(t, "trip-login", []string{"Welcome back, Alice Martin."}, "sql")
			tab.saveShot(t, vp.name+"-story-airline-1-login.png", "#demo-trip-login-result")
			tab.storyClick(t, "trip-miles", []string{"11,500", "Miss."}, "sql", "cache")
			tab.storyClick(t, "trip-miles", []string{"11,500", "Hit."}, "cache")
			tab.saveShot(t, vp.name+"-story-airline-2-miles.png", "#demo-trip-miles-result")
			tab.storyClick(t, "trip-search", []string{"ER181", "sold out"}, "cache", "sql", "http")
			tab.saveShot(t, vp.name+"-story-airline-3-search.png", "#demo-trip-search-result")
			tab.noHorizontalScroll(t, "after the search")
			tab.storyClick(t, "trip-book", []string{"Booked: ER181 Lisbon → Frankfurt", "5,500 miles"}, "http", "sql", "cache", "job")
			tab.waitForEmail(t, "trip-book")
			tab.saveShot(t, vp.name+"-story-airline-4-book.png", "#demo-trip-book-result")
			tab.storyClick(t, "trip-email", []string{"Booking confirmed: ER181 to Frankfurt", "sent"}, "http")
			tab.saveShot(t, vp.name+"-story-airline-5-email.png", "#demo-trip-email-result")

			// The failure path: a flight her miles do not pay for.
			tab.do(t, "choosing flight 2101", clearField("#demo-trip-book-flight"), chromedp.SendKeys(chromedp.CSS("#demo-trip-book-flight"), "2101"))
			r := tab.storyClick(t, "trip-book", []string{"Not enough miles", "was released"}, "http", "sql")
			if !slices.Contains(r.Names, "reservation system: release hold") {
				t.Errorf("the failed booking's trace lacks the release: %v", r.Names)
			}
			tab.saveShot(t, vp.name+"-story-airline-6-refused.png", "#demo-trip-book-result")
			tab.noHorizontalScroll(t, "after the refused booking")

			// A visitor may start two sandbox operations a second (ten at
			// once): the airline's steps and the mailbox's polling spent
			// them, and a person reads a page before the next story.
			tab.pace(t)
			tab.do(t, "opening the shop story",
				chromedp.Navigate(base+"/lessons/shop-story"),
				chromedp.WaitVisible(chromedp.CSS("#demo-shop-catalog button.btn-run")),
			)
			tab.storyClick(t, "shop-catalog", []string{"Brass Fountain Pen (large)", "Miss."}, "cache", "sql")
			tab.saveShot(t, vp.name+"-story-shop-1-catalog.png", "#demo-shop-catalog-result")
			tab.storyClick(t, "shop-cart", []string{"$99.98", `"product_id":1`}, "sql")
			tab.saveShot(t, vp.name+"-story-shop-2-cart.png", "#demo-shop-cart-result")
			tab.pace(t)
			tab.storyClick(t, "shop-checkout", []string{"Thank you! Order #", "is paid", "•••• 4242"}, "sql", "http", "job")
			tab.waitForEmail(t, "shop-checkout")
			tab.saveShot(t, vp.name+"-story-shop-3-checkout.png", "#demo-shop-checkout-result")
			tab.storyClick(t, "shop-email", []string{"Order", "sent"}, "http")

			// The failure path: the payment gateway is down.
			tab.storyClick(t, "shop-cart", []string{"$99.98"}, "sql")
			tab.do(t, "switching the gateway off", chromedp.SetValue(chromedp.CSS("#demo-shop-checkout-gateway"), "down (every call fails)"))
			tab.pace(t)
			tab.storyClick(t, "shop-checkout", []string{"was cancelled and its items are back in stock", "Your cart is kept."}, "sql", "http")
			tab.saveShot(t, vp.name+"-story-shop-4-gateway-down.png", "#demo-shop-checkout-result")
			tab.noHorizontalScroll(t, "after the failed checkout")
		})
	}
}

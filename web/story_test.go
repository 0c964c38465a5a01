package web_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/engineroom/engineroom/web"
)

// storyStep is one click of a story: the panel, what is set in its form,
// the span kinds its trace must hold, and what the front end pane says.
type storyStep struct {
	name  string
	id    string
	set   map[string]string
	kinds []string // span kinds the trace must contain
	not   []string // span kinds it must not contain
	// absent are span names the trace must not contain.
	absent []string
	text   []string // in the front end pane's output
	// notice is the class of a notice the output must show ("" for none).
	notice string
}

// walkStory runs steps in order as one visitor, each through the lesson
// page's form, and checks every step's trace and front end pane.
func walkStory(t *testing.T, srv *web.Server, page string, steps []storyStep) {
	t.Helper()
	c := newClient(t, srv)
	for _, st := range steps {
		ok := t.Run(st.name, func(t *testing.T) {
			r, doc := panelAs(t, c, page, st.id, st.set)
			if r.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %.600s", r.StatusCode, r.text)
			}
			text := frontText(doc)
			for _, w := range st.text {
				if !strings.Contains(text, w) {
					t.Errorf("front end pane = %.700q, want %q in it", text, w)
				}
			}
			if st.notice != "" && doc.Find(".pane-front .output ."+st.notice).Length() == 0 {
				t.Errorf("no .%s in the output: %.400q", st.notice, text)
			}
			kinds := spanKinds(doc)
			for _, k := range st.kinds {
				if !slices.Contains(kinds, k) {
					t.Errorf("trace has span kinds %v, want %s among them", kinds, k)
				}
			}
			for _, k := range st.not {
				if slices.Contains(kinds, k) {
					t.Errorf("trace has span kinds %v, want no %s", kinds, k)
				}
			}
			names := doc.Find(".pane-back .span-name").Map(func(_ int, s *goquery.Selection) string { return s.Text() })
			for _, n := range st.absent {
				if slices.Contains(names, n) {
					t.Errorf("trace has a span %q: %q", n, names)
				}
			}
		})
		if !ok {
			return // the steps after it build on it
		}
	}
}

// spanKinds lists the kinds of the back end pane's spans, each once.
func spanKinds(doc *goquery.Document) []string {
	var kinds []string
	doc.Find(".pane-back ol.waterfall li.span").Each(func(_ int, s *goquery.Selection) {
		for _, class := range strings.Fields(s.AttrOr("class", "")) {
			if k, ok := strings.CutPrefix(class, "kind-"); ok && !slices.Contains(kinds, k) {
				kinds = append(kinds, k)
			}
		}
	})
	return kinds
}

// TestStories walks both stories end to end on a fresh sandbox, with one
// failure path each, and checks that every step's trace shows the parts
// it is there to show: SQL, the cache, calls to the services, the job.
func TestStories(t *testing.T) {
	srv := newServer(t, web.Config{})
	t.Run("airline", func(t *testing.T) {
		walkStory(t, srv, "/lessons/airline-story", []storyStep{
			{name: "miles before login", id: "trip-miles", text: []string{"Nobody is logged in: run step 1 first."}, notice: "notice-warn", not: []string{"sql", "cache"}},
			{name: "wrong password", id: "trip-login", set: map[string]string{"password": "guess"}, text: []string{"Wrong username or password."}, notice: "notice-error"},
			{name: "login", id: "trip-login", kinds: []string{"sql"}, text: []string{"Welcome back, Alice Martin.", "Set-Cookie: airline_session="}},
			{name: "miles from the database", id: "trip-miles", kinds: []string{"sql", "cache"}, text: []string{"11,500 miles", "Miss. From the database"}},
			{name: "miles from the cache", id: "trip-miles", kinds: []string{"cache"}, text: []string{"11,500 miles", "Hit. From the cache (miles:member:1)"}},
			{name: "search", id: "trip-search", kinds: []string{"sql", "cache", "http"}, text: []string{"You have 11,500 miles", "622", "ER181", "6,000", "sold out", "623", "from the database"}},
			{name: "sold out", id: "trip-book", set: map[string]string{"flight": "622"}, kinds: []string{"http"}, not: []string{"job"},
				text: []string{"Flight 622 has 0 seats available", "No miles were taken."}, notice: "outcome"},
			{name: "book", id: "trip-book", kinds: []string{"sql", "cache", "http", "job"}, text: []string{"Booked: ER181 Lisbon → Frankfurt", "5,500 miles", "Confirmation email queued as job #"}},
			{name: "miles after booking", id: "trip-miles", kinds: []string{"sql", "cache"}, text: []string{"5,500 miles", "Miss."}},
			{name: "email", id: "trip-email", kinds: []string{"http"}, text: []string{"Your mailbox", "Job #"}},
			{name: "a flight the miles do not pay for", id: "trip-book", set: map[string]string{"flight": "2101"}, kinds: []string{"sql", "http"}, not: []string{"job"},
				text: []string{"Not enough miles", "was released"}, notice: "outcome"},
			{name: "balance untouched", id: "trip-miles", kinds: []string{"cache"}, text: []string{"5,500 miles", "Hit."}},
		})
	})
	t.Run("shop", func(t *testing.T) {
		walkStory(t, srv, "/lessons/shop-story", []storyStep{
			{name: "checkout with an empty cart", id: "shop-checkout", text: []string{"Your cart is empty"}, notice: "story-notice", not: []string{"http", "job"}},
			{name: "catalog from the database", id: "shop-catalog", kinds: []string{"sql", "cache"}, text: []string{"Brass Fountain Pen (large)", "$49.99", "143 in stock", "Miss."}},
			{name: "catalog from the cache", id: "shop-catalog", kinds: []string{"cache"}, not: []string{"sql"}, text: []string{"Hit."}},
			{name: "cart", id: "shop-cart", kinds: []string{"sql"}, text: []string{"Brass Fountain Pen (large)", "$99.98", `{"lines":[{"product_id":1,"quantity":2}]}`, "Set-Cookie: shop_session="}},
			{name: "no such product", id: "shop-cart", set: map[string]string{"product": "999999"}, kinds: []string{"sql"}, text: []string{"There is no product 999999", "$99.98"}},
			{name: "mistyped card", id: "shop-checkout", set: map[string]string{"card": "4242 4242 4242 4241 (mistyped)"}, not: []string{"job"},
				absent: []string{"reserve the stock and store the order", "take payment"},
				text:   []string{"check digit"}},
			{name: "paid", id: "shop-checkout", kinds: []string{"sql", "cache", "http", "job"},
				text: []string{"Thank you! Order #", "is paid", "$99.98", "•••• 4242", "Idempotency-Key: order-"}},
			{name: "cart emptied", id: "shop-checkout", text: []string{"Your cart is empty"}},
			{name: "catalog after the checkout", id: "shop-catalog", kinds: []string{"sql", "cache"}, text: []string{"141 in stock", "Miss."}},
			{name: "email", id: "shop-email", kinds: []string{"http"}, text: []string{"Your mailbox", "Job #"}},
			// The last step: the breaker its failures open pauses the
			// gateway for 10 s.
			{name: "cart again", id: "shop-cart", set: map[string]string{"product": "8", "quantity": "1"}, kinds: []string{"sql"}, text: []string{"Coastal Tent (large)", "$55.99"}},
			{name: "gateway down", id: "shop-checkout", set: map[string]string{"gateway": "down (every call fails)"}, kinds: []string{"sql", "http"}, not: []string{"job"},
				text: []string{"was cancelled and its items are back in stock", "Your cart is kept."}, notice: "outcome"},
		})
	})
	t.Run("shop, payment unknown", func(t *testing.T) {
		walkStory(t, srv, "/lessons/shop-story", []storyStep{
			{name: "cart", id: "shop-cart", kinds: []string{"sql"}, text: []string{"$99.98"}},
			{name: "gateway slow", id: "shop-checkout", set: map[string]string{"gateway": "slow (answers after 1.2 s)"}, kinds: []string{"sql", "http"}, not: []string{"job"},
				text: []string{"Payment pending", "Pay now retries order #5001."}, notice: "outcome"},
			// The timeouts opened the gateway's breaker: the retry is not
			// sent, and it is the same order, not a second one.
			{name: "retried while paused", id: "shop-checkout", kinds: []string{"sql"}, not: []string{"job"},
				text: []string{"Payment pending: the payment gateway is paused", "Pay now retries order #5001."}, notice: "outcome"},
		})
	})
}

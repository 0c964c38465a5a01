package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/engineroom/engineroom/web"
)

// panelAs runs a demo's panel form as the visitor of c.
func panelAs(t *testing.T, c *client, page, id string, set map[string]string) (reply, *goquery.Document) {
	t.Helper()
	p := c.get(page, nil)
	if p.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d", page, p.StatusCode)
	}
	form := parseHTML(t, p.text).Find("section.demo#demo-" + id + " form.demo-form")
	if form.Length() != 1 {
		t.Fatalf("%s has no form for demo %s", page, id)
	}
	values := demoFormValues(form)
	for k, v := range set {
		values.Set(k, v)
	}
	if values.Get("_csrf") != c.cookie(csrfCookie) {
		t.Fatalf("the panel's _csrf %q is not the cookie's", values.Get("_csrf"))
	}
	r := c.postForm(form.AttrOr("hx-post", ""), values, hdr("HX-Request", "true", "HX-Current-URL", "http://example.com"+page))
	return r, parseHTML(t, r.text)
}

// frontText is the front end pane's output as one line of text.
func frontText(doc *goquery.Document) string {
	return strings.Join(strings.Fields(doc.Find(".pane-front .output").Text()), " ")
}

func TestTakePayment(t *testing.T) {
	srv := newServer(t, web.Config{})
	const page = "/lessons/taking-a-payment"
	tests := []struct {
		name       string
		set        map[string]string
		wantStatus int
		wantText   []string
		wantNotice string // the class of the outcome notice, "" for none
		wantSpans  []string
	}{
		{name: "paid", wantStatus: 200, wantText: []string{"€25.00 paid", "Order 1001 is paid", "Your payments at the gateway: 1"},
			wantSpans: []string{"take payment", "payment gateway: authorize", "payment gateway: capture", "payment gateway: list payments"}},
		{name: "declined", set: map[string]string{"card": "4000 0000 0000 0002 (declined)"}, wantStatus: 200,
			wantText: []string{"Refused by the payment gateway.", "The card was declined", "Your payments at the gateway: 0"}, wantNotice: "notice-warn"},
		{name: "insufficient funds", set: map[string]string{"card": "4000 0000 0000 9995 (insufficient funds)"}, wantStatus: 200,
			wantText: []string{"The card has insufficient funds"}, wantNotice: "notice-warn"},
		{name: "mistyped", set: map[string]string{"card": "4242 4242 4242 4241 (mistyped)"}, wantStatus: 200,
			wantText: []string{"Luhn"}, wantNotice: "notice-warn"},
		{name: "retry asked, with a key: retried", set: map[string]string{"card": "4000 0000 0000 0119 (gateway asks to retry)"}, wantStatus: 200,
			wantText: []string{"is having trouble", "safe to try again"}, wantNotice: "notice-warn",
			wantSpans: []string{"POST /v1/payments (attempt 1 of 3)", "POST /v1/payments (attempt 2 of 3)"}},
		{name: "retry asked, no key: one attempt", set: map[string]string{"card": "4000 0000 0000 0119 (gateway asks to retry)", "key": ""}, wantStatus: 200,
			wantText: []string{"We do not know whether the work was done"}, wantNotice: "notice-error"},
		{name: "bad order number", set: map[string]string{"order": "1 OR 1=1"}, wantStatus: 400},
		{name: "amount too large", set: map[string]string{"amount": "1001"}, wantStatus: 400},
		{name: "unknown card", set: map[string]string{"card": "5555"}, wantStatus: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, srv)
			r, doc := panelAs(t, c, page, "take-payment", tt.set)
			if r.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %.500s", r.StatusCode, tt.wantStatus, r.text)
			}
			if tt.wantStatus != 200 {
				return
			}
			text := frontText(doc)
			for _, w := range tt.wantText {
				if !strings.Contains(text, w) {
					t.Errorf("output = %.600q, want %q in it", text, w)
				}
			}
			notice := doc.Find(".pane-front .outcome")
			switch {
			case tt.wantNotice == "" && notice.Length() != 0:
				t.Errorf("unexpected outcome notice %q", notice.Text())
			case tt.wantNotice != "" && !notice.HasClass(tt.wantNotice):
				t.Errorf("outcome notice classes %q, want %s", notice.AttrOr("class", ""), tt.wantNotice)
			}
			names := doc.Find(".pane-back .span-name").Map(func(_ int, s *goquery.Selection) string { return s.Text() })
			for _, w := range tt.wantSpans {
				if !strings.Contains(strings.Join(names, "\n"), w) {
					t.Errorf("spans %q, want %q among them", names, w)
				}
			}
		})
	}
}

// TestPaymentChargedOnce pays one order twice, with the key and without,
// and with the gateway slower than an attempt's timeout: the key makes the
// retry safe and the order is charged once; without it the customer is
// told the truth and a second try charges again.
func TestPaymentChargedOnce(t *testing.T) {
	srv := newServer(t, web.Config{})
	const page = "/lessons/taking-a-payment"
	c := newClient(t, srv)
	for i, want := range []string{"Order 1001 is paid", "Charged once."} {
		_, doc := panelAs(t, c, page, "take-payment", nil)
		if text := frontText(doc); !strings.Contains(text, want) || !strings.Contains(text, "Your payments at the gateway: 1") {
			t.Fatalf("pay %d: output %.500q, want %q and one payment", i+1, text, want)
		}
	}
	_, doc := panelAs(t, c, page, "fault-switches", map[string]string{"latency_ms": "1200"})
	if text := frontText(doc); !strings.Contains(text, "payment gateway — 1200 ms added") {
		t.Fatalf("faults: %q", text)
	}
	// Without a key there is one attempt: it times out, and nobody knows.
	_, doc = panelAs(t, c, page, "take-payment", map[string]string{"order": "1003", "key": ""})
	text := frontText(doc)
	if !strings.Contains(text, "Your fault switches are on: payment gateway — 1200 ms added") {
		t.Errorf("the faults are not shown: %.300q", text)
	}
	if !strings.Contains(text, "did not answer in time") || !strings.Contains(text, "could do it twice") {
		t.Errorf("unkeyed payment under latency: %.600q", text)
	}
	_, doc = panelAs(t, c, page, "fault-switches", nil)
	if text := frontText(doc); !strings.Contains(text, "All off.") || !strings.Contains(text, "No fault switches are on.") {
		t.Fatalf("faults off: %q", text)
	}
	// The gateway did authorize order 1003 although the shop never heard:
	// a second try without a key makes a second payment for it.
	_, doc = panelAs(t, c, page, "take-payment", map[string]string{"order": "1003", "key": ""})
	text = frontText(doc)
	if !strings.Contains(text, "Order 1003 is paid") {
		t.Fatalf("second try of 1003: %.500q", text)
	}
	orders := doc.Find(".pane-front table.data td:nth-child(1)").Map(func(_ int, s *goquery.Selection) string { return s.Text() })
	n1003 := 0
	for _, o := range orders {
		if o == "Order 1003" {
			n1003++
		}
	}
	if n1003 != 2 {
		t.Errorf("payments at the gateway by order %q: want order 1003 twice", orders)
	}
}

func TestCircuitBreaker(t *testing.T) {
	srv := newServer(t, web.Config{})
	const page = "/lessons/circuit-breakers"
	a, b := newClient(t, srv), newClient(t, srv)
	_, doc := panelAs(t, a, page, "circuit-breaker", nil)
	rows := doc.Find(".pane-front table.data tbody tr")
	if rows.Length() != 5 {
		t.Fatalf("%d rows, want 5", rows.Length())
	}
	modes := rows.Find("td:nth-child(4)").Map(func(_ int, s *goquery.Selection) string { return s.Text() })
	if modes[0] != "closed" || modes[len(modes)-1] != "open" {
		t.Errorf("breaker after each payment = %q, want closed first and open last", modes)
	}
	last := rows.Last().Find("td")
	if got := last.Eq(1).Text(); got != "The payment gateway is paused" {
		t.Errorf("the last customer was told %q", got)
	}
	if doc.Find(".pane-front p.breaker.breaker-open .countdown[data-countdown-ms]").Length() != 1 {
		t.Error("no open breaker with a countdown")
	}
	// The open payments were never sent: two POSTs in all.
	posts := doc.Find(".pane-back .span-name").FilterFunction(func(_ int, s *goquery.Selection) bool {
		return strings.HasPrefix(s.Text(), "POST /v1/payments")
	})
	if posts.Length() != 3 {
		t.Errorf("%d POST attempts, want 3 (two for the first payment, one that opened the breaker)", posts.Length())
	}
	// Another visitor's gateway works and their breaker is closed.
	_, doc = panelAs(t, b, page, "circuit-breaker", map[string]string{"gateway": "working", "payments": "2"})
	if got := doc.Find(".pane-front table.data tbody td:nth-child(2)").Map(func(_ int, s *goquery.Selection) string { return s.Text() }); strings.Join(got, ",") != "paid,paid" {
		t.Errorf("visitor B: %q, want two paid", got)
	}
	// Visitor A's breaker is still open, though the gateway works again.
	_, doc = panelAs(t, a, page, "circuit-breaker", map[string]string{"gateway": "working", "payments": "1"})
	if got := doc.Find(".pane-front table.data tbody td:nth-child(2)").Text(); got != "The payment gateway is paused" {
		t.Errorf("visitor A right after: %q, want paused", got)
	}
}

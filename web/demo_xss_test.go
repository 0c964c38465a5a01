package web_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/engineroom/engineroom/web"
)

const xssPage = "/lessons/xss-and-escaping"

// xssLive finds anything in the front end pane's output that a browser
// would run or load: elements and attributes that only the input could
// have put there.
const xssLive = "script, img, svg, iframe, object, embed, b, a[href^='javascript'], " +
	"[onerror], [onload], [onmouseover], [onclick], [onfocus], [autofocus], [srcdoc]"

// xssOutput is the JSON twin's output.
type xssOutput struct {
	Review struct {
		ID       int64  `json:"id"`
		FlightID int64  `json:"flight_id"`
		Author   string `json:"author"`
		Body     string `json:"body"`
	} `json:"review"`
	Latest   []json.RawMessage `json:"latest"`
	SentHTML string            `json:"sent_html"`
	Contexts []struct {
		Context  string `json:"context"`
		Template string `json:"template"`
		Output   string `json:"output"`
	} `json:"contexts"`
	CSP string `json:"content_security_policy"`
}

func TestXSSReview(t *testing.T) {
	srv := newServer(t, web.Config{})
	sqlReady(t, srv)
	tests := []struct {
		name string
		run  func(t *testing.T, srv *web.Server)
	}{
		{name: "HostileInput", run: testXSSHostileInput},
		{name: "NoJavaScript", run: testXSSNoJavaScript},
		{name: "JSON", run: testXSSJSON},
		{name: "BadInput", run: testXSSBadInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, srv) })
	}
}

func testXSSHostileInput(t *testing.T, srv *web.Server) {
	tests := []struct {
		name, author, body string
		wantSanitisedURL   bool
	}{
		{name: "script tag", author: "Mallory", body: `<script>alert(document.cookie)</script>`},
		{name: "img onerror", author: "Mallory", body: `Great crew! <img src=x onerror="alert(document.cookie)">`},
		{name: "svg onload", author: "Mallory", body: `<svg/onload=alert(1)>`},
		{name: "attribute breakout", author: `" onmouseover="alert(1)`, body: `x" onmouseover="alert(1)" y='`},
		{name: "javascript URL", author: "Mallory", body: `javascript:alert(1)`, wantSanitisedURL: true},
		{name: "javascript URL in capitals", author: "Mallory", body: ` JaVaScRiPt:alert(1)`, wantSanitisedURL: true},
		{name: "data URL", author: "Mallory", body: `data:text/html,<script>alert(1)</script>`, wantSanitisedURL: true},
		{name: "closing textarea", author: "</textarea><b>", body: `</textarea><script>alert(1)</script><textarea>`},
		{name: "entities", author: "A &amp; B", body: `&lt;b&gt;not bold&lt;/b&gt; &#60;script&#62; &quot;`},
		{name: "closing script in JSON", author: "Mallory", body: `</script><script>alert(1)</script>`},
		{name: "longest body", author: strings.Repeat("n", 40), body: strings.Repeat(`<b a="1">`, 222) + "xx"},
		{name: "unicode RTL override", author: "Zoë \u202Eevil\u202C", body: "Nice \u202Egnp.exe\u202C flight, 漢字 ✈ 😀"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, srv)
			r, doc := panelAs(t, c, xssPage, "xss-review", map[string]string{"author": tt.author, "review": tt.body})
			if r.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %.1000s", r.StatusCode, r.text)
			}
			out := doc.Find(".pane-front .output")
			if live := out.Find(xssLive); live.Length() != 0 {
				h, _ := goquery.OuterHtml(live.First())
				t.Errorf("%d live elements from the input in the front end pane, the first %s", live.Length(), h)
			}
			if n := doc.Find("script").Length(); n != 0 {
				t.Errorf("%d <script> elements in the fragment, want none", n)
			}
			card := out.Find(".xss-reviews .xss-review.is-new")
			if card.Length() != 1 {
				t.Fatalf("%d new review cards, want 1", card.Length())
			}
			if got := card.Find(".xss-review-body").Text(); got != tt.body {
				t.Errorf("the card shows %q, want the text verbatim %q", got, tt.body)
			}
			if got := card.Find(".xss-review-head strong").Text(); got != tt.author {
				t.Errorf("the card's author is %q, want %q", got, tt.author)
			}
			if got := out.Find("pre.xss-stored").Text(); got != tt.body {
				t.Errorf("the stored text shown is %q, want %q", got, tt.body)
			}
			// The highlighted source is the card's bytes exactly, and those
			// bytes are the ones the page itself carries.
			sent := strings.TrimSuffix(out.Find(".xss-code").Text(), "\n")
			if !strings.HasPrefix(sent, `<article class="xss-review is-new">`) || !strings.Contains(r.text, sent) {
				t.Errorf("the HTML shown as sent is not in the response:\n%.600s", sent)
			}
			if strings.ContainsAny(tt.body, "<>") && !strings.Contains(sent, "&lt;") {
				t.Errorf("the sent HTML shows no &lt;: %.300s", sent)
			}
			rows := out.Find("table.xss-contexts tbody tr")
			var places []string
			rows.Each(func(_ int, s *goquery.Selection) { places = append(places, s.Find("th").Text()) })
			if want := []string{"element text", "attribute", "URL", "script"}; !slices.Equal(places, want) {
				t.Errorf("contexts = %v, want %v", places, want)
			}
			urlRow := rows.Eq(2)
			if got := urlRow.HasClass("is-sanitised") && strings.Contains(urlRow.Find("pre").Text(), `href="about:invalid#TemplFailedSanitizationURL"`); got != tt.wantSanitisedURL {
				t.Errorf("URL row sanitised = %v, want %v: %q", got, tt.wantSanitisedURL, urlRow.Find("pre").Text())
			}
			script := rows.Eq(3).Find("pre").Text()
			inner, ok := strings.CutPrefix(script, `<script id="review" type="application/json">`)
			if inner = strings.TrimSuffix(inner, "</script>"); !ok || strings.Contains(inner, "<") {
				t.Errorf("the script row holds a raw < besides its own tags: %q", script)
			}
			assertXSSPolicy(t, out, r.Header.Get("Content-Security-Policy"))
			stored := sqlPost(t, c, "SELECT author, body, length(body) FROM reviews ORDER BY id DESC LIMIT 1", false).Statements[0]
			if len(stored.Rows) != 1 || sqlCellText(stored.Rows[0][0]) != tt.author || sqlCellText(stored.Rows[0][1]) != tt.body {
				t.Errorf("stored %v, want author %q, body %q exactly as sent", stored.Rows, tt.author, tt.body)
			}
		})
	}
}

// assertXSSPolicy checks the pane lists the response's own CSP and says
// inline scripts are refused.
func assertXSSPolicy(t *testing.T, out *goquery.Selection, header string) {
	t.Helper()
	if header != csp {
		t.Fatalf("Content-Security-Policy = %q, want %q", header, csp)
	}
	var shown []string
	out.Find("ul.xss-csp li").Each(func(_ int, s *goquery.Selection) { shown = append(shown, s.Text()) })
	if strings.Join(shown, "; ") != header {
		t.Errorf("the pane lists %q, want the response's header %q", shown, header)
	}
	if key := out.Find("ul.xss-csp li.is-key").Text(); key != "script-src 'self'" {
		t.Errorf("the highlighted directive is %q, want script-src 'self'", key)
	}
	if v := out.Find("ul.xss-csp + .notice-ok").Text(); !strings.Contains(v, "without 'unsafe-inline'") || !strings.Contains(v, "onerror=") {
		t.Errorf("the CSP verdict is %q", v)
	}
}

// testXSSNoJavaScript posts the default review as a browser without
// JavaScript does: the page it lands on obeys its own CSP and holds the
// review as text only, in the card and back in the form's textarea.
func testXSSNoJavaScript(t *testing.T, srv *web.Server) {
	c := newClient(t, srv)
	doc := parseHTML(t, c.get(xssPage, nil).text)
	form := doc.Find("section.demo#demo-xss-review form.demo-form")
	values := demoFormValues(form)
	body := values.Get("review")
	if !strings.Contains(body, `<img src=x onerror=`) || !strings.Contains(body, "<script>") {
		t.Fatalf("the default review %q carries no markup to try", body)
	}
	values.Set("review", body+"</textarea><script>alert(2)</script>")
	r := c.postFormFollow(form.AttrOr("hx-post", ""), values, nil, xssPage, "xss-review")
	if r.StatusCode != http.StatusOK {
		t.Fatalf("status %d", r.StatusCode)
	}
	page := parseHTML(t, r.text)
	assertNoInlineCode(t, page)
	var srcs []string
	page.Find("script").Each(func(_ int, s *goquery.Selection) { srcs = append(srcs, s.AttrOr("src", "")) })
	for _, src := range srcs {
		if !strings.HasPrefix(src, "/static/") {
			t.Errorf("a <script src=%q>: want only our own scripts", src)
		}
	}
	out := page.Find("#demo-xss-review .pane-front .output")
	if live := out.Find(xssLive); live.Length() != 0 {
		t.Errorf("%d live elements from the review on the page", live.Length())
	}
	if got := out.Find(".xss-review.is-new .xss-review-body").Text(); got != values.Get("review") {
		t.Errorf("the card shows %q, want %q", got, values.Get("review"))
	}
	if got := page.Find("#demo-xss-review-review").Text(); got != values.Get("review") {
		t.Errorf("the textarea holds %q, want the review as typed %q", got, values.Get("review"))
	}
}

func testXSSJSON(t *testing.T, srv *web.Server) {
	c := newClient(t, srv)
	const body = `<img src=x onerror=alert(1)> & "quotes" 'too'`
	req, _ := json.Marshal(map[string]any{"flight": 7, "author": "Ann", "review": body})
	r := c.postJSON("/api/v1/demos/xss-review", string(req), nil)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", r.StatusCode, r.text)
	}
	var got demoRunJSON
	decodeJSON(t, r, &got)
	var o xssOutput
	if err := json.Unmarshal(got.Output, &o); err != nil {
		t.Fatal(err)
	}
	if o.Review.Body != body || o.Review.Author != "Ann" || o.Review.FlightID != 7 || o.Review.ID <= 0 || len(o.Latest) != 1 {
		t.Errorf("review = %+v, %d latest; want the text as sent, flight 7, one review", o.Review, len(o.Latest))
	}
	const wantBody = `<p class="xss-review-body">&lt;img src=x onerror=alert(1)&gt; &amp; &#34;quotes&#34; &#39;too&#39;</p>`
	if !strings.Contains(o.SentHTML, wantBody) {
		t.Errorf("sent_html = %s, want %s in it", o.SentHTML, wantBody)
	}
	want := map[string]string{
		"element text": `<p>&lt;img src=x onerror=alert(1)&gt; &amp; &#34;quotes&#34; &#39;too&#39;</p>`,
		"attribute":    `<p title="&lt;img src=x onerror=alert(1)&gt; &amp; &#34;quotes&#34; &#39;too&#39;">…</p>`,
		"URL":          `<a href="&lt;img src=x onerror=alert(1)&gt; &amp; &#34;quotes&#34; &#39;too&#39;">link</a>`,
		"script":       `<script id="review" type="application/json">"\u003cimg src=x onerror=alert(1)\u003e \u0026 \"quotes\" 'too'"` + "\n</script>",
	}
	if len(o.Contexts) != len(want) {
		t.Fatalf("%d contexts, want %d", len(o.Contexts), len(want))
	}
	for _, ctx := range o.Contexts {
		if ctx.Output != want[ctx.Context] || ctx.Template == "" {
			t.Errorf("%s (%s) = %s, want %s", ctx.Context, ctx.Template, ctx.Output, want[ctx.Context])
		}
	}
	if o.CSP != csp {
		t.Errorf("content_security_policy = %q, want %q", o.CSP, csp)
	}
	if stored := sqlScalar(t, c, "SELECT body FROM reviews WHERE flight_id = 7"); stored != body {
		t.Errorf("stored %q, want %q", stored, body)
	}
}

func testXSSBadInput(t *testing.T, srv *web.Server) {
	tests := []struct {
		name string
		set  map[string]string
		want string
	}{
		{name: "empty review", set: map[string]string{"review": ""}, want: "The review is empty"},
		{name: "blank review", set: map[string]string{"review": " \r\n "}, want: "The review is empty"},
		{name: "empty name", set: map[string]string{"author": ""}, want: "Your name is empty"},
		{name: "too long", set: map[string]string{"review": strings.Repeat("a", 2001)}, want: "review: at most 2000 characters"},
		{name: "name too long", set: map[string]string{"author": strings.Repeat("a", 41)}, want: "author: at most 40 characters"},
		{name: "invalid UTF-8", set: map[string]string{"review": "bad \xff byte"}, want: "review: must be valid UTF-8 text without NUL bytes"},
		{name: "NUL", set: map[string]string{"author": "a\x00b"}, want: "author: must be valid UTF-8 text without NUL bytes"},
		{name: "no such flight", set: map[string]string{"flight": "99999"}, want: "There is no flight 99999 in your database."},
		{name: "flight out of range", set: map[string]string{"flight": "0"}, want: "flight: must be between 1 and 99999"},
	}
	c := newClient(t, srv)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, doc := panelAs(t, c, xssPage, "xss-review", tt.set)
			if r.StatusCode != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %.500s", r.StatusCode, r.text)
			}
			if got := strings.Join(strings.Fields(doc.Find(".pane-front .notice-error").Text()), " "); !strings.Contains(got, tt.want) {
				t.Errorf("notice = %q, want %q in it", got, tt.want)
			}
			if n := doc.Find(".xss-review").Length(); n != 0 {
				t.Errorf("%d review cards shown for a refused review", n)
			}
		})
	}
	if n := sqlScalar(t, c, "SELECT count(*) FROM reviews"); n != "0" {
		t.Errorf("%s reviews stored, want none", n)
	}
	// The JSON twin answers the same refusal as a problem.
	r := c.postJSON("/api/v1/demos/xss-review", `{"review": "   "}`, nil)
	if r.StatusCode != http.StatusBadRequest || !strings.Contains(r.text, "The review is empty") {
		t.Errorf("JSON twin: status %d, body %s; want 400 saying the review is empty", r.StatusCode, r.text)
	}
}

package web_test

import (
	"compress/gzip"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/engineroom/engineroom/content"
	"github.com/engineroom/engineroom/web"
)

func TestPages(t *testing.T) {
	srv := newServer(t, web.Config{})
	tests := []struct {
		name      string
		path      string
		header    http.Header
		remote    string
		https     bool
		wantTitle string
		wantH1    string
	}{
		{name: "home", path: "/", wantTitle: "Lessons · Engine Room", wantH1: "See what the back end does"},
		{name: "home over https", path: "/", header: hdr("X-Forwarded-Proto", "https"), remote: proxyAddr, https: true,
			wantTitle: "Lessons · Engine Room", wantH1: "See what the back end does"},
		{name: "home, https claimed by a public peer", path: "/", header: hdr("X-Forwarded-Proto", "https"), https: false,
			wantTitle: "Lessons · Engine Room", wantH1: "See what the back end does"},
		{name: "lesson", path: lessonPath, wantTitle: "What happens when you click · Engine Room", wantH1: "What happens when you click"},
		{name: "lesson over https", path: lessonPath, header: hdr("X-Forwarded-Proto", "https"), remote: proxyAddr, https: true,
			wantTitle: "What happens when you click · Engine Room", wantH1: "What happens when you click"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, srv)
			c.remote = tt.remote
			r := c.get(tt.path, tt.header)
			if r.StatusCode != http.StatusOK {
				t.Fatalf("status = %d, want 200; body:\n%s", r.StatusCode, r.text)
			}
			if got := r.Header.Get("Content-Type"); got != htmlType {
				t.Errorf("Content-Type = %q, want %q", got, htmlType)
			}
			assertSecurityHeaders(t, r, tt.https)
			traceIDOf(t, r)
			// A page view is not recorded (requestSampler): its traceresponse
			// says so, and Server-Timing has the total only.
			if tr := r.Header.Get("traceresponse"); !strings.HasSuffix(tr, "-00") {
				t.Errorf("traceresponse = %q, want the not-sampled flag 00", tr)
			}
			if st := r.Header.Get("Server-Timing"); !strings.HasPrefix(st, "total;dur=") {
				t.Errorf("Server-Timing = %q, want total;dur= only", st)
			}
			if r.Header.Get("X-Request-Id") == "" {
				t.Error("no X-Request-Id header")
			}
			doc := parseHTML(t, r.text)
			if got := doc.Find("head title").Text(); got != tt.wantTitle {
				t.Errorf("<title> = %q, want %q", got, tt.wantTitle)
			}
			if got := strings.TrimSpace(doc.Find("main h1").First().Text()); got != tt.wantH1 {
				t.Errorf("<h1> = %q, want %q", got, tt.wantH1)
			}
			if tok, _ := doc.Find(`meta[name="csrf-token"]`).Attr("content"); tok == "" || tok != setCookie(r, csrfCookie).Value {
				t.Errorf(`meta csrf-token = %q, want the er_csrf cookie's value`, tok)
			}
			assertNoInlineCode(t, doc)
		})
	}
}

func TestHomeListsEveryLesson(t *testing.T) {
	lib, err := content.Load(content.Lessons)
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(t, web.Config{})
	r := newClient(t, srv).get("/", nil)
	doc := parseHTML(t, r.text)
	if doc.Find(`a.lesson-card[href="`+lessonPath+`"]`).Length() != 1 {
		t.Fatalf("home has no lesson card linking to %s", lessonPath)
	}
	if got, want := doc.Find("a.lesson-card").Length(), len(lib.All()); got != want {
		t.Errorf("%d lesson cards, want %d", got, want)
	}
	for _, l := range lib.All() {
		t.Run(l.Slug, func(t *testing.T) {
			card := doc.Find(`a.lesson-card[href="/lessons/` + l.Slug + `"]`)
			if card.Length() != 1 {
				t.Fatalf("%d cards link to /lessons/%s, want 1", card.Length(), l.Slug)
			}
			if got := card.Find(".lesson-title").Text(); got != l.Title {
				t.Errorf("title = %q, want %q", got, l.Title)
			}
			if got := card.Find(".lesson-summary").Text(); got != l.Summary {
				t.Errorf("summary = %q, want %q", got, l.Summary)
			}
			section := card.Closest(".section-group").Find("h2").Text()
			if section != l.Section {
				t.Errorf("listed under %q, want %q", section, l.Section)
			}
			link := newClient(t, srv).get("/lessons/"+l.Slug, nil)
			if link.StatusCode != http.StatusOK {
				t.Errorf("GET /lessons/%s: status %d", l.Slug, link.StatusCode)
			}
		})
	}
}

func TestLessonDemoPanels(t *testing.T) {
	srv := newServer(t, web.Config{})
	c := newClient(t, srv)
	r := c.get(lessonPath, nil)
	doc := parseHTML(t, r.text)
	token := c.cookie(csrfCookie)
	if meta, _ := doc.Find(`meta[name="csrf-token"]`).Attr("content"); meta != token {
		t.Errorf("meta csrf-token = %q, want the er_csrf cookie %q", meta, token)
	}
	tests := []struct {
		id         string
		wantTitle  string
		wantButton string
		wantFields map[string]string // name -> default value
	}{
		{id: "request-echo", wantTitle: "Send a request", wantButton: "Send request",
			wantFields: map[string]string{"message": "Hello, server!"}},
		{id: "slow-step", wantTitle: "Find the slow step", wantButton: "Load the profile",
			wantFields: map[string]string{"delay_ms": "400"}},
	}
	if got := doc.Find("section.demo").Length(); got != len(tests) {
		t.Errorf("%d demo panels, want %d", got, len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			sec := doc.Find("section.demo#demo-" + tt.id)
			if sec.Length() != 1 {
				t.Fatalf("no section.demo#demo-%s", tt.id)
			}
			if got := sec.Find(".demo-title").Text(); got != tt.wantTitle {
				t.Errorf("title = %q, want %q", got, tt.wantTitle)
			}
			form := sec.Find("form")
			if form.Length() != 1 {
				t.Fatalf("%d forms, want 1", form.Length())
			}
			if m, _ := form.Attr("method"); m != "post" {
				t.Errorf("method = %q, want post", m)
			}
			if a, _ := form.Attr("action"); !strings.HasPrefix(a, "/demos/"+tt.id) {
				t.Errorf("action = %q, want it to start with /demos/%s", a, tt.id)
			}
			if p, _ := form.Attr("hx-post"); p != "/demos/"+tt.id {
				t.Errorf("hx-post = %q, want /demos/%s", p, tt.id)
			}
			target, _ := form.Attr("hx-target")
			if !strings.HasPrefix(target, "#") || sec.Find(target+".demo-result").Length() != 1 {
				t.Errorf("hx-target = %q, which names no result div in the panel", target)
			}
			if v, _ := form.Find(`input[type="hidden"][name="_csrf"]`).Attr("value"); v != token {
				t.Errorf("_csrf = %q, want %q", v, token)
			}
			if got := strings.TrimSpace(form.Find("button[type=submit]").Text()); got != tt.wantButton {
				t.Errorf("button = %q, want %q", got, tt.wantButton)
			}
			names := map[string]string{}
			form.Find("input, select, textarea").Each(func(_ int, s *goquery.Selection) {
				n, _ := s.Attr("name")
				if n == "_csrf" {
					return
				}
				v, _ := s.Attr("value")
				names[n] = v
				if id, _ := s.Attr("id"); id == "" || form.Find(`label[for="`+id+`"]`).Length() != 1 {
					t.Errorf("field %q has no label", n)
				}
			})
			if len(names) != len(tt.wantFields) {
				t.Errorf("fields = %v, want %v", names, tt.wantFields)
			}
			for n, v := range tt.wantFields {
				if got, ok := names[n]; !ok || got != v {
					t.Errorf("field %q = %q (present %v), want %q", n, got, ok, v)
				}
			}
			if sec.Find(".demo-result .empty").Length() != 1 || sec.Find(".panes").Length() != 0 {
				t.Error("a panel that has not run shows a result")
			}
		})
	}
}

func TestLessonCheckQuestions(t *testing.T) {
	src, err := fs.ReadFile(content.Lessons, "lessons/001-"+lessonSlug+".md")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for line := range strings.SplitSeq(string(src), "\n") {
		if q, ok := strings.CutPrefix(strings.TrimSpace(line), "??? "); ok {
			want = append(want, q)
		}
	}
	if len(want) == 0 {
		t.Fatal("the lesson has no ??? questions")
	}
	doc := parseHTML(t, newClient(t, newServer(t, web.Config{})).get(lessonPath, nil).text)
	checks := doc.Find(".prose details.check")
	if checks.Length() != len(want) {
		t.Fatalf("%d details.check, want %d", checks.Length(), len(want))
	}
	for i, q := range want {
		t.Run(q, func(t *testing.T) {
			d := checks.Eq(i)
			if got := d.Find("summary").Text(); got != q {
				t.Errorf("summary = %q, want %q", got, q)
			}
			if _, open := d.Attr("open"); open {
				t.Error("the answer is not folded away")
			}
			if strings.TrimSpace(d.Find(".answer").Text()) == "" {
				t.Error("empty answer")
			}
		})
	}
}

func TestAssets(t *testing.T) {
	srv := newServer(t, web.Config{})
	c := newClient(t, srv)
	doc := parseHTML(t, c.get(lessonPath, nil).text)
	tests := []struct {
		name     string
		selector string
		attr     string
		wantType string
		wantText string
	}{
		{name: "app.css", selector: `link[rel="stylesheet"][href^="/static/app.css?v="]`, attr: "href", wantType: "text/css", wantText: "{"},
		{name: "chroma.css", selector: `link[rel="stylesheet"][href^="/static/chroma.css?v="]`, attr: "href", wantType: "text/css", wantText: ".chroma"},
		{name: "app.js", selector: `script[src^="/static/app.js?v="]`, attr: "src", wantType: "text/javascript", wantText: "function"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, ok := doc.Find(tt.selector).Attr(tt.attr)
			if !ok {
				t.Fatalf("the page has no %s", tt.selector)
			}
			if v := strings.TrimPrefix(u[strings.Index(u, "?"):], "?v="); v == "" {
				t.Errorf("%s has an empty version", u)
			}
			r := c.get(u, nil)
			if r.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: status %d", u, r.StatusCode)
			}
			if mt, cs := mediaType(t, r); mt != tt.wantType || cs != "utf-8" {
				t.Errorf("Content-Type = %q, want %s; charset=utf-8", r.Header.Get("Content-Type"), tt.wantType)
			}
			if !strings.Contains(r.text, tt.wantText) {
				t.Errorf("body does not contain %q", tt.wantText)
			}
			etag := r.Header.Get("ETag")
			if len(etag) < 3 || etag[0] != '"' || etag[len(etag)-1] != '"' {
				t.Fatalf("ETag = %q, want a quoted strong tag", etag)
			}
			if !strings.Contains(r.Header.Get("Cache-Control"), "immutable") {
				t.Errorf("Cache-Control = %q for a versioned URL, want immutable", r.Header.Get("Cache-Control"))
			}
			assertSecurityHeaders(t, r, false)

			nm := c.get(u, hdr("If-None-Match", etag))
			if nm.StatusCode != http.StatusNotModified || nm.text != "" {
				t.Errorf("If-None-Match: status %d with %d bytes, want 304 and none", nm.StatusCode, len(nm.text))
			}
			if nm.Header.Get("ETag") != etag {
				t.Errorf("304 ETag = %q, want %q", nm.Header.Get("ETag"), etag)
			}
			stale := c.get(u, hdr("If-None-Match", `"stale"`))
			if stale.StatusCode != http.StatusOK || stale.text != r.text {
				t.Errorf("stale If-None-Match: status %d, want 200 and the file", stale.StatusCode)
			}

			gz := c.get(u, hdr("Accept-Encoding", "gzip"))
			if gz.StatusCode != http.StatusOK {
				t.Fatalf("gzip: status %d", gz.StatusCode)
			}
			body := gz.text
			if gz.Header.Get("Content-Encoding") == "gzip" {
				zr, err := gzip.NewReader(strings.NewReader(gz.text))
				if err != nil {
					t.Fatalf("gzip: %v", err)
				}
				b, err := io.ReadAll(zr)
				if err != nil {
					t.Fatalf("gzip: %v", err)
				}
				body = string(b)
			}
			if body != r.text {
				t.Errorf("gzip: body differs from the plain one (%d vs %d bytes)", len(body), len(r.text))
			}
			gzNM := c.get(u, hdr("Accept-Encoding", "gzip", "If-None-Match", etag))
			if gzNM.StatusCode != http.StatusNotModified || gzNM.text != "" {
				t.Errorf("gzip If-None-Match: status %d with %d bytes, want 304 and none", gzNM.StatusCode, len(gzNM.text))
			}
		})
	}
}

func TestVisitorCookie(t *testing.T) {
	srv := newServer(t, web.Config{Secret: []byte("test secret one")})
	other := newServer(t, web.Config{Secret: []byte("test secret two")})
	fresh := func(h http.Handler) string {
		t.Helper()
		r := newClient(t, h).get("/", nil)
		ck := setCookie(r, visitorCookie)
		if ck == nil {
			t.Fatal("a new visitor got no er_visitor cookie")
		}
		return ck.Value
	}
	valid, foreign := fresh(srv), fresh(other)
	id, mac, ok := strings.Cut(valid, ".")
	if !ok || id == "" || mac == "" {
		t.Fatalf("er_visitor = %q, want <id>.<mac>", valid)
	}
	flip := func(s string) string {
		b := []byte(s)
		if b[len(b)-1] == 'A' {
			b[len(b)-1] = 'B'
		} else {
			b[len(b)-1] = 'A'
		}
		return string(b)
	}
	tests := []struct {
		name    string
		send    *string // nil: no cookie
		https   bool
		wantNew bool
	}{
		{name: "first visit", send: nil, wantNew: true},
		{name: "first visit over https", send: nil, https: true, wantNew: true},
		{name: "returning visitor", send: &valid, wantNew: false},
		{name: "returning visitor over https", send: &valid, https: true, wantNew: false},
		{name: "forged mac", send: ptr(id + "." + flip(mac)), wantNew: true},
		{name: "forged id", send: ptr(flip(id) + "." + mac), wantNew: true},
		{name: "forged over https", send: ptr(id + "." + flip(mac)), https: true, wantNew: true},
		{name: "empty mac", send: ptr(id + "."), wantNew: true},
		{name: "no mac", send: ptr(id), wantNew: true},
		{name: "empty value", send: ptr(""), wantNew: true},
		{name: "garbage", send: ptr("%%%not-a-cookie!!"), wantNew: true},
		{name: "dots only", send: ptr("..."), wantNew: true},
		{name: "too long", send: ptr(strings.Repeat("a", 4000) + "." + mac), wantNew: true},
		{name: "id one too long", send: ptr(id + "x." + mac), wantNew: true},
		{name: "signed by another server", send: &foreign, wantNew: true},
	}
	for _, tt := range tests {
		for _, path := range []string{"/", lessonPath, "/api/v1/demos"} {
			t.Run(tt.name+" "+path, func(t *testing.T) {
				// Over HTTPS the cookie carries the __Host- prefix.
				name, req := visitorCookie, httptest.NewRequest(http.MethodGet, path, nil)
				if tt.https {
					name = "__Host-" + visitorCookie
					req.Header.Set("X-Forwarded-Proto", "https")
					req.RemoteAddr = proxyAddr
				}
				if tt.send != nil {
					req.Header.Set("Cookie", name+"="+*tt.send)
				}
				r := newClient(t, srv).do(req)
				if r.StatusCode != http.StatusOK {
					t.Fatalf("status = %d, want 200", r.StatusCode)
				}
				ck := setCookie(r, name)
				if (ck != nil) != tt.wantNew {
					t.Fatalf("set a new er_visitor = %v, want %v", ck != nil, tt.wantNew)
				}
				if ck == nil {
					return
				}
				if tt.send != nil && ck.Value == *tt.send {
					t.Error("the new cookie repeats the rejected value")
				}
				if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.MaxAge <= 0 {
					t.Errorf("cookie = %+v, want HttpOnly, SameSite=Lax, Path=/, a positive Max-Age", ck)
				}
				if ck.Secure != tt.https {
					t.Errorf("Secure = %v, want %v", ck.Secure, tt.https)
				}
				// The new cookie is itself accepted.
				again := httptest.NewRequest(http.MethodGet, path, nil)
				again.Header = req.Header.Clone()
				again.RemoteAddr = req.RemoteAddr
				again.Header.Set("Cookie", name+"="+ck.Value)
				if r2 := newClient(t, srv).do(again); setCookie(r2, name) != nil {
					t.Error("the cookie just issued is not accepted back")
				}
			})
		}
	}
}

func ptr[T any](v T) *T { return &v }

func TestCSRF(t *testing.T) {
	srv := newServer(t, web.Config{})
	tests := []struct {
		name       string
		formToken  string // "valid" is replaced by the jar's token
		header     http.Header
		dropCookie bool
		wantStatus int
		wantText   string
	}{
		{name: "no token", wantStatus: http.StatusForbidden, wantText: "security token"},
		{name: "wrong form token", formToken: "not-the-token", wantStatus: http.StatusForbidden, wantText: "security token"},
		{name: "wrong header token", header: hdr("X-CSRF-Token", "not-the-token"), wantStatus: http.StatusForbidden, wantText: "security token"},
		{name: "form token without its cookie", formToken: "valid", dropCookie: true, wantStatus: http.StatusForbidden, wantText: "security token"},
		{name: "same-site request without a token", header: hdr("Sec-Fetch-Site", "same-site"), wantStatus: http.StatusForbidden, wantText: "security token"},
		{name: "cross-site request with the token", formToken: "valid", header: hdr("Sec-Fetch-Site", "cross-site"), wantStatus: http.StatusForbidden, wantText: "cross-site"},
		{name: "form token", formToken: "valid", wantStatus: http.StatusOK, wantText: "The server got your message"},
		{name: "header token", header: hdr("X-CSRF-Token", "valid"), wantStatus: http.StatusOK, wantText: "The server got your message"},
		{name: "header token, partial update", header: hdr("X-CSRF-Token", "valid", "HX-Request", "true"), wantStatus: http.StatusOK, wantText: "The server got your message"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := primed(t, srv)
			token := c.cookie(csrfCookie)
			form := url.Values{"message": {"hi"}}
			if tt.formToken == "valid" {
				form.Set("_csrf", token)
			} else if tt.formToken != "" {
				form.Set("_csrf", tt.formToken)
			}
			h := tt.header.Clone()
			if h.Get("X-CSRF-Token") == "valid" {
				h.Set("X-CSRF-Token", token)
			}
			if tt.dropCookie {
				delete(c.jar, csrfCookie)
			}
			var r reply
			if tt.wantStatus == http.StatusOK && h.Get("HX-Request") == "" {
				r = c.postFormFollow("/demos/request-echo", form, h, "/lessons/what-happens-when-you-click", "request-echo")
			} else {
				r = c.postForm("/demos/request-echo", form, h)
			}
			if r.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body:\n%s", r.StatusCode, tt.wantStatus, r.text)
			}
			if !strings.Contains(r.text, tt.wantText) {
				t.Errorf("body does not contain %q:\n%s", tt.wantText, r.text)
			}
			if got := r.Header.Get("Content-Type"); got != htmlType {
				t.Errorf("Content-Type = %q, want %q", got, htmlType)
			}
		})
	}
}

func TestDemoFragment(t *testing.T) {
	srv := newServer(t, web.Config{})
	tests := []struct {
		id            string
		form          url.Values
		wantOutput    string
		wantSpanNames []string
		wantKinds     []string
		wantTiming    []string
	}{
		{
			id: "request-echo", form: url.Values{"message": {"hello there"}},
			wantOutput:    "The server got your message: hello there",
			wantSpanNames: []string{"POST /demos/:id", "csrf", "visitor cookie", "handler request-echo", "read the request", "build the reply"},
			wantKinds:     []string{"server", "middleware", "handler", "internal"},
			wantTiming:    []string{"middleware;dur=", "handler;dur=", "render;dur=", "total;dur="},
		},
		{
			id: "slow-step", form: url.Values{"delay_ms": {"0"}},
			wantOutput:    "Ada Lovelace",
			wantSpanNames: []string{"POST /demos/:id", "body limit", "handler slow-step", "validate input", "GET loyalty service /members/M-1042", "format the reply"},
			wantKinds:     []string{"server", "middleware", "handler", "internal"},
			wantTiming:    []string{"middleware;dur=", "handler;dur=", "internal;dur=", "total;dur="},
		},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			c := primed(t, srv)
			tt.form.Set("_csrf", c.cookie(csrfCookie))
			r := c.postForm("/demos/"+tt.id, tt.form, hdr("HX-Request", "true"))
			if r.StatusCode != http.StatusOK {
				t.Fatalf("status = %d; body:\n%s", r.StatusCode, r.text)
			}
			if got := r.Header.Get("Content-Type"); got != htmlType {
				t.Errorf("Content-Type = %q, want %q", got, htmlType)
			}
			if vary := strings.Join(r.Header.Values("Vary"), ", "); !strings.Contains(vary, "HX-Request") {
				t.Errorf("Vary = %q, want HX-Request in it", vary)
			}
			assertSecurityHeaders(t, r, false)
			low := strings.ToLower(r.text)
			if strings.Contains(low, "<html") || strings.Contains(low, "<!doctype") || strings.Contains(low, "<head") {
				t.Fatalf("a partial update got a whole page:\n%s", r.text)
			}
			doc := parseHTML(t, r.text)
			assertNoInlineCode(t, doc)
			if doc.Find(".pane-front").Length() != 1 || doc.Find(".pane-back").Length() != 1 {
				t.Fatalf("want one .pane-front and one .pane-back:\n%s", r.text)
			}
			if got := strings.Join(strings.Fields(doc.Find(".pane-front .output").Text()), " "); !strings.Contains(got, tt.wantOutput) {
				t.Errorf("output = %q, want %q in it", got, tt.wantOutput)
			}
			if got := doc.Find("pre.http .http-start").First().Text(); got != "POST /demos/"+tt.id+" HTTP/1.1" {
				t.Errorf("request line = %q", got)
			}
			if got := doc.Find("pre.http-response .http-start").Text(); got != "HTTP/1.1 200 OK" {
				t.Errorf("status line = %q", got)
			}
			if got := doc.Find("code#demo-" + tt.id + "-curl").Text(); !strings.Contains(got, "/api/v1/demos/"+tt.id) ||
				!strings.Contains(got, "Content-Type: application/json") {
				t.Errorf("curl = %q", got)
			}

			rows := doc.Find("ol.waterfall li.span")
			if rows.Length() == 0 {
				t.Fatal("no waterfall rows")
			}
			if !rows.First().HasClass("kind-server") || !rows.First().HasClass("depth-0") {
				t.Errorf("first row classes = %q, want the server span at depth 0", rows.First().AttrOr("class", ""))
			}
			names := map[string]bool{}
			rows.Find(".span-name").Each(func(_ int, s *goquery.Selection) { names[s.Text()] = true })
			for _, n := range tt.wantSpanNames {
				if !names[n] {
					t.Errorf("no span named %q in %v", n, names)
				}
			}
			for _, k := range tt.wantKinds {
				if rows.Filter("li.kind-"+k).Length() == 0 {
					t.Errorf("no %s span", k)
				}
			}
			if h := rows.Filter(".kind-handler"); h.Length() != 1 || !h.HasClass("depth-1") {
				t.Errorf("want one handler row at depth 1, got %d (%q)", h.Length(), h.AttrOr("class", ""))
			}
			rows.Find("rect.bar").Each(func(_ int, s *goquery.Selection) {
				for _, a := range []string{"x", "width"} {
					if v := s.AttrOr(a, ""); v == "" || strings.HasPrefix(v, "-") {
						t.Errorf("bar %s = %q", a, v)
					}
				}
			})

			traceID := traceIDOf(t, r)
			if tr := r.Header.Get("traceresponse"); !strings.HasSuffix(tr, "-01") {
				t.Errorf("traceresponse = %q, want the sampled flag 01: a demo run is recorded", tr)
			}
			shown := strings.TrimSuffix(doc.Find(".trace-meta code").Text(), "…")
			if len(shown) < 8 || !strings.HasPrefix(traceID, shown) {
				t.Errorf("trace shown = %q, want a prefix of %s", shown, traceID)
			}
			for _, want := range tt.wantTiming {
				if !strings.Contains(r.Header.Get("Server-Timing"), want) {
					t.Errorf("Server-Timing = %q, want %s in it", r.Header.Get("Server-Timing"), want)
				}
			}
		})
	}
}

func TestDemoFragmentEscapesAndMasks(t *testing.T) {
	srv := newServer(t, web.Config{})
	const msg = "<b>x</b>"
	tests := []struct {
		name         string
		newVisitor   bool
		tokenHeader  bool
		wantCookieIn string // request header line that shows the masked cookie
	}{
		{name: "returning visitor, form token", wantCookieIn: "er_visitor=••••••••"},
		{name: "returning visitor, header token", tokenHeader: true, wantCookieIn: "er_visitor=••••••••"},
		{name: "new visitor", newVisitor: true, wantCookieIn: "er_csrf=••••••••"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := primed(t, srv)
			visitor, token := c.cookie(visitorCookie), c.cookie(csrfCookie)
			if tt.newVisitor {
				delete(c.jar, visitorCookie)
			}
			form := url.Values{"message": {msg}}
			h := hdr("HX-Request", "true")
			if tt.tokenHeader {
				h.Set("X-CSRF-Token", token)
			} else {
				form.Set("_csrf", token)
			}
			r := c.postForm("/demos/request-echo", form, h)
			if r.StatusCode != http.StatusOK {
				t.Fatalf("status = %d; body:\n%s", r.StatusCode, r.text)
			}
			doc := parseHTML(t, r.text)
			out := doc.Find(".pane-front .output")
			if out.Find("b").Length() != 0 {
				t.Errorf("the message became markup: %s", r.text)
			}
			if got := out.Find("q").Text(); got != msg {
				t.Errorf("echoed message = %q, want %q as text", got, msg)
			}
			if strings.Contains(r.text, msg) {
				t.Error("the raw message appears unescaped in the body")
			}
			secrets := map[string]string{"visitor cookie": visitor, "csrf token": token}
			if ck := setCookie(r, visitorCookie); tt.newVisitor {
				if ck == nil {
					t.Fatal("a new visitor got no cookie")
				}
				secrets["new visitor cookie"] = ck.Value
			}
			for what, v := range secrets {
				if strings.Contains(r.text, v) {
					t.Errorf("the %s value appears in the body", what)
				}
			}
			req := doc.Find("pre.http").First()
			if got := req.Find(".http-start").Text(); got != "POST /demos/request-echo HTTP/1.1" {
				t.Errorf("request line = %q", got)
			}
			var cookieLine string
			req.Find(".http-h").Each(func(_ int, s *goquery.Selection) {
				if s.Find(".hn").Text() == "Cookie" {
					cookieLine = s.Text()
				}
			})
			if !strings.Contains(cookieLine, tt.wantCookieIn) {
				t.Errorf("Cookie line = %q, want %q in it", cookieLine, tt.wantCookieIn)
			}
			if tt.tokenHeader && req.Find(".masked").Length() == 0 {
				t.Error("the X-CSRF-Token header is not masked")
			}
			if body := req.Find(".http-body").Text(); !strings.Contains(body, "message=%3Cb%3Ex%3C%2Fb%3E") {
				t.Errorf("request body = %q", body)
			}
		})
	}
}

func TestDemoFullPage(t *testing.T) {
	srv := newServer(t, web.Config{})
	tests := []struct {
		id         string
		other      string
		field      string
		value      string
		wantOutput string
	}{
		{id: "request-echo", other: "slow-step", field: "message", value: "<i>kept</i>", wantOutput: "The server got your message: <i>kept</i>"},
		{id: "slow-step", other: "request-echo", field: "delay_ms", value: "0", wantOutput: "Ada Lovelace"},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			c := primed(t, srv)
			r := c.postFormFollow("/demos/"+tt.id, url.Values{tt.field: {tt.value}, "_csrf": {c.cookie(csrfCookie)}}, nil, "/lessons/what-happens-when-you-click", tt.id)
			if r.StatusCode != http.StatusOK {
				t.Fatalf("status = %d; body:\n%s", r.StatusCode, r.text)
			}
			if !strings.Contains(strings.ToLower(r.text), "<html") {
				t.Fatal("a plain form post did not get a whole page")
			}
			doc := parseHTML(t, r.text)
			if got := doc.Find("article.lesson h1").Text(); got != "What happens when you click" {
				t.Errorf("h1 = %q", got)
			}
			res := doc.Find("#demo-" + tt.id + "-result")
			if res.Find(".pane-front").Length() != 1 || res.Find(".pane-back ol.waterfall li.span").Length() == 0 {
				t.Fatal("the result is not in place in its panel")
			}
			if got := strings.Join(strings.Fields(res.Find(".output").Text()), " "); !strings.Contains(got, tt.wantOutput) {
				t.Errorf("output = %q, want %q in it", got, tt.wantOutput)
			}
			if res.Find(".output i").Length() != 0 {
				t.Error("the submitted value became markup")
			}
			if got, _ := doc.Find("#demo-" + tt.id + "-" + tt.field).Attr("value"); got != tt.value {
				t.Errorf("input value = %q, want the submitted %q", got, tt.value)
			}
			if doc.Find("#demo-"+tt.other+"-result .panes").Length() != 0 {
				t.Errorf("the %s panel shows a result too", tt.other)
			}
			if a, _ := doc.Find("#demo-" + tt.id + " form").Attr("action"); !strings.HasSuffix(a, "#demo-"+tt.id) {
				t.Errorf("form action = %q, want it to return to the panel", a)
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	srv := newServer(t, web.Config{})
	big := strings.Repeat("a", 2<<20)
	under := strings.Repeat("a", 900<<10)
	tests := []struct {
		name        string
		method      string
		path        string
		form        url.Values // nil: no body
		rawBody     string     // sent as-is when set
		chunked     bool       // send the body without a Content-Length
		headerToken bool       // send the CSRF token in X-CSRF-Token, not the form
		fragment    bool
		wantStatus  int
		wantSel     string
		wantText    string
	}{
		{name: "unknown route", method: "GET", path: "/no/such/page", wantStatus: 404, wantSel: ".error-page", wantText: "There is no page at this address."},
		{name: "unknown route, partial", method: "GET", path: "/no/such/page", fragment: true, wantStatus: 404, wantSel: ".notice-error", wantText: "There is no page at this address."},
		{name: "unknown lesson", method: "GET", path: "/lessons/no-such-lesson", wantStatus: 404, wantSel: ".error-page", wantText: `There is no lesson called "no-such-lesson".`},
		{name: "unknown lesson, partial", method: "GET", path: "/lessons/no-such-lesson", fragment: true, wantStatus: 404, wantSel: ".notice-error", wantText: "There is no lesson"},
		{name: "lesson with trailing slash", method: "GET", path: lessonPath + "/", wantStatus: 404, wantSel: ".error-page", wantText: "There is no lesson"},
		{name: "static dot-dot", method: "GET", path: "/static/../go.mod", wantStatus: 404, wantSel: ".error-page", wantText: "There is no page"},
		{name: "static encoded dot-dot", method: "GET", path: "/static/%2e%2e/go.mod", wantStatus: 404, wantSel: ".error-page", wantText: "There is no page"},
		{name: "static encoded slash", method: "GET", path: "/static/..%2fgo.mod", wantStatus: 404, wantSel: ".error-page", wantText: "There is no page"},
		{name: "static encoded both", method: "GET", path: "/static/%2e%2e%2f%2e%2e%2fgo.mod", wantStatus: 404, wantSel: ".error-page", wantText: "There is no page"},
		{name: "static trailing dot-dot", method: "GET", path: "/static/app.css/..", wantStatus: 404, wantSel: ".error-page", wantText: "There is no page"},
		{name: "static unknown file", method: "GET", path: "/static/nope.js", wantStatus: 404, wantSel: ".error-page", wantText: "There is no page"},
		{name: "static source file", method: "GET", path: "/static/assets.go", wantStatus: 404, wantSel: ".error-page", wantText: "There is no page"},
		{name: "body over 1 MB", method: "POST", path: "/demos/request-echo", rawBody: "message=" + big, wantStatus: 413, wantSel: ".error-page", wantText: "too large"},
		{name: "body over 1 MB, partial", method: "POST", path: "/demos/request-echo", rawBody: "message=" + big, fragment: true, wantStatus: 413, wantSel: ".notice-error", wantText: "too large"},
		{name: "body over 1 MB without length", method: "POST", path: "/demos/request-echo", rawBody: "message=" + big, chunked: true, wantStatus: 413, wantSel: ".error-page", wantText: "too large"},
		{name: "body over 1 MB without length, header token", method: "POST", path: "/demos/request-echo", rawBody: "message=" + big, chunked: true, headerToken: true, fragment: true, wantStatus: 413, wantSel: ".notice-error", wantText: "too large"},
		{name: "body under 1 MB reaches validation", method: "POST", path: "/demos/request-echo", form: url.Values{"message": {under}}, fragment: true, wantStatus: 400, wantSel: ".notice-error", wantText: "message: at most 200 characters"},
		{name: "delay too long", method: "POST", path: "/demos/slow-step", form: url.Values{"delay_ms": {"5000"}}, fragment: true, wantStatus: 400, wantSel: ".pane-front .notice-error", wantText: "delay_ms: must be between 0 and 2000"},
		{name: "delay negative", method: "POST", path: "/demos/slow-step", form: url.Values{"delay_ms": {"-1"}}, fragment: true, wantStatus: 400, wantSel: ".pane-front .notice-error", wantText: "delay_ms: must be between 0 and 2000"},
		{name: "delay not a number", method: "POST", path: "/demos/slow-step", form: url.Values{"delay_ms": {"abc"}}, fragment: true, wantStatus: 400, wantSel: ".pane-front .notice-error", wantText: `delay_ms: "abc" is not a whole number`},
		{name: "delay not a number, whole page", method: "POST", path: "/demos/slow-step", form: url.Values{"delay_ms": {"abc"}}, wantStatus: 400, wantSel: "#demo-slow-step-result .notice-error", wantText: `delay_ms: "abc" is not a whole number`},
		{name: "unknown parameter", method: "POST", path: "/demos/request-echo", form: url.Values{"mesage": {"typo"}}, fragment: true, wantStatus: 400, wantSel: ".notice-error", wantText: `unknown parameter "mesage"`},
		{name: "message too long", method: "POST", path: "/demos/request-echo", form: url.Values{"message": {strings.Repeat("é", 201)}}, fragment: true, wantStatus: 400, wantSel: ".notice-error", wantText: "message: at most 200 characters"},
		{name: "NUL byte", method: "POST", path: "/demos/request-echo", form: url.Values{"message": {"a\x00b"}}, fragment: true, wantStatus: 400, wantSel: ".notice-error", wantText: "without NUL bytes"},
		{name: "unknown demo", method: "POST", path: "/demos/no-such-demo", form: url.Values{}, fragment: true, wantStatus: 404, wantSel: ".notice-error", wantText: `There is no demo called "no-such-demo".`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := primed(t, srv)
			token := c.cookie(csrfCookie)
			var body io.Reader
			switch {
			case tt.rawBody != "" && tt.headerToken:
				body = strings.NewReader(tt.rawBody)
			case tt.rawBody != "":
				body = strings.NewReader(tt.rawBody + "&_csrf=" + token)
			case tt.form != nil:
				tt.form.Set("_csrf", token)
				body = strings.NewReader(tt.form.Encode())
			}
			if tt.chunked && body != nil {
				body = io.MultiReader(body) // hides the length
			}
			req := httptest.NewRequest(tt.method, tt.path, body)
			if body != nil {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			if tt.fragment {
				req.Header.Set("HX-Request", "true")
			}
			if tt.headerToken {
				req.Header.Set("X-CSRF-Token", token)
			}
			r := c.do(req)
			if r.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body:\n%.2000s", r.StatusCode, tt.wantStatus, r.text)
			}
			if got := r.Header.Get("Content-Type"); got != htmlType {
				t.Errorf("Content-Type = %q, want %q", got, htmlType)
			}
			assertSecurityHeaders(t, r, false)
			if strings.Contains(r.text, "module github.com") {
				t.Fatal("the body leaks go.mod")
			}
			if isPage := strings.Contains(strings.ToLower(r.text), "<html"); isPage == tt.fragment {
				t.Errorf("whole page = %v, want %v", isPage, !tt.fragment)
			}
			doc := parseHTML(t, r.text)
			sel := doc.Find(tt.wantSel)
			if sel.Length() == 0 {
				t.Fatalf("no %s in:\n%.2000s", tt.wantSel, r.text)
			}
			if got := strings.Join(strings.Fields(sel.Text()), " "); !strings.Contains(got, tt.wantText) {
				t.Errorf("%s = %q, want %q in it", tt.wantSel, got, tt.wantText)
			}
		})
	}
}

func TestDemoTimeout(t *testing.T) {
	srv := newServer(t, web.Config{RequestTimeout: 100 * time.Millisecond})
	tests := []struct {
		name       string
		fragment   bool
		wantStatus int
		wantSel    string
		wantText   string
	}{
		{name: "partial", fragment: true, wantStatus: http.StatusServiceUnavailable, wantSel: ".pane-front .notice-error", wantText: "did not answer in time"},
		{name: "whole page", wantStatus: http.StatusServiceUnavailable, wantSel: "#demo-slow-step-result .notice-error", wantText: "did not answer in time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := primed(t, srv)
			h := http.Header{}
			if tt.fragment {
				h.Set("HX-Request", "true")
			}
			r := c.postForm("/demos/slow-step", url.Values{"delay_ms": {"2000"}, "_csrf": {c.cookie(csrfCookie)}}, h)
			if r.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d", r.StatusCode, tt.wantStatus)
			}
			sel := parseHTML(t, r.text).Find(tt.wantSel)
			if !strings.Contains(sel.Text(), tt.wantText) {
				t.Errorf("%s = %q, want %q in it", tt.wantSel, sel.Text(), tt.wantText)
			}
			if isPage := strings.Contains(strings.ToLower(r.text), "<html"); isPage == tt.fragment {
				t.Errorf("whole page = %v, want %v", isPage, !tt.fragment)
			}
		})
	}
}

func TestHealthz(t *testing.T) {
	r := newClient(t, newServer(t, web.Config{})).get("/healthz", nil)
	if r.StatusCode != http.StatusOK || r.text != "ok\n" {
		t.Errorf("GET /healthz = %d %q, want 200 \"ok\\n\"", r.StatusCode, r.text)
	}
	if setCookie(r, visitorCookie) != nil || setCookie(r, csrfCookie) != nil {
		t.Error("the health check sets cookies")
	}
	assertSecurityHeaders(t, r, false)
}

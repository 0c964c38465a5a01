package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/engineroom/engineroom/web"
)

// TestJoin shows a page's address in large letters and as a QR code: the
// request's own origin or the configured BaseURL, and only for pages of
// this site.
func TestJoin(t *testing.T) {
	plain := newServer(t, web.Config{})
	based := newServer(t, web.Config{BaseURL: "https://engineroom.example/"})
	tests := []struct {
		name    string
		srv     http.Handler
		path    string // the path parameter; "-" sends none
		header  http.Header
		wantURL string
		back    string
	}{
		{name: "lesson", srv: plain, path: "/lessons/cache-aside", wantURL: "http://example.com/lessons/cache-aside", back: "/lessons/cache-aside"},
		{name: "no path is the home page", srv: plain, path: "-", wantURL: "http://example.com/", back: "/"},
		{name: "empty path is the home page", srv: plain, path: "", wantURL: "http://example.com/", back: "/"},
		{name: "a query stays", srv: plain, path: "/sql?x=1", wantURL: "http://example.com/sql?x=1", back: "/sql?x=1"},
		{name: "behind a TLS proxy", srv: plain, path: "/lessons/cache-aside", header: hdr("X-Forwarded-Proto", "https"), wantURL: "https://example.com/lessons/cache-aside", back: "/lessons/cache-aside"},
		{name: "BaseURL wins over the host", srv: based, path: "/lessons/cache-aside", wantURL: "https://engineroom.example/lessons/cache-aside", back: "/lessons/cache-aside"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := "/join"
			if tt.path != "-" {
				target += "?" + url.Values{"path": {tt.path}}.Encode()
			}
			c := newClient(t, tt.srv)
			if tt.header.Get("X-Forwarded-Proto") != "" {
				c.remote = proxyAddr
			}
			r := c.get(target, tt.header)
			if r.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: status %d: %.500s", target, r.StatusCode, r.text)
			}
			if got := r.Header.Get("Content-Type"); got != htmlType {
				t.Errorf("Content-Type = %q, want %q", got, htmlType)
			}
			assertSecurityHeaders(t, r, tt.header.Get("X-Forwarded-Proto") == "https")
			doc := parseHTML(t, r.text)
			assertNoInlineCode(t, doc)
			if got := doc.Find("head > title").Text(); got != "Students: open this · Engine Room" {
				t.Errorf("title = %q", got)
			}
			if got := doc.Find("h1.join-title").Text(); got != "Students: open this" {
				t.Errorf("h1 = %q", got)
			}
			link := doc.Find(".join-url a")
			if link.Length() != 1 || link.Text() != tt.wantURL || link.AttrOr("href", "") != tt.wantURL {
				t.Errorf("address: %d links, text %q, href %q; want %q", link.Length(), link.Text(), link.AttrOr("href", ""), tt.wantURL)
			}
			if got := doc.Find(".join-back a").AttrOr("href", ""); got != tt.back {
				t.Errorf("back link = %q, want %q", got, tt.back)
			}
			// The teacher can start a room for the page from here: the
			// form posts the page's own CSRF token and path.
			form := doc.Find("form.join-room")
			if form.AttrOr("action", "") != "/rooms" || form.AttrOr("method", "") != "post" {
				t.Errorf("start-a-room form: action %q method %q, want post to /rooms", form.AttrOr("action", ""), form.AttrOr("method", ""))
			}
			if got := form.Find(`input[name="back"]`).AttrOr("value", ""); got != tt.back {
				t.Errorf("start-a-room form back = %q, want %q", got, tt.back)
			}
			if got := form.Find(`input[name="_csrf"]`).AttrOr("value", ""); got == "" || got != c.cookie(csrfCookie) {
				t.Errorf("start-a-room form _csrf = %q, want the CSRF cookie's token", got)
			}
			if got := doc.Find(".join-hint").Text(); !strings.Contains(got, "camera") {
				t.Errorf("hint = %q", got)
			}
			svg := doc.Find(".join-qr svg.qr")
			if svg.Length() != 1 {
				t.Fatalf("%d svg.qr in .join-qr, want 1", svg.Length())
			}
			label := "QR code for " + tt.wantURL
			if svg.AttrOr("role", "") != "img" || svg.AttrOr("aria-label", "") != label || svg.ChildrenFiltered("title").Text() != label {
				t.Errorf("role %q, aria-label %q, title %q; want img and %q", svg.AttrOr("role", ""), svg.AttrOr("aria-label", ""), svg.ChildrenFiltered("title").Text(), label)
			}
			if got := svg.AttrOr("shape-rendering", ""); got != "crispEdges" {
				t.Errorf("shape-rendering = %q, want crispEdges", got)
			}
			version, err := strconv.Atoi(svg.AttrOr("data-version", ""))
			if err != nil || version < 1 || version > 10 {
				t.Fatalf("data-version = %q, want a small version", svg.AttrOr("data-version", ""))
			}
			side := strconv.Itoa(17 + 4*version + 8)
			if got := svg.AttrOr("viewBox", ""); got != "0 0 "+side+" "+side {
				t.Errorf("viewBox = %q, want 0 0 %s %s (version %d and a quiet zone of 4)", got, side, side, version)
			}
			bg := svg.Find("rect.qr-light")
			if bg.AttrOr("fill", "") != "#ffffff" || bg.AttrOr("width", "") != side || bg.AttrOr("height", "") != side {
				t.Errorf("light background: fill %q, %s×%s; want #ffffff, %s×%s", bg.AttrOr("fill", ""), bg.AttrOr("width", ""), bg.AttrOr("height", ""), side, side)
			}
			dark := svg.Find("path.qr-dark")
			if dark.AttrOr("fill", "") != "#000000" || !regexp.MustCompile(`^(M\d+ \d+h\d+v1h-\d+z)+$`).MatchString(dark.AttrOr("d", "")) {
				t.Errorf("dark modules: fill %q, d %.80q", dark.AttrOr("fill", ""), dark.AttrOr("d", ""))
			}
		})
	}

	refused := []string{
		"//evil.example/", "https://evil.example/", "javascript:alert(1)", "/\\evil.example",
		"lessons/cache-aside", "/lessons/\ncache-aside", "/ /evil", "/" + strings.Repeat("a", 300),
	}
	for _, p := range refused {
		t.Run("refused "+strconv.Quote(p), func(t *testing.T) {
			r := newClient(t, plain).get("/join?"+url.Values{"path": {p}}.Encode(), nil)
			if r.StatusCode != http.StatusBadRequest {
				t.Fatalf("status %d, want 400", r.StatusCode)
			}
			doc := parseHTML(t, r.text)
			msg := doc.Find(".error-page").Text()
			if !strings.Contains(msg, "only shows pages of this site") && !strings.Contains(msg, "too long") {
				t.Errorf("not a clear 400 page: %.300q", msg)
			}
			if doc.Find("svg.qr").Length() != 0 || strings.Contains(r.text, "evil.example/") {
				t.Error("the refused address is drawn or linked")
			}
		})
	}

	t.Run("the lesson header links to it", func(t *testing.T) {
		c := newClient(t, plain)
		r := c.get("/lessons/cache-aside", nil)
		if r.StatusCode != http.StatusOK {
			t.Fatalf("lesson: status %d", r.StatusCode)
		}
		a := parseHTML(t, r.text).Find("header.lesson-head .lesson-join a.join-link")
		if a.Length() != 1 || a.Text() != "Students: open this" || a.AttrOr("href", "") != "/join?path=/lessons/cache-aside" {
			t.Fatalf("join link: %d, text %q, href %q", a.Length(), a.Text(), a.AttrOr("href", ""))
		}
		if r := c.get(a.AttrOr("href", ""), nil); r.StatusCode != http.StatusOK || parseHTML(t, r.text).Find(".join-url a").Text() != "http://example.com/lessons/cache-aside" {
			t.Errorf("following it: status %d", r.StatusCode)
		}
	})
}

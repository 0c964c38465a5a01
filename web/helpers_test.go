package web_test

import (
	"context"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/engineroom/engineroom/playground/sandbox"
	"github.com/engineroom/engineroom/web"
)

const (
	lessonSlug = "what-happens-when-you-click"
	lessonPath = "/lessons/" + lessonSlug

	visitorCookie = "er_visitor"
	csrfCookie    = "er_csrf"

	htmlType = "text/html; charset=UTF-8"
)

// csp is the exact Content-Security-Policy every response carries.
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'self'"

var traceResponseRE = regexp.MustCompile(`^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$`)

// demoImage builds the demo data once for every server the tests start:
// seeding it is the slowest part of starting one, the more so under -race.
var demoImage = sync.OnceValues(func() ([]byte, error) {
	m, err := sandbox.New(sandbox.Options{})
	if err != nil {
		return nil, err
	}
	defer m.Close()
	return m.Image(context.Background())
})

// newClassServer starts the real server with its production limits —
// newServer lifts the per-visitor ones — and the shared demo data, for
// tests of a whole class on one address.
func newClassServer(t *testing.T) *web.Server {
	t.Helper()
	if testing.Short() {
		t.Skip("creates 300 sandboxes (about 700 MiB)")
	}
	image, err := demoImage()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := web.New(t.Context(), web.Config{Sandbox: sandbox.Options{Template: image}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close(context.Background()) })
	return srv
}

// newServer starts the real server with cfg and closes it when the test
// ends. Tests send requests far faster than a person, from one address, so
// the per-visitor query rate and the budget of new visitor ids are off
// unless cfg sets them.
// newDemoServer is newServer with a 30 s query budget instead of a
// visitor's 2 s, for tests that check what demos answer: the demos that
// time a query several times (index plans, the planted slow query) can
// pass 2 s under the race detector on a busy machine. Tests of the time
// limit itself use newServer.
func newDemoServer(t *testing.T) *web.Server {
	t.Helper()
	return newServer(t, web.Config{Sandbox: sandbox.Options{QueryTimeout: 30 * time.Second}})
}

func newServer(t *testing.T, cfg web.Config) *web.Server {
	t.Helper()
	for _, rate := range []*int{&cfg.Sandbox.QueriesPerMinute, &cfg.Sandbox.NewVisitorCreationsPerMinute} {
		if *rate == 0 {
			*rate = -1
		}
	}
	if cfg.Sandbox.Template == nil {
		image, err := demoImage()
		if err != nil {
			t.Fatalf("building the demo data: %v", err)
		}
		cfg.Sandbox.Template = image
	}
	srv, err := web.New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("web.New: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(context.Background()); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return srv
}

// reply is a finished response with its body read.
type reply struct {
	*http.Response
	text string
}

// client sends requests straight to a handler, keeping cookies between
// requests the way a browser's cookie jar does.
type client struct {
	t   *testing.T
	h   http.Handler
	jar map[string]*http.Cookie
	// remote, when set, is the peer address requests come from.
	remote string
}

func newClient(t *testing.T, h http.Handler) *client {
	return &client{t: t, h: h, jar: make(map[string]*http.Cookie)}
}

// do sends req with the jar's cookies and stores the cookies the response sets.
func (c *client) do(req *http.Request) reply {
	c.t.Helper()
	for _, ck := range c.jar {
		req.AddCookie(&http.Cookie{Name: ck.Name, Value: ck.Value})
	}
	if c.remote != "" {
		req.RemoteAddr = c.remote
	}
	rec := httptest.NewRecorder()
	c.h.ServeHTTP(rec, req)
	res := rec.Result()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatalf("reading the body of %s %s: %v", req.Method, req.URL, err)
	}
	for _, ck := range res.Cookies() {
		if ck.MaxAge < 0 {
			delete(c.jar, ck.Name)
			continue
		}
		c.jar[ck.Name] = ck
	}
	return reply{Response: res, text: string(body)}
}

// send builds a request with the given headers and sends it.
func (c *client) send(method, target, body string, h http.Header) reply {
	c.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, r)
	for k, vs := range h {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	return c.do(req)
}

func (c *client) get(target string, h http.Header) reply {
	c.t.Helper()
	return c.send(http.MethodGet, target, "", h)
}

// postForm posts form as application/x-www-form-urlencoded.
func (c *client) postForm(target string, form url.Values, h http.Header) reply {
	c.t.Helper()
	hh := h.Clone()
	if hh == nil {
		hh = http.Header{}
	}
	hh.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.send(http.MethodPost, target, form.Encode(), hh)
}

// runRedirect matches where a form post made without the partial-update
// script sends the browser: the demo's page, the run, the panel.
var runRedirect = regexp.MustCompile(`^(/[a-z0-9/-]+)\?run=[A-Za-z0-9_-]{16}#demo-([a-z0-9-]+)$`)

// postFormFollow posts form as a browser without JavaScript does: it
// expects the 303 to the page that shows the run on page, in panel
// demo-<id>, and follows it.
func (c *client) postFormFollow(target string, form url.Values, h http.Header, page, id string) reply {
	c.t.Helper()
	r := c.postForm(target, form, h)
	if r.StatusCode != http.StatusSeeOther {
		c.t.Fatalf("POST %s: status = %d, want 303; body:\n%.500s", target, r.StatusCode, r.text)
	}
	loc := r.Header.Get("Location")
	m := runRedirect.FindStringSubmatch(loc)
	if m == nil || m[1] != page || m[2] != id {
		c.t.Fatalf("POST %s: Location = %q, want %s?run=…#demo-%s", target, loc, page, id)
	}
	// A browser keeps the fragment to itself.
	path, _, _ := strings.Cut(loc, "#")
	return c.get(path, nil)
}

// postJSON posts body as application/json.
func (c *client) postJSON(target, body string, h http.Header) reply {
	c.t.Helper()
	hh := h.Clone()
	if hh == nil {
		hh = http.Header{}
	}
	hh.Set("Content-Type", "application/json")
	return c.send(http.MethodPost, target, body, hh)
}

// cookie is the value of a cookie in the jar, failing the test without it.
func (c *client) cookie(name string) string {
	c.t.Helper()
	ck, ok := c.jar[name]
	if !ok || ck.Value == "" {
		c.t.Fatalf("the jar holds no %s cookie (has %v)", name, c.jar)
	}
	return ck.Value
}

// primed is a client that has loaded the lesson page, so it holds the
// visitor and CSRF cookies a browser would.
func primed(t *testing.T, h http.Handler) *client {
	t.Helper()
	c := newClient(t, h)
	r := c.get(lessonPath, nil)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d", lessonPath, r.StatusCode)
	}
	c.cookie(visitorCookie)
	c.cookie(csrfCookie)
	return c
}

// proxyAddr is a private-network peer, as a TLS-terminating proxy in front
// of the server would be; Echo trusts X-Forwarded-Proto only from such peers.
const proxyAddr = "10.0.0.2:43210"

// hdr builds a header from name/value pairs.
func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

// parseHTML parses a body (a page or a fragment) for selector checks.
func parseHTML(t *testing.T, body string) *goquery.Document {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parsing HTML: %v", err)
	}
	return doc
}

// setCookie is the named cookie the response sets, or nil.
func setCookie(r reply, name string) *http.Cookie {
	for _, ck := range r.Cookies() {
		if ck.Name == name {
			return ck
		}
	}
	return nil
}

// traceIDOf checks the traceresponse header and returns its trace id.
func traceIDOf(t *testing.T, r reply) string {
	t.Helper()
	v := r.Header.Get("traceresponse")
	m := traceResponseRE.FindStringSubmatch(v)
	if m == nil {
		t.Fatalf("traceresponse = %q, want it to match %s", v, traceResponseRE)
	}
	return m[1]
}

// assertSecurityHeaders checks the headers every response carries; HSTS
// only when the request came over https.
func assertSecurityHeaders(t *testing.T, r reply, https bool) {
	t.Helper()
	h := r.Header
	if got := h.Get("Content-Security-Policy"); got != csp {
		t.Errorf("Content-Security-Policy = %q, want %q", got, csp)
	}
	directives := map[string]string{}
	for d := range strings.SplitSeq(h.Get("Content-Security-Policy"), ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
		directives[name] = value
	}
	for _, d := range []string{"default-src", "script-src", "frame-ancestors"} {
		if directives[d] != "'self'" {
			t.Errorf("CSP %s = %q, want 'self'", d, directives[d])
		}
	}
	if strings.Contains(h.Get("Content-Security-Policy"), "unsafe-") {
		t.Errorf("CSP allows unsafe sources: %q", h.Get("Content-Security-Policy"))
	}
	want := map[string]string{
		"X-Content-Type-Options": "nosniff",
		"Referrer-Policy":        "strict-origin-when-cross-origin",
		"X-Frame-Options":        "SAMEORIGIN",
	}
	for name, v := range want {
		if got := h.Get(name); got != v {
			t.Errorf("%s = %q, want %q", name, got, v)
		}
	}
	hsts := h.Get("Strict-Transport-Security")
	switch {
	case https && !strings.HasPrefix(hsts, "max-age="):
		t.Errorf("Strict-Transport-Security = %q over https, want max-age=…", hsts)
	case !https && hsts != "":
		t.Errorf("Strict-Transport-Security = %q over plain http, want none", hsts)
	}
}

// mediaType is the Content-Type without parameters, and its charset.
func mediaType(t *testing.T, r reply) (mt, charset string) {
	t.Helper()
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("Content-Type %q: %v", r.Header.Get("Content-Type"), err)
	}
	return mt, strings.ToLower(params["charset"])
}

// assertNoInlineCode checks a page obeys its own CSP: every script is an
// external file and nothing carries inline style or event handlers.
func assertNoInlineCode(t *testing.T, doc *goquery.Document) {
	t.Helper()
	doc.Find("script").Each(func(_ int, s *goquery.Selection) {
		if src, ok := s.Attr("src"); !ok || src == "" || strings.TrimSpace(s.Text()) != "" {
			t.Errorf("inline script (blocked by the CSP): %q", s.Text())
		}
	})
	if n := doc.Find("style, [style]").Length(); n > 0 {
		t.Errorf("%d inline styles (blocked by the CSP)", n)
	}
	doc.Find("*").Each(func(_ int, s *goquery.Selection) {
		for _, a := range s.Nodes[0].Attr {
			if strings.HasPrefix(a.Key, "on") {
				t.Errorf("<%s %s=…>: inline event handler (blocked by the CSP)", goquery.NodeName(s), a.Key)
			}
		}
	})
}

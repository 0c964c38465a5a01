package web_test

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/engineroom/engineroom/web"
)

// asvsTransport is how a request reaches the server: plain HTTP, TLS
// ended by the server itself, or TLS ended by a proxy in front of it.
type asvsTransport struct {
	name string
	// tls says whether the server should treat the request as HTTPS.
	tls bool
	// prepare makes the request travel this way.
	prepare func(r *http.Request)
}

var asvsTransports = []asvsTransport{
	{name: "plain HTTP", tls: false, prepare: func(*http.Request) {}},
	{name: "TLS", tls: true, prepare: func(r *http.Request) { r.TLS = &tls.ConnectionState{HandshakeComplete: true} }},
	{name: "TLS at a proxy", tls: true, prepare: func(r *http.Request) {
		r.RemoteAddr = proxyAddr
		r.Header.Set("X-Forwarded-Proto", "https")
	}},
	// Echo believes X-Forwarded-Proto only from private-network peers.
	{name: "HTTPS claimed by a public peer", tls: false, prepare: func(r *http.Request) { r.Header.Set("X-Forwarded-Proto", "https") }},
}

// cspDirectiveMap splits a Content-Security-Policy by directive name.
func cspDirectiveMap(policy string) map[string][]string {
	out := map[string][]string{}
	for d := range strings.SplitSeq(policy, ";") {
		f := strings.Fields(d)
		if len(f) > 0 {
			out[strings.ToLower(f[0])] = f[1:]
		}
	}
	return out
}

// TestASVSHeaders checks the OWASP ASVS 4.0 level 1 requirements on HTTP
// response headers, for every kind of page, over every transport.
func TestASVSHeaders(t *testing.T) {
	srv := newServer(t, web.Config{})
	sqlReady(t, srv)
	pages := []string{"/", lessonPath, "/lessons/security-headers-and-encryption", "/sql", "/api", "/mailbox"}
	requirements := []struct {
		name  string
		check func(t *testing.T, h http.Header, overTLS bool)
	}{
		{name: "V14.4.1 Content-Type with a charset", check: func(t *testing.T, h http.Header, _ bool) {
			if ct := strings.ToLower(h.Get("Content-Type")); !strings.HasPrefix(ct, "text/html") || !strings.Contains(ct, "charset=utf-8") {
				t.Errorf("Content-Type = %q, want text/html with charset=UTF-8", h.Get("Content-Type"))
			}
		}},
		{name: "V14.4.3 CSP script-src without unsafe-inline or unsafe-eval", check: func(t *testing.T, h http.Header, _ bool) {
			d := cspDirectiveMap(h.Get("Content-Security-Policy"))
			src, ok := d["script-src"]
			if !ok {
				src, ok = d["default-src"]
			}
			if !ok || len(src) == 0 {
				t.Fatalf("Content-Security-Policy %q restricts no scripts", h.Get("Content-Security-Policy"))
			}
			for _, s := range src {
				if s == "'unsafe-inline'" || s == "'unsafe-eval'" || s == "*" || s == "data:" {
					t.Errorf("script-src allows %s", s)
				}
			}
			if o := d["object-src"]; len(o) != 1 || o[0] != "'none'" {
				t.Errorf("object-src = %q, want 'none'", o)
			}
		}},
		{name: "V14.4.4 X-Content-Type-Options nosniff", check: func(t *testing.T, h http.Header, _ bool) {
			if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options = %q, want nosniff", got)
			}
		}},
		{name: "V14.4.5 Strict-Transport-Security over TLS only", check: func(t *testing.T, h http.Header, overTLS bool) {
			v := h.Get("Strict-Transport-Security")
			if !overTLS {
				if v != "" {
					t.Errorf("Strict-Transport-Security = %q over plain HTTP, want none", v)
				}
				return
			}
			var maxAge int
			for p := range strings.SplitSeq(v, ";") {
				if n, ok := strings.CutPrefix(strings.TrimSpace(p), "max-age="); ok {
					maxAge, _ = strconv.Atoi(n)
				}
			}
			if maxAge < 15724800 || !strings.Contains(strings.ToLower(v), "includesubdomains") {
				t.Errorf("Strict-Transport-Security = %q, want max-age of at least six months and includeSubDomains", v)
			}
		}},
		{name: "V14.4.6 Referrer-Policy", check: func(t *testing.T, h http.Header, _ bool) {
			switch got := h.Get("Referrer-Policy"); got {
			case "no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin":
			default:
				t.Errorf("Referrer-Policy = %q, want one that sends no path cross-origin", got)
			}
		}},
		{name: "V14.4.7 CSP frame-ancestors and X-Frame-Options", check: func(t *testing.T, h http.Header, _ bool) {
			fa := cspDirectiveMap(h.Get("Content-Security-Policy"))["frame-ancestors"]
			if len(fa) != 1 || (fa[0] != "'self'" && fa[0] != "'none'") {
				t.Errorf("frame-ancestors = %q, want 'self' or 'none'", fa)
			}
			if got := h.Get("X-Frame-Options"); got != "SAMEORIGIN" && got != "DENY" {
				t.Errorf("X-Frame-Options = %q, want SAMEORIGIN or DENY", got)
			}
		}},
		{name: "V14.3.3 no server version banner", check: func(t *testing.T, h http.Header, _ bool) {
			for _, name := range []string{"Server", "X-Powered-By", "X-AspNet-Version", "X-Runtime"} {
				if v := h.Get(name); v != "" {
					t.Errorf("%s: %s names the software", name, v)
				}
			}
		}},
	}
	for _, page := range pages {
		for _, tr := range asvsTransports {
			t.Run("GET "+page+" over "+tr.name, func(t *testing.T) {
				req := httptest.NewRequest(http.MethodGet, page, nil)
				tr.prepare(req)
				r := newClient(t, srv).do(req)
				if r.StatusCode != http.StatusOK {
					t.Fatalf("status = %d, want 200; body:\n%.500s", r.StatusCode, r.text)
				}
				for _, req := range requirements {
					t.Run(req.name, func(t *testing.T) { req.check(t, r.Header, tr.tls) })
				}
			})
		}
	}
}

// TestASVSCookies checks the OWASP ASVS 4.0 level 1 cookie requirements
// (V3.4) on every cookie that identifies a visitor or a session.
func TestASVSCookies(t *testing.T) {
	srv := newServer(t, web.Config{})
	// Each cookie and the request that sets it. A new cookie is one row.
	cookies := []struct {
		name   string
		method string
		target string
		body   string
		header http.Header
		path   string // the Path it must carry (V3.4.5)
		// tlsName, when set, is the cookie's name over TLS: one with the
		// __Host- prefix (V3.4.4).
		tlsName string
	}{
		{name: "er_visitor", tlsName: "__Host-er_visitor", method: http.MethodGet, target: lessonPath, path: "/"},
		{name: "er_csrf", method: http.MethodGet, target: lessonPath, path: "/"},
		{name: "airline_session", tlsName: "__Host-airline_session", method: http.MethodPost, target: "/api/v1/sessions",
			body: `{"username": "alice", "password": "alice-demo"}`, header: jsonHeader(), path: "/"},
	}
	for _, ck := range cookies {
		for _, tr := range asvsTransports {
			t.Run(ck.name+" over "+tr.name, func(t *testing.T) {
				name := ck.name
				if tr.tls && ck.tlsName != "" {
					name = ck.tlsName
				}
				req := httptest.NewRequest(ck.method, ck.target, strings.NewReader(ck.body))
				for k, vs := range ck.header {
					req.Header[k] = vs
				}
				tr.prepare(req)
				r := newClient(t, srv).do(req)
				got := setCookie(r, name)
				if got == nil {
					t.Fatalf("%s %s (status %d) sets no %s cookie", ck.method, ck.target, r.StatusCode, name)
				}
				checks := []struct {
					name string
					ok   bool
					msg  string
				}{
					{"V3.4.1 cookie Secure over TLS", got.Secure == tr.tls, "Secure = %v"},
					{"V3.4.2 cookie HttpOnly", got.HttpOnly, "HttpOnly = %v"},
					{"V3.4.3 cookie SameSite", got.SameSite == http.SameSiteLaxMode || got.SameSite == http.SameSiteStrictMode, "SameSite = %v, want Lax or Strict"},
					{"V3.4.5 cookie Path", got.Path == ck.path, "Path = %q, want " + strconv.Quote(ck.path)},
				}
				values := []any{got.Secure, got.HttpOnly, got.SameSite, got.Path}
				if ck.tlsName != "" {
					checks = append(checks, struct {
						name string
						ok   bool
						msg  string
					}{"V3.4.4 cookie __Host- prefix over TLS", strings.HasPrefix(got.Name, "__Host-") == tr.tls && got.Domain == "", "name %q"})
					values = append(values, got.Name)
				}
				for i, c := range checks {
					t.Run(c.name, func(t *testing.T) {
						if !c.ok {
							t.Errorf(c.msg, values[i])
						}
					})
				}
			})
		}
	}
}

// TestASVSCSRF checks V4.2.2 (OWASP ASVS 4.0 level 1): a state-changing
// form post without the visitor's CSRF token is refused before it runs.
func TestASVSCSRF(t *testing.T) {
	srv := newServer(t, web.Config{})
	sqlReady(t, srv)
	posts := []struct {
		target string
		form   url.Values
	}{
		{target: "/demos/request-echo", form: url.Values{"message": {"hi"}}},
		{target: "/demos/field-encryption", form: url.Values{"member": {"1"}, "passport": {"C01X00T47"}}},
		{target: "/sql/reset"},
	}
	tokens := []struct {
		name   string
		token  func(c *client) string
		header bool // send it as X-CSRF-Token rather than _csrf
		want   int
	}{
		{name: "V4.2.2 no token refused", token: func(*client) string { return "" }, want: http.StatusForbidden},
		{name: "V4.2.2 wrong token refused", token: func(*client) string { return "forged" }, want: http.StatusForbidden},
		{name: "V4.2.2 wrong token in the header refused", token: func(*client) string { return "forged" }, header: true, want: http.StatusForbidden},
		{name: "V4.2.2 another visitor's token refused", token: func(*client) string { return primed(t, srv).cookie(csrfCookie) }, want: http.StatusForbidden},
		{name: "the visitor's own token accepted", token: func(c *client) string { return c.cookie(csrfCookie) }},
	}
	for _, p := range posts {
		for _, tk := range tokens {
			t.Run(p.target+" "+tk.name, func(t *testing.T) {
				c := primed(t, srv)
				form := url.Values{}
				for k, v := range p.form {
					form[k] = v
				}
				h := hdr("HX-Request", "true")
				if tok := tk.token(c); tok != "" && tk.header {
					h.Set("X-CSRF-Token", tok)
				} else if tok != "" {
					form.Set("_csrf", tok)
				}
				r := c.postForm(p.target, form, h)
				if tk.want == http.StatusForbidden {
					if r.StatusCode != http.StatusForbidden || !strings.Contains(r.text, "security token is missing or out of date") {
						t.Errorf("status = %d, want 403 with a clear message; body:\n%.500s", r.StatusCode, r.text)
					}
				} else if r.StatusCode == http.StatusForbidden || r.StatusCode >= 500 {
					t.Errorf("status = %d with the right token; body:\n%.500s", r.StatusCode, r.text)
				}
				// A refused post changed nothing: no passport number was stored.
				want := "0"
				if tk.want != http.StatusForbidden && p.target == "/demos/field-encryption" {
					want = "1"
				}
				if n := countRows(t, c, "SELECT count(*) FROM travel_documents"); n != want {
					t.Errorf("travel_documents holds %s rows after the post, want %s", n, want)
				}
			})
		}
	}
}

// countRows runs a one-cell query as the client's visitor, through the
// SQL API, and returns the cell.
func countRows(t *testing.T, c *client, query string) string {
	t.Helper()
	r := c.postJSON("/api/v1/sql", `{"sql": `+strconv.Quote(query)+`}`, nil)
	var got sqlAPIReply
	decodeJSON(t, r, &got)
	if len(got.Statements) != 1 || got.Statements[0].Error != nil || len(got.Statements[0].Rows) != 1 || got.Statements[0].Rows[0][0] == nil {
		t.Fatalf("%s: %s", query, r.text)
	}
	return *got.Statements[0].Rows[0][0]
}

package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/engineroom/engineroom/web"
)

// loginForm is the airline login page's form as c's visitor sees it.
func loginForm(t *testing.T, c *client, query string) url.Values {
	t.Helper()
	r := c.get("/airline/login"+query, nil)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("GET /airline/login%s: %d", query, r.StatusCode)
	}
	form := parseHTML(t, r.text).Find(`form[action="/airline/login"]`)
	if form.Length() != 1 {
		t.Fatalf("no login form on /airline/login%s", query)
	}
	return demoFormValues(form)
}

// TestAirlineLoginRedirect: a login goes to next only when next is a page
// of this site; every way of naming another site is refused.
func TestAirlineLoginRedirect(t *testing.T) {
	srv := newServer(t, web.Config{})
	tests := []struct {
		name, next, location string
	}{
		{"a lesson", "/lessons/sql-basics", "/lessons/sql-basics"},
		{"a booking with a query and fragment", "/airline/bookings/12?x=1#y", "/airline/bookings/12?x=1#y"},
		{"none", "", "/airline/login"},
		{"scheme-relative", "//evil.example", "refused"},
		{"backslash", `/\evil.example`, "refused"},
		{"backslash twice", `\\evil.example`, "refused"},
		{"absolute", "https://evil.example/login", "refused"},
		{"javascript", "javascript:alert(document.cookie)", "refused"},
		{"data", "data:text/html,<script>alert(1)</script>", "refused"},
		{"a tab", "/\t/evil.example", "refused"},
		{"CR LF header injection", "/\r\nSet-Cookie: pwned=1", "refused"},
		{"a host without a slash", "evil.example", "refused"},
		{"user info", "/@evil.example", "/@evil.example"},
		{"encoded CR LF stays encoded", "/lessons/x%0d%0aSet-Cookie:pwned=1", "/lessons/x%0d%0aSet-Cookie:pwned=1"},
		{"far too long", "/" + strings.Repeat("a", 3000), "refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, srv)
			form := loginForm(t, c, "")
			form.Set("username", "alice")
			form.Set("password", "alice-demo")
			form.Set("next", tt.next)
			r := c.postForm("/airline/login", form, nil)
			if r.StatusCode != http.StatusSeeOther {
				t.Fatalf("status %d, want 303: %.300s", r.StatusCode, r.text)
			}
			want := tt.location
			if want == "refused" {
				want = "/airline/login?next=" + url.QueryEscape(tt.next)
			}
			loc := r.Header.Get("Location")
			if loc != want {
				t.Errorf("Location = %q, want %q", loc, want)
			}
			if setCookie(r, "pwned") != nil || strings.ContainsAny(loc, "\r\n") {
				t.Errorf("the redirect injected a header: %q", r.Header)
			}
			if setCookie(r, "airline_session") == nil {
				t.Error("no session cookie after the login")
			}
			if tt.location == "refused" {
				page := c.get(loc, nil)
				if !strings.Contains(page.text, "Not following that link.") || !strings.Contains(page.text, "You are logged in as alice") {
					t.Errorf("the login page after a refused next: %.500s", page.text)
				}
			}
		})
	}
}

func TestAirlineLoginRefusals(t *testing.T) {
	srv := newServer(t, web.Config{})
	tests := []struct {
		name, user, pw string
		status         int
		want           string
	}{
		{"wrong password", "alice", "alice-dem0", http.StatusUnauthorized, "Wrong username or password."},
		{"unknown user", "mallory", "alice-demo", http.StatusUnauthorized, "Wrong username or password."},
		{"empty", "", "", http.StatusUnprocessableEntity, "Enter your username."},
		{"huge password", "alice", strings.Repeat("p", 300), http.StatusUnprocessableEntity, "At most 128 characters."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, srv)
			form := loginForm(t, c, "?next=/lessons/sql-basics")
			form.Set("username", tt.user)
			form.Set("password", tt.pw)
			r := c.postForm("/airline/login", form, nil)
			if r.StatusCode != tt.status || !strings.Contains(r.text, tt.want) {
				t.Errorf("status %d, want %d with %q: %.300s", r.StatusCode, tt.status, tt.want, r.text)
			}
			if setCookie(r, "airline_session") != nil {
				t.Error("a refused login set a session cookie")
			}
			doc := parseHTML(t, r.text)
			if got := doc.Find(`input[name=username]`).AttrOr("value", ""); got != tt.user {
				t.Errorf("the form kept username %q, want %q", got, tt.user)
			}
			if got := doc.Find(`input[name=next]`).AttrOr("value", ""); got != "/lessons/sql-basics" {
				t.Errorf("the form kept next %q", got)
			}
		})
	}
	t.Run("no CSRF token", func(t *testing.T) {
		c := newClient(t, srv)
		form := loginForm(t, c, "")
		form.Del("_csrf")
		form.Set("username", "alice")
		form.Set("password", "alice-demo")
		if r := c.postForm("/airline/login", form, nil); r.StatusCode != http.StatusForbidden || setCookie(r, "airline_session") != nil {
			t.Errorf("status %d, want 403 and no session", r.StatusCode)
		}
	})
	t.Run("locked", func(t *testing.T) {
		c := newClient(t, srv)
		for range 5 {
			form := loginForm(t, c, "")
			form.Set("username", "erin")
			form.Set("password", "guess-guess")
			c.postForm("/airline/login", form, nil)
		}
		form := loginForm(t, c, "")
		form.Set("username", "erin")
		form.Set("password", "erin-demo")
		r := c.postForm("/airline/login", form, nil)
		if r.StatusCode != http.StatusTooManyRequests || r.Header.Get("Retry-After") != "30" || !strings.Contains(r.text, "locked after 5 wrong passwords") {
			t.Errorf("status %d, Retry-After %q: %.300s", r.StatusCode, r.Header.Get("Retry-After"), r.text)
		}
	})
	t.Run("log out", func(t *testing.T) {
		c := newClient(t, srv)
		form := loginForm(t, c, "")
		form.Set("username", "bob")
		form.Set("password", "bob-demo")
		c.postForm("/airline/login", form, nil)
		page := c.get("/airline/login", nil)
		out := parseHTML(t, page.text).Find(`form[action="/airline/logout"]`)
		if out.Length() != 1 {
			t.Fatalf("no logout form when logged in: %.300s", page.text)
		}
		r := c.postForm("/airline/logout", demoFormValues(out), nil)
		if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/airline/login" {
			t.Errorf("logout: %d to %q", r.StatusCode, r.Header.Get("Location"))
		}
		if _, ok := c.jar["airline_session"]; ok {
			t.Error("the session cookie survived the logout")
		}
	})
}

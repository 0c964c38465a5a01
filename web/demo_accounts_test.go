package web_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/engineroom/engineroom/web"
)

func TestPasswordHashing(t *testing.T) {
	srv := newServer(t, web.Config{})
	const page = "/lessons/passwords-and-hashing"
	c := newClient(t, srv)
	r, doc := panelAs(t, c, page, "password-hashing", map[string]string{"username": "Grace", "password": "correct horse battery staple"})
	if r.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %.500s", r.StatusCode, r.text)
	}
	hashes := doc.Find(".pane-front section.stored-hash pre.hash code")
	if hashes.Length() != 3 {
		t.Fatalf("%d hashes shown, want argon2id, bcrypt and SHA-256", hashes.Length())
	}
	first := hashes.Eq(0).Text()
	if !regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`).MatchString(first) {
		t.Errorf("argon2id hash = %q", first)
	}
	if b := hashes.Eq(1).Text(); !strings.HasPrefix(b, "$2a$10$") {
		t.Errorf("bcrypt hash = %q", b)
	}
	if front := frontText(doc); !strings.Contains(front, "Account grace created") || !strings.Contains(front, "19456 KiB") {
		t.Errorf("front end pane = %q", front)
	}
	// The same password for another account hashes differently.
	_, doc2 := panelAs(t, c, page, "password-hashing", map[string]string{"username": "hopper", "password": "correct horse battery staple", "bcrypt": "off"})
	if second := doc2.Find(".pane-front section.stored-hash pre.hash code").Eq(0).Text(); second == first || second == "" {
		t.Errorf("the second account's hash %q, want a different salt and hash than %q", second, first)
	}
	if n := doc2.Find(".pane-front section.stored-hash").Length(); n != 2 {
		t.Errorf("without bcrypt: %d hashes shown, want 2", n)
	}
	refusals := []struct {
		name, user, pw, want string
	}{
		{"taken in capitals", "GRACE", "another good passphrase", "That username is taken."},
		{"taken in fullwidth", "ｇｒａｃｅ", "another good passphrase", "That username is taken."},
		{"empty", "", "", "password: Choose a password."},
		{"look-alike", "gr\u0430ce2", "another good passphrase", "Use letters from one alphabet"},
		{"common", "lovelace", "password123", "one of the most common passwords"},
		{"holds the name", "lovelace", "lovelace-1815", "must not contain the username"},
		{"too long", "lovelace", strings.Repeat("p", 129), "At most 128 characters."},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			r, doc := panelAs(t, c, page, "password-hashing", map[string]string{"username": tt.user, "password": tt.pw})
			if r.StatusCode != http.StatusOK || doc.Find(".pane-front .notice-error").Length() != 1 {
				t.Fatalf("status %d, want the refusal in the pane: %.400s", r.StatusCode, r.text)
			}
			if front := frontText(doc); !strings.Contains(front, tt.want) {
				t.Errorf("front end pane = %q, want %q", front, tt.want)
			}
		})
	}
	// bcrypt refuses what argon2id takes.
	_, doc = panelAs(t, c, page, "password-hashing", map[string]string{"username": "longpass", "password": strings.Repeat("long ", 20)})
	if front := frontText(doc); !strings.Contains(front, "bcrypt refuses this password") {
		t.Errorf("a 100-byte password: %q", front)
	}
}

// TestSessionPanel logs in, asks who it is and logs out through the panel,
// checking the cookie the browser is given and the row the server keeps.
func TestSessionPanel(t *testing.T) {
	srv := newServer(t, web.Config{})
	const page = "/lessons/sessions-and-cookies"
	for _, scheme := range []string{"http", "https"} {
		t.Run(scheme, func(t *testing.T) {
			c := newClient(t, srv)
			set := map[string]string{"action": "log in"}
			var h http.Header
			if scheme == "https" {
				// A TLS-terminating proxy on this machine, which the
				// server trusts to say the scheme.
				c.remote = "127.0.0.1:40000"
				h = hdr("X-Forwarded-Proto", "https")
			}
			r := panelWith(t, c, page, "session-login", set, h)
			name := "airline_session"
			if scheme == "https" {
				name = "__Host-airline_session"
			}
			ck := setCookie(r, name)
			if ck == nil {
				t.Fatalf("no %s cookie set: %v", name, r.Header.Values("Set-Cookie"))
			}
			// OWASP ASVS 3.4.1–3.4.5: Secure (over TLS), HttpOnly, SameSite,
			// the __Host- prefix, the narrowest path.
			if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Domain != "" || ck.Secure != (scheme == "https") || len(ck.Value) != 43 {
				t.Errorf("cookie = %+v", ck)
			}
			doc := parseHTML(t, r.text)
			front := frontText(doc)
			if !strings.Contains(front, "Logged in as alice.") {
				t.Errorf("front end pane = %q", front)
			}
			if i := strings.Index(r.text, ck.Value); i >= 0 {
				t.Errorf("the fragment carries the whole token: …%s…", r.text[max(0, i-300):i+50])
			}
			row := doc.Find(".session-side dl.kv dd code.hash").First().Text()
			if len(row) != 43 || row == ck.Value {
				t.Errorf("row token = %q, want the token's hash", row)
			}
			r = panelWith(t, c, page, "session-login", map[string]string{"action": "who am I (send the cookie)"}, h)
			if front := frontText(parseHTML(t, r.text)); !strings.Contains(front, "You are alice") || !strings.Contains(front, row) {
				t.Errorf("who am I: %q", front)
			}
			old := ck.Value
			r = panelWith(t, c, page, "session-login", map[string]string{"action": "log out"}, h)
			if gone := setCookie(r, name); gone == nil || gone.MaxAge >= 0 || gone.Value != "" {
				t.Errorf("logout cookie = %+v, want it deleted", gone)
			}
			if front := frontText(parseHTML(t, r.text)); !strings.Contains(front, "Logged out.") || !strings.Contains(front, "The old token now finds nothing") {
				t.Errorf("log out: %q", front)
			}
			// A copy of the old cookie opens nothing.
			c.jar[name] = &http.Cookie{Name: name, Value: old}
			r = c.get("/api/v1/sessions/current", h)
			if p := decodeProblem(t, r); r.StatusCode != http.StatusUnauthorized || p.Type != "/api#problem-not-logged-in" {
				t.Errorf("the old cookie after logout: %d %+v", r.StatusCode, p)
			}
		})
	}
	t.Run("refusals", func(t *testing.T) {
		c := newClient(t, srv)
		for _, tt := range []struct{ user, pw, want string }{
			{"alice", "wrong-password", "Wrong username or password."},
			{"nobody", "alice-demo", "Wrong username or password."},
			{"", "", "password: Enter your password."},
		} {
			r := panelWith(t, c, page, "session-login", map[string]string{"username": tt.user, "password": tt.pw}, nil)
			if setCookie(r, "airline_session") != nil {
				t.Errorf("%s/%s: a refused login set a session cookie", tt.user, tt.pw)
			}
			if front := frontText(parseHTML(t, r.text)); !strings.Contains(front, tt.want) {
				t.Errorf("%s/%s: %q, want %q", tt.user, tt.pw, front, tt.want)
			}
		}
	})
}

// panelWith runs a panel form as c's visitor with extra headers.
func panelWith(t *testing.T, c *client, page, id string, set map[string]string, h http.Header) reply {
	t.Helper()
	form := parseHTML(t, c.get(page, h).text).Find("section.demo#demo-" + id + " form.demo-form")
	values := demoFormValues(form)
	for k, v := range set {
		values.Set(k, v)
	}
	all := hdr("HX-Request", "true")
	for k, vs := range h {
		all[k] = vs
	}
	r := c.postForm(form.AttrOr("hx-post", ""), values, all)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("%s: status %d: %.400s", id, r.StatusCode, r.text)
	}
	return r
}

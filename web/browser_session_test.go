package web

import (
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// TestBrowserSession signs up on the passwords lesson, then logs in, asks
// who it is and logs out on the sessions lesson: the browser really holds
// the session cookie (and a script cannot read it), the panel shows the
// session's row, and logging out removes both.
func TestBrowserSession(t *testing.T) {
	requireChromium(t)
	base := startBrowserServer(t)
	browser := startBrowser(t)
	for _, vp := range []browserViewport{phoneViewport, projectorViewport} {
		t.Run(vp.name, func(t *testing.T) {
			tab := openTab(t, browser, base, vp)
			tab.do(t, "opening the passwords lesson",
				chromedp.Navigate(base+"/lessons/passwords-and-hashing"),
				chromedp.WaitVisible(chromedp.CSS("#demo-password-hashing button.btn-run")),
				chromedp.SetValue(chromedp.CSS("#demo-password-hashing-username"), "Hopper"),
				chromedp.SetValue(chromedp.CSS("#demo-password-hashing-password"), "a ship in port is safe"),
			)
			tab.click(t, "#demo-password-hashing button.btn-run")
			tab.waitForNewResult(t, "password-hashing", "")
			if out := tab.result(t, "password-hashing").Output; !strings.Contains(out, "Account hopper created") || !strings.Contains(out, "$argon2id$v=19$m=19456,t=2,p=1$") {
				t.Fatalf("sign-up shows %q", out)
			}
			tab.noHorizontalScroll(t, "after signing up")
			tab.saveShot(t, vp.name+"-password-hashing.png", "#demo-password-hashing-result")

			tab.do(t, "opening the sessions lesson",
				chromedp.Navigate(base+"/lessons/sessions-and-cookies"),
				chromedp.WaitVisible(chromedp.CSS("#demo-session-login button.btn-run")),
				chromedp.SetValue(chromedp.CSS("#demo-session-login-username"), "hopper"),
				chromedp.SetValue(chromedp.CSS("#demo-session-login-password"), "a ship in port is safe"),
			)
			step := func(action, previous, want string) demoResult {
				t.Helper()
				tab.do(t, "choosing "+action, chromedp.SetValue(chromedp.CSS("#demo-session-login-action"), action))
				tab.click(t, "#demo-session-login button.btn-run")
				tab.waitForNewResult(t, "session-login", previous)
				r := tab.result(t, "session-login")
				if !strings.Contains(strings.Join(strings.Fields(r.Output), " "), want) {
					t.Fatalf("%s shows %q, want %q", action, r.Output, want)
				}
				return r
			}
			r := step("log in", "", "Logged in as hopper.")
			cookies := browserCookies(t, tab)
			token := cookies["airline_session"]
			if len(token) != 43 {
				t.Fatalf("the browser holds cookies %v, want a 43-character airline_session", cookies)
			}
			if seen := browserEval[string](t, tab, `document.querySelector('#demo-session-login-result [data-document-cookie]').textContent`); strings.Contains(seen, "airline_session") || strings.Contains(seen, token) {
				t.Errorf("document.cookie shows %q: the session cookie must be HttpOnly", seen)
			}
			if strings.Contains(browserEval[string](t, tab, `document.documentElement.outerHTML`), token) {
				t.Error("the page carries the whole session token")
			}
			row := browserEval[string](t, tab, `document.querySelector('#demo-session-login-result .session-side dl.kv dd code.hash').textContent`)
			if len(row) != 43 || row == token {
				t.Errorf("the session row's token = %q, want the hash of the cookie's", row)
			}
			tab.noHorizontalScroll(t, "after logging in")
			tab.saveShot(t, vp.name+"-session-login.png", "#demo-session-login-result")

			r = step("who am I (send the cookie)", r.Trace, "You are hopper")
			r = step("log out", r.Trace, "Logged out.")
			if _, ok := browserCookies(t, tab)["airline_session"]; ok {
				t.Error("the browser still holds the session cookie after logging out")
			}
			step("who am I (send the cookie)", r.Trace, "Not logged in.")
		})
	}
}

// browserCookies are the cookies the browser holds for the page, HttpOnly
// ones included, by name.
func browserCookies(t *testing.T, tab *browserTab) map[string]string {
	t.Helper()
	res, err := chromedp.Call(tab.ctx, network.GetCookies, network.GetCookiesParams{})
	if err != nil {
		t.Fatalf("reading the cookie jar: %v", err)
	}
	out := map[string]string{}
	for _, c := range res.Cookies {
		out[c.Name] = c.Value
	}
	return out
}

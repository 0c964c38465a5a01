package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/engineroom/engineroom/web"
)

const transferPath = "/airline/miles/transfer"

// memberMiles reads a member's balance from the visitor's database.
func memberMiles(t *testing.T, c *client, id string) int64 {
	t.Helper()
	r := c.get("/api/v1/members/"+id, hdr("Accept", "application/json"))
	var m struct {
		Miles int64 `json:"miles"`
	}
	if r.StatusCode != http.StatusOK || json.Unmarshal([]byte(r.text), &m) != nil {
		t.Fatalf("GET /api/v1/members/%s: %d %.300s", id, r.StatusCode, r.text)
	}
	return m.Miles
}

// TestTransferMiles posts the airline app's transfer form as a browser
// would, and as attackers and careless clients do: only a logged-in
// member's same-origin (or token-carrying) post moves miles.
func TestTransferMiles(t *testing.T) {
	srv := newServer(t, web.Config{})
	tests := []struct {
		name      string
		loggedOut bool
		// stale sends a session cookie the server has no row for.
		stale bool
		form  url.Values
		// token sends the _csrf field: "cookie" its cookie's value, or as
		// given.
		token      string
		header     http.Header
		wantStatus int
		wantText   string
		// wantMoved is the miles alice (member 1) loses and bob (2) gains.
		wantMoved int64
	}{
		{name: "the real form, with its token", form: url.Values{"to": {"bob@example.com"}, "miles": {"100"}}, token: "cookie",
			wantStatus: 200, wantText: "Sent. 100 miles to Bob Nguyen (bob@example.com). You have 11,400 miles left.", wantMoved: 100},
		{name: "same-origin, as today's browsers send it", form: url.Values{"to": {"bob@example.com"}, "miles": {"250"}},
			header: hdr("Sec-Fetch-Site", "same-origin", "Origin", "http://example.com"), wantStatus: 200, wantText: "Sent. 250 miles", wantMoved: 250},
		{name: "no token", form: url.Values{"to": {"bob@example.com"}, "miles": {"100"}},
			wantStatus: 403, wantText: "This form's security token is missing or out of date."},
		{name: "a token that is not the cookie's", form: url.Values{"to": {"bob@example.com"}, "miles": {"100"}}, token: "guessed-token",
			wantStatus: 403, wantText: "This form's security token is missing or out of date."},
		{name: "cross-site, even with the token", form: url.Values{"to": {"bob@example.com"}, "miles": {"100"}}, token: "cookie",
			header: hdr("Sec-Fetch-Site", "cross-site", "Origin", "http://evil.example"), wantStatus: 403, wantText: "cross-site request blocked by CSRF"},
		{name: "same-site but no token", form: url.Values{"to": {"bob@example.com"}, "miles": {"100"}},
			header: hdr("Sec-Fetch-Site", "same-site"), wantStatus: 403, wantText: "This form's security token is missing"},
		{name: "logged out", loggedOut: true, form: url.Values{"to": {"bob@example.com"}, "miles": {"100"}}, token: "cookie",
			wantStatus: 401, wantText: "Log in to the airline app first"},
		{name: "a session cookie with no session", loggedOut: true, stale: true, form: url.Values{"to": {"bob@example.com"}, "miles": {"100"}}, token: "cookie",
			wantStatus: 401, wantText: "Log in to the airline app first"},
		{name: "missing to", form: url.Values{"miles": {"100"}}, token: "cookie",
			wantStatus: 422, wantText: "Say who gets the miles: the email of a member."},
		{name: "negative miles", form: url.Values{"to": {"bob@example.com"}, "miles": {"-5"}}, token: "cookie",
			wantStatus: 422, wantText: "Send between 1 and 100000 miles, not -5."},
		{name: "miles not a number", form: url.Values{"to": {"bob@example.com"}, "miles": {"ten"}}, token: "cookie",
			wantStatus: 400, wantText: `miles: "ten" is not a whole number.`},
		{name: "no miles", form: url.Values{"to": {"bob@example.com"}}, token: "cookie",
			wantStatus: 422, wantText: "Say how many miles to send: 1 to 100,000."},
		{name: "unknown recipient", form: url.Values{"to": {"nobody@example.com"}, "miles": {"100"}}, token: "cookie",
			wantStatus: 422, wantText: "No member has the email nobody@example.com."},
		{name: "to oneself", form: url.Values{"to": {"alice@example.com"}, "miles": {"100"}}, token: "cookie",
			wantStatus: 422, wantText: "alice@example.com is your own email"},
		{name: "more than she has", form: url.Values{"to": {"bob@example.com"}, "miles": {"99999"}}, token: "cookie",
			wantStatus: 422, wantText: "You have 11500 miles, so you cannot send 99999."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := primed(t, srv)
			if !tt.loggedOut {
				logInAs(t, c, "alice")
			}
			if tt.stale {
				c.jar["airline_session"] = &http.Cookie{Name: "airline_session", Value: "made-up-or-expired"}
			}
			aliceBefore, bobBefore := memberMiles(t, c, "1"), memberMiles(t, c, "2")
			form := url.Values{}
			for k, v := range tt.form {
				form[k] = v
			}
			switch tt.token {
			case "":
			case "cookie":
				form.Set("_csrf", c.cookie(csrfCookie))
			default:
				form.Set("_csrf", tt.token)
			}
			r := c.postForm(transferPath, form, tt.header)
			if r.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d; %.500s", r.StatusCode, tt.wantStatus, r.text)
			}
			text := strings.Join(strings.Fields(parseHTML(t, r.text).Find("main").Text()), " ")
			if !strings.Contains(text, tt.wantText) {
				t.Errorf("page = %.500q, want %q in it", text, tt.wantText)
			}
			if got := r.Header.Get("Cache-Control"); tt.wantStatus != 403 && got != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", got)
			}
			if a, b := memberMiles(t, c, "1"), memberMiles(t, c, "2"); a != aliceBefore-tt.wantMoved || b != bobBefore+tt.wantMoved {
				t.Errorf("alice %d -> %d, bob %d -> %d; want %d miles moved", aliceBefore, a, bobBefore, b, tt.wantMoved)
			}
		})
	}
}

// TestTransferFragment checks the partial-update answers: the notice
// alone, for success and for a refusal.
func TestTransferFragment(t *testing.T) {
	srv := newServer(t, web.Config{})
	c := primed(t, srv)
	logInAs(t, c, "alice")
	tok := c.cookie(csrfCookie)
	h := hdr("HX-Request", "true", "X-CSRF-Token", tok)
	r := c.postForm(transferPath, url.Values{"to": {"bob@example.com"}, "miles": {"1"}}, h)
	doc := parseHTML(t, r.text)
	if r.StatusCode != 200 || doc.Find("html body main").Length() != 0 || doc.Find("p.transfer-done.notice-ok").Length() != 1 {
		t.Errorf("success fragment: %d %.300s", r.StatusCode, r.text)
	}
	r = c.postForm(transferPath, url.Values{"to": {"bob@example.com"}, "miles": {"0"}}, h)
	doc = parseHTML(t, r.text)
	if r.StatusCode != 422 || doc.Find(".notice-error").Length() != 1 || !strings.Contains(r.text, "Send between 1 and 100000 miles, not 0.") {
		t.Errorf("refusal fragment: %d %.300s", r.StatusCode, r.text)
	}
	if r := c.get(transferPath, nil); r.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET %s = %d, want 405: a transfer is never a GET", transferPath, r.StatusCode)
	}
}

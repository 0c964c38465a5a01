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

const csrfPage = "/lessons/csrf"

// csrfRowWant is what one row of the CSRF demo must show.
type csrfRowWant struct {
	title, status, secFetchSite, cookies, token string
	// reason and said are in the row's sentence and the server's words.
	reason, said string
}

// The forged rows never change: the attacker's page is the same, and so
// is the answer.
var forgedRows = []csrfRowWant{
	{title: "1 · The attacker's page, in today's browser", status: "403 Forbidden", secFetchSite: "cross-site", cookies: "none", token: "none",
		reason: "The cookies are SameSite=Lax, so the browser sent none", said: "cross-site request blocked by CSRF"},
	{title: "2 · …if the cookies were SameSite=None", status: "403 Forbidden", secFetchSite: "cross-site", cookies: "er_visitor, airline_session, er_csrf", token: "none",
		reason: "still said Sec-Fetch-Site: cross-site", said: "cross-site request blocked by CSRF"},
	{title: "3 · …and a browser too old to send Sec-Fetch-Site", status: "403 Forbidden", secFetchSite: "not sent", cookies: "er_visitor, airline_session, er_csrf", token: "none",
		reason: "the form had no _csrf field to match it", said: "This form's security token is missing or out of date."},
}

func TestCSRFForgery(t *testing.T) {
	srv := newServer(t, web.Config{})
	const own = "4 · Your own transfer form, on our page"
	tests := []struct {
		name     string
		login    string // "" for nobody: the demo logs in as alice
		set      map[string]string
		wantLead string
		wantOwn  csrfRowWant
		// wantBalances are the member, before and after columns.
		wantBalances [][3]string
	}{
		{name: "nobody logged in: as alice, 100 miles to bob",
			wantLead: "Nobody was logged in to the airline app in this browser, so the demo logged you in as alice first",
			wantOwn: csrfRowWant{title: own, status: "200 OK", secFetchSite: "same-origin", cookies: "er_visitor, airline_session, er_csrf",
				token: "yes: the form's _csrf matches the er_csrf cookie", reason: "Sec-Fetch-Site: same-origin vouches that the form is ours",
				said: "Sent. 100 miles to Bob Nguyen (bob@example.com). You have 11,400 miles left."},
			wantBalances: [][3]string{{"Alice Martin (you)", "11,500", "11,400"}, {"Mallory (the attacker)", "0", "0"}, {"Bob Nguyen", "2,000", "2,100"}}},
		{name: "your own transfer refused: negative miles", set: map[string]string{"miles": "-5"},
			wantLead: "logged you in as alice first",
			wantOwn: csrfRowWant{title: own, status: "422 Unprocessable Entity", secFetchSite: "same-origin", cookies: "er_visitor, airline_session, er_csrf",
				token: "yes: the form's _csrf matches the er_csrf cookie", reason: "Your own form passed the CSRF check, and the transfer itself was refused (422)",
				said: "Send between 1 and 100000 miles, not -5."},
			wantBalances: [][3]string{{"Alice Martin (you)", "11,500", "11,500"}, {"Mallory (the attacker)", "0", "0"}, {"Bob Nguyen", "2,000", "2,000"}}},
		{name: "logged in as bob, sending to himself", login: "bob",
			wantLead: "You are logged in to the airline app as bob.",
			wantOwn: csrfRowWant{title: own, status: "422 Unprocessable Entity", secFetchSite: "same-origin", cookies: "er_visitor, airline_session, er_csrf",
				token: "yes: the form's _csrf matches the er_csrf cookie", reason: "the transfer itself was refused (422)",
				said: "bob@example.com is your own email: a transfer to yourself changes nothing."},
			wantBalances: [][3]string{{"Bob Nguyen (you)", "2,000", "2,000"}, {"Mallory (the attacker)", "0", "0"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := primed(t, srv)
			if tt.login != "" {
				logInAs(t, c, tt.login)
			}
			r, doc := panelAs(t, c, csrfPage, "csrf-forgery", tt.set)
			if r.StatusCode != http.StatusOK {
				t.Fatalf("status = %d; %.500s", r.StatusCode, r.text)
			}
			front := doc.Find(".pane-front .output")
			if v := front.Find(".csrf-verdict"); !v.HasClass("notice-ok") || !strings.Contains(v.Text(), "Blocked. All 3 forged requests were refused") {
				t.Errorf("verdict %q (%s)", v.Text(), v.AttrOr("class", ""))
			}
			if text := frontText(doc); !strings.Contains(text, tt.wantLead) {
				t.Errorf("front end = %.400q, want %q", text, tt.wantLead)
			}
			// The attacker's page is text: no form, no script of it in ours.
			code := front.Find(".csrf-code")
			if !strings.Contains(code.Text(), `<input type="hidden" name="to" value="mallory@evil.example">`) ||
				!strings.Contains(code.Text(), `action="http://example.com/airline/miles/transfer"`) || code.Find("form, script, input").Length() != 0 {
				t.Errorf("the attacker's page as shown: %.600q", code.Text())
			}
			rows := front.Find("li.csrf-row")
			want := append(slices.Clone(forgedRows), tt.wantOwn)
			if rows.Length() != len(want) {
				t.Fatalf("%d rows, want %d", rows.Length(), len(want))
			}
			rows.Each(func(i int, row *goquery.Selection) { checkCSRFRow(t, row, want[i]) })
			var balances [][3]string
			front.Find("table.csrf-balances tbody tr").Each(func(_ int, tr *goquery.Selection) {
				td := tr.Find("td")
				balances = append(balances, [3]string{td.Eq(0).Text(), td.Eq(1).Text(), td.Eq(2).Text()})
			})
			if !slices.Equal(balances, tt.wantBalances) {
				t.Errorf("balances %q, want %q", balances, tt.wantBalances)
			}
			// The session token is never in the page, however it is shown.
			if tok := c.cookie("airline_session"); strings.Contains(r.text, tok) {
				t.Error("the page shows the session token")
			}
			var clients []string
			doc.Find(".pane-back .span-name").Each(func(_ int, s *goquery.Selection) {
				if strings.HasSuffix(s.Text(), "POST /airline/miles/transfer") && !strings.HasPrefix(s.Text(), "POST") {
					clients = append(clients, s.Text())
				}
			})
			if wantClients := []string{"forged POST /airline/miles/transfer", "forged POST /airline/miles/transfer", "forged POST /airline/miles/transfer", "your own POST /airline/miles/transfer"}; !slices.Equal(clients, wantClients) {
				t.Errorf("client spans %q, want %q", clients, wantClients)
			}
		})
	}
}

// checkCSRFRow checks one row: its title, status, what was sent and why.
func checkCSRFRow(t *testing.T, row *goquery.Selection, w csrfRowWant) {
	t.Helper()
	if got := row.Find(".visit-head strong").Text(); got != w.title {
		t.Errorf("row title %q, want %q", got, w.title)
	}
	if got := row.Find(".visit-status").Text(); got != w.status {
		t.Errorf("%s: status %q, want %q", w.title, got, w.status)
	}
	sent := map[string]string{}
	row.Find("dl.csrf-sent dt").Each(func(_ int, dt *goquery.Selection) { sent[dt.Text()] = dt.Next().Text() })
	for k, v := range map[string]string{"Request": "POST /airline/miles/transfer", "Sec-Fetch-Site": w.secFetchSite, "Cookies": w.cookies, "_csrf token": w.token} {
		if sent[k] != v {
			t.Errorf("%s: %s = %q, want %q", w.title, k, sent[k], v)
		}
	}
	if forged := !strings.HasPrefix(w.title, "4"); forged != (sent["Origin"] == "http://evil.example") {
		t.Errorf("%s: Origin %q", w.title, sent["Origin"])
	}
	if got := row.Find(".csrf-reason").Text(); !strings.Contains(got, w.reason) {
		t.Errorf("%s: reason %q, want %q in it", w.title, got, w.reason)
	}
	if got := row.Find(".csrf-said").Text(); !strings.Contains(got, w.said) {
		t.Errorf("%s: the server said %q, want %q in it", w.title, got, w.said)
	}
	// The request as sent: every cookie value hidden, the token too.
	req := row.Find("pre.http").First().Text()
	if w.cookies == "none" && strings.Contains(req, "Cookie:") {
		t.Errorf("%s: a cookie-less request shows a Cookie header:\n%s", w.title, req)
	}
	if w.cookies != "none" && !strings.Contains(req, "Cookie: er_visitor=••••••••; airline_session=••••••••; er_csrf=••••••••") {
		t.Errorf("%s: the Cookie header is not masked as expected:\n%s", w.title, req)
	}
	if (w.token != "none") != strings.Contains(req, "_csrf=(hidden)") {
		t.Errorf("%s: body in\n%s", w.title, req)
	}
}

// TestCSRFTwin checks the JSON twin: each request's status and what it
// carried, and that the demo logged the visitor in.
func TestCSRFTwin(t *testing.T) {
	srv := newServer(t, web.Config{})
	r, run := demoAPIRun(t, srv, "csrf-forgery", map[string]any{"miles": 7})
	if r.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %.500s", r.StatusCode, r.text)
	}
	var out struct {
		LoggedInAs  string `json:"logged_in_as"`
		LoggedInNow bool   `json:"logged_in_now"`
		Requests    []struct {
			Forged       bool     `json:"forged"`
			Origin       string   `json:"origin"`
			SecFetchSite string   `json:"sec_fetch_site"`
			Cookies      []string `json:"cookies"`
			Token        bool     `json:"token"`
			Body         string   `json:"body"`
			Status       int      `json:"status"`
		} `json:"requests"`
		Balances []struct {
			Member string `json:"member"`
			Before int64  `json:"before"`
			After  int64  `json:"after"`
		} `json:"balances"`
	}
	if err := json.Unmarshal(run.Output, &out); err != nil {
		t.Fatal(err)
	}
	if out.LoggedInAs != "alice" || !out.LoggedInNow || len(out.Requests) != 4 || len(out.Balances) != 3 {
		t.Fatalf("output %+v", out)
	}
	want := []struct {
		forged  bool
		site    string
		cookies int
		token   bool
		status  int
	}{{true, "cross-site", 0, false, 403}, {true, "cross-site", 3, false, 403}, {true, "", 3, false, 403}, {false, "same-origin", 3, true, 200}}
	for i, w := range want {
		g := out.Requests[i]
		if g.Forged != w.forged || g.SecFetchSite != w.site || len(g.Cookies) != w.cookies || g.Token != w.token || g.Status != w.status {
			t.Errorf("request %d = %+v, want %+v", i+1, g, w)
		}
		if w.forged && (g.Body != "to=mallory%40evil.example&miles=5000" || g.Origin != "http://evil.example") {
			t.Errorf("request %d: body %q, origin %q", i+1, g.Body, g.Origin)
		}
	}
	if b := out.Balances; b[0].Before-b[0].After != 7 || b[1].Before != 0 || b[1].After != 0 || b[2].After-b[2].Before != 7 {
		t.Errorf("balances %+v, want 7 miles from alice to bob and none to Mallory", b)
	}
}

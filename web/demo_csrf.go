package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/engineroom/engineroom/playground/auth"
	"github.com/engineroom/engineroom/playground/sandbox"
	"github.com/engineroom/engineroom/web/view"
)

// The CSRF lesson's demo: an attacker's page that posts a hidden form to
// the airline app's miles transfer, and the requests a browser would send
// for it, sent for real through the router. The attacker's page is only
// ever shown as text; every request goes to the visitor's own sandbox.

// The attacker, as the forged form names her.
const (
	attackerOrigin = "http://evil.example"
	attackerPage   = attackerOrigin + "/free-flight.html"
	malloryEmail   = "mallory@evil.example"
	forgedMiles    = "5000"
)

// csrfCase is one way the forged form (or the real one) reaches the
// server.
type csrfCase struct {
	Title string
	// Forged says the attacker's page sent it.
	Forged bool
	// Cookies says the browser attaches the cookies; SecFetchSite is the
	// header it sends ("" for a browser too old to send one).
	Cookies      bool
	SecFetchSite string
	Token        bool
	// Why explains the answer expected: WantStatus.
	WantStatus int
	Why        string
}

// csrfCases are the demo's rows, in order.
var csrfCases = []csrfCase{
	{Title: "1 · The attacker's page, in today's browser", Forged: true, SecFetchSite: "cross-site", WantStatus: http.StatusForbidden,
		Why: "The cookies are SameSite=Lax, so the browser sent none with a cross-site POST, and it marked the request Sec-Fetch-Site: cross-site, which the CSRF check refuses before any handler runs."},
	{Title: "2 · …if the cookies were SameSite=None", Forged: true, Cookies: true, SecFetchSite: "cross-site", WantStatus: http.StatusForbidden,
		Why: "Your cookies rode along this time, session and all, but the browser still said Sec-Fetch-Site: cross-site, and the CSRF check refuses that before it looks at any cookie."},
	{Title: "3 · …and a browser too old to send Sec-Fetch-Site", Forged: true, Cookies: true, WantStatus: http.StatusForbidden,
		Why: "With no Sec-Fetch-Site the check falls back to the token: the er_csrf cookie came along, but the form had no _csrf field to match it, and the attacker's page cannot read it."},
	{Title: "4 · Your own transfer form, on our page", Cookies: true, SecFetchSite: "same-origin", Token: true, WantStatus: http.StatusOK,
		Why: "Sec-Fetch-Site: same-origin vouches that the form is ours, so the CSRF check let it through (an older browser would pass on the matching _csrf token), and your session said whose miles to move."},
}

// csrfData is the JSON twin's output.
type csrfData struct {
	LoggedInAs   string            `json:"logged_in_as"`
	LoggedInNow  bool              `json:"logged_in_now"`
	AttackerPage string            `json:"attacker_page"`
	AttackerHTML string            `json:"attacker_html"`
	Requests     []csrfRequestData `json:"requests"`
	Balances     []csrfBalanceData `json:"balances"`
}

// csrfRequestData is one request of the demo, as sent, and its answer.
type csrfRequestData struct {
	Case         string   `json:"case"`
	Forged       bool     `json:"forged"`
	Origin       string   `json:"origin"`
	SecFetchSite string   `json:"sec_fetch_site,omitempty"`
	Cookies      []string `json:"cookies"`
	Token        bool     `json:"token"`
	Body         string   `json:"body"`
	Status       int      `json:"status"`
	Reason       string   `json:"reason"`
	Said         string   `json:"said,omitempty"`
}

// csrfBalanceData is a member's miles before and after the run.
type csrfBalanceData struct {
	Member string `json:"member"`
	Before int64  `json:"before"`
	After  int64  `json:"after"`
}

func (s *Server) demoCSRF() *demo {
	return &demo{
		ID: "csrf-forgery", Title: "A forged transfer", Lesson: "csrf",
		Description: "A page on another site posts a hidden form to the airline app: send 5,000 of your miles to Mallory. See what a browser sends for it, and what the server does; then your own transfer, from our page.",
		Button:      "Visit the attacker's page",
		Wide:        true,
		Params: []param{
			{Name: "to", Label: "Your own transfer: to", Kind: "text", Default: "bob@example.com", MaxLen: 254,
				Hint: "A member's email. bob@example.com is Bob."},
			{Name: "miles", Label: "Your own transfer: miles", Kind: "number", Default: "100", Min: -1000000, Max: 1000000,
				Hint: "The server takes 1 to 100,000."},
		},
		Run: s.runCSRF,
	}
}

func (s *Server) runCSRF(ctx context.Context, in demoInput) (demoOutput, error) {
	c := in.Request
	// Log in first (as alice when nobody is), and make sure Mallory is a
	// member, so a forged transfer would have somewhere to go.
	w, err := s.csrfSetUp(ctx, in)
	if err != nil {
		return demoOutput{}, err
	}
	before, err := s.csrfBalances(ctx, in, w.parties)
	if err != nil {
		return demoOutput{}, err
	}
	src := s.attackerHTML(s.baseURL(c) + transferPath)
	o := view.CSRFOutput{LoggedInNow: w.loggedInNow, Username: w.user.Username, AttackerURL: attackerPage, Attacker: s.code.HTML("html", src)}
	data := csrfData{LoggedInAs: w.user.Username, LoggedInNow: w.loggedInNow, AttackerPage: attackerPage, AttackerHTML: src}
	csrfToken := csrfCookieToken(c)
	for _, k := range csrfCases {
		body := "to=" + url.QueryEscape(malloryEmail) + "&miles=" + forgedMiles
		origin := attackerOrigin
		if !k.Forged {
			body = "to=" + url.QueryEscape(in.Params["to"]) + "&miles=" + url.QueryEscape(in.Params["miles"])
			origin = s.baseURL(c)
		}
		if k.Token {
			body += "&_csrf=" + url.QueryEscape(csrfToken)
		}
		h := http.Header{echo.HeaderContentType: {echo.MIMEApplicationForm}, echo.HeaderOrigin: {origin}}
		if k.SecFetchSite != "" {
			h.Set(echo.HeaderSecFetchSite, k.SecFetchSite)
		}
		jar := []*http.Cookie{} // none: a cross-site POST carries no SameSite=Lax cookie
		if k.Cookies {
			jar = []*http.Cookie{
				{Name: visitorCookieName(c), Value: s.visitor.sign(in.Visitor)},
				{Name: sessionCookieName(c), Value: w.session},
				{Name: "er_csrf", Value: csrfToken},
			}
		}
		x, err := s.sendSelf(ctx, c, fmt.Sprintf("%s POST %s", map[bool]string{true: "forged", false: "your own"}[k.Forged], transferPath),
			selfRequest{Method: http.MethodPost, Target: transferPath, Header: h, Body: []byte(body), Cookies: jar})
		if err != nil {
			return demoOutput{}, err
		}
		row, rd := csrfRowView(k, &x, jar, body)
		if k.Forged {
			o.Forged++
			if x.Status >= 400 {
				o.Blocked++
			}
		}
		o.Rows, data.Requests = append(o.Rows, row), append(data.Requests, rd)
	}
	after, err := s.csrfBalances(ctx, in, w.parties)
	if err != nil {
		return demoOutput{}, err
	}
	for i, p := range w.parties {
		o.Balances = append(o.Balances, view.CSRFBalance{Who: p.label, Before: miles(before[i]), After: miles(after[i]), Changed: before[i] != after[i]})
		data.Balances = append(data.Balances, csrfBalanceData{Member: p.label, Before: before[i], After: after[i]})
	}
	return demoOutput{Data: data, View: view.CSRFForgery(o)}, nil
}

// csrfParty is a member whose miles the demo shows.
type csrfParty struct {
	label string
	id    int64
}

// csrfWorld is who the demo acts for: the logged-in member, their
// session token, and the members whose balances count.
type csrfWorld struct {
	user        auth.SessionUser
	session     string
	loggedInNow bool
	parties     []csrfParty
}

// csrfSetUp logs the visitor's airline session in as alice when nobody
// is logged in, makes sure Mallory is a member, and finds the members
// whose balances the demo shows: you, Mallory and your transfer's
// recipient.
func (s *Server) csrfSetUp(ctx context.Context, in demoInput) (csrfWorld, error) {
	var w csrfWorld
	set, err := s.withSession(ctx, in.Request, in.Visitor, func(ctx context.Context, sc sessionCall) error {
		u, ok := sc.Session.User()
		if !ok {
			// The sandbox is already open: the login reads it through the
			// same connection.
			here := func(ctx context.Context, fn func(context.Context, *sandbox.DB) error) error { return fn(ctx, sc.DB) }
			li, err := s.auth.LogIn(ctx, here, in.Visitor, standIn.Username, standIn.Username+"-demo")
			if err != nil {
				return demoLoginError(err)
			}
			if err := sc.Session.LogIn(li.Account); err != nil {
				return err
			}
			u, _ = sc.Session.User()
			w.loggedInNow = true
		}
		w.user = u
		mallory, err := s.airline.EnsureMember(ctx, sc.DB, "Mallory", malloryEmail, time.Now())
		if err != nil {
			return err
		}
		if me, found, err := s.airline.MemberByID(ctx, sc.DB, u.MemberID); err != nil {
			return err
		} else if found {
			w.parties = append(w.parties, csrfParty{me.Name + " (you)", me.ID})
		}
		w.parties = append(w.parties, csrfParty{"Mallory (the attacker)", mallory})
		to, found, err := s.airline.MemberByEmail(ctx, sc.DB, in.Params["to"])
		if err == nil && found && to.ID != u.MemberID && to.ID != mallory {
			w.parties = append(w.parties, csrfParty{to.Name, to.ID})
		}
		return err
	})
	if err != nil {
		return w, err
	}
	w.session = sessionToken(in.Request)
	if set != nil {
		w.session = set.Value
	}
	return w, nil
}

// demoLoginError explains why the demo could not log in as alice.
func demoLoginError(err error) error {
	var le *auth.LimitError
	switch {
	case errors.As(err, &le):
		return echo.NewHTTPError(http.StatusTooManyRequests, "The demo could not log you in as alice: "+le.Reason+".")
	case errors.Is(err, auth.ErrBadCredentials):
		return echo.NewHTTPError(http.StatusConflict,
			"alice's password in your database is no longer alice-demo, so the demo cannot log in as her. Reset my database in the SQL console, or log in yourself first.")
	}
	return err
}

// csrfBalances reads the parties' miles.
func (s *Server) csrfBalances(ctx context.Context, in demoInput, parties []csrfParty) ([]int64, error) {
	out := make([]int64, len(parties))
	err := s.sql.With(s.sqlContext(ctx, in.Request), in.Visitor, func(ctx context.Context, db *sandbox.DB) error {
		for i, p := range parties {
			m, _, err := s.airline.MemberByID(ctx, db, p.id)
			if err != nil {
				return err
			}
			out[i] = m.Miles
		}
		return nil
	})
	return out, err
}

// csrfCookieToken is the visitor's CSRF token when their browser holds
// one, and otherwise a new one, as our page would hand out.
func csrfCookieToken(c echo.Context) string {
	if ck, err := c.Cookie("er_csrf"); err == nil && ck.Value != "" && len(ck.Value) <= 64 {
		return ck.Value
	}
	b := make([]byte, 24)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

// attackerHTML is the attacker's page: a hidden form that posts itself
// to action as soon as it loads.
func (s *Server) attackerHTML(action string) string {
	return `<!-- ` + attackerPage + ` -->
<!DOCTYPE html>
<title>You won a free flight!</title>
<h1>Claiming your prize…</h1>
<form id="prize" method="POST" action="` + html.EscapeString(action) + `">
  <input type="hidden" name="to" value="` + malloryEmail + `">
  <input type="hidden" name="miles" value="` + forgedMiles + `">
</form>
<script>document.getElementById("prize").submit()</script>
`
}

// Our own pages' messages: an error page's sentence, and the transfer's.
var (
	errorPageSaid = regexp.MustCompile(`<h1>[^<]*</h1>\s*<p>([^<]*)</p>`)
	transferSaid  = regexp.MustCompile(`transfer-done"[^>]*><strong>([^<]*)</strong>\s*([^<]*)</p>`)
)

// pageSaid is what one of our pages said, in a sentence.
func pageSaid(body []byte) string {
	if m := transferSaid.FindSubmatch(body); m != nil {
		return html.UnescapeString(string(m[1]) + " " + string(m[2]))
	}
	if m := errorPageSaid.FindSubmatch(body); m != nil {
		return html.UnescapeString(string(m[1]))
	}
	return ""
}

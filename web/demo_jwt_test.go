package web_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/engineroom/engineroom/playground/auth"
	"github.com/engineroom/engineroom/web"
)

const jwtPage = "/lessons/tokens-and-jwt"

// goodUntil is how the panel shows a token's expiry, a quarter of an hour
// away.
var goodUntil = regexp.MustCompile(`^\d\d:\d\d:\d\d UTC, 1[45] min \d\d? s from now$`)

// jwtRun runs the tokens panel as c's visitor and checks the answer is the
// panel's, with its status 200.
func jwtRun(t *testing.T, c *client, set map[string]string) *goquery.Document {
	t.Helper()
	r, doc := panelAs(t, c, jwtPage, "jwt-login", set)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("status %d; body %.500s", r.StatusCode, r.text)
	}
	return doc
}

// jwtShown is the token the front end pane shows, without the markup.
func jwtShown(doc *goquery.Document) string {
	return strings.Join(strings.Fields(doc.Find(".pane-front code.jwt").Text()), "")
}

// sessionRows counts the sessions table of c's sandbox through the SQL API.
func sessionRows(t *testing.T, c *client) string {
	t.Helper()
	r := c.postJSON("/api/v1/sql", `{"sql":"SELECT count(*) FROM sessions"}`, nil)
	var got sqlAPIReply
	decodeJSON(t, r, &got)
	if len(got.Statements) != 1 || len(got.Statements[0].Rows) != 1 || got.Statements[0].Rows[0][0] == nil {
		t.Fatalf("counting sessions: %s", r.text)
	}
	return *got.Statements[0].Rows[0][0]
}

func jwtSpans(doc *goquery.Document, sel string) []string {
	return doc.Find(".pane-back " + sel).Map(func(_ int, s *goquery.Selection) string { return s.Text() })
}

func TestJWTLogin(t *testing.T) {
	srv := newServer(t, web.Config{})
	c := newClient(t, srv)
	doc := jwtRun(t, c, nil)
	text := frontText(doc)
	for _, want := range []string{"Token issued to alice · HS256", "Logged in.", "It stored nothing", "Not in localStorage"} {
		if !strings.Contains(text, want) {
			t.Errorf("output %.800q: want %q", text, want)
		}
	}
	facts := map[string]string{}
	doc.Find(".pane-front dl.jwt-facts dt").Each(func(_ int, s *goquery.Selection) {
		facts[s.Text()] = s.Next().Filter("dd").Text()
	})
	if got := facts["Good until"]; !strings.HasSuffix(got, " UTC, 15 min from now (exp)") {
		t.Errorf("good until %q", got)
	}
	if got := facts["Stored on the server"]; !strings.HasPrefix(got, "Nothing.") {
		t.Errorf("stored on the server %q", got)
	}
	if got := facts["Every request sends"]; !strings.HasPrefix(got, "Authorization: Bearer eyJ") {
		t.Errorf("every request sends %q", got)
	}
	if len(facts) != 3 {
		t.Errorf("facts %q, want 3", facts)
	}
	if n := doc.Find(".pane-front .jwt-verdict.notice-ok").Length(); n != 1 {
		t.Errorf("%d ok verdicts, want 1", n)
	}
	token := jwtShown(doc)
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q: want three parts", token)
	}
	for i, class := range []string{"jwt-header", "jwt-claims", "jwt-signature"} {
		if got := doc.Find(".pane-front code.jwt ." + class).Text(); got != parts[i] {
			t.Errorf(".%s = %q, want %q", class, got, parts[i])
		}
	}
	sides := doc.Find(".pane-front .compare-side")
	if h := strings.Join(strings.Fields(sides.Eq(0).Find("pre").Text()), ""); h != `{"alg":"HS256","typ":"JWT"}` {
		t.Errorf("decoded header %q", h)
	}
	claims := strings.Join(strings.Fields(sides.Eq(1).Find("pre").Text()), "")
	for _, want := range []string{`"iss":"engineroom-airline"`, `"sub":"1"`, `"aud":["airline-api"]`, `"exp":`, `"jti":`, `"name":"alice"`, `"role":"member"`, `"member_id":1`} {
		if !strings.Contains(claims, want) {
			t.Errorf("decoded claims %s: want %s", claims, want)
		}
	}
	names := strings.Join(jwtSpans(doc, ".span-name"), "\n")
	for _, want := range []string{"handler jwt-login", "log in", "check login limits", "check the password", "issue a token (HS256)"} {
		if !strings.Contains(names, want) {
			t.Errorf("spans %q: want %q", names, want)
		}
	}
	if strings.Contains(names, "verify the token") {
		t.Error("logging in verified a token")
	}
	for _, sql := range jwtSpans(doc, ".kind-sql .span-name") {
		if !strings.HasPrefix(sql, "SELECT") {
			t.Errorf("SQL span %q: logging in with a token should only read", sql)
		}
	}
	if n := sessionRows(t, c); n != "0" {
		t.Errorf("sessions table holds %s rows after a token login, want 0", n)
	}

	// The token works, with or without "Bearer ".
	for _, sent := range []string{token, "Bearer " + token} {
		doc = jwtRun(t, c, map[string]string{"action": "use a token", "token": sent})
		text = frontText(doc)
		if !strings.Contains(text, "Accepted you are alice") || !strings.Contains(text, "You are alice (user 1, member 1, role member).") ||
			!strings.Contains(text, "without reading the database") {
			t.Errorf("using the token: %.600q", text)
		}
		names := strings.Join(jwtSpans(doc, ".span-name"), "\n")
		for _, want := range []string{"verify the token", "read the header (not trusted yet)", "check the algorithm and signature (HS256 only)", "check the claims (exp, nbf, iss, aud)"} {
			if !strings.Contains(names, want) {
				t.Errorf("spans %q: want %q", names, want)
			}
		}
		if got := doc.Find(".pane-front dl.jwt-facts dd").First().Text(); !goodUntil.MatchString(got) {
			t.Errorf("good until %q, want it to match %s", got, goodUntil)
		}
		if got := doc.Find(".pane-front dl.jwt-facts dd").Eq(1).Text(); !strings.Contains(claims, `"jti":"`+got+`"`) {
			t.Errorf("token id %q is not the jti of the claims %s", got, claims)
		}
		if n := doc.Find(".pane-back .kind-sql").Length(); n != 0 {
			t.Errorf("verifying a token ran %d SQL statements, want none", n)
		}
	}

	// Edited claims, the same signature: refused, and why.
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(raw), `"role":"member"`, `"role":"admin"`, 1)
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(edited)) + "." + parts[2]
	refusals := []struct {
		name, token string
		reason      auth.Refusal
		want        string
	}{
		{"tampered", tampered, auth.RefusedSignature, "Refused. The signature does not match"},
		{"empty", "", auth.RefusedEmpty, "Refused. No token came with the request."},
		{"garbage", "hello", auth.RefusedMalformed, "Refused. This is not a JWT: a JWT is three base64url parts joined by dots"},
		{"too long", strings.Repeat("A", auth.MaxTokenBytes+1), auth.RefusedTooLong, "Refused. The token is 4097 bytes"},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			doc := jwtRun(t, c, map[string]string{"action": "use a token", "token": tt.token})
			text := frontText(doc)
			if !strings.Contains(text, tt.want) || doc.Find(".pane-front .jwt-facts dd").Text() != `401 Unauthorized · WWW-Authenticate: Bearer error="invalid_token"` {
				t.Errorf("output %.600q: want %q", text, tt.want)
			}
			if got := doc.Find(".pane-front .big-number").Text(); got != "Refused 401 · "+string(tt.reason) {
				t.Errorf("headline %q, want Refused 401 · %s", got, tt.reason)
			}
			if doc.Find(".pane-front .jwt-verdict.notice-warn").Length() != 1 {
				t.Error("no warning verdict")
			}
		})
	}
	if n := sessionRows(t, c); n != "0" {
		t.Errorf("sessions table holds %s rows, want 0", n)
	}
}

func TestJWTLogOut(t *testing.T) {
	srv := newServer(t, web.Config{})
	c := newClient(t, srv)
	doc := jwtRun(t, c, map[string]string{"action": "log out, then use the token again", "username": "bob", "password": "bob-demo"})
	text := frontText(doc)
	for _, want := range []string{"Still accepted after logging out, until", "Logging out did not end it.", "deny-list", "jti",
		"The server had nothing to delete", "Accepted: you are still bob, member 2, role member."} {
		if !strings.Contains(text, want) {
			t.Errorf("output %.800q: want %q", text, want)
		}
	}
	if n := doc.Find(".pane-front ol.jwt-steps > li").Length(); n != 3 {
		t.Errorf("%d steps, want 3", n)
	}
	if doc.Find(".pane-front .jwt-verdict.notice-warn").Length() != 1 {
		t.Error("no warning verdict")
	}
	if n := sessionRows(t, c); n != "0" {
		t.Errorf("sessions table holds %s rows, want 0", n)
	}
}

func TestJWTForgeries(t *testing.T) {
	srv := newServer(t, web.Config{})
	tests := []struct {
		forgery auth.Forgery
		reason  auth.Refusal
		want    string
		alg     string
		role    string
	}{
		{auth.ForgeAlgNone, auth.RefusedAlgNone, `Refused. The header says "alg": "none"`, "none", "admin"},
		{auth.ForgeEdited, auth.RefusedSignature, "Refused. The signature does not match", "HS256", "admin"},
		{auth.ForgeWrongKey, auth.RefusedSignature, "Refused. The signature does not match", "HS256", "admin"},
		{auth.ForgeExpired, auth.RefusedExpired, "Refused. The token expired at", "HS256", "member"},
		{auth.ForgeRS256, auth.RefusedAlgNotAllowed, `Refused. The header asks for "RS256"`, "RS256", "admin"},
	}
	if len(tests) != len(auth.Forgeries()) {
		t.Fatalf("%d forgeries tested, the engine has %d", len(tests), len(auth.Forgeries()))
	}
	c := newClient(t, srv)
	for _, tt := range tests {
		t.Run(string(tt.forgery), func(t *testing.T) {
			doc := jwtRun(t, c, map[string]string{"action": "try a forged token", "forgery": string(tt.forgery)})
			text := frontText(doc)
			if !strings.Contains(text, tt.want) {
				t.Errorf("output %.700q: want %q", text, tt.want)
			}
			if got := doc.Find(".pane-front .big-number").Text(); got != "Refused 401 · "+string(tt.reason) {
				t.Errorf("headline %q, want Refused 401 · %s", got, tt.reason)
			}
			if doc.Find(".pane-front .jwt-verdict.notice-ok").Length() != 1 || doc.Find(".pane-front .notice-error").Length() != 0 {
				t.Error("the refusal is not an ok verdict")
			}
			if doc.Find(".pane-front .jwt-story").Text() == "" {
				t.Error("no word on how it was forged")
			}
			sides := doc.Find(".pane-front .compare-side")
			header := strings.Join(strings.Fields(sides.Eq(0).Find("pre").Text()), "")
			claims := strings.Join(strings.Fields(sides.Eq(1).Find("pre").Text()), "")
			if !strings.Contains(header, `"alg":"`+tt.alg+`"`) || !strings.Contains(claims, `"role":"`+tt.role+`"`) || !strings.Contains(claims, `"name":"alice"`) {
				t.Errorf("decoded header %s, claims %s: want alg %s, role %s", header, claims, tt.alg, tt.role)
			}
			sig := map[auth.Forgery]string{auth.ForgeAlgNone: "Signature: empty. Nothing signed this token.", auth.ForgeRS256: "Signature: 256 bytes of RS256"}[tt.forgery]
			if sig == "" {
				sig = "Signature: 32 bytes, the HMAC-SHA256 of header.claims"
			}
			if !strings.Contains(text, sig) {
				t.Errorf("output %.900q: want %q", text, sig)
			}
			names := strings.Join(jwtSpans(doc, ".span-name"), "\n")
			if !strings.Contains(names, "forge a token (the attacker's side)") || !strings.Contains(names, "verify the token") {
				t.Errorf("spans %q", names)
			}
		})
	}
	if n := sessionRows(t, c); n != "0" {
		t.Errorf("sessions table holds %s rows, want 0", n)
	}
}

func TestJWTLoginRefused(t *testing.T) {
	srv := newServer(t, web.Config{})
	tests := []struct {
		name   string
		set    map[string]string
		status int
		want   string
	}{
		{"wrong password", map[string]string{"password": "guess"}, 200, "Wrong username or password. No token was issued."},
		{"unknown user", map[string]string{"username": "mallory", "password": "mallory-demo"}, 200, "Wrong username or password."},
		{"no username", map[string]string{"username": ""}, 200, "Check the form. Enter your username."},
		{"wrong password, forging", map[string]string{"password": "guess", "action": "try a forged token"}, 200, "Wrong username or password."},
		{"unknown forgery", map[string]string{"action": "try a forged token", "forgery": "bribe the admin"}, 400, ""},
		{"unknown action", map[string]string{"action": "steal a token"}, 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, srv)
			r, doc := panelAs(t, c, jwtPage, "jwt-login", tt.set)
			if r.StatusCode != tt.status {
				t.Fatalf("status %d, want %d; body %.500s", r.StatusCode, tt.status, r.text)
			}
			if tt.status != 200 {
				return
			}
			if got := doc.Find(".pane-front .big-number").Text(); !strings.HasPrefix(got, "Not logged in") {
				t.Errorf("headline %q", got)
			}
			if text := frontText(doc); !strings.Contains(text, tt.want) {
				t.Errorf("output %.500q: want %q", text, tt.want)
			}
			if doc.Find(".pane-front code.jwt").Length() != 0 {
				t.Error("a token was shown after a refused login")
			}
			if doc.Find(".pane-front .jwt-verdict.notice-warn").Length() != 1 {
				t.Error("no warning verdict")
			}
		})
	}
}

// TestJWTJSON runs the JSON twin: the token, its decoded parts and what
// the server stored.
func TestJWTJSON(t *testing.T) {
	srv := newServer(t, web.Config{})
	r, got := demoAPIRun(t, srv, "jwt-login", map[string]any{"action": "try a forged token", "forgery": string(auth.ForgeWrongKey)})
	if r.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", r.StatusCode, r.text)
	}
	var out struct {
		Action   string       `json:"action"`
		Token    string       `json:"token"`
		Decoded  auth.Decoded `json:"decoded"`
		Accepted bool         `json:"accepted"`
		Refused  struct {
			Reason  auth.Refusal `json:"reason"`
			Message string       `json:"message"`
		} `json:"refused"`
		Forgery auth.Forged `json:"forgery"`
	}
	if err := json.Unmarshal(got.Output, &out); err != nil {
		t.Fatal(err)
	}
	if out.Action != "try a forged token" || out.Accepted || out.Refused.Reason != auth.RefusedSignature || out.Refused.Message == "" {
		t.Errorf("output %+v", out)
	}
	if out.Forgery.Token != out.Token || out.Forgery.Want != auth.RefusedSignature || !strings.Contains(out.Forgery.How, strconv.Quote(auth.WrongKey)) {
		t.Errorf("forgery %+v", out.Forgery)
	}
	if len(out.Decoded.Parts) != 3 || out.Decoded.Alg != "HS256" || out.Decoded.Parts[2].Name != "signature" {
		t.Errorf("decoded %+v", out.Decoded)
	}
}

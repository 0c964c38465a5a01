package web

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/engineroom/engineroom/playground/auth"
	"github.com/engineroom/engineroom/web/view"
)

// The tokens lesson's demo: the airline API logs in with a JWT instead of
// a session. Logging in, using a token, logging out and forging one all
// run the auth engine's Tokens; this file decodes the form and picks the
// view.

const (
	jwtLogIn  = "log in: get a token"
	jwtUse    = "use a token"
	jwtLogOut = "log out, then use the token again"
	jwtForge  = "try a forged token"
)

// jwtData is the JSON twin's output.
type jwtData struct {
	Action   string        `json:"action"`
	Token    string        `json:"token,omitempty"`
	Decoded  *auth.Decoded `json:"decoded,omitempty"`
	Accepted bool          `json:"accepted"`
	Claims   *auth.Claims  `json:"claims,omitempty"`
	Refused  *jwtRefusal   `json:"refused,omitempty"`
	Forgery  *auth.Forged  `json:"forgery,omitempty"`
	// StoredOnServer is what issuing the token wrote: nothing.
	StoredOnServer string `json:"stored_on_server,omitempty"`
	LoginError     string `json:"login_error,omitempty"`
}

// jwtRefusal is a refused token in the JSON twin.
type jwtRefusal struct {
	Reason  auth.Refusal `json:"reason"`
	Message string       `json:"message"`
}

func (s *Server) demoJWTLogin() *demo {
	tokens, tokensErr := auth.NewTokens(s.cfg.Secret, auth.TokenOptions{Tracer: s.traces.Tracer("github.com/engineroom/engineroom/playground/auth")})
	forgeries := make([]string, 0, 5)
	for _, f := range auth.Forgeries() {
		forgeries = append(forgeries, string(f))
	}
	return &demo{
		ID: "jwt-login", Title: "Log in with a token", Lesson: "tokens-and-jwt",
		Description: "The airline's API logs you in with a signed JSON Web Token instead of a session. Get one, use it, log out, forge one.",
		Button:      "Send",
		Wide:        true,
		Params: []param{
			{Name: "username", Label: "Username", Kind: "text", Default: "alice", MaxLen: 200},
			{Name: "password", Label: "Password", Kind: "text", Default: "alice-demo", MaxLen: 200,
				Hint: "Every demo account's password is its name and -demo: bob-demo, admin-demo."},
			{Name: "action", Label: "What to do", Kind: "select", Options: []string{jwtLogIn, jwtUse, jwtLogOut, jwtForge}, Default: jwtLogIn},
			{Name: "forgery", Label: "Forgery (for “try a forged token”)", Kind: "select", Options: forgeries, Default: forgeries[0]},
			{Name: "token", Label: "Token (for “use a token”)", Kind: "textarea", MaxLen: 2 * auth.MaxTokenBytes,
				Hint: "Paste the token from “log in”, or change one character of it."},
		},
		Run: func(ctx context.Context, in demoInput) (demoOutput, error) {
			if tokensErr != nil {
				return demoOutput{}, tokensErr
			}
			action := in.Params["action"]
			d := jwtData{Action: action}
			if action == jwtUse {
				token := strings.TrimSpace(in.Params["token"])
				token = strings.TrimSpace(strings.TrimPrefix(token, "Bearer "))
				o := s.jwtUse(ctx, tokens, token, &d)
				return demoOutput{Data: d, View: view.JWT(o)}, nil
			}
			in2, err := s.auth.LogIn(ctx, s.openSandbox(in), in.Visitor, in.Params["username"], in.Params["password"])
			if o, ok := jwtLoginRefused(err, &d); ok {
				return demoOutput{Data: d, View: view.JWT(o)}, nil
			} else if err != nil {
				return demoOutput{}, err
			}
			acct := in2.Account
			var o view.JWTOutput
			switch action {
			case jwtForge:
				o, err = s.jwtForge(ctx, tokens, acct, auth.Forgery(in.Params["forgery"]), &d)
			case jwtLogOut:
				o, err = s.jwtLogOut(ctx, tokens, acct, &d)
			default:
				o, err = s.jwtIssue(ctx, tokens, acct, &d)
			}
			if err != nil {
				return demoOutput{}, err
			}
			return demoOutput{Data: d, View: view.JWT(o)}, nil
		},
	}
}

// jwtLoginRefused is the panel for a login the auth engine refused; false
// when err is not a refusal.
func jwtLoginRefused(err error, d *jwtData) (view.JWTOutput, bool) {
	var fe *auth.FieldErrors
	var le *auth.LimitError
	o := view.JWTOutput{Headline: "Not logged in", Level: "warn"}
	switch {
	case errors.Is(err, auth.ErrBadCredentials):
		o.HeadlineNote, o.Verdict, o.Why = "401 · no token", "Wrong username or password.", "No token was issued. Every demo account's password is its name and -demo."
	case errors.As(err, &fe):
		o.HeadlineNote, o.Verdict, o.Why = "400 · no token", "Check the form.", fe.Fields[0].Message
	case errors.As(err, &le):
		o.HeadlineNote, o.Verdict = "429 · no token", "Too many attempts."
		o.Why = "No token was issued."
		if le.Reason != "" {
			o.Why = strings.ToUpper(le.Reason[:1]) + le.Reason[1:] + ". " + o.Why
		}
	default:
		return view.JWTOutput{}, false
	}
	d.LoginError = o.Verdict
	return o, true
}

// jwtIssue logs in: a token, and nothing stored.
func (s *Server) jwtIssue(ctx context.Context, tokens *auth.Tokens, acct auth.Account, d *jwtData) (view.JWTOutput, error) {
	token, c, err := tokens.Issue(ctx, acct)
	if err != nil {
		return view.JWTOutput{}, err
	}
	d.Token, d.Accepted, d.Claims, d.StoredOnServer = token, true, &c, "nothing"
	o := view.JWTOutput{
		Headline: "Token issued", HeadlineNote: fmt.Sprintf("to %s · HS256 · %d bytes", acct.Username, len(token)),
		Level: "ok", Verdict: "Logged in.",
		Why:     fmt.Sprintf("The server checked %s's password, signed a token and sent it back. It stored nothing: no row, unlike the sessions table, where every login writes one.", acct.Username),
		Storage: true,
	}
	o.Token = s.jwtToken("The token the browser got", token)
	o.Facts = []view.JWTFact{
		{Label: "Good until", Value: c.ExpiresAt.UTC().Format("15:04:05") + " UTC, 15 min from now (exp)"},
		{Label: "Stored on the server", Value: "Nothing. The only SQL in this trace is the SELECT that read the password hash."},
		{Label: "Every request sends", Value: "Authorization: Bearer " + jwtClip(token, 24)},
	}
	return o, nil
}

// jwtUse verifies a pasted token.
func (s *Server) jwtUse(ctx context.Context, tokens *auth.Tokens, token string, d *jwtData) view.JWTOutput {
	c, err := tokens.Verify(ctx, token)
	d.Token = token
	var o view.JWTOutput
	if token != "" {
		o.Token = s.jwtToken("The token you sent", token)
		dec := auth.Decode(token)
		if dec.Problem == "" {
			d.Decoded = &dec
		}
	}
	var te *auth.TokenError
	if errors.As(err, &te) {
		d.Refused = &jwtRefusal{Reason: te.Reason, Message: te.Message}
		o.Headline, o.HeadlineNote = "Refused", "401 · "+string(te.Reason)
		o.Level, o.Verdict, o.Why = "warn", "Refused.", te.Message
		o.Facts = []view.JWTFact{{Label: "The API answers", Value: `401 Unauthorized · WWW-Authenticate: Bearer error="invalid_token"`}}
		return o
	}
	d.Accepted, d.Claims = true, &c
	o.Headline, o.HeadlineNote = "Accepted", "you are "+c.Name
	o.Level, o.Verdict = "ok", fmt.Sprintf("You are %s (user %d, %s).", c.Name, c.UserID(), jwtMember(c))
	o.Why = "The signature matches the server's key and the claims are in date, so the server believes what they say — without reading the database."
	o.Facts = []view.JWTFact{
		{Label: "Good until", Value: fmt.Sprintf("%s UTC, %s from now", c.ExpiresAt.UTC().Format("15:04:05"), jwtLeft(time.Until(c.ExpiresAt.Time)))},
		{Label: "Token id (jti)", Value: c.ID},
	}
	return o
}

func jwtMember(c auth.Claims) string {
	if c.MemberID == 0 {
		return "role " + c.Role
	}
	return fmt.Sprintf("member %d, role %s", c.MemberID, c.Role)
}

// jwtLeft writes the time a token has left: "14 min 55 s".
func jwtLeft(d time.Duration) string {
	s := int(d.Round(time.Second).Seconds())
	if s < 60 {
		return fmt.Sprintf("%d s", s)
	}
	return fmt.Sprintf("%d min %d s", s/60, s%60)
}

// jwtLogOut logs in, forgets the token as a client does on logout, and
// sends the same token again.
func (s *Server) jwtLogOut(ctx context.Context, tokens *auth.Tokens, acct auth.Account, d *jwtData) (view.JWTOutput, error) {
	token, issued, err := tokens.Issue(ctx, acct)
	if err != nil {
		return view.JWTOutput{}, err
	}
	d.Token, d.StoredOnServer = token, "nothing"
	until := issued.ExpiresAt.UTC().Format("15:04:05")
	o := view.JWTOutput{Storage: true, Token: s.jwtToken("The token, before and after logging out", token)}
	o.Steps = []view.JWTStep{
		{Title: "Log in", Text: fmt.Sprintf("Token %s issued to %s, good until %s UTC.", issued.ID, acct.Username, until), OK: true},
		{Title: "Log out", Text: "The browser deleted its copy. The server had nothing to delete: it never stored the token.", OK: true},
	}
	c, err := tokens.Verify(ctx, token)
	var te *auth.TokenError
	switch {
	case errors.As(err, &te):
		d.Refused = &jwtRefusal{Reason: te.Reason, Message: te.Message}
		o.Steps = append(o.Steps, view.JWTStep{Title: "Send the same token again", Text: "Refused: " + te.Message})
		o.Headline, o.Level, o.Verdict, o.Why = "Refused", "ok", "Refused.", te.Message
		return o, nil
	case err != nil:
		return view.JWTOutput{}, err
	}
	d.Accepted, d.Claims = true, &c
	o.Steps = append(o.Steps, view.JWTStep{Title: "Send the same token again (someone kept a copy)",
		Text: fmt.Sprintf("Accepted: you are still %s, %s.", c.Name, jwtMember(c))})
	o.Headline, o.HeadlineNote = "Still accepted", "after logging out, until "+until+" UTC"
	o.Level, o.Verdict = "warn", "Logging out did not end it."
	o.Why = "A copy of the token — in a log, a proxy, a stolen laptop — works until exp. To revoke it, the server would have to remember revoked token ids (jti) and check each request against that deny-list: server-side state again, a session in all but name."
	return o, nil
}

// jwtForge builds a forgery and sends it.
func (s *Server) jwtForge(ctx context.Context, tokens *auth.Tokens, acct auth.Account, kind auth.Forgery, d *jwtData) (view.JWTOutput, error) {
	f, err := tokens.Forge(ctx, acct, kind)
	if err != nil {
		return view.JWTOutput{}, err
	}
	d.Forgery, d.Token = &f, f.Token
	if dec := auth.Decode(f.Token); dec.Problem == "" {
		d.Decoded = &dec
	}
	o := view.JWTOutput{Story: f.How, Token: s.jwtToken("The forged token", f.Token)}
	c, err := tokens.Verify(ctx, f.Token)
	var te *auth.TokenError
	switch {
	case errors.As(err, &te):
		d.Refused = &jwtRefusal{Reason: te.Reason, Message: te.Message}
		o.Headline, o.HeadlineNote = "Refused", "401 · "+string(te.Reason)
		o.Level, o.Verdict, o.Why = "ok", "Refused.", te.Message
		o.Facts = []view.JWTFact{{Label: "The API answers", Value: `401 Unauthorized · WWW-Authenticate: Bearer error="invalid_token"`}}
	case err != nil:
		return view.JWTOutput{}, err
	default:
		d.Accepted, d.Claims = true, &c
		o.Headline, o.Level, o.Verdict = "Accepted", "error", "A forgery was accepted."
		o.Why = fmt.Sprintf("The server believed it: %s, %s.", c.Name, jwtMember(c))
	}
	return o, nil
}

// jwtToken shapes a token for showing: coloured by part, with the header
// and claims decoded (and not trusted).
func (s *Server) jwtToken(title, token string) *view.JWTToken {
	t := &view.JWTToken{Title: title}
	dec := auth.Decode(token)
	if dec.Problem != "" {
		t.Raw, t.Problem = jwtClip(token, 600), "Shown as sent: it cannot be taken apart into header, claims and signature."
		return t
	}
	for _, p := range dec.Parts {
		t.Parts = append(t.Parts, p.Raw)
	}
	t.Header = s.code.HTML("json", dec.Parts[0].JSON)
	t.Claims = s.code.HTML("json", dec.Parts[1].JSON)
	n := dec.Parts[2].Bytes
	switch {
	case dec.Alg == "HS256":
		t.Signature = fmt.Sprintf("%d bytes, the HMAC-SHA256 of header.claims with the key that signed it. Change one character of either and it no longer matches.", n)
	case strings.EqualFold(dec.Alg, "none") || n == 0:
		t.Signature = "empty. Nothing signed this token."
	case dec.Alg == "":
		t.Signature = fmt.Sprintf("%d bytes, and the header names no algorithm.", n)
	default:
		t.Signature = fmt.Sprintf("%d bytes of %s, as the header says — an algorithm this server never uses.", n, dec.Alg)
	}
	return t
}

// jwtClip shortens s to n bytes, marking the cut.
func jwtClip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && (s[n]&0xC0) == 0x80 {
		n--
	}
	return s[:n] + "…"
}

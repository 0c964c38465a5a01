package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/engineroom/engineroom/playground/auth"
	"github.com/engineroom/engineroom/web/view"
)

// The validation lesson's demos: the airline's sign-up form, whose fields
// ask the browser to check them before sending, and its JSON twin, which
// no browser checks. Both end at the same rules, in the auth engine.

// signupPattern is the username field's pattern attribute: letters and
// digits of any alphabet, dots, underscores and dashes. The browser
// anchors it (^(?:…)$) and reads it with the v flag, under which a dash in
// a class must be escaped; Go's RE2 reads it the same way.
const signupPattern = `[\p{L}\p{N}._\-]+`

// The sign-up form's defaults pass every check the browser makes but one
// rule only the server knows: password123 is among the most common
// passwords.
const (
	signupDefaultUser     = "frank"
	signupDefaultPassword = "password123"
)

// signupServerOnly are the rules the browser cannot check, and why.
var signupServerOnly = []view.SignupRule{
	{Rule: "The username is not taken", Why: "Only the database knows every account; a form would have to ask the server anyway."},
	{Rule: "The password is not a common one", Why: "The list of breached passwords is long and changes; it does not ship with the page."},
	{Rule: "The password does not contain the username", Why: "A rule across two fields: a pattern attribute sees one."},
	{Rule: "Letters come from one alphabet", Why: "\"аlice\" with a Cyrillic а passes the pattern (it is a letter) and looks exactly like alice."},
	{Rule: "One spelling per name (Unicode normalization)", Why: "Alice, ALICE and fullwidth ａｌｉｃｅ are folded to one name before any comparison."},
}

// signupFormData is the sign-up form demo's JSON twin output.
type signupFormData struct {
	// Outcome is created, refused (the rules), taken or busy.
	Outcome  string `json:"outcome"`
	Username string `json:"username"`
	// StoredAs is the username as the server compares and stores it.
	StoredAs        string            `json:"stored_as,omitempty"`
	BrowserChecks   []signupCheckJSON `json:"browser_checks"`
	BrowserSkipped  bool              `json:"browser_checks_skipped"`
	ServerOnlyRules []string          `json:"server_only_rules"`
	Errors          []auth.FieldError `json:"errors,omitempty"`
	Account         *accountJSON      `json:"account,omitempty"`
	HashingMS       float64           `json:"hashing_ms,omitempty"`
}

// signupCheckJSON is one browser hint and whether the value met it.
type signupCheckJSON struct {
	Field     string `json:"field"`
	Attribute string `json:"attribute"`
	Rule      string `json:"rule"`
	Passed    bool   `json:"passed"`
}

func (s *Server) demoSignupForm() *demo {
	d := &demo{
		ID: "signup-form", Title: "Sign up, through the form", Lesson: "validation",
		Description: "The airline's sign-up form. Its fields tell your browser what to check before sending; the server checks everything again, and more.",
		Button:      "Sign up",
		Params: []param{
			{Name: "username", Label: "Username", Kind: "text", Default: signupDefaultUser,
				MinLen: auth.UsernameMin, MaxLen: auth.UsernameMax, Pattern: signupPattern, Required: true,
				Hint: fmt.Sprintf("%d–%d letters, digits, dots, dashes or underscores.", auth.UsernameMin, auth.UsernameMax)},
			{Name: "password", Label: "Password", Kind: "text", InputType: "password", Default: signupDefaultPassword,
				MinLen: auth.PasswordMin, MaxLen: auth.PasswordMax, Required: true,
				Hint: fmt.Sprintf("At least %d characters. It starts as password123, which your browser is happy with.", auth.PasswordMin)},
		},
	}
	pattern := regexp.MustCompile(`^(?:` + signupPattern + `)$`)
	d.Run = func(ctx context.Context, in demoInput) (demoOutput, error) {
		return s.runSignupForm(ctx, in, d.Params, pattern)
	}
	return d
}

func (s *Server) runSignupForm(ctx context.Context, in demoInput, params []param, pattern *regexp.Regexp) (demoOutput, error) {
	user, pw := in.Params["username"], in.Params["password"]
	data := signupFormData{Username: user}
	o := view.SignupFormOutput{Server: signupServerOnly}
	for _, p := range params {
		for _, c := range hintChecks(p, in.Params[p.Name], pattern) {
			o.Browser = append(o.Browser, c)
			data.BrowserChecks = append(data.BrowserChecks, signupCheckJSON{Field: c.Field, Attribute: c.Attribute, Rule: c.Rule, Passed: c.Passed})
			if !c.Passed {
				o.Skipped = true
			}
		}
	}
	data.BrowserSkipped = o.Skipped
	for _, r := range signupServerOnly {
		data.ServerOnlyRules = append(data.ServerOnlyRules, r.Rule)
	}
	if name, msg := auth.NormalizeUsername(user); msg == "" {
		data.StoredAs, o.StoredAs = name, name
	}

	out, err := s.auth.SignUp(ctx, s.openFor(in.Request, in.Visitor), user, pw)
	var fe *auth.FieldErrors
	var le *auth.LimitError
	switch {
	case err == nil:
		a := toAccountJSON(out.Account)
		data.Outcome, data.Account, data.HashingMS = "created", &a, roundMS(out.Hashing)
		o.Level, o.Title = "ok", "Signed up."
		o.Text = fmt.Sprintf("%s is account #%d, loyalty member #%d, with %s welcome miles. Hashing the password took %s.",
			a.Username, a.ID, a.MemberID, miles(auth.WelcomeMiles), formatDuration(out.Hashing))
	case errors.As(err, &fe):
		data.Outcome, data.Errors = "refused", fe.Fields
		o.Level, o.Title = "warn", "Refused by the server."
		o.Text = "Your browser let this through: every check it knows passed. The server's rules said no:"
		if o.Skipped {
			o.Text = "This request skipped your browser's checks (curl, a script, or the developer tools), so the server caught those too:"
		}
		for _, f := range fe.Fields {
			o.Errors = append(o.Errors, view.SignupFieldError{Label: fieldLabel(params, f.Field), Message: f.Message})
		}
	case errors.Is(err, auth.ErrTaken):
		data.Outcome = "taken"
		data.Errors = []auth.FieldError{{Field: "username", Message: "That username is taken: choose another."}}
		o.Level, o.Title = "warn", "Refused by the server."
		o.Text = "Only the database knows which names are in use. Names are compared after folding case and width, so " + user + " in capitals is the same name."
		o.Errors = []view.SignupFieldError{{Label: fieldLabel(params, "username"), Message: data.Errors[0].Message}}
	case errors.As(err, &le) && le.Busy:
		data.Outcome = "busy"
		o.Level, o.Title = "warn", "The server is busy."
		o.Text = "It is hashing other passwords right now; try again in a moment. Nothing was stored."
	default:
		return demoOutput{}, err
	}
	return demoOutput{Data: data, View: view.SignupForm(o)}, nil
}

// hintChecks are the checks a browser makes on a field from its hints,
// made again here on the value that arrived, to show which the browser
// would have stopped.
func hintChecks(p param, v string, pattern *regexp.Regexp) []view.SignupCheck {
	var cs []view.SignupCheck
	n := utf8.RuneCountInString(v)
	if p.Required {
		cs = append(cs, view.SignupCheck{Field: p.Label, Attribute: "required", Rule: "not empty", Passed: v != ""})
	}
	if p.MinLen > 0 || p.MaxLen > 0 {
		attr := fmt.Sprintf("minlength=%d maxlength=%d", p.MinLen, p.MaxLen)
		rule := fmt.Sprintf("%d to %d characters (this one: %d)", p.MinLen, p.MaxLen, n)
		if v == "" {
			// An empty field is left to required, as browsers do.
			rule = fmt.Sprintf("%d to %d characters (empty: left to required)", p.MinLen, p.MaxLen)
		}
		cs = append(cs, view.SignupCheck{Field: p.Label, Attribute: attr, Rule: rule, Passed: v == "" || n >= p.MinLen && n <= p.MaxLen})
	}
	if p.Pattern != "" {
		cs = append(cs, view.SignupCheck{Field: p.Label, Attribute: "pattern", Rule: "only letters, digits and . _ -",
			Passed: v == "" || pattern.MatchString(v)})
	}
	return cs
}

// fieldLabel is the label of the form field a refusal names.
func fieldLabel(params []param, name string) string {
	for _, p := range params {
		if p.Name == name {
			return p.Label
		}
	}
	return name
}

// The JSON twin's default body: an empty username and a short password,
// two mistakes a browser would have stopped.
const signupJSONDefault = `{"username": "", "password": "123"}`

// maxSignupBody caps the body the JSON twin sends.
const maxSignupBody = 4096

// signupJSONRun is the JSON twin demo's output: the exchange, and the
// answer's field errors.
type signupJSONRun struct {
	apiCallsRun
	Errors []fieldError `json:"errors,omitempty"`
}

func (s *Server) demoSignupJSON() *demo {
	return &demo{
		ID: "signup-json", Title: "Sign up, with no browser", Lesson: "validation",
		Description: "The same sign-up as JSON, sent as typed to POST /api/v1/accounts. No browser checks it on the way: only the server does.",
		Button:      "Send it",
		Wide:        true,
		Params: []param{
			{Name: "body", Label: "Request body (JSON)", Kind: "textarea", Default: signupJSONDefault, MaxLen: maxSignupBody,
				Hint: `Sent exactly as typed, with Content-Type: application/json. A valid body makes the account.`},
		},
		Run: s.runSignupJSON,
	}
}

func (s *Server) runSignupJSON(ctx context.Context, in demoInput) (demoOutput, error) {
	// A valid body writes to the visitor's database: make it under the
	// limits for new visitors first.
	if err := s.sandboxForNewVisitor(ctx, in); err != nil {
		return demoOutput{}, err
	}
	req := selfRequest{Method: http.MethodPost, Target: "/api/v1/accounts", Body: []byte(in.Params["body"]),
		Header: http.Header{"Accept": {echo.MIMEApplicationJSON}, echo.HeaderContentType: {echo.MIMEApplicationJSON}}}
	x, err := s.sendSelf(ctx, in.Request, "POST /api/v1/accounts", req)
	if err != nil {
		return demoOutput{}, err
	}
	xs := []*selfExchange{&x}
	run := signupJSONRun{apiCallsRun: apiCallsRun{Endpoint: "POST /api/v1/accounts", Calls: callsJSON(xs), Curl: curlCalls(s.baseURL(in.Request), xs)}}
	calls := s.apiCallsView(xs, []string{"The request, as sent"}, run.Curl, "demo-signup-json-request-curl")
	calls.Lead = answerLine(&x)
	o := view.SignupJSONOutput{Calls: calls}
	var p problem
	if calls.Problem != nil && json.Unmarshal(x.Body, &p) == nil {
		run.Errors = p.Errors
		for _, e := range p.Errors {
			o.Errors = append(o.Errors, view.SignupFieldError{Label: jsonFieldLabel(e.Field), Field: e.Field, Message: e.Message})
		}
	}
	switch {
	case x.Status == http.StatusCreated:
		o.Verdict = "Created: every rule passed."
	case len(p.Errors) == 1 && p.Errors[0].Field == "":
		o.Verdict = fmt.Sprintf("Refused with %d: the body as a whole is wrong, so no field was read.", x.Status)
	case len(o.Errors) == 1:
		o.Verdict = fmt.Sprintf("Refused with %d: 1 field is not right.", x.Status)
	case len(o.Errors) > 1:
		o.Verdict = fmt.Sprintf("Refused with %d: %d fields are not right, all named in one answer.", x.Status, len(o.Errors))
	}
	return demoOutput{Data: run, View: view.SignupJSON(o)}, nil
}

// jsonFieldLabel is how a form would label a field an answer names.
func jsonFieldLabel(field string) string {
	switch field {
	case "username":
		return "Username"
	case "password":
		return "Password"
	case "":
		return "The body"
	}
	return field
}

package web_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/engineroom/engineroom/web"
)

const validationPage = "/lessons/validation"

// texts is each element's text, whitespace collapsed.
func texts(s *goquery.Selection) []string {
	var out []string
	s.Each(func(_ int, e *goquery.Selection) { out = append(out, strings.Join(strings.Fields(e.Text()), " ")) })
	return out
}

// TestValidationHints checks the sign-up form asks the browser to check
// its fields, and that no other demo's form changed: they keep novalidate
// and carry no hint attributes.
func TestValidationHints(t *testing.T) {
	srv := newServer(t, web.Config{})
	doc := parseHTML(t, newClient(t, srv).get(validationPage, nil).text)
	form := doc.Find("#demo-signup-form form.demo-form")
	if form.Length() != 1 {
		t.Fatal("no sign-up form")
	}
	if _, ok := form.Attr("novalidate"); ok {
		t.Error("the sign-up form has novalidate: the browser would check nothing")
	}
	const pattern = `[\p{L}\p{N}._\-]+`
	tests := []struct {
		selector string
		want     map[string]string // attributes and their values
	}{
		{selector: `input[name=username]`, want: map[string]string{
			"type": "text", "minlength": "3", "maxlength": "32", "pattern": pattern, "required": "", "value": "frank", "autocomplete": "off"}},
		{selector: `input[name=password]`, want: map[string]string{
			"type": "password", "minlength": "8", "maxlength": "128", "required": "", "value": "password123", "autocomplete": "off"}},
	}
	for _, tt := range tests {
		t.Run(tt.selector, func(t *testing.T) {
			in := form.Find(tt.selector)
			if in.Length() != 1 {
				t.Fatalf("%d inputs match %s", in.Length(), tt.selector)
			}
			for name, want := range tt.want {
				if got, ok := in.Attr(name); !ok || got != want {
					t.Errorf("%s = %q (present %v), want %q", name, got, ok, want)
				}
			}
			if n := form.Find(tt.selector + `[required][minlength][maxlength]`).Length(); n != 1 {
				t.Errorf("selector with the hints matches %d inputs", n)
			}
		})
	}
	t.Run("the pattern means the same in Go", func(t *testing.T) {
		re := regexp.MustCompile(`^(?:` + form.Find("input[name=username]").AttrOr("pattern", "") + `)$`)
		for name, want := range map[string]bool{"frank": true, "f.r_a-n.k": true, "аlice": true, "fr ank": false, "frank!": false, "": false} {
			if got := re.MatchString(name); got != want {
				t.Errorf("%q matches = %v, want %v", name, got, want)
			}
		}
	})
	t.Run("other forms are unchanged", func(t *testing.T) {
		checked := 0
		for _, page := range []string{validationPage, "/lessons/rate-limiting", "/lessons/what-happens-when-you-click", "/lessons/status-codes-and-errors"} {
			doc := parseHTML(t, newClient(t, srv).get(page, nil).text)
			doc.Find("form.demo-form").Each(func(_ int, f *goquery.Selection) {
				id := f.Closest("section.demo").AttrOr("id", "")
				if id == "demo-signup-form" {
					return
				}
				if _, ok := f.Attr("novalidate"); !ok {
					t.Errorf("%s %s: novalidate is gone", page, id)
				}
				if n := f.Find("[minlength], [pattern], input[type=password], input[type=text][required], textarea[required]").Length(); n != 0 {
					t.Errorf("%s %s: %d fields carry browser hints", page, id, n)
				}
				checked++
			})
		}
		if checked < 4 {
			t.Errorf("%d other forms checked, want at least 4", checked)
		}
	})
}

// TestValidationSignupForm posts the sign-up form as a browser would, and
// as a script that skipped the browser's checks, on one visitor's sandbox.
func TestValidationSignupForm(t *testing.T) {
	srv := newServer(t, web.Config{})
	sqlReady(t, srv)
	c := newClient(t, srv)
	tests := []struct {
		name        string
		set         map[string]string
		wantVerdict string   // the notice's class and a phrase of it
		wantErrors  []string // the server's field messages, as listed
		wantFailed  []string // the browser checks the value fails
		wantSkipped bool
		wantStored  string
		wantSpan    string // a span of the back end pane
	}{
		{name: "the default: the browser passes, the server refuses", wantVerdict: "notice-warn Refused by the server. Your browser let this through",
			wantErrors: []string{"Password That is one of the most common passwords: it is the first a guesser tries."},
			wantStored: "frank", wantSpan: "sign up"},
		{name: "a good password", set: map[string]string{"password": "correct horse battery"}, wantVerdict: "notice-ok Signed up. frank is account #",
			wantStored: "frank", wantSpan: "hash the password (argon2id)"},
		{name: "taken", set: map[string]string{"password": "correct horse battery"}, wantVerdict: "notice-warn Refused by the server. Only the database knows",
			wantErrors: []string{"Username That username is taken: choose another."}, wantStored: "frank"},
		{name: "taken in capitals", set: map[string]string{"username": "FRANK", "password": "correct horse battery"},
			wantVerdict: "notice-warn Refused by the server.", wantErrors: []string{"Username That username is taken: choose another."}, wantStored: "frank"},
		{name: "look-alike letters", set: map[string]string{"username": "frаnk", "password": "correct horse battery"},
			wantVerdict: "notice-warn Your browser let this through",
			wantErrors:  []string{"Username Use letters from one alphabet: mixing them makes look-alike names."}},
		{name: "password holds the username", set: map[string]string{"username": "grace", "password": "grace-in-the-sky"},
			wantVerdict: "notice-warn Your browser let this through", wantErrors: []string{"Password The password must not contain the username."}, wantStored: "grace"},
		{name: "short fields, sent past the browser", set: map[string]string{"username": "ab", "password": "123"},
			wantVerdict: "notice-warn This request skipped your browser's checks",
			wantErrors:  []string{"Username At least 3 characters.", "Password At least 8 characters: length beats symbols."},
			wantFailed:  []string{"Username: 3 to 32 characters (this one: 2)", "Password: 8 to 128 characters (this one: 3)"}, wantSkipped: true},
		{name: "empty and spaced, sent past the browser", set: map[string]string{"username": "a b", "password": ""},
			wantVerdict: "notice-warn This request skipped",
			wantErrors:  []string{"Username Use letters, digits and . _ - only, with no spaces or symbols.", "Password Choose a password."},
			wantFailed:  []string{"Username: only letters, digits and . _ -", "Password: not empty"}, wantSkipped: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, doc := panelAs(t, c, validationPage, "signup-form", tt.set)
			if r.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %.1000s", r.StatusCode, r.text)
			}
			out := doc.Find(".pane-front .output")
			verdict := out.Find(".signup-verdict")
			got := strings.Join(strings.Fields(verdict.AttrOr("class", "")+" "+verdict.Text()), " ")
			level, phrase, _ := strings.Cut(tt.wantVerdict, " ")
			if !verdict.HasClass(level) || !strings.Contains(got, phrase) {
				t.Errorf("verdict = %q, want class %s and %q", got, level, phrase)
			}
			if got := texts(out.Find(".signup-verdict .signup-errors li")); !slices.Equal(got, tt.wantErrors) {
				t.Errorf("field messages = %q, want %q", got, tt.wantErrors)
			}
			if n := out.Find("table.signup-browser tbody tr").Length(); n != 5 {
				t.Errorf("%d browser checks listed, want 5", n)
			}
			var failed []string
			out.Find("table.signup-browser tbody tr.is-failed td:first-child").Each(func(_ int, s *goquery.Selection) {
				failed = append(failed, strings.TrimSpace(strings.TrimSuffix(strings.Join(strings.Fields(s.Text()), " "), s.Find("code").Text())))
			})
			if !slices.Equal(failed, tt.wantFailed) {
				t.Errorf("failed checks = %q, want %q", failed, tt.wantFailed)
			}
			if got := out.Find(".signup-skipped").Length() == 1; got != tt.wantSkipped {
				t.Errorf("skipped notice shown = %v, want %v", got, tt.wantSkipped)
			}
			if got := out.Find(".signup-stored code").Text(); got != tt.wantStored {
				t.Errorf("stored as %q, want %q", got, tt.wantStored)
			}
			if n := out.Find("ul.signup-server li").Length(); n != 5 {
				t.Errorf("%d server-only rules, want 5", n)
			}
			if tt.wantSpan != "" && !slices.Contains(texts(doc.Find(".pane-back .span-name")), tt.wantSpan) {
				t.Errorf("no %q span in %q", tt.wantSpan, texts(doc.Find(".pane-back .span-name")))
			}
		})
	}
}

// TestValidationSignupJSON sends bodies no browser would to the JSON twin
// of the form: each is refused with its fields named, never with a 5xx.
func TestValidationSignupJSON(t *testing.T) {
	srv := newServer(t, web.Config{})
	sqlReady(t, srv)
	c := newClient(t, srv)
	tests := []struct {
		name       string
		body       string
		wantStatus string   // of the request the demo sent
		wantErrors []string // the panel's field list: label, field, message
	}{
		{name: "the default", body: `{"username": "", "password": "123"}`, wantStatus: "422 Unprocessable Entity",
			wantErrors: []string{"Username username Choose a username.", "Password password At least 8 characters: length beats symbols."}},
		{name: "empty fields", body: `{"username": "", "password": ""}`, wantStatus: "422 Unprocessable Entity",
			wantErrors: []string{"Username username Choose a username.", "Password password Choose a password."}},
		{name: "short password", body: `{"username": "frank", "password": "short"}`, wantStatus: "422 Unprocessable Entity",
			wantErrors: []string{"Password password At least 8 characters: length beats symbols."}},
		{name: "common password", body: `{"username": "frank", "password": "Password123"}`, wantStatus: "422 Unprocessable Entity",
			wantErrors: []string{"Password password That is one of the most common passwords: it is the first a guesser tries."}},
		{name: "look-alike username", body: `{"username": "аlice", "password": "correct horse battery"}`, wantStatus: "422 Unprocessable Entity",
			wantErrors: []string{"Username username Use letters from one alphabet: mixing them makes look-alike names."}},
		{name: "wrong types", body: `{"username": 42, "password": true}`, wantStatus: "422 Unprocessable Entity",
			wantErrors: []string{"Username username must be a string, not the number 42", "Password password must be a string, not true"}},
		{name: "unknown field", body: `{"username": "frank", "password": "correct horse battery", "admin": true}`, wantStatus: "422 Unprocessable Entity",
			wantErrors: []string{"admin is not a field of this object (it takes username, password)"}},
		{name: "missing field", body: `{"username": "frank"}`, wantStatus: "422 Unprocessable Entity",
			wantErrors: []string{"Password password is required"}},
		{name: "malformed JSON", body: `{"username": "frank", "password": "correct horse`, wantStatus: "400 Bad Request",
			wantErrors: []string{"The body the JSON ends too soon"}},
		{name: "not an object", body: `["frank", "correct horse battery"]`, wantStatus: "422 Unprocessable Entity",
			wantErrors: []string{"The body must be a JSON object, not an array"}},
		{name: "empty body", body: ``, wantStatus: "400 Bad Request",
			wantErrors: []string{"The body the body is empty; send a JSON object"}},
		{name: "valid", body: `{"username": "frank", "password": "correct horse battery"}`, wantStatus: "201 Created"},
		{name: "valid again: taken", body: `{"username": "Frank", "password": "correct horse battery"}`, wantStatus: "409 Conflict",
			wantErrors: []string{"Username username is taken"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, doc := panelAs(t, c, validationPage, "signup-json", map[string]string{"body": tt.body})
			if r.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %.1000s", r.StatusCode, r.text)
			}
			out := doc.Find(".pane-front .output")
			if got := out.Find(".api-call .visit-status").Text(); got != tt.wantStatus {
				t.Errorf("the request's status = %q, want %q", got, tt.wantStatus)
			}
			if got := out.Find(".api-request-body").Text(); got != tt.body {
				t.Errorf("request body shown = %q, want it as typed: %q", got, tt.body)
			}
			if got := texts(out.Find(".signup-json-verdict .signup-errors li")); !slices.Equal(got, tt.wantErrors) {
				t.Errorf("field list = %q, want %q", got, tt.wantErrors)
			}
			// The raw problem document lists the same messages.
			problem := texts(out.Find(".api-problem-errors li"))
			if len(problem) != len(tt.wantErrors) {
				t.Errorf("the problem document lists %q, want %d errors", problem, len(tt.wantErrors))
			}
			for i, p := range problem {
				if i < len(tt.wantErrors) && !strings.HasSuffix(tt.wantErrors[i], strings.TrimPrefix(p, "(the body) ")) {
					t.Errorf("problem error %d = %q, the panel lists %q", i, p, tt.wantErrors[i])
				}
			}
			verdict := out.Find(".signup-json-verdict")
			switch {
			case tt.wantStatus == "201 Created" && !verdict.HasClass("notice-ok"):
				t.Errorf("verdict %q is not ok", verdict.Text())
			case tt.wantStatus != "201 Created" && !verdict.HasClass("notice-warn"):
				t.Errorf("verdict %q is not a warning", verdict.Text())
			}
		})
	}
	t.Run("the JSON twin", func(t *testing.T) {
		r, got := demoAPIRun(t, srv, "signup-json", map[string]any{"body": `{"username": 1}`})
		if r.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %s", r.StatusCode, r.text)
		}
		var out struct {
			Calls []struct {
				Status int `json:"status"`
			} `json:"calls"`
			Errors []struct{ Field, Message string } `json:"errors"`
		}
		if err := json.Unmarshal(got.Output, &out); err != nil {
			t.Fatal(err)
		}
		want := []struct{ Field, Message string }{{"username", "must be a string, not the number 1"}, {"password", "is required"}}
		if len(out.Calls) != 1 || out.Calls[0].Status != http.StatusUnprocessableEntity || !slices.Equal(out.Errors, want) {
			t.Errorf("output = %+v, want one 422 with errors %v", out, want)
		}
	})
}

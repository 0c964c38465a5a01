package web

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/engineroom/engineroom/playground/auth"
)

// FuzzDecodeCredentials: whatever body a sign-up or login sends, decoding
// it either yields two valid strings within the cap or refuses it with a
// 400 or a 422 naming the fields — never a panic, never another status.
func FuzzDecodeCredentials(f *testing.F) {
	for _, s := range []string{
		`{"username": "alice", "password": "alice-demo"}`,
		`{"username": "", "password": ""}`,
		`{"username": 5, "password": null}`,
		`{"username": "a", "password": "b", "role": "admin"}`,
		`{"username": "\u202egrace", "password": "x\u0000y"}`,
		`{"username": "a", "username": "b", "password": "c"}`,
		`[]`, `{`, ``, `"alice"`, `{"username": "\ud800", "password": "x"}`,
	} {
		f.Add([]byte(s))
	}
	e := echo.New()
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/sessions", bytes.NewReader(body))
		req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
		c := e.NewContext(req, httptest.NewRecorder())
		cr, err := readCredentials(c)
		if err != nil {
			var p *problem
			if !errors.As(err, &p) || (p.Status != http.StatusBadRequest && p.Status != http.StatusUnprocessableEntity) {
				t.Fatalf("%q: refused with %v, want a 400 or 422 problem", body, err)
			}
			return
		}
		for _, s := range []string{cr.Username, cr.Password} {
			if !utf8.ValidString(s) || len(s) > maxCredentialBytes {
				t.Fatalf("%q: accepted %q", body, s)
			}
		}
		// The account rules take whatever passed decoding.
		name, _ := auth.NormalizeUsername(cr.Username)
		auth.NormalizePassword(cr.Password, name)
	})
}

// FuzzSignUpForm: the sign-up panel's form, as a browser or a script
// posts it, is validated without a panic, and what passes is within the
// fields' limits before the account rules see it.
func FuzzSignUpForm(f *testing.F) {
	for _, s := range []string{
		"username=grace&password=correct+horse+battery+staple&bcrypt=on",
		"username=&password=",
		"username=%E2%80%AEgrace&password=%00",
		"username=a&username=b",
		"password=" + string(bytes.Repeat([]byte("p"), 300)),
		"bcrypt=maybe", "role=admin", "%zz",
	} {
		f.Add(s)
	}
	d := (&Server{}).demoPasswordHashing()
	f.Fuzz(func(t *testing.T, body string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		raw := map[string]string{}
		for k, vs := range form {
			raw[k] = vs[0]
		}
		clean, err := d.validate(raw)
		if err != nil {
			var pe *paramError
			if !errors.As(err, &pe) {
				t.Fatalf("%q: refused with %T %v, want a *paramError", body, err, err)
			}
			return
		}
		if utf8.RuneCountInString(clean["username"]) > 64 || utf8.RuneCountInString(clean["password"]) > 200 {
			t.Fatalf("%q: passed with %q", body, clean)
		}
		name, _ := auth.NormalizeUsername(clean["username"])
		auth.NormalizePassword(clean["password"], name)
	})
}

package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/engineroom/engineroom/playground/auth"
	"github.com/engineroom/engineroom/playground/sandbox"
	"github.com/engineroom/engineroom/web/view"
)

// demoPasswordHashing signs an account up and shows its password's hash
// as stored, next to bcrypt and the seeded accounts' plain SHA-256.
func (s *Server) demoPasswordHashing() *demo {
	return &demo{
		ID: "password-hashing", Title: "Sign up", Lesson: "passwords-and-hashing",
		Description: "Make an airline account. The server never stores your password: only a slow, salted hash of it.",
		Button:      "Sign up",
		Params: []param{
			{Name: "username", Label: "Username", Kind: "text", Default: "grace", MaxLen: 64},
			{Name: "password", Label: "Password", Kind: "text", Default: "correct horse battery staple", MaxLen: 200},
			{Name: "bcrypt", Label: "Also hash it with bcrypt, to compare", Kind: "checkbox", Default: "on"},
		},
		Run: func(ctx context.Context, in demoInput) (demoOutput, error) {
			out, err := s.auth.SignUp(ctx, s.openSandbox(in), in.Params["username"], in.Params["password"])
			o := view.PasswordHashingOutput{}
			if refused(err, &o.Refused, &o.Busy) {
				return demoOutput{Data: o, View: view.PasswordHashing(o)}, nil
			}
			if errors.Is(err, auth.ErrTaken) {
				o.Taken = "Usernames are compared after folding case and width, so Grace, GRACE and ｇｒａｃｅ are one name. Choose another, or reset your database."
				return demoOutput{Data: o, View: view.PasswordHashing(o)}, nil
			}
			if err != nil {
				return demoOutput{}, err
			}
			a := out.Account
			o.Username, o.UserID, o.MemberID, o.Miles = a.Username, strconv.FormatInt(a.ID, 10), strconv.FormatInt(a.MemberID, 10), hookThousands(auth.WelcomeMiles)
			o.Argon2 = argon2View(a.Hash, out.Hashing)
			pw, _ := auth.NormalizePassword(in.Params["password"], a.Username)
			if in.Params["bcrypt"] == "on" {
				b := s.bcryptView(ctx, pw)
				o.Bcrypt = &b
			}
			start := time.Now()
			sum := sha256.Sum256([]byte(pw))
			took := time.Since(start)
			o.SHA256 = view.StoredHash{Scheme: "unsalted, fast", Value: hex.EncodeToString(sum[:]), Took: formatDuration(took), Parts: []view.HashPart{
				{Label: "salt", Value: "none", Note: "the same password gives the same hash, for every user and every site"},
			}}
			o.SeededAs, o.SeededSHA = "alice", sandbox.DemoPasswordHash("alice")
			return demoOutput{Data: o, View: view.PasswordHashing(o)}, nil
		},
	}
}

// argon2View takes a stored argon2id hash apart for showing.
func argon2View(stored string, took time.Duration) view.StoredHash {
	h := view.StoredHash{Scheme: "argon2id", Value: stored, Took: formatDuration(took) + " (waiting for a turn included)"}
	ph, err := auth.ParseHash(stored)
	if err != nil {
		return h
	}
	h.Parts = []view.HashPart{
		{Label: "algorithm", Value: ph.Algorithm, Note: "the winner of the Password Hashing Competition (2015)"},
		{Label: "v", Value: strconv.Itoa(ph.Version), Note: "version 1.3 of argon2"},
		{Label: "m", Value: fmt.Sprintf("%d KiB", ph.MemoryKiB), Note: "memory each guess must fill: what makes a rig of thousands of cores run out first"},
		{Label: "t", Value: strconv.Itoa(int(ph.Iterations)), Note: "passes over that memory"},
		{Label: "p", Value: strconv.Itoa(int(ph.Parallelism)), Note: "threads"},
		{Label: "salt", Value: ph.Salt, Note: "16 random bytes, new for every hash: the same password never hashes the same twice"},
		{Label: "hash", Value: ph.Key, Note: "32 bytes; to check a login, the server hashes what was typed with this salt and compares"},
	}
	return h
}

// bcryptView hashes pw with bcrypt and takes the hash apart.
func (s *Server) bcryptView(ctx context.Context, pw string) view.StoredHash {
	h := view.StoredHash{Scheme: fmt.Sprintf("bcrypt, cost %d", auth.BcryptCost)}
	if len(pw) > 72 {
		h.Note = fmt.Sprintf("bcrypt refuses this password: it reads at most 72 bytes, and yours is %d. argon2id takes any length.", len(pw))
		return h
	}
	start := time.Now()
	b, err := s.auth.Hasher().Bcrypt(ctx, pw)
	if err != nil {
		h.Note = "bcrypt did not run: " + err.Error()
		return h
	}
	h.Value, h.Took = b, formatDuration(time.Since(start))
	// $2a$10$ + 22 characters of salt + 31 of hash.
	if parts := strings.Split(b, "$"); len(parts) == 4 && len(parts[3]) == 53 {
		h.Parts = []view.HashPart{
			{Label: "algorithm", Value: parts[1], Note: "bcrypt (1999), still sound"},
			{Label: "cost", Value: parts[2], Note: "2^10 rounds: one step up doubles the time"},
			{Label: "salt", Value: parts[3][:22], Note: "16 random bytes"},
			{Label: "hash", Value: parts[3][22:], Note: "23 bytes; bcrypt needs little memory, which graphics cards like"},
		}
	}
	return h
}

// refused reports whether err is a refusal the panel shows: bad fields
// (into fields) or a busy hasher (into busy).
func refused(err error, fields *[]view.FieldProblem, busy *string) bool {
	var fe *auth.FieldErrors
	var le *auth.LimitError
	switch {
	case errors.As(err, &fe):
		for _, f := range fe.Fields {
			*fields = append(*fields, view.FieldProblem{Field: f.Field, Message: f.Message})
		}
		return true
	case errors.As(err, &le) && le.Busy:
		*busy = "The server is hashing other passwords; try again in a moment."
		return true
	}
	return false
}

// sessionActions are what the session panel does.
const (
	sessionLogIn  = "log in"
	sessionWhoAmI = "who am I (send the cookie)"
	sessionLogOut = "log out"
)

// demoSession logs in to the airline app with a real session cookie, and
// shows what the browser holds and what the server stores.
func (s *Server) demoSession() *demo {
	return &demo{
		ID: "session-login", Title: "Log in, look, log out", Lesson: "sessions-and-cookies",
		Description: "The airline app's login. Log in, ask who you are, then log out: each answer shows the cookie your browser holds and the row the server keeps.",
		Button:      "Send",
		Wide:        true,
		Params: []param{
			{Name: "username", Label: "Username", Kind: "text", Default: "alice", MaxLen: 64},
			{Name: "password", Label: "Password", Kind: "text", Default: "alice-demo", MaxLen: 200},
			{Name: "action", Label: "Do", Kind: "select", Options: []string{sessionLogIn, sessionWhoAmI, sessionLogOut}, Default: sessionLogIn},
		},
		Run: func(ctx context.Context, in demoInput) (demoOutput, error) {
			o, err := s.runSession(ctx, in)
			if err != nil {
				return demoOutput{}, err
			}
			return demoOutput{Data: o, View: view.Session(o)}, nil
		},
	}
}

func (s *Server) runSession(ctx context.Context, in demoInput) (view.SessionOutput, error) {
	c := in.Request
	o := view.SessionOutput{Action: in.Params["action"]}
	sent := sessionToken(c)
	if sent != "" {
		o.SentCookie = sessionCookieName(c) + "=" + shortToken(sent)
	}
	var acct auth.Account
	if o.Action == sessionLogIn {
		li, err := s.auth.LogIn(ctx, s.openSandbox(in), in.Visitor, in.Params["username"], in.Params["password"])
		var le *auth.LimitError
		switch {
		case refused(err, &o.Refused, &o.Limited):
			return o, nil
		case errors.As(err, &le):
			o.Limited = capitalize(le.Reason) + "."
			return o, nil
		case errors.Is(err, auth.ErrBadCredentials):
			o.Failure = "Wrong username or password. (The answer never says which: that would tell a guesser which usernames exist.)"
			if li.LockedFor > 0 {
				o.Failure += " That was the account's " + strconv.Itoa(li.Failures) + "th wrong password in a row: it is locked for " + li.LockedFor.String() + "."
			}
			return o, nil
		case err != nil:
			return o, err
		}
		acct = li.Account
	}
	set, err := s.withSession(ctx, c, in.Visitor, func(ctx context.Context, sc sessionCall) error {
		switch o.Action {
		case sessionLogIn:
			if err := sc.Session.LogIn(acct); err != nil {
				return err
			}
			o.Renewed = sent != ""
		case sessionLogOut:
			if _, ok := sc.Session.User(); ok {
				if err := sc.Session.LogOut(); err != nil {
					return err
				}
			}
		}
		if _, err := sc.Session.Save(); err != nil {
			return err
		}
		if u, ok := sc.Session.User(); ok {
			o.Username, o.Since = u.Username, u.Since.Format("15:04:05 UTC")
		}
		if o.Action == sessionLogOut {
			// Would a copy of the old cookie still open anything?
			res, err := sc.DB.Query(ctx, "SELECT count(*) FROM sessions WHERE token = ?", auth.TokenKey(sent))
			if err != nil {
				return err
			}
			o.OldTokenOpens = sent != "" && sandbox.AsInt(res.Values[0][0]) > 0
			return nil
		}
		row, err := sc.Session.Row()
		if err == nil && row.Key != "" {
			o.Row = &view.SessionRowView{Token: row.Key, Data: row.Data, Expiry: row.Expiry}
		}
		return err
	})
	if err != nil {
		return o, err
	}
	if set != nil {
		o.Cookie = cookieView(set)
	}
	return o, nil
}

// shortToken shows the start of a token: enough to tell two apart, not
// enough to use. A page that carried the whole token would hand it to any
// script on the page, which is what HttpOnly prevents.
func shortToken(t string) string {
	if len(t) <= 8 {
		return t
	}
	return t[:6] + "…"
}

// cookieView explains each attribute of the cookie the answer sets.
func cookieView(ck *http.Cookie) *view.SessionCookie {
	short := shortToken(ck.Value)
	v := &view.SessionCookie{Name: ck.Name, Value: short, SetCookie: ck.String(), Deleted: ck.MaxAge < 0}
	if ck.Value != "" {
		v.SetCookie = strings.Replace(v.SetCookie, "="+ck.Value, "="+short, 1)
	}
	secure := view.HashPart{Label: "Secure", Value: "yes", Note: "sent over HTTPS only"}
	if !ck.Secure {
		secure = view.HashPart{Label: "Secure", Value: "no", Note: "this page came over plain HTTP, so the cookie could not be Secure, nor carry the __Host- prefix; over HTTPS it is __Host-airline_session"}
	}
	v.Attrs = []view.HashPart{
		{Label: "value", Value: short, Note: "32 random bytes: an opaque id that means nothing without the server's table"},
		{Label: "HttpOnly", Value: "yes", Note: "no script on the page can read it, so an XSS bug cannot steal it"},
		secure,
		{Label: "SameSite", Value: "Lax", Note: "not sent with another site's form posts or background requests: the first defence against CSRF"},
		{Label: "Path", Value: ck.Path, Note: "sent with every request to this site"},
	}
	if !v.Deleted {
		v.Attrs = append(v.Attrs, view.HashPart{Label: "Expires", Value: ck.Expires.UTC().Format(time.RFC1123), Note: "the browser forgets it then; the server's row expires sooner when idle"})
	} else {
		v.Attrs = append(v.Attrs, view.HashPart{Label: "Max-Age", Value: "0", Note: "delete it now"})
	}
	return v
}

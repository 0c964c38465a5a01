package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/engineroom/engineroom/playground/auth"
)

// credentials are the body of a sign-up or a login.
type credentials struct{ Username, Password string }

// maxCredentialBytes caps a username or password field of a body before
// any rule runs: the rules speak of characters, this of memory.
const maxCredentialBytes = 1024

// decodeCredentials reads {"username": "…", "password": "…"} from a
// decoded JSON body, naming every field at fault. It checks shapes only;
// the account rules are the engine's.
func decodeCredentials(body any) (credentials, error) {
	var in bodyFields
	obj := in.object(body, "", "username", "password")
	var cr credentials
	if obj != nil {
		cr.Username = in.text(obj, "", "username", maxCredentialBytes)
		cr.Password = in.text(obj, "", "password", maxCredentialBytes)
	}
	return cr, in.problem()
}

// text reads the required string name of obj, at most maxBytes long.
func (b *bodyFields) text(obj map[string]any, at, name string, maxBytes int) string {
	field := joinField(at, name)
	v, ok := obj[name]
	if !ok {
		b.add(field, "is required")
		return ""
	}
	s, ok := v.(string)
	switch {
	case !ok:
		b.add(field, "must be a string, not %s", jsonKind(v))
	case len(s) > maxBytes:
		b.add(field, "must be at most %d bytes, not %d", maxBytes, len(s))
	case !utf8.ValidString(s):
		b.add(field, "must be valid UTF-8")
	default:
		return s
	}
	return ""
}

// readCredentials decodes the request's credentials body.
func readCredentials(c echo.Context) (credentials, error) {
	body, err := readJSONObject(c)
	if err != nil {
		return credentials{}, err
	}
	return decodeCredentials(body)
}

// accountJSON is an account as the API shows it: never the hash.
type accountJSON struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
	Role     string `json:"role"`
	MemberID int64  `json:"member_id,omitempty"`
}

func toAccountJSON(a auth.Account) accountJSON {
	return accountJSON{ID: a.ID, Username: a.Username, Role: a.Role, MemberID: a.MemberID}
}

// createAccount is POST /api/v1/accounts {"username", "password"}: a new
// airline account with its loyalty member. 201, with the member's address
// in Location.
func (s *Server) createAccount(c echo.Context) error {
	ctx, span := s.apiHandler(c, "create account")
	defer span.End()
	cr, err := readCredentials(c)
	if err != nil {
		return apiFailure(span, err)
	}
	out, err := s.auth.SignUp(ctx, s.openFor(c, visitorID(c)), cr.Username, cr.Password)
	if err != nil {
		return apiFailure(span, authProblem(err))
	}
	return s.sendCreated(ctx, c, "/api/v1/members/"+strconv.FormatInt(out.Account.MemberID, 10), struct {
		Account   accountJSON `json:"account"`
		HashingMS float64     `json:"hashing_ms"`
	}{toAccountJSON(out.Account), roundMS(out.Hashing)})
}

// sessionJSON is the airline app's session as the API shows it: who is
// logged in, and the row the server keeps.
type sessionJSON struct {
	User struct {
		ID         int64     `json:"id"`
		Username   string    `json:"username"`
		MemberID   int64     `json:"member_id,omitempty"`
		LoggedInAt time.Time `json:"logged_in_at"`
	} `json:"user"`
	Row auth.SessionRow `json:"row"`
}

func toSessionJSON(u auth.SessionUser, row auth.SessionRow) sessionJSON {
	var out sessionJSON
	out.User.ID, out.User.Username, out.User.MemberID, out.User.LoggedInAt = u.UserID, u.Username, u.MemberID, u.Since
	out.Row = row
	return out
}

// createSession is POST /api/v1/sessions {"username", "password"}: a
// login. 201 with the session and its cookie; the session id is new
// whatever cookie came in.
func (s *Server) createSession(c echo.Context) error {
	ctx, span := s.apiHandler(c, "log in")
	defer span.End()
	cr, err := readCredentials(c)
	if err != nil {
		return apiFailure(span, err)
	}
	visitor := visitorID(c)
	in, err := s.auth.LogIn(ctx, s.openFor(c, visitor), visitor, cr.Username, cr.Password)
	if err != nil {
		return apiFailure(span, authProblem(err))
	}
	var out sessionJSON
	if _, err := s.withSession(ctx, c, visitor, func(ctx context.Context, sc sessionCall) error {
		if err := sc.Session.LogIn(in.Account); err != nil {
			return err
		}
		_, err := sc.Session.Save()
		if err != nil {
			return err
		}
		u, _ := sc.Session.User()
		row, err := sc.Session.Row()
		out = toSessionJSON(u, row)
		return err
	}); err != nil {
		return apiFailure(span, err)
	}
	return s.sendCreated(ctx, c, "/api/v1/sessions/current", out)
}

// showSession is GET /api/v1/sessions/current: who the session cookie
// says is logged in. 401 without one.
func (s *Server) showSession(c echo.Context) error {
	ctx, span := s.apiHandler(c, "show session")
	defer span.End()
	var out sessionJSON
	var found bool
	if _, err := s.withSession(ctx, c, visitorID(c), func(ctx context.Context, sc sessionCall) error {
		u, ok := sc.Session.User()
		if !ok {
			return nil
		}
		row, err := sc.Session.Row()
		out, found = toSessionJSON(u, row), true
		return err
	}); err != nil {
		return apiFailure(span, err)
	}
	if !found {
		return apiFailure(span, notLoggedIn())
	}
	return s.sendJSON(ctx, c, http.StatusOK, out)
}

// deleteSession is DELETE /api/v1/sessions/current: a logout. The row
// goes, so the token opens nothing even if it was copied; the cookie is
// told to expire. 204, logged in or not.
func (s *Server) deleteSession(c echo.Context) error {
	ctx, span := s.apiHandler(c, "log out")
	defer span.End()
	if err := s.logOut(ctx, c); err != nil {
		return apiFailure(span, err)
	}
	return c.NoContent(http.StatusNoContent)
}

func notLoggedIn() *problem {
	return newProblem(problemNotLoggedIn, http.StatusUnauthorized,
		"No airline session came with this request: POST /api/v1/sessions logs in, and its cookie must come back.")
}

// authProblem turns the accounts engine's refusals into API answers.
func authProblem(err error) error {
	var fe *auth.FieldErrors
	var le *auth.LimitError
	switch {
	case errors.As(err, &fe):
		errs := make([]fieldError, len(fe.Fields))
		for i, f := range fe.Fields {
			errs[i] = fieldError{Field: f.Field, Message: f.Message}
		}
		var in bodyFields
		in.errs = errs
		return in.problem()
	case errors.Is(err, auth.ErrTaken):
		p := newProblem(problemUsernameTaken, http.StatusConflict, "That username is taken: choose another.", fieldError{"username", "is taken"})
		p.replay = true
		return p
	case errors.Is(err, auth.ErrBadCredentials):
		return newProblem(problemBadCredentials, http.StatusUnauthorized, "Wrong username or password.")
	case errors.As(err, &le) && le.Busy:
		p := statusProblem(http.StatusServiceUnavailable, "The server is busy checking other passwords: "+le.Reason+".")
		p.retryAfter = le.RetryAfter
		return p
	case errors.As(err, &le):
		p := newProblem(problemTooManyLogins, http.StatusTooManyRequests, capitalize(le.Reason)+".")
		p.retryAfter = le.RetryAfter
		return p
	}
	return err
}

// capitalize upper-cases the first letter of a sentence.
func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

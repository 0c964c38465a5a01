package web

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/engineroom/engineroom/playground/auth"
	"github.com/engineroom/engineroom/playground/sandbox"
)

// The demo apps' session cookies: the airline app's, which says who is
// logged in, and the shop's, which keeps an anonymous shopper's cart. Over
// HTTPS each carries the __Host- prefix, which browsers accept only on a
// cookie that is Secure, has Path=/ and no Domain: no other site or
// subdomain can plant or overwrite it. Over plain HTTP (a laptop at
// localhost) that cannot be promised, so the cookie goes without it.
const (
	sessionCookie       = "airline_session"
	sessionCookieSecure = "__Host-" + sessionCookie
	shopCookie          = "shop_session"
	shopCookieSecure    = "__Host-" + shopCookie
)

// cookieNameFor is the name of the session cookie called base for c's
// scheme.
func cookieNameFor(c echo.Context, base string) string {
	if c.Scheme() == "https" {
		return "__Host-" + base
	}
	return base
}

// sessionCookieName is the airline session cookie's name for c's scheme.
func sessionCookieName(c echo.Context) string { return cookieNameFor(c, sessionCookie) }

// sessionToken returns the airline session token the browser sent, if any.
func sessionToken(c echo.Context) string { return cookieToken(c, sessionCookie) }

// cookieToken returns the token of the session cookie called base that
// the browser sent, if any.
func cookieToken(c echo.Context, base string) string {
	if ck, err := c.Cookie(cookieNameFor(c, base)); err == nil {
		return ck.Value
	}
	return ""
}

// sessionCall is one request's work with the airline app's session.
type sessionCall struct {
	DB      *sandbox.DB
	Session *auth.Session
}

// opener opens the sandbox the call already holds, for an engine that
// takes a sandbox.Opener: opening it again would be refused as busy.
func (sc sessionCall) opener() sandbox.Opener {
	return func(ctx context.Context, fn func(ctx context.Context, db *sandbox.DB) error) error {
		return fn(ctx, sc.DB)
	}
}

// withSession opens the visitor's sandbox, loads the airline app's
// session from the browser's cookie, runs fn, saves the session and
// tells the browser: a new cookie after login, an expired one after
// logout. It returns the cookie it set, if any, for showing.
func (s *Server) withSession(ctx context.Context, c echo.Context, visitor string, fn func(ctx context.Context, sc sessionCall) error) (*http.Cookie, error) {
	return s.withCookieSession(ctx, c, sessionCookie, visitor, fn)
}

// withCookieSession is withSession for the session in the cookie called
// base.
func (s *Server) withCookieSession(ctx context.Context, c echo.Context, base, visitor string, fn func(ctx context.Context, sc sessionCall) error) (*http.Cookie, error) {
	var set *http.Cookie
	err := s.sql.With(s.sqlContext(ctx, c), visitor, func(ctx context.Context, db *sandbox.DB) error {
		sess, err := s.auth.LoadSession(ctx, db, cookieToken(c, base))
		if err != nil {
			return err
		}
		if err := fn(ctx, sessionCall{DB: db, Session: sess}); err != nil {
			return err
		}
		saved, err := sess.Save()
		if err != nil {
			return err
		}
		switch {
		case saved.Set:
			set = sessionCookieFor(c, base, saved.Token, saved.Expiry)
		case saved.Clear:
			set = sessionCookieFor(c, base, "", time.Time{})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if set != nil {
		c.SetCookie(set)
	}
	return set, nil
}

// sessionCookieFor is the session cookie called base carrying token
// until expiry, or, with no token, the cookie that deletes it.
func sessionCookieFor(c echo.Context, base, token string, expiry time.Time) *http.Cookie {
	ck := &http.Cookie{
		Name:     cookieNameFor(c, base),
		Value:    token,
		Path:     "/",
		HttpOnly: true,
		Secure:   c.Scheme() == "https",
		SameSite: http.SameSiteLaxMode,
	}
	if token == "" {
		ck.MaxAge = -1
		ck.Expires = time.Unix(0, 0)
	} else {
		ck.Expires = expiry
		ck.MaxAge = max(1, int(time.Until(expiry).Seconds()))
	}
	return ck
}

// openFor opens the visitor's sandbox for the steps of an engine that
// need it, with the client's creation limits.
func (s *Server) openFor(c echo.Context, visitor string) sandbox.Opener {
	return func(ctx context.Context, fn func(ctx context.Context, db *sandbox.DB) error) error {
		return s.sql.With(s.sqlContext(ctx, c), visitor, fn)
	}
}

// logOut ends the airline session the browser's cookie names, if there is
// one: its row goes, and the answer clears the cookie.
func (s *Server) logOut(ctx context.Context, c echo.Context) error {
	_, err := s.withSession(ctx, c, visitorID(c), func(ctx context.Context, sc sessionCall) error {
		if _, ok := sc.Session.User(); !ok {
			return nil
		}
		return sc.Session.LogOut()
	})
	return err
}

// asUser runs fn as the user the airline session names. When nobody is
// logged in, fn does not run and loggedIn is false.
func (s *Server) asUser(ctx context.Context, c echo.Context, fn func(ctx context.Context, db *sandbox.DB, u auth.SessionUser) error) (loggedIn bool, err error) {
	_, err = s.withSession(ctx, c, visitorID(c), func(ctx context.Context, sc sessionCall) error {
		u, ok := sc.Session.User()
		if !ok {
			return nil
		}
		loggedIn = true
		return fn(ctx, sc.DB, u)
	})
	return loggedIn, err
}

package web

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"unicode"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/engineroom/engineroom/playground/auth"
	"github.com/engineroom/engineroom/playground/sandbox"
	ertrace "github.com/engineroom/engineroom/playground/trace"
	"github.com/engineroom/engineroom/web/view"
)

// loginPath is the airline app's login page.
const loginPath = "/airline/login"

// localPath returns next when it names a page of this site, and "" for
// anything a browser could take to another one: an absolute URL, a
// scheme (javascript:), a scheme-relative //host, the /\host that
// browsers read as //host, and control characters or backslashes, which
// browsers drop or turn into slashes before they follow a link. Such a
// next is an open redirect: a phishing link that starts on our address.
func localPath(next string) string {
	if next == "" || len(next) > 2000 || next[0] != '/' || strings.HasPrefix(next, "//") {
		return ""
	}
	for _, r := range next {
		if r == '\\' || unicode.IsControl(r) || unicode.IsSpace(r) {
			return ""
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return ""
	}
	return next
}

// showAirlineLogin is GET /airline/login?next=…: the login form, or who is
// logged in.
func (s *Server) showAirlineLogin(c echo.Context) error {
	ctx, span := s.tracer.Start(c.Request().Context(), "handler show login page", trace.WithAttributes(kindAttr(ertrace.KindHandler)))
	defer span.End()
	o := view.AirlineLogin{Next: localPath(c.QueryParam("next"))}
	if raw := c.QueryParam("next"); raw != "" && o.Next == "" {
		o.NextRefused = clipLiteral(raw)
	}
	if err := s.loginState(ctx, c, &o); err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return s.page(c, view.AirlineLoginPage(s.pageMeta(csrfToken(c), "Log in — the airline app"), o))
}

// loginState fills in who the session says is logged in.
func (s *Server) loginState(ctx context.Context, c echo.Context, o *view.AirlineLogin) error {
	if sessionToken(c) == "" {
		return nil
	}
	_, err := s.asUser(ctx, c, func(ctx context.Context, db *sandbox.DB, u auth.SessionUser) error {
		o.User = u.Username
		res, err := db.Query(ctx, "SELECT miles FROM members WHERE id = ?", u.MemberID)
		if err == nil && len(res.Values) > 0 {
			o.Miles = hookThousands(sandbox.AsInt(res.Values[0][0]))
		}
		return err
	})
	if err != nil {
		return sandboxError(err)
	}
	return nil
}

// logInAirline is POST /airline/login: on success a new session and a 303
// to next, if it is a page of this site, or back to the login page; on
// failure the form again, with why.
func (s *Server) logInAirline(c echo.Context) error {
	ctx, span := s.tracer.Start(c.Request().Context(), "handler log in", trace.WithAttributes(kindAttr(ertrace.KindHandler)))
	defer span.End()
	raw := c.FormValue("next")
	next := localPath(raw)
	span.SetAttributes(attribute.Bool("engineroom.next_refused", raw != "" && next == ""))
	visitor := visitorID(c)
	o := view.AirlineLogin{Username: c.FormValue("username"), Next: next}
	if raw != "" && next == "" {
		o.NextRefused = clipLiteral(raw)
	}
	li, err := s.auth.LogIn(ctx, s.openFor(c, visitor), visitor, c.FormValue("username"), c.FormValue("password"))
	status := http.StatusOK
	var le *auth.LimitError
	var fe *auth.FieldErrors
	switch {
	case errors.As(err, &fe):
		status = http.StatusUnprocessableEntity
		for _, f := range fe.Fields {
			o.Fields = append(o.Fields, view.FieldProblem{Field: f.Field, Message: f.Message})
		}
	case errors.As(err, &le):
		status = http.StatusTooManyRequests
		if le.Busy {
			status = http.StatusServiceUnavailable
		}
		o.Failure = capitalize(le.Reason) + "."
		setRetryAfter(c, status, &problem{retryAfter: le.RetryAfter})
	case errors.Is(err, auth.ErrBadCredentials):
		status = http.StatusUnauthorized
		o.Failure = "Wrong username or password."
	case err != nil:
		return sandboxError(err)
	}
	if status != http.StatusOK {
		c.Response().Header().Set("Cache-Control", "no-store")
		return s.render(c, status, nil, func() templ.Component {
			return view.AirlineLoginPage(s.pageMeta(csrfToken(c), "Log in — the airline app"), o)
		})
	}
	if _, err := s.withSession(ctx, c, visitor, func(ctx context.Context, sc sessionCall) error {
		return sc.Session.LogIn(li.Account)
	}); err != nil {
		return sandboxError(err)
	}
	to := cmp.Or(next, loginPath)
	if o.NextRefused != "" {
		to = loginPath + "?next=" + url.QueryEscape(raw)
	}
	return c.Redirect(http.StatusSeeOther, to)
}

// logOutAirline is POST /airline/logout: the session's row goes, the
// cookie is cleared, and the browser goes back to the login page.
func (s *Server) logOutAirline(c echo.Context) error {
	ctx, span := s.tracer.Start(c.Request().Context(), "handler log out", trace.WithAttributes(kindAttr(ertrace.KindHandler)))
	defer span.End()
	if err := s.logOut(ctx, c); err != nil {
		return sandboxError(err)
	}
	return c.Redirect(http.StatusSeeOther, loginPath)
}

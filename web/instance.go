package web

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// Several instances behind Fly.io's proxy share the cache and the rooms
// through Redis, but a visitor's sandbox — their database, and the
// sessions, carts and results kept in it — lives in the memory of the
// instance that made it. So a visitor is pinned: the instanceCookie names
// that instance, and a request that reaches another one is answered with
// a Fly-Replay header asking the proxy to replay it on the visitor's own
// instance. prefer_instance, not instance: when that instance is gone (a
// deploy, a scale-down), the proxy routes the replay as usual, and the
// instance that gets it keeps the visitor from then on and tells them
// their database is a fresh copy.
//
// Config.Instance (FLY_MACHINE_ID on Fly.io) switches this on; without it
// nothing is pinned.
const instanceCookie = "er_instance"

// flyReplaySource is the header the proxy adds to a replayed request.
const flyReplaySource = "Fly-Replay-Src"

// ValidInstance reports whether s can be an instance id: what Fly.io's
// machine ids look like (lower-case hex), bounded, so a cookie cannot put
// anything else into a response header.
func ValidInstance(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// pinVisitor keeps visitor id on this instance. It reports whether the
// request belongs to another instance, in which case it has written the
// replay answer and the handler must not run. known says the visitor came
// with a valid visitor cookie.
func (s *Server) pinVisitor(c echo.Context, id string, known bool) (elsewhere bool, err error) {
	self := s.cfg.Instance
	if self == "" {
		return false, nil
	}
	home := ""
	if ck, err := c.Cookie(instanceCookie); err == nil && ValidInstance(ck.Value) {
		home = ck.Value
	}
	if known && home != "" && home != self {
		if c.Request().Header.Get(flyReplaySource) == "" {
			c.Response().Header().Set("Fly-Replay", "prefer_instance="+home)
			c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
			return true, c.String(http.StatusMisdirectedRequest,
				"This visitor's sandbox lives on instance "+home+"; the proxy replays the request there.\n")
		}
		// The replay came back: the visitor's instance is gone.
		s.sql.Moved(id)
		trace.SpanFromContext(c.Request().Context()).SetAttributes(attribute.String("engineroom.visitor.moved_from", home))
	}
	if home != self {
		c.SetCookie(&http.Cookie{
			Name: instanceCookie, Value: self, Path: "/",
			MaxAge:   int((30 * 24 * time.Hour).Seconds()),
			HttpOnly: true, Secure: c.Scheme() == "https", SameSite: http.SameSiteLaxMode,
		})
	}
	return false, nil
}

package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// visitorCookie names the cookie that carries the anonymous visitor id;
// over HTTPS it is visitorCookieSecure, whose __Host- prefix browsers
// accept only on a Secure cookie with Path=/ and no Domain, so no
// subdomain can plant or overwrite it.
const (
	visitorCookie       = "er_visitor"
	visitorCookieSecure = "__Host-er_visitor"
)

// visitorCookieName is the visitor cookie's name for c's scheme.
func visitorCookieName(c echo.Context) string {
	if c.Scheme() == "https" {
		return visitorCookieSecure
	}
	return visitorCookie
}

// visitorSigner makes and checks signed visitor ids: "<id>.<mac>".
type visitorSigner struct {
	macs sync.Pool // of hash.Hash keyed HMAC-SHA256 instances
}

func newVisitorSigner(key []byte) *visitorSigner {
	return &visitorSigner{macs: sync.Pool{New: func() any { return hmac.New(sha256.New, key) }}}
}

func (v *visitorSigner) mac(id string) string {
	m := v.macs.Get().(hash.Hash)
	defer v.macs.Put(m)
	m.Reset()
	m.Write([]byte(id))
	var sum [sha256.Size]byte
	return base64.RawURLEncoding.EncodeToString(m.Sum(sum[:0])[:18])
}

// sign returns the cookie value for id.
func (v *visitorSigner) sign(id string) string { return id + "." + v.mac(id) }

// verify returns the id in a cookie value whose signature holds.
func (v *visitorSigner) verify(value string) (string, bool) {
	id, mac, ok := strings.Cut(value, ".")
	if !ok || len(id) != 22 || !hmac.Equal([]byte(mac), []byte(v.mac(id))) {
		return "", false
	}
	return id, true
}

// newVisitorID returns 128 random bits, URL-safe.
func newVisitorID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

// identifyVisitor finds the visitor id in its signed cookie or, when the
// cookie is missing or forged, starts a new visitor.
func (s *Server) identifyVisitor(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		var id string
		name := visitorCookieName(c)
		if ck, err := c.Cookie(name); err == nil {
			id, _ = s.visitor.verify(ck.Value)
		}
		known := id != ""
		if !known {
			id = newVisitorID()
			c.SetCookie(&http.Cookie{
				Name:     name,
				Value:    s.visitor.sign(id),
				Path:     "/",
				MaxAge:   int((30 * 24 * time.Hour).Seconds()),
				HttpOnly: true,
				Secure:   c.Scheme() == "https",
				SameSite: http.SameSiteLaxMode,
			})
			trace.SpanFromContext(c.Request().Context()).SetAttributes(attribute.Bool("engineroom.visitor.new", true))
			c.Set(newVisitorKey, true)
		}
		c.Set(visitorCookie, id)
		// A visitor's first page comes before their first query: the demo
		// data their sandbox is cloned from is built meanwhile, in the
		// background (once per process; a server nobody visits never
		// builds it).
		s.sql.Prepare()
		if elsewhere, err := s.pinVisitor(c, id, known); elsewhere || err != nil {
			return err
		}
		return next(c)
	}
}

// newVisitorKey marks a request whose visitor id was made for it.
const newVisitorKey = "er_new_visitor"

// isNewVisitor reports whether the visitor id was made for this request:
// it came without a valid visitor cookie.
func isNewVisitor(c echo.Context) bool {
	v, _ := c.Get(newVisitorKey).(bool)
	return v
}

// visitorID is the current visitor's id, set by identifyVisitor.
func visitorID(c echo.Context) string {
	id, _ := c.Get(visitorCookie).(string)
	return id
}

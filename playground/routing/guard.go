package routing

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// authenticate lets a request on only with a valid bearer token, and says
// who the caller is to the layers after it.
func (a *App) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		span := trace.SpanFromContext(c.Request().Context())
		h := c.Request().Header.Get(echo.HeaderAuthorization)
		if h == "" {
			span.SetAttributes(attribute.String("engineroom.auth", "no Authorization header"))
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="airline"`)
			return c.JSON(http.StatusUnauthorized, map[string]string{"error": "log in first: send Authorization: Bearer <token>"})
		}
		token, isBearer := strings.CutPrefix(h, "Bearer ")
		caller, ok := a.callerOf(token)
		if !isBearer || !ok {
			span.SetAttributes(attribute.String("engineroom.auth", "signature does not match"))
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="airline", error="invalid_token"`)
			return c.JSON(http.StatusUnauthorized, map[string]string{"error": "this token is not valid"})
		}
		span.SetAttributes(attribute.String("engineroom.auth", "valid token"), attribute.String("enduser.id", caller))
		c.Set(appCallerKey, caller)
		return next(c)
	}
}

// rateLimit lets each caller book a few times in a burst, then one more
// every bookingRefill; past that it answers 429 with Retry-After.
func (a *App) rateLimit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		span := trace.SpanFromContext(c.Request().Context())
		caller, _ := c.Get(appCallerKey).(string)
		ok, left, wait := a.limiter.take(caller)
		span.SetAttributes(attribute.String("engineroom.ratelimit.key", caller),
			attribute.Int("engineroom.ratelimit.burst", BookingBurst), attribute.Int("engineroom.ratelimit.remaining", left))
		h := c.Response().Header()
		h.Set("X-Ratelimit-Limit", strconv.Itoa(BookingBurst))
		h.Set("X-Ratelimit-Remaining", strconv.Itoa(left))
		if !ok {
			secs := int((wait + time.Second - 1) / time.Second)
			h.Set(echo.HeaderRetryAfter, strconv.Itoa(secs))
			span.SetAttributes(attribute.Int("engineroom.ratelimit.retry_after_s", secs))
			return c.JSON(http.StatusTooManyRequests, map[string]string{"error": fmt.Sprintf("too many bookings: try again in %d s", secs)})
		}
		return next(c)
	}
}

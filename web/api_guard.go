package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// refuseCrossSite guards the API requests that carry no body (DELETE):
// no HTML form can send them and a cross-site script cannot without a
// CORS preflight we never answer, so they need no Content-Type; browsers'
// cross-site requests are refused outright, as requireJSON does.
func (s *Server) refuseCrossSite(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if c.Request().Header.Get("Sec-Fetch-Site") == "cross-site" {
			return echo.NewHTTPError(http.StatusForbidden, "cross-site requests to the API are refused")
		}
		return next(c)
	}
}

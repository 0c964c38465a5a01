package web

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/engineroom/engineroom/playground/sandbox"
	"github.com/engineroom/engineroom/web/view"
)

// handleError is the one place an error becomes a response: problem
// details (RFC 9457) under /api/, a panel fragment for partial updates, a
// full page otherwise. Only server errors (5xx) are logged as errors.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, msg := http.StatusInternalServerError, "Something went wrong on our side. Try again in a moment."
	var he *echo.HTTPError
	var p *problem
	if errors.As(err, &p) {
		status, msg = p.Status, p.Detail
	} else if errors.As(err, &he) {
		status = he.Code
		if m, ok := he.Message.(string); ok && m != "" {
			msg = m
		}
		if he.Code >= 500 && he.Internal != nil {
			err = he.Internal
		}
	}
	if status == http.StatusNotFound && msg == "Not Found" {
		msg = "There is no page at this address."
	}
	if status == http.StatusRequestEntityTooLarge && msg == http.StatusText(status) {
		msg = "The request body is too large: the limit is 1 MB."
	}
	if status >= 500 {
		s.log.Error("request failed", slog.String("path", c.Request().URL.Path),
			slog.String("id", c.Response().Header().Get(echo.HeaderXRequestID)), slog.Any("err", err))
	}
	setRetryAfter(c, status, err)
	var werr error
	switch {
	case c.Request().Method == http.MethodHead:
		werr = c.NoContent(status)
	case strings.HasPrefix(c.Request().URL.Path, "/api/"):
		if p == nil {
			p = statusProblem(status, apiMessage(status, msg))
		}
		werr = writeProblem(c, p)
	default:
		title := http.StatusText(status)
		werr = s.render(c, status,
			view.ErrorFragment(title, msg),
			func() templ.Component {
				return view.ErrorPage(s.pageMeta(csrfToken(c), fmt.Sprintf("%d %s", status, title)), status, title, msg)
			})
	}
	if werr != nil {
		s.log.Error("writing error response", slog.Any("err", werr))
	}
}

// setRetryAfter tells the client when to try again after a refusal: what
// the engine that refused asked for, or 2 s for any other 503.
func setRetryAfter(c echo.Context, status int, err error) {
	d := sandbox.RetryAfter(err)
	var p *problem
	if errors.As(err, &p) && p.retryAfter > 0 {
		d = p.retryAfter
	}
	if d <= 0 && status == http.StatusServiceUnavailable {
		d = 2 * time.Second
	}
	if d > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int((d+time.Second-1)/time.Second)))
	}
}

// apiMessage rewords Echo's own messages for an API client: a path with
// no endpoint, or a method the path does not take.
func apiMessage(status int, msg string) string {
	switch {
	case status == http.StatusNotFound && msg == "There is no page at this address.":
		return "There is no API endpoint at this address: GET /api/v1/openapi.json lists them all."
	case status == http.StatusMethodNotAllowed && msg == http.StatusText(status):
		return "This endpoint does not take that method: the Allow header lists the ones it takes."
	}
	return msg
}

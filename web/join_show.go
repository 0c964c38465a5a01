package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/trace"

	ertrace "github.com/engineroom/engineroom/playground/trace"
	"github.com/engineroom/engineroom/web/view"
)

// maxJoinPath is the longest path the join page shows: a longer address
// makes a QR code too dense to read from the back of a lecture hall.
const maxJoinPath = 200

// showJoin is GET /join?path=/lessons/<slug>: a page for the projector
// with the full address of a page of this site in large letters and as a
// QR code. Without a path it is the home page's address; a path that is
// not a page of this site (another host, a scheme, //host) is refused,
// so the page can only ever send a class to this site.
func (s *Server) showJoin(c echo.Context) error {
	_, span := s.tracer.Start(c.Request().Context(), "handler join page", trace.WithAttributes(kindAttr(ertrace.KindHandler)))
	defer span.End()
	path := c.QueryParam("path")
	if path == "" {
		path = "/"
	}
	if localPath(path) == "" {
		return echo.NewHTTPError(http.StatusBadRequest, "The join page only shows pages of this site: path must start with a single / (for example /lessons/cache-aside).")
	}
	if len(path) > maxJoinPath {
		return echo.NewHTTPError(http.StatusBadRequest, "That path is too long for a QR code a phone can read from the back row.")
	}
	u := s.baseURL(c) + path
	code, err := qrCode(u)
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "That address is too long for a QR code.")
	}
	return s.page(c, view.PageJoin(view.JoinPage{
		Page: s.pageMeta(csrfToken(c), "Students: open this"),
		URL:  u, Back: path, QR: code,
	}))
}

package web

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"strconv"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/trace"

	ertrace "github.com/engineroom/engineroom/playground/trace"
)

// tokenSlot stands where a page's CSRF token goes in a prerendered page;
// it is a string no lesson contains and HTML escaping leaves alone.
const tokenSlot = "@@csrf-token@@"

// prerender renders the pages that are the same for every visitor but for
// their CSRF token — the home page and each lesson — once, at start.
func (s *Server) prerender(ctx context.Context) (map[string][]byte, error) {
	pages := map[string]templ.Component{"/": s.homeView(tokenSlot)}
	for _, l := range s.lessons.All() {
		pages["/lessons/"+l.Slug] = s.lessonView(tokenSlot, l.Slug, nil, nil)
	}
	out := make(map[string][]byte, len(pages))
	for path, comp := range pages {
		var buf bytes.Buffer
		if err := comp.Render(ctx, &buf); err != nil {
			return nil, fmt.Errorf("web: rendering %s: %w", path, err)
		}
		out[path] = buf.Bytes()
	}
	return out, nil
}

// prerendered answers with a page rendered at start, the visitor's CSRF
// token put in its place.
func (s *Server) prerendered(c echo.Context, path string) error {
	page, ok := s.pages[path]
	if !ok {
		return echo.NewHTTPError(404, "There is no page at this address.")
	}
	_, span := s.tracer.Start(c.Request().Context(), "render page (prerendered at start)",
		trace.WithAttributes(kindAttr(ertrace.KindRender), bytesAttr(len(page))))
	body := bytes.ReplaceAll(page, []byte(tokenSlot), []byte(html.EscapeString(csrfToken(c))))
	span.End()
	return writeHTML(c, 200, body)
}

// writeHTML sends a complete HTML body with its length, so it need not be
// chunked.
func writeHTML(c echo.Context, status int, body []byte) error {
	c.Response().Header().Set(echo.HeaderContentLength, strconv.Itoa(len(body)))
	return c.HTMLBlob(status, body)
}

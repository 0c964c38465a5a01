package web

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"net/http"
	"strconv"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
)

// tokenSlot stands where a page's CSRF token goes in a prerendered page;
// it is a string no lesson contains and HTML escaping leaves alone.
const tokenSlot = "@@csrf-token@@"

// prerender renders the pages that are the same for every visitor but for
// their CSRF token — the home page and each lesson — once, at start.
func (s *Server) prerender(ctx context.Context) (map[string]prerenderedPage, error) {
	pages := map[string]templ.Component{"/": s.homeView(tokenSlot)}
	for _, l := range s.lessons.All() {
		pages["/lessons/"+l.Slug] = s.lessonView(tokenSlot, l.Slug, nil, nil)
	}
	out := make(map[string]prerenderedPage, len(pages))
	for path, comp := range pages {
		var buf bytes.Buffer
		if err := comp.Render(ctx, &buf); err != nil {
			return nil, fmt.Errorf("web: rendering %s: %w", path, err)
		}
		out[path] = prerenderedPage{parts: bytes.Split(buf.Bytes(), []byte(tokenSlot)), size: buf.Len()}
	}
	return out, nil
}

// prerenderedPage is a page cut where its CSRF token goes.
type prerenderedPage struct {
	parts [][]byte
	size  int
}

// prerendered answers with a page rendered at start, the visitor's CSRF
// token put in its place.
func (s *Server) prerendered(c echo.Context, path string) error {
	page, ok := s.pages[path]
	if !ok {
		return echo.NewHTTPError(404, "There is no page at this address.")
	}
	token := html.EscapeString(csrfToken(c))
	size := page.size + (len(page.parts)-1)*(len(token)-len(tokenSlot))
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	buf.Grow(size)
	for i, part := range page.parts {
		if i > 0 {
			buf.WriteString(token)
		}
		buf.Write(part)
	}
	// One write: the response goes out in as few packets as it can.
	return writeHTML(c, http.StatusOK, buf.Bytes())
}

// writeHTML sends a complete HTML body with its length, so it need not be
// chunked.
func writeHTML(c echo.Context, status int, body []byte) error {
	c.Response().Header().Set(echo.HeaderContentLength, strconv.Itoa(len(body)))
	return c.HTMLBlob(status, body)
}

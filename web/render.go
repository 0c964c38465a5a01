package web

import (
	"bytes"
	"context"
	"net/http"
	"sync"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
)

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// isFragment reports whether the request came from the partial-update
// script and wants only the swapped region.
func isFragment(c echo.Context) bool {
	return c.Request().Header.Get("HX-Request") == "true"
}

// render writes fragment for a partial update and page() otherwise. The
// component is rendered into a buffer first, so a template error becomes an
// error page instead of half a 200.
func (s *Server) render(c echo.Context, status int, fragment templ.Component, page func() templ.Component) error {
	comp := fragment
	if comp == nil || !isFragment(c) {
		comp = page()
	}
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	// Rendering is short and must finish even when the request's deadline
	// has passed: that is when an error page is most needed.
	ctx, span := s.tracer.Start(context.WithoutCancel(c.Request().Context()), "render "+componentName(fragment != nil && isFragment(c)))
	err := comp.Render(ctx, buf)
	span.SetAttributes(kindAttr("render"), bytesAttr(buf.Len()))
	span.End()
	if err != nil {
		return err
	}
	c.Response().Header().Add(echo.HeaderVary, "HX-Request")
	return writeHTML(c, status, buf.Bytes())
}

func componentName(fragment bool) string {
	if fragment {
		return "fragment"
	}
	return "page"
}

// page renders a full page with no fragment form.
func (s *Server) page(c echo.Context, comp templ.Component) error {
	return s.render(c, http.StatusOK, nil, func() templ.Component { return comp })
}

package web

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// TestCompress runs answers of every shape through the gzip middleware
// on a real Echo router.
func TestCompress(t *testing.T) {
	long := strings.Repeat("<p>a lesson paragraph</p>\n", 100) // 2,600 bytes
	holdsNone := func(c echo.Context) error {
		// Before the first byte of the body, no compressor is taken.
		if w, ok := c.Response().Writer.(*gzipWriter); ok && w.gz != nil {
			t.Error("before writing, the answer already holds a compressor")
		}
		return c.HTML(http.StatusOK, long)
	}
	tests := []struct {
		name    string
		handler echo.HandlerFunc
		plain   bool // no Accept-Encoding
		path    string
		status  int
		gzipped bool
		body    string
	}{
		{name: "long page", handler: holdsNone, status: 200, gzipped: true, body: long},
		{name: "long page, no gzip asked", handler: holdsNone, plain: true, status: 200, body: long},
		{name: "short answer", handler: func(c echo.Context) error { return c.String(http.StatusCreated, "ok") }, status: 201, body: "ok"},
		{name: "not modified", handler: func(c echo.Context) error { return c.NoContent(http.StatusNotModified) }, status: 304},
		{name: "error answered by Echo", handler: func(echo.Context) error { return echo.NewHTTPError(http.StatusTeapot, "no coffee") }, status: 418, body: `{"message":"no coffee"}` + "\n"},
		{name: "skipped route", path: "/stream", handler: func(c echo.Context) error { return c.HTML(http.StatusOK, long) }, status: 200, body: long},
		{name: "long body in small writes", status: 200, gzipped: true, body: long, handler: func(c echo.Context) error {
			c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
			for line := range strings.Lines(long) {
				if _, err := c.Response().Write([]byte(line)); err != nil {
					return err
				}
			}
			return nil
		}},
		{name: "flushed while short", status: 200, body: "first\n" + long, handler: func(c echo.Context) error {
			res := c.Response()
			res.Header().Set(echo.HeaderContentType, echo.MIMETextPlain)
			_, _ = res.Write([]byte("first\n"))
			res.Flush()
			_, err := res.Write([]byte(long))
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := echo.New()
			e.Use(compress(gzip.BestSpeed, 1024, func(c echo.Context) bool { return c.Path() == "/stream" }))
			path := tt.path
			if path == "" {
				path = "/"
			}
			e.GET(path, tt.handler)
			req := httptest.NewRequest(http.MethodGet, path, nil)
			if !tt.plain {
				req.Header.Set("Accept-Encoding", "gzip, deflate, br")
			}
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Errorf("status %d, want %d", rec.Code, tt.status)
			}
			if got := rec.Header().Get("Content-Encoding") == "gzip"; got != tt.gzipped {
				t.Errorf("Content-Encoding %q, want gzip: %v", rec.Header().Get("Content-Encoding"), tt.gzipped)
			}
			if tt.path == "" && rec.Header().Get("Vary") != "Accept-Encoding" {
				t.Errorf("Vary %q, want Accept-Encoding", rec.Header().Get("Vary"))
			}
			body := rec.Body.String()
			if tt.gzipped {
				if rec.Header().Get("Content-Length") != "" {
					t.Errorf("Content-Length %q on a compressed answer", rec.Header().Get("Content-Length"))
				}
				zr, err := gzip.NewReader(rec.Body)
				if err != nil {
					t.Fatal(err)
				}
				b, err := io.ReadAll(zr)
				if err != nil {
					t.Fatal(err)
				}
				body = string(b)
			}
			if body != tt.body {
				t.Errorf("body (%d bytes) differs from the %d bytes written", len(body), len(tt.body))
			}
		})
	}
}

// BenchmarkCompressPage compresses a 5 KB page: a compressor from the
// pool per answer.
func BenchmarkCompressPage(b *testing.B) {
	e := echo.New()
	e.Use(compress(gzip.BestSpeed, 1024, func(echo.Context) bool { return false }))
	page := strings.Repeat("<p>a lesson paragraph</p>\n", 200)
	e.GET("/", func(c echo.Context) error { return c.HTML(http.StatusOK, page) })
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set("Accept-Encoding", "gzip")
		e.ServeHTTP(httptest.NewRecorder(), req)
	}
}

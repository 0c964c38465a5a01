package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"time"

	"github.com/labstack/echo/v4"
)

//go:embed static
var staticFS embed.FS

func embeddedStatic() fs.FS {
	sub, _ := fs.Sub(staticFS, "static") // "static" is embedded, so Sub cannot fail
	return sub
}

// assets serves a fixed set of files from memory: our CSS and JS, and the
// generated syntax-highlighting stylesheet. Nothing else is reachable.
type assets struct {
	files map[string]asset
}

type asset struct {
	body  []byte
	ctype string
	etag  string
}

var assetNames = []string{"app.css", "app.js", "favicon.svg", "present.js", "rooms.js", "theme.js", "visited.js"}

func newAssets(static fs.FS, code *highlighter) (*assets, error) {
	a := &assets{files: make(map[string]asset)}
	for _, name := range assetNames {
		body, err := fs.ReadFile(static, name)
		if err != nil {
			return nil, fmt.Errorf("web: reading asset %s: %w", name, err)
		}
		a.add(name, body)
	}
	css, err := code.stylesheet()
	if err != nil {
		return nil, fmt.Errorf("web: writing the highlighting stylesheet: %w", err)
	}
	a.add("chroma.css", css)
	return a, nil
}

func (a *assets) add(name string, body []byte) {
	sum := sha256.Sum256(body)
	a.files[name] = asset{
		body:  body,
		ctype: mime.TypeByExtension(path.Ext(name)),
		etag:  `"` + hex.EncodeToString(sum[:8]) + `"`,
	}
}

// URL is the address of a named asset, versioned by its content so it can
// be cached for a year.
func (a *assets) URL(name string) string {
	f, ok := a.files[name]
	if !ok {
		return "/static/" + name
	}
	return "/static/" + name + "?v=" + f.etag[1:9]
}

// showAsset serves one asset, answering 304 to a matching If-None-Match.
func (s *Server) showAsset(c echo.Context) error {
	f, ok := s.assets.files[c.Param("file")]
	if !ok {
		return echo.ErrNotFound
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, f.ctype)
	h.Set("ETag", f.etag)
	if c.QueryParam("v") != "" {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "public, max-age=300")
	}
	http.ServeContent(c.Response(), c.Request(), "", time.Time{}, bytes.NewReader(f.body))
	return nil
}

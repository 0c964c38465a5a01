package web

import (
	"bytes"
	"crypto/sha256"
	"html/template"
	"regexp"
	"strings"
	"sync"

	"github.com/alecthomas/chroma/v2"
	chromahtml "github.com/alecthomas/chroma/v2/formatters/html"

	"github.com/engineroom/engineroom/content"
	"github.com/engineroom/engineroom/content/highlight"
)

// highlighter turns code into class-based HTML, remembering recent results
// by content hash (highlighting a 20-line statement costs about half a
// millisecond).
type highlighter struct {
	lexers *highlight.Set
	format *chromahtml.Formatter

	mu    sync.Mutex
	cache map[[32]byte]template.HTML
}

// highlightCacheSize bounds the cache; when full it starts again empty.
const highlightCacheSize = 2048

// maxHighlight is the longest text worth highlighting; longer text is
// shown plain.
const maxHighlight = 16 << 10

func newHighlighter() *highlighter {
	return &highlighter{
		lexers: highlight.New(),
		format: chromahtml.New(chromahtml.WithClasses(true), chromahtml.WithPreWrapper(content.FocusablePre{})),
		cache:  make(map[[32]byte]template.HTML),
	}
}

// HTML returns code highlighted as lang, as a <pre class="chroma"> block that
// takes the focus, so a keyboard can scroll it.
func (h *highlighter) HTML(lang, code string) template.HTML {
	lexer := h.lexers.Get(lang)
	if lexer == nil || len(code) > maxHighlight {
		return template.HTML(`<pre tabindex="0" class="chroma">` + template.HTMLEscapeString(code) + `</pre>`)
	}
	key := sha256.Sum256([]byte(lang + "\x00" + code))
	h.mu.Lock()
	out, ok := h.cache[key]
	h.mu.Unlock()
	if ok {
		return out
	}
	var buf bytes.Buffer
	it, err := chroma.Coalesce(lexer).Tokenise(nil, code)
	if err == nil {
		err = h.format.Format(&buf, highlight.LightStyle, it)
	}
	if err != nil {
		return template.HTML(`<pre tabindex="0" class="chroma">` + template.HTMLEscapeString(code) + `</pre>`)
	}
	out = template.HTML(buf.String())
	h.mu.Lock()
	if len(h.cache) >= highlightCacheSize {
		clear(h.cache)
	}
	h.cache[key] = out
	h.mu.Unlock()
	return out
}

var chromaSelector = regexp.MustCompile(`(?m)^(/\*[^*]*\*/ )?\.chroma`)

// stylesheet returns the CSS for highlighted code: a light style by
// default, a dark one under [data-theme=dark] and, unless the visitor chose
// light, when the system prefers dark.
func (h *highlighter) stylesheet() ([]byte, error) {
	var light, dark bytes.Buffer
	if err := h.format.WriteCSS(&light, highlight.LightStyle); err != nil {
		return nil, err
	}
	if err := h.format.WriteCSS(&dark, highlight.DarkStyle); err != nil {
		return nil, err
	}
	var out strings.Builder
	out.Write(light.Bytes())
	out.WriteString(chromaSelector.ReplaceAllString(dark.String(), "$1[data-theme=dark] .chroma"))
	out.WriteString("@media (prefers-color-scheme: dark) {\n")
	out.WriteString(chromaSelector.ReplaceAllString(dark.String(), "$1:root:not([data-theme=light]) .chroma"))
	out.WriteString("}\n")
	return []byte(out.String()), nil
}

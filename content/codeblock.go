package content

import (
	"bytes"

	"github.com/alecthomas/chroma/v2"
	chromahtml "github.com/alecthomas/chroma/v2/formatters/html"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/util"

	"github.com/engineroom/engineroom/content/highlight"
)

// codeBlocks renders fenced code blocks highlighted by the highlight
// package's lexers, as class-based chroma HTML in a FocusablePre: the
// stylesheet colours it, and the CSP needs no inline styles. A block in
// a language without a lexer (or with none named) stays a plain
// <pre><code>, as goldmark writes it.
type codeBlocks struct {
	lexers *highlight.Set
	format *chromahtml.Formatter
	style  *chroma.Style
}

// Extend makes codeBlocks a goldmark extension. goldmark lets the node
// renderer with the smallest priority number register last, so 200 (the
// default HTML renderer has 1000) makes this one render fenced code.
func (c *codeBlocks) Extend(m goldmark.Markdown) {
	m.Renderer().AddOptions(renderer.WithNodeRenderers(util.Prioritized(c, 200)))
}

func newCodeBlocks() *codeBlocks {
	return &codeBlocks{
		lexers: highlight.New(),
		format: chromahtml.New(chromahtml.WithClasses(true), chromahtml.WithPreWrapper(FocusablePre{})),
		// With classes the formatter takes no colours from the style,
		// only its structure.
		style: highlight.LightStyle,
	}
}

// RegisterFuncs implements renderer.NodeRenderer.
func (c *codeBlocks) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindFencedCodeBlock, c.render)
}

func (c *codeBlocks) render(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*ast.FencedCodeBlock)
	lang := n.Language(source)
	var code bytes.Buffer
	for i := range n.Lines().Len() {
		line := n.Lines().At(i)
		code.Write(line.Value(source))
	}
	if lexer := c.lexers.Get(string(lang)); lang != nil && lexer != nil {
		var out bytes.Buffer
		it, err := chroma.Coalesce(lexer).Tokenise(nil, code.String())
		if err == nil {
			err = c.format.Format(&out, c.style, it)
		}
		if err == nil {
			_, err = w.Write(out.Bytes())
			return ast.WalkContinue, err
		}
	}
	_, _ = w.WriteString("<pre><code")
	if lang != nil {
		_, _ = w.WriteString(` class="language-`)
		html.DefaultWriter.Write(w, lang)
		_ = w.WriteByte('"')
	}
	_ = w.WriteByte('>')
	html.DefaultWriter.RawWrite(w, code.Bytes())
	_, err := w.WriteString("</code></pre>\n")
	return ast.WalkContinue, err
}

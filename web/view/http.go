package view

import (
	"context"
	"html"
	"io"
	"strings"

	"github.com/a-h/templ"
)

// httpMessage writes a request or response as it looks on the wire, one
// header per line, inside a <pre>. It is written by hand because every
// newline in a <pre> counts.
func httpMessage(m HTTPMessage, class string) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		var b strings.Builder
		b.WriteString(`<pre class="` + html.EscapeString(class) + `"><span class="http-start">`)
		b.WriteString(html.EscapeString(m.StartLine))
		b.WriteString(`</span>`)
		for _, h := range m.Headers {
			b.WriteString("\n" + `<span class="http-h"><span class="hn">`)
			b.WriteString(html.EscapeString(h.Name))
			b.WriteString(`</span>: `)
			if h.Masked {
				b.WriteString(`<span class="masked" title="hidden: it identifies you">`)
			} else {
				b.WriteString(`<span class="hv">`)
			}
			b.WriteString(html.EscapeString(h.Value))
			b.WriteString(`</span></span>`)
		}
		if m.Body != "" {
			b.WriteString("\n\n" + `<span class="http-body">`)
			b.WriteString(html.EscapeString(m.Body))
			b.WriteString(`</span>`)
		}
		b.WriteString("</pre>")
		_, err := io.WriteString(w, b.String())
		return err
	})
}

package content

import (
	"bytes"
	"fmt"
	"html/template"
	"strings"

	"github.com/yuin/goldmark"
)

// Three constructs of our own sit on top of Markdown (raw HTML stays off):
//
//	[[demo request-echo]]      on a line of its own: the live panel of that demo
//
//	[[curriculum]]             on a line of its own: the map of every lesson
//
//	??? What does the server see first?
//	The request line: method, path and protocol.
//	???                         a question whose answer is folded away
const (
	demoOpen    = "[[demo "
	demoClose   = "]]"
	mapLine     = "[[curriculum]]"
	checkMarker = "???"
)

// renderBody splits the Markdown at demo lines, map lines and question
// blocks and renders each Markdown run once.
func renderBody(body []byte, md goldmark.Markdown) ([]Block, error) {
	var (
		blocks []Block
		run    []string
		html   bytes.Buffer
	)
	flush := func() error {
		if len(run) == 0 {
			return nil
		}
		if err := md.Convert([]byte(strings.Join(run, "\n")), &html); err != nil {
			return fmt.Errorf("rendering markdown: %w", err)
		}
		run = run[:0]
		return nil
	}
	emitHTML := func() {
		if html.Len() > 0 {
			blocks = append(blocks, Block{HTML: template.HTML(html.String())})
			html.Reset()
		}
	}
	lines := strings.Split(string(body), "\n")
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSpace(lines[i])
		switch {
		case strings.HasPrefix(line, demoOpen) && strings.HasSuffix(line, demoClose):
			if err := flush(); err != nil {
				return nil, err
			}
			emitHTML()
			id := strings.TrimSpace(line[len(demoOpen) : len(line)-len(demoClose)])
			blocks = append(blocks, Block{DemoID: id})
		case line == mapLine:
			if err := flush(); err != nil {
				return nil, err
			}
			emitHTML()
			blocks = append(blocks, Block{Map: true})
		case strings.HasPrefix(line, checkMarker+" "):
			if err := flush(); err != nil {
				return nil, err
			}
			end := i + 1
			for end < len(lines) && strings.TrimSpace(lines[end]) != checkMarker {
				end++
			}
			if end == len(lines) {
				return nil, fmt.Errorf("line %d: question %q is not closed by a line of ???", i+1, line)
			}
			if err := renderCheck(&html, md, line[len(checkMarker)+1:], lines[i+1:end]); err != nil {
				return nil, err
			}
			i = end
		default:
			run = append(run, lines[i])
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	emitHTML()
	return blocks, nil
}

// renderCheck writes a question as <details>: the summary is the question
// rendered inline, the answer its Markdown rendered as blocks.
func renderCheck(w *bytes.Buffer, md goldmark.Markdown, question string, answer []string) error {
	var q, a bytes.Buffer
	if err := md.Convert([]byte(question), &q); err != nil {
		return fmt.Errorf("rendering question: %w", err)
	}
	if err := md.Convert([]byte(strings.Join(answer, "\n")), &a); err != nil {
		return fmt.Errorf("rendering answer: %w", err)
	}
	summary := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(q.String()), "<p>"), "</p>")
	fmt.Fprintf(w, "<details class=\"check\"><summary>%s</summary><div class=\"answer\">%s</div></details>\n", summary, a.String())
	return nil
}

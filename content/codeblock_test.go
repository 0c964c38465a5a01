package content_test

import (
	"io/fs"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"

	"github.com/engineroom/engineroom/content"
	"github.com/engineroom/engineroom/content/highlight"
)

// TestLessonLanguagesHaveLexers reads every fenced code block of every
// lesson, the ones being written included: each named language must have
// a lexer, or its block would silently lose its colours.
func TestLessonLanguagesHaveLexers(t *testing.T) {
	set := highlight.New()
	names, err := fs.Glob(content.Lessons, "lessons/*.md")
	if err != nil {
		t.Fatal(err)
	}
	md := goldmark.New()
	seen := make(map[string]bool)
	for _, name := range names {
		src, err := fs.ReadFile(content.Lessons, name)
		if err != nil {
			t.Fatal(err)
		}
		doc := md.Parser().Parse(text.NewReader(src))
		err = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
			if b, ok := n.(*ast.FencedCodeBlock); ok && entering {
				if lang := string(b.Language(src)); lang != "" {
					seen[lang] = true
					if set.Get(lang) == nil {
						t.Errorf("%s: a ```%s block, and highlight has no lexer for %q (add one, or an alias)", name, lang, lang)
					}
				}
			}
			return ast.WalkContinue, nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// The lessons of the SQL, testing, container and CI units use these;
	// if they go missing the scan above has stopped finding blocks.
	for _, lang := range []string{"sql", "go", "bash", "dockerfile"} {
		if !seen[lang] {
			t.Errorf("no lesson has a ```%s block; found %v", lang, slices.Sorted(maps.Keys(seen)))
		}
	}
}

func TestCodeBlockLanguages(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		wantPre   string // selector that finds the block: the <pre>, or its <code>
		wantToken string // selector of a highlighted token; empty when none
		wantText  string
	}{
		{name: "json key and value", body: "```json\n{\"id\": \"a \\\"b\\\"\"}\n```\n", wantPre: "pre.chroma[tabindex='0']", wantToken: "span.nt + span.p + span.s2", wantText: `{"id": "a \"b\""}`},
		{name: "dockerfile", body: "```dockerfile\nFROM golang:1.26 AS build\n```\n", wantPre: "pre.chroma", wantToken: "span.k", wantText: "FROM golang:1.26 AS build"},
		{name: "bash", body: "```bash\necho \"$HOME\" # home\n```\n", wantPre: "pre.chroma", wantToken: "span.nv", wantText: `echo "$HOME" # home`},
		{name: "yaml", body: "```yaml\nname: ci # the name\n```\n", wantPre: "pre.chroma", wantToken: "span.nt", wantText: "name: ci # the name"},
		{name: "http", body: "```http\nGET /api/v1/flights/42 HTTP/1.1\nAccept: application/json\n```\n", wantPre: "pre.chroma", wantToken: "span.nf", wantText: "GET /api/v1/flights/42 HTTP/1.1\nAccept: application/json"},
		{name: "html", body: "```html\n<a href=\"/x\">x</a>\n```\n", wantPre: "pre.chroma", wantToken: "span.na", wantText: `<a href="/x">x</a>`},
		{name: "text", body: "```text\nGET cart:42\n```\n", wantPre: "pre.chroma", wantText: "GET cart:42"},
		{name: "language in any case", body: "```SQL\nselect 1\n```\n", wantPre: "pre.chroma", wantToken: "span.k", wantText: "select 1"},
		{name: "unknown language", body: "```cobol\nDISPLAY '<b>'.\n```\n", wantPre: "pre:not(.chroma) > code.language-cobol", wantText: "DISPLAY '<b>'."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := bodyHTML(t, loadOne(t, lesson("", tt.body)))
			pre := doc.Find("pre")
			if pre.Length() != 1 || doc.Find(tt.wantPre).Length() != 1 {
				h, _ := doc.Html()
				t.Fatalf("want one %s, got:\n%s", tt.wantPre, h)
			}
			if tt.wantToken != "" && pre.Find(tt.wantToken).Length() == 0 {
				h, _ := pre.Html()
				t.Errorf("no %s in:\n%s", tt.wantToken, h)
			}
			if tt.wantToken == "" && pre.Find("span[class]:not(.line):not(.cl)").Length() != 0 {
				h, _ := pre.Html()
				t.Errorf("highlighted tokens in:\n%s", h)
			}
			if got := strings.TrimSpace(pre.Text()); got != tt.wantText {
				t.Errorf("code = %q, want %q", got, tt.wantText)
			}
			if n := doc.Find("[style], style, b").Length(); n != 0 {
				t.Errorf("%d inline styles or markup elements in the code block", n)
			}
		})
	}
}

package web

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/engineroom/engineroom/content/highlight"
)

// TestHighlightLanguagesHaveLexers reads the code that asks for
// highlighting: every language passed to highlighter.HTML in web/, and
// every span detail language in playground/trace, must have a lexer, or
// that code is silently shown without colours.
func TestHighlightLanguagesHaveLexers(t *testing.T) {
	set := highlight.New()
	langs := make(map[string]string) // language -> where it is asked for
	fset := token.NewFileSet()
	files, _ := filepath.Glob("*.go")
	traceFiles, _ := filepath.Glob("../playground/trace/*.go")
	for _, name := range append(files, traceFiles...) {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr: // s.code.HTML(lang, code)
				sel, ok := n.Fun.(*ast.SelectorExpr)
				if !ok || sel.Sel.Name != "HTML" || len(n.Args) != 2 {
					return true
				}
				if recv, ok := sel.X.(*ast.SelectorExpr); !ok || recv.Sel.Name != "code" {
					return true
				}
				switch arg := n.Args[0].(type) {
				case *ast.BasicLit:
					lang, _ := strconv.Unquote(arg.Value)
					langs[lang] = fset.Position(arg.Pos()).String()
				case *ast.SelectorExpr:
					if arg.Sel.Name != "Lang" { // a trace.Detail's, checked below
						t.Errorf("%s: highlighting in a language this test cannot read; pass a literal", fset.Position(arg.Pos()))
					}
				default:
					t.Errorf("%s: highlighting in a language this test cannot read; pass a literal", fset.Position(arg.Pos()))
				}
			case *ast.KeyValueExpr: // trace.Detail{Lang: "sql", …}
				if k, ok := n.Key.(*ast.Ident); ok && k.Name == "Lang" {
					if v, ok := n.Value.(*ast.BasicLit); ok && v.Kind == token.STRING {
						lang, _ := strconv.Unquote(v.Value)
						langs[lang] = fset.Position(v.Pos()).String()
					}
				}
			}
			return true
		})
	}
	for _, lang := range []string{"sql", "json", "html", "text"} {
		if _, ok := langs[lang]; !ok {
			t.Errorf("found no highlighting in %q; the scan has stopped finding call sites (found %v)", lang, langs)
		}
	}
	for lang, where := range langs {
		if lang != "" && set.Get(lang) == nil {
			t.Errorf("%s: highlights %q, which has no lexer in content/highlight", where, lang)
		}
	}
}

func TestHighlightHTML(t *testing.T) {
	tests := []struct {
		name, lang, code string
		wantToken        string // selector of a highlighted token; empty when none
		wantChroma       bool   // highlighted shape: <pre class="chroma"><code>…
	}{
		{name: "sql keyword", lang: "sql", code: "SELECT name FROM members WHERE id = ?", wantToken: "span.k", wantChroma: true},
		{name: "sql string", lang: "sql", code: "SELECT 'it''s'", wantToken: "span.s1", wantChroma: true},
		{name: "json key", lang: "json", code: `{"miles": 1200}`, wantToken: "span.nt", wantChroma: true},
		{name: "json string value", lang: "json", code: `{"a": "b"}`, wantToken: "span.s2", wantChroma: true},
		{name: "html attribute", lang: "html", code: `<img src=x onerror="alert(1)">`, wantToken: "span.na", wantChroma: true},
		{name: "text", lang: "text", code: "GET cart:42", wantChroma: true},
		{name: "no language", lang: "", code: "PING <b>"},
		{name: "unknown language", lang: "cobol", code: "DISPLAY 'x'."},
	}
	h := newHighlighter()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := string(h.HTML(tt.lang, tt.code))
			doc, err := goquery.NewDocumentFromReader(strings.NewReader(out))
			if err != nil {
				t.Fatal(err)
			}
			pre := doc.Find(`pre.chroma[tabindex="0"]`)
			if pre.Length() != 1 {
				t.Fatalf("no focusable pre.chroma in %s", out)
			}
			if got := pre.Find("code").Length() == 1; got != tt.wantChroma {
				t.Errorf("highlighted shape = %v, want %v: %s", got, tt.wantChroma, out)
			}
			if tt.wantToken != "" && pre.Find(tt.wantToken).Length() == 0 {
				t.Errorf("no %s in %s", tt.wantToken, out)
			}
			if tt.wantToken == "" && pre.Find("span[class]:not(.line):not(.cl)").Length() != 0 {
				t.Errorf("highlighted tokens in %s", out)
			}
			if got := pre.Text(); got != tt.code {
				t.Errorf("text = %q, want %q", got, tt.code)
			}
			if doc.Find("[style], b").Length() != 0 {
				t.Errorf("inline style or markup in %s", out)
			}
			if again := string(h.HTML(tt.lang, tt.code)); again != out {
				t.Errorf("second call = %s, want the first's %s", again, out)
			}
		})
	}
}

// BenchmarkHighlight measures highlighting that misses the cache: a
// statement or body seen for the first time.
func BenchmarkHighlight(b *testing.B) {
	snippets := []struct{ lang, code string }{
		{lang: "sql", code: "SELECT f.flight_no, o.city AS origin, d.city AS destination, f.departs_at, f.miles\nFROM flights f\nJOIN airports o ON o.code = f.origin\nJOIN airports d ON d.code = f.destination\nWHERE f.origin = ? AND f.departs_at >= ?\nORDER BY f.departs_at\nLIMIT 20"},
		{lang: "json", code: "{\n  \"id\": 42,\n  \"flight_no\": \"ER 101\",\n  \"origin\": {\"code\": \"LHR\", \"city\": \"London\"},\n  \"seats\": [1, 2, 3],\n  \"refundable\": false,\n  \"price\": 129.5\n}"},
	}
	h := newHighlighter()
	for _, s := range snippets {
		b.Run(s.lang, func(b *testing.B) {
			for i := range b.N {
				h.HTML(s.lang, s.code+strings.Repeat(" ", i%64)+strconv.Itoa(i))
			}
		})
	}
}

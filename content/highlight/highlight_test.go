package highlight

import (
	"strings"
	"testing"

	"github.com/alecthomas/chroma/v2"
)

// token is a token a lexer must produce for a snippet.
type token struct {
	typ   chroma.TokenType
	value string
}

// lexerCases are representative snippets of each language with the tokens
// that carry its look. FuzzLexers starts from them too.
var lexerCases = []struct {
	lang string
	code string
	want []token
}{
	{lang: "sql", code: "SELECT f.id, \"from\" FROM flights f -- the rest\n/* all */ WHERE note = 'it''s' AND id = ? AND x = :name AND y = $1 AND miles >= 1.5e3 LIMIT 20;",
		want: []token{{chroma.Keyword, "SELECT"}, {chroma.Name, `"from"`}, {chroma.Keyword, "FROM"}, {chroma.Name, "flights"}, {chroma.CommentSingle, "-- the rest"}, {chroma.CommentMultiline, "/* all */"}, {chroma.LiteralStringSingle, "'it''s'"}, {chroma.NameVariable, "?"}, {chroma.NameVariable, ":name"}, {chroma.NameVariable, "$1"}, {chroma.Operator, ">="}, {chroma.LiteralNumberFloat, "1.5e3"}, {chroma.LiteralNumberInteger, "20"}, {chroma.Punctuation, ";"}}},
	{lang: "sql", code: "select count(*) from members where email is not null",
		want: []token{{chroma.Keyword, "select"}, {chroma.NameBuiltin, "count"}, {chroma.Keyword, "is"}, {chroma.Keyword, "not"}, {chroma.Keyword, "null"}}},
	{lang: "sql", code: "CREATE TABLE t (id INTEGER PRIMARY KEY, [order] TEXT, `group` BLOB DEFAULT x'00') /* open",
		want: []token{{chroma.Keyword, "CREATE"}, {chroma.NameBuiltin, "INTEGER"}, {chroma.Name, "[order]"}, {chroma.Name, "`group`"}, {chroma.LiteralStringSingle, "x'00'"}, {chroma.CommentMultiline, "/* open"}}},
	{lang: "json", code: `{"id": 42, "name": "a \"quoted\" name", "ok": true, "none": null, "price": -1.5e3, "tags": ["x"]}`,
		want: []token{{chroma.NameTag, `"id"`}, {chroma.LiteralNumberInteger, "42"}, {chroma.NameTag, `"name"`}, {chroma.LiteralStringDouble, `"a \"quoted\" name"`}, {chroma.KeywordConstant, "true"}, {chroma.KeywordConstant, "null"}, {chroma.LiteralNumberFloat, "-1.5e3"}, {chroma.LiteralStringDouble, `"x"`}, {chroma.Punctuation, "]}"}}},
	{lang: "html", code: "<!DOCTYPE html>\n<!-- note -->\n<form action=\"/transfer\" method=post><input type='hidden' disabled></form>\n<p>Tom &amp; Jerry</p>",
		want: []token{{chroma.CommentPreproc, "<!DOCTYPE html>"}, {chroma.Comment, "<!-- note -->"}, {chroma.NameTag, "form"}, {chroma.NameAttribute, "action"}, {chroma.Operator, "="}, {chroma.LiteralString, `"/transfer"`}, {chroma.LiteralString, "post"}, {chroma.LiteralString, "'hidden'"}, {chroma.NameAttribute, "disabled"}, {chroma.NameEntity, "&amp;"}, {chroma.Text, "Tom "}}},
	{lang: "html", code: "<script>fetch(\"/steal?c=\" + document.cookie); // bye\n</script><style>p { color: red; }</style>",
		want: []token{{chroma.NameTag, "script"}, {chroma.NameBuiltin, "fetch"}, {chroma.LiteralStringDouble, `"/steal?c="`}, {chroma.NameBuiltin, "document"}, {chroma.CommentSingle, "// bye"}, {chroma.NameTag, "style"}, {chroma.Keyword, "color"}, {chroma.KeywordConstant, "red"}}},
	{lang: "http", code: "POST /api/v1/orders HTTP/1.1\nHost: localhost:8080\nContent-Type: application/json\n\n{\"qty\": 2}",
		want: []token{{chroma.NameFunction, "POST"}, {chroma.NameNamespace, "/api/v1/orders"}, {chroma.KeywordReserved, "HTTP"}, {chroma.Name, "Content-Type"}, {chroma.Operator, ":"}, {chroma.Literal, "application/json"}, {chroma.NameTag, `"qty"`}, {chroma.LiteralNumberInteger, "2"}}},
	{lang: "http", code: "HTTP/1.1 404 Not Found\nContent-Type: text/html\n\n<p>gone</p>",
		want: []token{{chroma.LiteralNumber, "404"}, {chroma.NameException, "Not Found"}, {chroma.Name, "Content-Type"}, {chroma.NameTag, "p"}}},
	{lang: "go", code: "package web\n\n// a test\nfunc TestX(t *testing.T) {\n\tx := 1.5\n\ts := \"a \\\"b\\\"\"\n\tif len(s) > 0 && x != nil { t.Fatal('c') }\n}",
		want: []token{{chroma.KeywordNamespace, "package"}, {chroma.CommentSingle, "// a test"}, {chroma.KeywordDeclaration, "func"}, {chroma.NameFunction, "TestX"}, {chroma.LiteralNumberFloat, "1.5"}, {chroma.LiteralString, `"a \"b\""`}, {chroma.Keyword, "if"}, {chroma.NameBuiltin, "len"}, {chroma.KeywordConstant, "nil"}, {chroma.LiteralStringChar, "'c'"}, {chroma.Operator, ":="}}},
	{lang: "bash", code: "#!/usr/bin/env bash\n# setup\nset -euo pipefail\nexport DIR=\"$HOME/x ${B:-y}\"\nif [[ -n $DIR ]]; then echo 'it'\\''s' >&2; fi\nn=$((n + 1)) # count\nx=$(date +%s)",
		want: []token{{chroma.CommentHashbang, "#!/usr/bin/env bash"}, {chroma.CommentSingle, "# setup"}, {chroma.NameBuiltin, "set"}, {chroma.NameVariable, "DIR"}, {chroma.NameVariable, "$HOME"}, {chroma.LiteralStringInterpol, "${"}, {chroma.Keyword, "if"}, {chroma.Operator, "[["}, {chroma.LiteralStringSingle, "'it'"}, {chroma.LiteralStringEscape, `\'`}, {chroma.Operator, ">&2"}, {chroma.Keyword, "fi"}, {chroma.Keyword, "$(("}, {chroma.CommentSingle, "# count"}, {chroma.Keyword, "$("}}},
	{lang: "dockerfile", code: "# syntax=docker/dockerfile:1\nFROM golang:1.26 AS build\nENV CGO_ENABLED=0\nRUN --mount=type=cache,target=/root/.cache \\\n    go build -o /x . && echo \"done\"\nHEALTHCHECK --interval=15s CMD [\"/x\", \"healthcheck\"]",
		want: []token{{chroma.Comment, "# syntax=docker/dockerfile:1"}, {chroma.Keyword, "FROM"}, {chroma.LiteralString, "golang:1.26"}, {chroma.Keyword, "AS"}, {chroma.NameVariable, "CGO_ENABLED"}, {chroma.NameAttribute, "--mount"}, {chroma.LiteralStringEscape, "\\\n"}, {chroma.Punctuation, "&&"}, {chroma.LiteralStringDouble, `"done"`}, {chroma.Keyword, "CMD"}, {chroma.LiteralStringDouble, `"/x"`}}},
	{lang: "yaml", code: "# ci\non:\n  push:\n    branches: [main]\nsteps:\n  - run: |\n      go test ./...\n      echo \"a: b\"\n  - name: it's # trailing\n    env: {A: 1, B: 'x''y', C: true, D: null}\n",
		want: []token{{chroma.Comment, "# ci"}, {chroma.NameTag, "on"}, {chroma.NameTag, "branches"}, {chroma.Literal, "main"}, {chroma.NameTag, "run"}, {chroma.LiteralString, "\n      go test ./...\n      echo \"a: b\"\n"}, {chroma.Literal, "it's"}, {chroma.Comment, "# trailing"}, {chroma.LiteralNumberInteger, "1"}, {chroma.LiteralStringSingle, "'x''y'"}, {chroma.KeywordConstant, "true"}}},
	{lang: "toml", code: "# fly\napp = \"engineroom\"\n[http_service]\n  internal_port = 8080\n  force_https = true\n[[vm]]\n  memory = 'a \"b\"'\n",
		want: []token{{chroma.Comment, "# fly"}, {chroma.NameTag, "app"}, {chroma.LiteralStringDouble, `"engineroom"`}, {chroma.NameNamespace, "http_service"}, {chroma.LiteralNumberInteger, "8080"}, {chroma.KeywordConstant, "true"}, {chroma.NameNamespace, "vm"}, {chroma.LiteralStringSingle, `'a "b"'`}}},
	{lang: "text", code: "SET cart:42 '{\"n\": 1}' EX 60",
		want: []token{{chroma.Text, "SET cart:42 '{\"n\": 1}' EX 60"}}},
}

func TestLexers(t *testing.T) {
	set := New()
	for _, tt := range lexerCases {
		t.Run(tt.lang+"/"+firstLine(tt.code), func(t *testing.T) {
			got := tokens(t, set, tt.lang, tt.code)
			if joined := join(got); joined != tt.code {
				t.Fatalf("tokens join to %q, want the input", joined)
			}
			for _, tok := range got {
				if tok.Type == chroma.Error {
					t.Errorf("error token %q in %v", tok.Value, got)
				}
			}
			for _, w := range tt.want {
				if !hasToken(got, w) {
					t.Errorf("no %s token %q in:\n%s", w.typ, w.value, dump(got))
				}
			}
		})
	}
}

func TestGet(t *testing.T) {
	set := New()
	tests := []struct {
		lang, want string
	}{
		{lang: "sql", want: "sql"},
		{lang: "SQLite", want: "sql"},
		{lang: "JSON", want: "json"},
		{lang: "Dockerfile", want: "dockerfile"},
		{lang: "sh", want: "bash"},
		{lang: "yml", want: "yaml"},
		{lang: "golang", want: "go"},
		{lang: "plaintext", want: "text"},
		{lang: " http ", want: "http"},
		{lang: "", want: ""},
		{lang: "cobol", want: ""},
		{lang: "*.go", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			got := ""
			if l := set.Get(tt.lang); l != nil {
				got = l.Config().Name
			}
			if got != tt.want {
				t.Errorf("Get(%q) = %q, want %q", tt.lang, got, tt.want)
			}
		})
	}
	if got, want := len(set.Languages()), 10; got != want {
		t.Errorf("%d languages, want %d: %v", got, want, set.Languages())
	}
}

func tokens(t testing.TB, set *Set, lang, code string) []chroma.Token {
	t.Helper()
	l := set.Get(lang)
	if l == nil {
		t.Fatalf("no lexer for %q", lang)
	}
	it, err := chroma.Coalesce(l).Tokenise(nil, code)
	if err != nil {
		t.Fatalf("tokenising %s: %v", lang, err)
	}
	return it.Tokens()
}

func hasToken(toks []chroma.Token, w token) bool {
	for _, tok := range toks {
		if tok.Type == w.typ && tok.Value == w.value {
			return true
		}
	}
	return false
}

func join(toks []chroma.Token) string {
	var b strings.Builder
	for _, tok := range toks {
		b.WriteString(tok.Value)
	}
	return b.String()
}

func dump(toks []chroma.Token) string {
	var b strings.Builder
	for _, tok := range toks {
		b.WriteString(tok.Type.String() + " " + strings.ReplaceAll(tok.Value, "\n", `\n`) + "\n")
	}
	return b.String()
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s[:min(len(s), 24)]
}

package highlight

import (
	"strings"
	"testing"
	"time"

	"github.com/alecthomas/chroma/v2"
)

// FuzzLexers feeds arbitrary text to every lexer: each must end, emit no
// error tokens (every state has a rule for any character) and give back
// the text it was given, as chroma reads it (line ends as \n, invalid
// UTF-8 as U+FFFD).
func FuzzLexers(f *testing.F) {
	for _, tt := range lexerCases {
		f.Add(tt.code)
	}
	for _, s := range []string{"", "\n", "'", `"`, "`", "/*", "<!--", "<script>", "${", "$((", "a: |\n", "[", "\\", "x\r\ny\rz", "\xff\xfe"} {
		f.Add(s)
	}
	set := New()
	f.Fuzz(func(t *testing.T, code string) {
		want := string([]rune(strings.ReplaceAll(strings.ReplaceAll(code, "\r\n", "\n"), "\r", "\n")))
		for _, lang := range set.Languages() {
			done := make(chan []chroma.Token, 1)
			go func() { done <- tokens(t, set, lang, code) }()
			var got []chroma.Token
			select {
			case got = <-done:
			case <-time.After(5 * time.Second):
				t.Fatalf("%s: no end after 5 s on %q", lang, code)
			}
			if joined := join(got); joined != want {
				t.Fatalf("%s: tokens join to %q, want %q", lang, joined, want)
			}
			for _, tok := range got {
				if tok.Type == chroma.Error {
					t.Fatalf("%s: error token %q in %q", lang, tok.Value, code)
				}
			}
		}
	})
}

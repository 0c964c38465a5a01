package highlight

import (
	"strings"

	. "github.com/alecthomas/chroma/v2"
)

// contentType is the LexerState key under which the HTTP lexer keeps the
// message's Content-Type until it reaches the body.
type contentType struct{}

// newHTTP lexes an HTTP/1.1 request or response: the request or status
// line, the header fields, and a body in JSON or HTML when the
// Content-Type (or, lacking one, the body's first character) says so.
func newHTTP(json, html Lexer) *RegexLexer {
	const token = "[!#$%&'*+.^_`|~0-9A-Za-z-]+"
	body := EmitterFunc(func(g []string, s *LexerState) Iterator {
		ct, _ := s.Get(contentType{}).(string)
		ct = strings.ToLower(ct)
		first := strings.TrimLeft(g[0], " \t\n")
		switch {
		case strings.Contains(ct, "json"), ct == "" && (strings.HasPrefix(first, "{") || strings.HasPrefix(first, "[")):
			return nested(json, g[0])
		case strings.Contains(ct, "html"), ct == "" && strings.HasPrefix(first, "<"):
			return nested(html, g[0])
		}
		return Literator(Token{Type: Text, Value: g[0]})
	})
	header := MutatorFunc(func(s *LexerState) error {
		if strings.EqualFold(s.Groups[1], "content-type") {
			s.Set(contentType{}, s.Groups[4])
		}
		return nil
	})
	return MustNewLexer(&Config{Name: "http", Aliases: []string{"https"}},
		func() Rules {
			return Rules{
				"root": {
					{Pattern: `([A-Z]+)( +)([^ \n]+)( +)(HTTP)(/)([\d.]+)([ \t]*\n?)`, Type: groups(NameFunction, Text, NameNamespace, Text, KeywordReserved, Operator, LiteralNumber, Text), Mutator: Push("headers")},
					{Pattern: `([A-Z]+)( +)([^ \n]+)([ \t]*\n?)`, Type: groups(NameFunction, Text, NameNamespace, Text), Mutator: Push("headers")},
					{Pattern: `(HTTP)(/)([\d.]+)( +)(\d{3})( *)([^\n]*)(\n?)`, Type: groups(KeywordReserved, Operator, LiteralNumber, Text, LiteralNumber, Text, NameException, Text), Mutator: Push("headers")},
					Default(Push("headers")),
				},
				"headers": {
					{Pattern: `(` + token + `)(:)([ \t]*)([^\n]*)(\n?)`, Type: groups(Name, Operator, Text, Literal, Text), Mutator: header},
					{Pattern: `\n`, Type: Text, Mutator: Push("body")},
					{Pattern: `[^\n]+\n?`, Type: Text},
				},
				"body": {
					{Pattern: `[\s\S]+`, Type: body},
				},
			}
		})
}

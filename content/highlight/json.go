package highlight

import . "github.com/alecthomas/chroma/v2"

// newJSON lexes JSON with object keys as name tags and string values as
// strings, as chroma's own JSON lexer does, so the two read differently.
// A string followed by a colon is a key: in JSON nothing else is.
// Strings stop at a line end, so one unclosed quote spoils only its line.
func newJSON() *RegexLexer {
	const str = `"(?:[^"\\\n]|\\[^\n])*"`
	return MustNewLexer(&Config{Name: "json", Aliases: []string{"jsonl", "json5", "jsonc"}, MimeTypes: []string{"application/json"}},
		func() Rules {
			return Rules{
				"root": {
					{Pattern: `\s+`, Type: Text},
					{Pattern: str + `(?=\s*:)`, Type: NameTag},
					{Pattern: str + `?`, Type: LiteralStringDouble},
					{Pattern: `(?:true|false|null)\b`, Type: KeywordConstant},
					{Pattern: `-?\d+(?:\.\d+(?:[eE][+-]?\d+)?|[eE][+-]?\d+)`, Type: LiteralNumberFloat},
					{Pattern: `-?\d+`, Type: LiteralNumberInteger},
					{Pattern: `[{}\[\],:]`, Type: Punctuation},
					{Pattern: `//[^\n]*`, Type: CommentSingle},
					{Pattern: `[^\s"{}\[\],:]+`, Type: Text},
					{Pattern: `[\s\S]`, Type: Text},
				},
			}
		})
}

package highlight

import . "github.com/alecthomas/chroma/v2"

// newYAML lexes YAML as configuration files use it: comments, keys
// (as name tags, like JSON's), quoted and plain scalars, constants and
// numbers, flow collections, anchors, tags, and block scalars (| and >),
// whose more-indented lines are all one string.
func newYAML() *RegexLexer {
	// end is what may follow a scalar that is a constant or a number.
	const end = `(?=[ \t]*(?:$|#|[,\]}]))`
	const key = `(?:[^\s#:'"\[\]{},&*!|>%@\x60-](?>[^\s#:,\[\]{}]+|[ \t]+(?=[^\s#:,\[\]{}]))*|"(?:[^"\\\n]|\\[^\n])*"|'(?:[^'\n]|'')*')`
	return MustNewLexer(&Config{Name: "yaml", Aliases: []string{"yml"}},
		func() Rules {
			return Rules{
				"root": {
					{Pattern: `^([ \t]*)((?:-[ \t]+)*)(` + key + `)([ \t]*)(:)([ \t]+)([|>][-+0-9]*)([ \t]*(?:#[^\n]*)?)(\n(?:[ \t]*\n|\1[ \t]+[^\n]*(?:\n|\z))*)`,
						Type: groups(Text, Punctuation, NameTag, Text, Punctuation, Text, Punctuation, Comment, LiteralString)},
					{Pattern: `\n|[ \t]+`, Type: Text},
					{Pattern: `(?<![^\s\[{,])#[^\n]*`, Type: Comment},
					{Pattern: `^(?:---|\.\.\.)(?=\s|$)`, Type: Punctuation},
					{Pattern: `(` + key + `)([ \t]*)(:)(?=\s|$)`, Type: groups(NameTag, Text, Punctuation)},
					{Pattern: `-(?=\s|$)`, Type: Punctuation},
					{Pattern: `"(?:[^"\\\n]|\\[^\n])*"?`, Type: LiteralStringDouble},
					{Pattern: `'(?:[^'\n]|'')*'?`, Type: LiteralStringSingle},
					{Pattern: `[&*][^\s,\[\]{}]+`, Type: NameLabel},
					{Pattern: `!!?[^\s,\[\]{}]*`, Type: KeywordType},
					{Pattern: `(?i:true|false|yes|no|on|off|null|~)` + end, Type: KeywordConstant},
					{Pattern: `[-+]?(?:\d[\d_]*\.\d*|\.\d+)(?:[eE][-+]?\d+)?` + end, Type: LiteralNumberFloat},
					{Pattern: `[-+]?(?:0x[0-9a-fA-F]+|\d[\d_]*)` + end, Type: LiteralNumberInteger},
					{Pattern: `[\[\]{},]`, Type: Punctuation},
					{Pattern: `[^\s#,\[\]{}](?>[^\s,\[\]{}]+|[ \t]+(?=[^\s#,\[\]{}]))*`, Type: Literal},
					{Pattern: `[\s\S]`, Type: Text},
				},
			}
		})
}

// newTOML lexes TOML: comments, [tables], keys, strings (basic, literal
// and multi-line), booleans, numbers and dates, arrays and inline tables.
func newTOML() *RegexLexer {
	const key = `(?:[A-Za-z0-9_-]+|"(?:[^"\\\n]|\\[^\n])*"|'[^'\n]*')`
	return MustNewLexer(&Config{Name: "toml", Aliases: []string{"tml"}},
		func() Rules {
			return Rules{
				"root": {
					{Pattern: `\s+`, Type: Text},
					{Pattern: `#[^\n]*`, Type: Comment},
					{Pattern: `(?<=^[ \t]*)(\[\[?)([^\]\n]*)(\]\]?)`, Type: groups(Punctuation, NameNamespace, Punctuation)},
					{Pattern: `(?<=^[ \t]*|[{,][ \t]*)(` + key + `(?:[ \t]*\.[ \t]*` + key + `)*)([ \t]*)(=)`, Type: groups(NameTag, Text, Operator)},
					{Pattern: `"""[\s\S]*?(?:"""|\z)`, Type: LiteralStringDouble},
					{Pattern: `'''[\s\S]*?(?:'''|\z)`, Type: LiteralStringSingle},
					{Pattern: `"(?:[^"\\\n]|\\[^\n])*"?`, Type: LiteralStringDouble},
					{Pattern: `'[^'\n]*'?`, Type: LiteralStringSingle},
					{Pattern: `(?:true|false)\b`, Type: KeywordConstant},
					{Pattern: `\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)?|\d{2}:\d{2}:\d{2}(?:\.\d+)?`, Type: LiteralDate},
					{Pattern: `[-+]?(?:inf|nan)\b|[-+]?\d[\d_]*(?:\.[\d_]+)?(?:[eE][-+]?\d+)|[-+]?\d[\d_]*\.[\d_]+`, Type: LiteralNumberFloat},
					{Pattern: `0x[0-9a-fA-F_]+|0o[0-7_]+|0b[01_]+|[-+]?\d[\d_]*`, Type: LiteralNumberInteger},
					{Pattern: `[\[\]{},.]`, Type: Punctuation},
					{Pattern: `[^\s#\[\]{},."'=]+|[\s\S]`, Type: Text},
				},
			}
		})
}

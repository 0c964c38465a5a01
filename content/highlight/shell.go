package highlight

import . "github.com/alecthomas/chroma/v2"

// The shell's reserved words and the builtins scripts use most.
const (
	shKeywords = `case do done elif else esac fi for function if in select then time until while`
	shBuiltins = `alias break builtin cd command continue declare echo eval exec exit export
false getopts hash local printf pwd read readonly return set shift source test trap true
type ulimit umask unset wait`
)

// newBash lexes POSIX shell and bash scripts: comments, quoting,
// parameter and command substitution, assignments and keywords. Inside
// "double quotes" substitutions stay highlighted, as the shell expands
// them there.
func newBash() *RegexLexer {
	kw := kinds(nil, Keyword, shKeywords)
	kw = kinds(kw, NameBuiltin, shBuiltins)
	kw = kinds(kw, Operator, "[ ] [[ ]]")
	const param = `\$(?:[A-Za-z_]\w*|[0-9@*#?$!-])`
	substitutions := []Rule{
		{Pattern: `\$\{`, Type: LiteralStringInterpol, Mutator: Push("brace")},
		{Pattern: `\$\(\(`, Type: Keyword, Mutator: Push("arith")},
		{Pattern: `\$\(`, Type: Keyword, Mutator: Push("subst")},
		{Pattern: param, Type: NameVariable},
		{Pattern: "`[^`]*`?", Type: LiteralStringBacktick},
	}
	return MustNewLexer(&Config{Name: "bash", Aliases: []string{"sh", "shell", "zsh", "ksh"}},
		func() Rules {
			root := []Rule{
				{Pattern: `\A#![^\n]*`, Type: CommentHashbang},
				{Pattern: `[ \t]+|\n`, Type: Text},
				{Pattern: `\\[\s\S]`, Type: LiteralStringEscape},
				{Pattern: `(?<![^\s;&|(){}])#[^\n]*`, Type: CommentSingle},
			}
			root = append(root, substitutions...)
			root = append(root,
				Rule{Pattern: `"`, Type: LiteralStringDouble, Mutator: Push("dq")},
				Rule{Pattern: `\$?'[^']*'?`, Type: LiteralStringSingle},
				Rule{Pattern: `(?<![^\s;&|(){}])([A-Za-z_]\w*)(\+?=)`, Type: groups(NameVariable, Operator)},
				Rule{Pattern: `(?<![^\s;&|(){}])([A-Za-z_][\w-]*)([ \t]*)(\(\))`, Type: groups(NameFunction, Text, Punctuation)},
				Rule{Pattern: `\(\(`, Type: Keyword, Mutator: Push("arith")},
				Rule{Pattern: `\(`, Type: Punctuation, Mutator: Push("group")},
				Rule{Pattern: `\)`, Type: Punctuation},
				Rule{Pattern: `&&|\|\||;;|[;&|{}]`, Type: Punctuation},
				Rule{Pattern: `\d*(?:>&|<&|>>?|<<<?|<>)-?\d*|&>>?`, Type: Operator},
				Rule{Pattern: `[^\s$"'\x60;&|<>(){}\\]+`, Type: words(kw, false, Text)},
				Rule{Pattern: `[\s\S]`, Type: Text},
			)
			dq := append([]Rule{
				{Pattern: `"`, Type: LiteralStringDouble, Mutator: Pop(1)},
				{Pattern: `\\[\s\S]`, Type: LiteralStringEscape},
			}, substitutions...)
			dq = append(dq,
				Rule{Pattern: `[^"\\$\x60]+`, Type: LiteralStringDouble},
				Rule{Pattern: `[\s\S]`, Type: LiteralStringDouble},
			)
			return Rules{
				"root": root,
				"dq":   dq,
				"subst": {
					{Pattern: `\)`, Type: Keyword, Mutator: Pop(1)},
					Include("root"),
				},
				"group": {
					{Pattern: `\)`, Type: Punctuation, Mutator: Pop(1)},
					Include("root"),
				},
				"brace": {
					{Pattern: `\}`, Type: LiteralStringInterpol, Mutator: Pop(1)},
					{Pattern: `\$\{`, Type: LiteralStringInterpol, Mutator: Push("brace")},
					{Pattern: param, Type: NameVariable},
					{Pattern: `[#!]?[A-Za-z_]\w*|[0-9@*#?$!-]`, Type: NameVariable},
					{Pattern: `[^}$]+`, Type: Text},
					{Pattern: `[\s\S]`, Type: Text},
				},
				"arith": {
					{Pattern: `\)\)`, Type: Keyword, Mutator: Pop(1)},
					{Pattern: `\s+`, Type: Text},
					{Pattern: `\$?[A-Za-z_]\w*`, Type: NameVariable},
					{Pattern: `\d+`, Type: LiteralNumber},
					{Pattern: `\(`, Type: Punctuation, Mutator: Push("parens")},
					{Pattern: `[^\s\w()$]+`, Type: Operator},
					{Pattern: `[\s\S]`, Type: Text},
				},
				"parens": {
					{Pattern: `\)`, Type: Punctuation, Mutator: Pop(1)},
					Include("arith"),
				},
			}
		})
}

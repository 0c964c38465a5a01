package highlight

import . "github.com/alecthomas/chroma/v2"

// Go's words, by the token type chroma's own Go lexer gives them (and so
// the colour the stylesheet has for them).
const (
	goKeywords = `break case continue default defer else fallthrough for go goto if range
return select switch`
	goDeclarations = `chan const func interface map struct type var`
	goConstants    = `true false nil iota`
	goTypes        = `any bool byte comparable complex64 complex128 error float32 float64 int
int8 int16 int32 int64 rune string uint uint8 uint16 uint32 uint64 uintptr`
	goBuiltins = `append cap clear close complex copy delete imag len make max min new panic
print println real recover`
)

// newGo lexes Go source such as the test table in the testing lesson.
func newGo() *RegexLexer {
	kw := kinds(nil, Keyword, goKeywords)
	kw = kinds(kw, KeywordDeclaration, goDeclarations)
	kw = kinds(kw, KeywordNamespace, "package import")
	kw = kinds(kw, KeywordConstant, goConstants)
	kw = kinds(kw, KeywordType, goTypes)
	kw = kinds(kw, NameBuiltin, goBuiltins)
	const ident = `[\p{L}_][\p{L}\p{N}_]*`
	return MustNewLexer(&Config{Name: "go", Aliases: []string{"golang"}},
		func() Rules {
			return Rules{
				"root": {
					{Pattern: `\s+`, Type: Text},
					{Pattern: `//[^\n]*`, Type: CommentSingle},
					{Pattern: `/\*[\s\S]*?(?:\*/|\z)`, Type: CommentMultiline},
					{Pattern: `"(?:[^"\\\n]|\\[^\n])*"?`, Type: LiteralString},
					{Pattern: "`[^`]*`?", Type: LiteralString},
					{Pattern: `'(?:[^'\\\n]|\\[^\n][^'\n]{0,8})'`, Type: LiteralStringChar},
					{Pattern: `0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+`, Type: LiteralNumber},
					{Pattern: `(?:\d[\d_]*\.[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d+)?i?|\d[\d_]*[eE][+-]?\d+i?`, Type: LiteralNumberFloat},
					{Pattern: `\d[\d_]*i?`, Type: LiteralNumberInteger},
					{Pattern: ident + `(?=\s*\()`, Type: words(kw, false, NameFunction)},
					{Pattern: ident, Type: words(kw, false, NameOther)},
					{Pattern: `\.\.\.|:=|<-|&&|\|\||==|!=|<=|>=|<<=?|>>=?|&\^=?|\+\+|--|[-+*/%&|^]=?|[<>!~]`, Type: Operator},
					{Pattern: `[(){}\[\],;.:=]`, Type: Punctuation},
					{Pattern: `[\s\S]`, Type: Text},
				},
			}
		})
}

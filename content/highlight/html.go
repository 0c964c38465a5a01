package highlight

import . "github.com/alecthomas/chroma/v2"

// jsWords are the JavaScript words worth a colour in a demo's <script>.
const (
	jsKeywords = `async await break case catch continue default delete do else export
finally for if import in instanceof new of return switch throw try typeof void while yield`
	jsDeclarations = `class const function let var`
	jsConstants    = `false null true undefined NaN Infinity this`
	jsBuiltins     = `alert console document fetch JSON localStorage location window`
)

// newHTML lexes HTML as the XSS and CSRF demos show it: tags and
// attributes, entities, comments, and a light pass over the JavaScript in
// <script> and the CSS in <style>, where an attack's payload often is.
func newHTML() *RegexLexer {
	js := kinds(nil, Keyword, jsKeywords)
	js = kinds(js, KeywordDeclaration, jsDeclarations)
	js = kinds(js, KeywordConstant, jsConstants)
	js = kinds(js, NameBuiltin, jsBuiltins)
	// closing matches the end tag </name>.
	closing := func(name string) Rule {
		return Rule{Pattern: `(<)(\s*)(/)(\s*)(` + name + `)(\s*)(>)`, Type: groups(Punctuation, Text, Punctuation, Text, NameTag, Text, Punctuation)}
	}
	// leaving is closing for the element whose content has a state of its own.
	leaving := func(name string) Rule {
		r := closing(name)
		r.Mutator = Pop(1)
		return r
	}
	return MustNewLexer(&Config{Name: "html", Aliases: []string{"htm", "xhtml"}, MimeTypes: []string{"text/html"}, CaseInsensitive: true},
		func() Rules {
			return Rules{
				"root": {
					{Pattern: `<!--[\s\S]*?(?:-->|\z)`, Type: Comment},
					{Pattern: `<!\[CDATA\[[\s\S]*?(?:\]\]>|\z)`, Type: CommentPreproc},
					{Pattern: `<![^>]*>?`, Type: CommentPreproc},
					{Pattern: `(<)(\s*)(script)(?=[\s/>])`, Type: groups(Punctuation, Text, NameTag), Mutator: Push("script", "tag")},
					{Pattern: `(<)(\s*)(style)(?=[\s/>])`, Type: groups(Punctuation, Text, NameTag), Mutator: Push("style", "tag")},
					{Pattern: `(<)(\s*)([\w:.-]+)`, Type: groups(Punctuation, Text, NameTag), Mutator: Push("tag")},
					closing(`[\w:.-]+`),
					{Pattern: `&(?:#\d+|#x[0-9a-f]+|[a-z][a-z0-9]*);?`, Type: NameEntity},
					{Pattern: `[^<&]+`, Type: Text},
					{Pattern: `[\s\S]`, Type: Text},
				},
				"tag": {
					{Pattern: `\s+`, Type: Text},
					{Pattern: `([^\s/>"'=]+)(\s*)(=)(\s*)`, Type: groups(NameAttribute, Text, Operator, Text), Mutator: Push("value")},
					{Pattern: `[^\s/>"'=]+`, Type: NameAttribute},
					{Pattern: `/?>`, Type: Punctuation, Mutator: Pop(1)},
					{Pattern: `[\s\S]`, Type: Text},
				},
				"value": {
					{Pattern: `"[^"]*"?`, Type: LiteralString, Mutator: Pop(1)},
					{Pattern: `'[^']*'?`, Type: LiteralString, Mutator: Pop(1)},
					{Pattern: `[^\s>"']+`, Type: LiteralString, Mutator: Pop(1)},
					Default(Pop(1)),
				},
				"script": {
					leaving(`script`),
					{Pattern: `\s+`, Type: Text},
					{Pattern: `//[^\n]*`, Type: CommentSingle},
					{Pattern: `/\*[\s\S]*?(?:\*/|\z)`, Type: CommentMultiline},
					{Pattern: `"(?:[^"\\\n]|\\[^\n])*"?`, Type: LiteralStringDouble},
					{Pattern: `'(?:[^'\\\n]|\\[^\n])*'?`, Type: LiteralStringSingle},
					{Pattern: "`(?:[^`\\\\]|\\\\[\\s\\S])*`?", Type: LiteralStringBacktick},
					{Pattern: `\d+(?:\.\d+)?(?:e[+-]?\d+)?`, Type: LiteralNumber},
					{Pattern: `[\p{L}_$][\p{L}\p{N}_$]*`, Type: words(js, false, NameOther)},
					{Pattern: `[{}()\[\];,.]`, Type: Punctuation},
					{Pattern: `[-+*/%=<>!&|^~?:]+`, Type: Operator},
					{Pattern: `[\s\S]`, Type: Text},
				},
				"style": {
					leaving(`style`),
					{Pattern: `\s+`, Type: Text},
					{Pattern: `/\*[\s\S]*?(?:\*/|\z)`, Type: CommentMultiline},
					{Pattern: `\{`, Type: Punctuation, Mutator: Push("declarations")},
					{Pattern: `[^\s{}</]+`, Type: NameTag},
					{Pattern: `[\s\S]`, Type: Text},
				},
				"declarations": {
					{Pattern: `(?=<\s*/\s*style)`, Mutator: Pop(1)},
					{Pattern: `\s+`, Type: Text},
					{Pattern: `/\*[\s\S]*?(?:\*/|\z)`, Type: CommentMultiline},
					{Pattern: `\}`, Type: Punctuation, Mutator: Pop(1)},
					{Pattern: `[\w-]+(?=\s*:)`, Type: Keyword},
					{Pattern: `#[0-9a-f]+|-?\d+(?:\.\d+)?(?:[a-z]+|%)?`, Type: LiteralNumber},
					{Pattern: `"[^"\n]*"?|'[^'\n]*'?`, Type: LiteralString},
					{Pattern: `[\w-]+`, Type: KeywordConstant},
					{Pattern: `[:;,()]`, Type: Punctuation},
					{Pattern: `[\s\S]`, Type: Text},
				},
			}
		})
}

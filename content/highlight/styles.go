package highlight

import "github.com/alecthomas/chroma/v2"

// LightStyle and DarkStyle are the colours of highlighted code, one per theme: the
// page's stylesheet is written from them (class names only, so the
// Content-Security-Policy needs no inline styles). Every colour keeps a
// contrast of at least 5:1 against the code background of its theme
// (--code-bg in app.css, also in presenter mode).
//
// They are defined here rather than taken from chroma's styles package,
// whose init parses every one of its several dozen styles: about 2 MB and
// 20 ms at start-up for the two used.
var (
	LightStyle = chroma.MustNewStyle("engineroom-light", palette{
		text: "#15181d", comment: "#5b6470", keyword: "#b0163e", function: "#6a32b0",
		tag: "#17622a", attribute: "#7a4500", str: "#0c3d78", number: "#0757a8",
		deleted: "#8a1020", inserted: "#17622a",
	}.entries())
	DarkStyle = chroma.MustNewStyle("engineroom-dark", palette{
		text: "#e8ecf1", comment: "#939ba6", keyword: "#ff7e8e", function: "#cfa6ff",
		tag: "#7fdf8a", attribute: "#ffb36b", str: "#a8d4ff", number: "#7cbcff",
		deleted: "#ff9aa5", inserted: "#7fdf8a",
	}.entries())
)

// palette is the few colours a style is made of.
type palette struct {
	text, comment, keyword, function, tag, attribute, str, number, deleted, inserted string
}

// entries maps token types to the palette. Subtypes not named inherit
// their parent's colour (Keyword.Type from Keyword, say).
func (p palette) entries() chroma.StyleEntries {
	return chroma.StyleEntries{
		chroma.Background:          p.text,
		chroma.Text:                p.text,
		chroma.Error:               p.deleted,
		chroma.Comment:             "italic " + p.comment,
		chroma.CommentPreproc:      "noitalic " + p.keyword,
		chroma.Keyword:             p.keyword,
		chroma.KeywordConstant:     p.number,
		chroma.Operator:            p.keyword,
		chroma.OperatorWord:        p.keyword,
		chroma.Punctuation:         p.text,
		chroma.Name:                p.text,
		chroma.NameBuiltin:         p.function,
		chroma.NameFunction:        p.function,
		chroma.NameClass:           p.function,
		chroma.NameTag:             p.tag,
		chroma.NameAttribute:       p.attribute,
		chroma.NameVariable:        p.attribute,
		chroma.NameConstant:        p.number,
		chroma.NameEntity:          p.tag,
		chroma.LiteralString:       p.str,
		chroma.LiteralNumber:       p.number,
		chroma.Literal:             p.number,
		chroma.GenericHeading:      "bold " + p.number,
		chroma.GenericSubheading:   "bold " + p.number,
		chroma.GenericDeleted:      p.deleted,
		chroma.GenericInserted:     p.inserted,
		chroma.GenericEmph:         "italic",
		chroma.GenericStrong:       "bold",
		chroma.GenericPrompt:       p.comment,
		chroma.GenericOutput:       p.text,
		chroma.GenericTraceback:    p.deleted,
		chroma.GenericUnderline:    "underline",
		chroma.TextWhitespace:      p.text,
		chroma.LiteralStringEscape: p.attribute,
	}
}

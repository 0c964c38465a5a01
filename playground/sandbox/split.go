package sandbox

import "strings"

// Split cuts src into statements at the semicolons that end them, the way
// SQLite would read them. Semicolons inside '…' strings (where a doubled
// quote stands for one), "…", `…` and […] identifiers, -- and /* */
// comments, and inside the BEGIN … END body of a CREATE TRIGGER do not end
// a statement. Statements are returned without their semicolon and
// surrounding whitespace; comments inside or before a statement stay with
// it, and pieces that hold nothing but whitespace and comments are dropped.
// An unterminated string, quoted identifier or comment runs to the end of
// src.
func Split(src string) []string {
	var out []string
	lx := lexer{src: src}
	start := 0
	var st stmtState
	for {
		tok, text := lx.next()
		switch tok {
		case tokEOF:
			if st.content {
				out = append(out, trimSpace(src[start:]))
			}
			return out
		case tokSemicolon:
			if st.trigger && st.depth > 0 {
				continue
			}
			if st.content {
				out = append(out, trimSpace(src[start:lx.pos-1]))
			}
			start, st = lx.pos, stmtState{}
		case tokWord:
			st.word(strings.ToUpper(text))
		case tokOther:
			st.content, st.words = true, st.words+1
		}
	}
}

// stmtState follows one statement far enough to know whether a semicolon
// ends it: only CREATE TRIGGER bodies hold semicolons.
type stmtState struct {
	content bool // something other than whitespace and comments
	words   int  // tokens seen, up to the TRIGGER keyword
	first   string
	temp    bool
	trigger bool
	depth   int // BEGIN/CASE … END nesting inside a trigger body
}

func (st *stmtState) word(w string) {
	st.content = true
	switch {
	case st.trigger:
		switch {
		case w == "BEGIN" && st.depth == 0, w == "CASE" && st.depth > 0:
			st.depth++
		case w == "END" && st.depth > 0:
			st.depth--
		}
	case st.words == 0:
		st.first = w
	case st.first == "CREATE" && st.words == 1 && (w == "TEMP" || w == "TEMPORARY"):
		st.temp = true
	case st.first == "CREATE" && w == "TRIGGER" && (st.words == 1 || st.words == 2 && st.temp):
		st.trigger = true
	}
	st.words++
}

type token int

const (
	tokEOF token = iota
	tokSemicolon
	tokWord    // keyword, identifier or number
	tokOther   // string, quoted identifier, operator, punctuation
	tokComment // -- or /* */ comment
)

// lexer splits SQL text into the few token kinds Split cares about.
type lexer struct {
	src string
	pos int
}

func (lx *lexer) next() (token, string) {
	for lx.pos < len(lx.src) && isSpace(lx.src[lx.pos]) {
		lx.pos++
	}
	if lx.pos >= len(lx.src) {
		return tokEOF, ""
	}
	start := lx.pos
	c := lx.src[lx.pos]
	switch {
	case c == ';':
		lx.pos++
		return tokSemicolon, ";"
	case c == '\'' || c == '"' || c == '`':
		lx.quoted(c, c)
	case c == '[':
		lx.quoted('[', ']')
	case c == '-' && strings.HasPrefix(lx.src[lx.pos:], "--"):
		if i := strings.IndexByte(lx.src[lx.pos:], '\n'); i >= 0 {
			lx.pos += i + 1
		} else {
			lx.pos = len(lx.src)
		}
		return tokComment, lx.src[start:lx.pos]
	case c == '/' && strings.HasPrefix(lx.src[lx.pos:], "/*"):
		if i := strings.Index(lx.src[lx.pos+2:], "*/"); i >= 0 {
			lx.pos += i + 4
		} else {
			lx.pos = len(lx.src)
		}
		return tokComment, lx.src[start:lx.pos]
	case isWordByte(c):
		for lx.pos < len(lx.src) && isWordByte(lx.src[lx.pos]) {
			lx.pos++
		}
		return tokWord, lx.src[start:lx.pos]
	default:
		lx.pos++
	}
	return tokOther, lx.src[start:lx.pos]
}

// quoted skips a quoted string or identifier; a doubled closing quote
// (except for […]) stands for itself.
func (lx *lexer) quoted(open, close byte) {
	lx.pos++
	for lx.pos < len(lx.src) {
		c := lx.src[lx.pos]
		lx.pos++
		if c != close {
			continue
		}
		if open != '[' && lx.pos < len(lx.src) && lx.src[lx.pos] == close {
			lx.pos++
			continue
		}
		return
	}
}

// isSpace reports SQLite's whitespace bytes.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'
}

// isWordByte reports bytes that make up keywords, identifiers and numbers;
// SQLite treats every non-ASCII byte as an identifier byte.
func isWordByte(c byte) bool {
	return c == '_' || c == '$' || c >= 0x80 ||
		'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func trimSpace(s string) string {
	return strings.Trim(s, " \t\n\f\r")
}

// firstKeyword returns the first word of a statement, upper-cased, skipping
// comments; "" if there is none.
func firstKeyword(stmt string) string {
	lx := lexer{src: stmt}
	for {
		switch tok, text := lx.next(); tok {
		case tokComment:
			continue
		case tokWord:
			return strings.ToUpper(text)
		default:
			return ""
		}
	}
}

// Package highlight holds the lexers for the few languages Engine Room shows
// code in: SQL, JSON, HTML and HTTP in the demo panels and the back end
// pane; Go, shell and Dockerfile in the lessons; YAML and TOML for the
// configuration files (CI, fly.toml) the deployment lessons talk about.
//
// They run on chroma's regular-expression engine and emit chroma's token
// types, so chroma's HTML formatter and stylesheets work on them unchanged.
// They exist because importing chroma's own lexers package links and
// registers every one of its ~280 lexers: megabytes of binary and of idle
// memory for the handful we use.
package highlight

import (
	"slices"
	"strings"

	"github.com/alecthomas/chroma/v2"
)

// Set is the lexers, by language name and alias. It is safe for
// concurrent use; each lexer compiles its rules on first use.
type Set struct {
	byName map[string]chroma.Lexer
	names  []string
}

// New returns every lexer of the package.
func New() *Set {
	s := &Set{byName: make(map[string]chroma.Lexer)}
	text := newText()
	sql := newSQL()
	json := newJSON()
	html := newHTML()
	bash := newBash()
	for _, l := range []chroma.Lexer{
		text, sql, json, html, bash,
		newHTTP(json, html),
		newGo(),
		newDockerfile(bash),
		newYAML(),
		newTOML(),
	} {
		cfg := l.Config()
		s.names = append(s.names, cfg.Name)
		for _, name := range append([]string{cfg.Name}, cfg.Aliases...) {
			s.byName[strings.ToLower(name)] = l
		}
	}
	return s
}

// Get returns the lexer for a language name or alias, in any case, such
// as a fenced code block's info string ("sql", "Dockerfile", "sh"), or
// nil when there is none: such code is shown plain.
func (s *Set) Get(lang string) chroma.Lexer {
	return s.byName[strings.ToLower(strings.TrimSpace(lang))]
}

// Languages returns the canonical name of every lexer.
func (s *Set) Languages() []string { return slices.Clone(s.names) }

// newText is the lexer for "text": code shown in the highlighted block's
// shape but without colours, such as a Redis command.
func newText() *chroma.RegexLexer {
	return chroma.MustNewLexer(&chroma.Config{Name: "text", Aliases: []string{"plaintext", "plain", "txt", "no-highlight"}},
		func() chroma.Rules {
			return chroma.Rules{"root": {{Pattern: `[\s\S]+`, Type: chroma.Text}}}
		})
}

// groups emits one token per capture group, like chroma.ByGroups, but
// leaves out empty groups, which the HTML formatter would turn into empty
// <span>s.
func groups(types ...chroma.TokenType) chroma.Emitter {
	return chroma.EmitterFunc(func(g []string, _ *chroma.LexerState) chroma.Iterator {
		out := make([]chroma.Token, 0, len(types))
		for i, t := range types {
			if i+1 < len(g) && g[i+1] != "" {
				out = append(out, chroma.Token{Type: t, Value: g[i+1]})
			}
		}
		return chroma.Literator(out...)
	})
}

// words emits a matched word as the type its (upper-cased when fold is
// set) spelling has in kinds, or as other. A map lookup is cheaper and
// easier to read than a regular expression of a few hundred keywords.
func words(kinds map[string]chroma.TokenType, fold bool, other chroma.TokenType) chroma.Emitter {
	return chroma.EmitterFunc(func(g []string, _ *chroma.LexerState) chroma.Iterator {
		w := g[0]
		if fold {
			w = strings.ToUpper(w)
		}
		t, ok := kinds[w]
		if !ok {
			t = other
		}
		return chroma.Literator(chroma.Token{Type: t, Value: g[0]})
	})
}

// kinds builds a words table: every space-separated word of list has type t.
func kinds(m map[string]chroma.TokenType, t chroma.TokenType, list string) map[string]chroma.TokenType {
	if m == nil {
		m = make(map[string]chroma.TokenType)
	}
	for _, w := range strings.Fields(list) {
		m[w] = t
	}
	return m
}

// nested tokenises text with another lexer, as part of this one's output.
func nested(l chroma.Lexer, text string) chroma.Iterator {
	it, err := l.Tokenise(&chroma.TokeniseOptions{State: "root", Nested: true}, text)
	if err != nil {
		return chroma.Literator(chroma.Token{Type: chroma.Text, Value: text})
	}
	return it
}

package highlight

import (
	"strings"

	. "github.com/alecthomas/chroma/v2"
)

// dockerInstructions are the Dockerfile instructions other than FROM and
// the ones that take a command.
const dockerInstructions = `ADD ARG COPY ENV EXPOSE LABEL MAINTAINER ONBUILD STOPSIGNAL USER VOLUME WORKDIR`

// newDockerfile lexes a Dockerfile: comments and instructions, the image
// and stage names of FROM, flags, variables, and the shell form of RUN,
// CMD and ENTRYPOINT with the shell lexer (the exec form, a JSON array,
// as strings).
func newDockerfile(shell Lexer) *RegexLexer {
	shellForm := EmitterFunc(func(g []string, _ *LexerState) Iterator { return nested(shell, g[0]) })
	continued := Rule{Pattern: `\\[ \t]*\n`, Type: LiteralStringEscape}
	flag := Rule{Pattern: `(--[\w-]+)(?:(=)([^\s\\]*))?`, Type: groups(NameAttribute, Operator, Text)}
	variable := Rule{Pattern: `\$\{[^}\n]*\}?|\$\w+`, Type: NameVariable}
	strs := Rule{Pattern: `"(?:[^"\\\n]|\\[^\n])*"?|'[^'\n]*'?`, Type: LiteralString}
	return MustNewLexer(&Config{Name: "dockerfile", Aliases: []string{"docker", "containerfile"}, CaseInsensitive: true},
		func() Rules {
			return Rules{
				"root": {
					{Pattern: `[ \t]*#[^\n]*`, Type: Comment},
					{Pattern: `([ \t]*)(FROM)\b`, Type: groups(Text, Keyword), Mutator: Push("from")},
					{Pattern: `([ \t]*)(RUN|CMD|ENTRYPOINT|SHELL)\b`, Type: groups(Text, Keyword), Mutator: Push("command")},
					{Pattern: `([ \t]*)(HEALTHCHECK)\b`, Type: groups(Text, Keyword), Mutator: Push("healthcheck")},
					{Pattern: `([ \t]*)(` + wordsPattern(dockerInstructions) + `)\b`, Type: groups(Text, Keyword), Mutator: Push("args")},
					{Pattern: `\s+`, Type: Text},
					{Pattern: `[^\n]+`, Type: Text},
				},
				"from": {
					{Pattern: `\n`, Type: Text, Mutator: Pop(1)},
					continued, flag, variable,
					{Pattern: `(?<=\s)AS(?=\s)`, Type: Keyword},
					{Pattern: `[ \t]+`, Type: Text},
					{Pattern: `[^\s\\$]+|[\s\S]`, Type: LiteralString},
				},
				"args": {
					{Pattern: `\n`, Type: Text, Mutator: Pop(1)},
					continued, flag, variable, strs,
					{Pattern: `(\w[\w.-]*)(=)`, Type: groups(NameVariable, Operator)},
					{Pattern: `[^\s\\$"'=]+|[\s\S]`, Type: Text},
				},
				"healthcheck": {
					{Pattern: `\n`, Type: Text, Mutator: Pop(1)},
					continued, flag,
					{Pattern: `(?<=\s)CMD\b`, Type: Keyword, Mutator: Mutators(Pop(1), Push("command"))},
					{Pattern: `[^\s\\]+|[\s\S]`, Type: Text},
				},
				"command": {
					{Pattern: `\n`, Type: Text, Mutator: Pop(1)},
					continued, flag,
					{Pattern: `[ \t]+`, Type: Text},
					{Pattern: `\[(?=\s*")`, Type: Punctuation, Mutator: Push("exec")},
					{Pattern: `(?:[^\n\\]|\\[\s\S])+`, Type: shellForm},
					{Pattern: `[\s\S]`, Type: Text},
				},
				"exec": {
					{Pattern: `\]`, Type: Punctuation, Mutator: Pop(1)},
					{Pattern: `"(?:[^"\\\n]|\\[^\n])*"?`, Type: LiteralStringDouble},
					{Pattern: `,`, Type: Punctuation},
					{Pattern: `[ \t]+`, Type: Text},
					continued,
					Default(Pop(1)),
				},
			}
		})
}

// wordsPattern turns a space-separated word list into an alternation.
func wordsPattern(list string) string {
	return strings.Join(strings.Fields(list), "|")
}

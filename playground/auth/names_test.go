package auth

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNormalizeUsername(t *testing.T) {
	tests := []struct {
		name, in, want, refused string
	}{
		{name: "plain", in: "grace", want: "grace"},
		{name: "capitals fold", in: "Grace", want: "grace"},
		{name: "fullwidth maps to ASCII", in: "ｇｒａｃｅ", want: "grace"},
		{name: "dots dashes underscores", in: "grace.b-h_1906", want: "grace.b-h_1906"},
		{name: "accented Latin", in: "Jörg", want: "jörg"},
		{name: "one other alphabet", in: "Ωμέγα", want: "ωμέγα"},
		{name: "Japanese mixes its scripts", in: "やまだ太郎", want: "やまだ太郎"},
		{name: "empty", in: "", refused: "Choose a username."},
		{name: "blank", in: "   ", refused: "Choose a username."},
		{name: "too short", in: "ab", refused: "At least 3 characters."},
		{name: "too long", in: strings.Repeat("g", 33), refused: "At most 32 characters."},
		{name: "a space", in: "grace hopper", refused: "Use letters, digits and . _ - only, with no spaces or symbols."},
		{name: "a symbol", in: "grace!", refused: "Use letters, digits and . _ - only, with no spaces or symbols."},
		{name: "SQL", in: "' OR 1=1 --", refused: "Use letters, digits and . _ - only, with no spaces or symbols."},
		{name: "zero-width joiner", in: "gra\u200dce", refused: "Use letters, digits and . _ - only, with no spaces or symbols."},
		{name: "right-to-left override", in: "\u202egrace", refused: "Use letters, digits and . _ - only, with no spaces or symbols."},
		{name: "NUL", in: "gra\x00ce", refused: "Use letters, digits and . _ - only, with no spaces or symbols."},
		{name: "invalid UTF-8", in: "gr\xffce", refused: "The username is not valid text."},
		{name: "Cyrillic a among Latin", in: "gr\u0430ce", refused: "Use letters from one alphabet: mixing them makes look-alike names."},
		{name: "Greek omicron among Latin", in: "b\u03bfb", refused: "Use letters from one alphabet: mixing them makes look-alike names."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, msg := NormalizeUsername(tt.in)
			if got != tt.want || msg != tt.refused {
				t.Errorf("NormalizeUsername(%q) = %q, %q; want %q, %q", tt.in, got, msg, tt.want, tt.refused)
			}
		})
	}
}

func TestNormalizePassword(t *testing.T) {
	tests := []struct {
		name, in, user, want, refused string
	}{
		{name: "passphrase", in: "correct horse battery staple", user: "grace", want: "correct horse battery staple"},
		{name: "NFKC", in: "ﬁne ｐａｓｓ 2026", user: "grace", want: "fine pass 2026"},
		{name: "exactly 128", in: strings.Repeat("p", 128), want: strings.Repeat("p", 128)},
		{name: "empty", in: "", refused: "Choose a password."},
		{name: "short", in: "short", refused: "At least 8 characters: length beats symbols."},
		{name: "short once normalized", in: "ＡＢ", refused: "At least 8 characters: length beats symbols."},
		{name: "common", in: "password123", refused: "That is one of the most common passwords: it is the first a guesser tries."},
		{name: "common in capitals", in: "PassWord123", refused: "That is one of the most common passwords: it is the first a guesser tries."},
		{name: "common in fullwidth", in: "ｐａｓｓｗｏｒｄ１２３", refused: "That is one of the most common passwords: it is the first a guesser tries."},
		{name: "holds the username", in: "xGRACEx-2026", user: "grace", refused: "The password must not contain the username."},
		{name: "129 characters", in: strings.Repeat("p", 129), refused: "At most 128 characters."},
		{name: "too many bytes", in: strings.Repeat("€", 100), refused: "At most 128 characters."},
		{name: "a tab", in: "correct\thorse", refused: "The password contains a control character (a tab, a NUL, …)."},
		{name: "a NUL", in: "correct\x00horse", refused: "The password contains a control character (a tab, a NUL, …)."},
		{name: "invalid UTF-8", in: "correct\xffhorse", refused: "The password is not valid text."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, msg := NormalizePassword(tt.in, tt.user)
			if got != tt.want || msg != tt.refused {
				t.Errorf("NormalizePassword(%q) = %q, %q; want %q, %q", tt.in, got, msg, tt.want, tt.refused)
			}
		})
	}
}

// FuzzNormalizeUsername: any input is refused or becomes a name that
// follows the rules and normalizes to itself.
func FuzzNormalizeUsername(f *testing.F) {
	for _, s := range []string{"grace", "Grace", "ｇｒａｃｅ", "gr\u0430ce", "\u202egrace", "a", "", "やまだ太郎", "grace.b-h_1906"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		name, msg := NormalizeUsername(in)
		if msg != "" {
			if name != "" {
				t.Fatalf("refused %q with %q but returned %q", in, msg, name)
			}
			return
		}
		if n := utf8.RuneCountInString(name); n < UsernameMin || n > UsernameMax || !utf8.ValidString(name) {
			t.Fatalf("%q became %q, which breaks the rules", in, name)
		}
		if again, msg := NormalizeUsername(name); again != name || msg != "" {
			t.Fatalf("%q became %q, which normalizes to %q (%q)", in, name, again, msg)
		}
	})
}

package auth

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/secure/precis"
	"golang.org/x/text/unicode/norm"
)

// The rules for usernames and passwords. The web form shows the same
// numbers to the browser as hints; these are the ones that count.
const (
	UsernameMin = 3
	UsernameMax = 32
	// PasswordMin follows NIST SP 800-63B: length matters more than
	// character classes.
	PasswordMin = 8
	// PasswordMax caps what one login may make the server hash: long
	// enough for any passphrase, short enough that nobody can send a
	// megabyte to hash.
	PasswordMax = 128
	// passwordMaxBytes caps the bytes as well, since one character may be
	// four of them.
	passwordMaxBytes = 256
)

// NormalizeUsername returns the form a username is stored and compared
// in — case-folded and normalized as RFC 8265 (PRECIS) says, so "Alice"
// and "alice" and a fullwidth "ａｌｉｃｅ" are one account — or why it
// cannot be one.
func NormalizeUsername(raw string) (string, string) {
	if strings.TrimSpace(raw) == "" {
		return "", "Choose a username."
	}
	if !utf8.ValidString(raw) {
		return "", "The username is not valid text."
	}
	name, err := precis.UsernameCaseMapped.String(raw)
	if err != nil {
		return "", "Use letters, digits and . _ - only, with no spaces or symbols."
	}
	n := utf8.RuneCountInString(name)
	switch {
	case n < UsernameMin:
		return "", "At least 3 characters."
	case n > UsernameMax:
		return "", "At most 32 characters."
	}
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune("._-", r) {
			return "", "Use letters, digits and . _ - only, with no spaces or symbols."
		}
	}
	if mixesScripts(name) {
		// "аlice" with a Cyrillic а looks exactly like "alice".
		return "", "Use letters from one alphabet: mixing them makes look-alike names."
	}
	return name, ""
}

// scripts are the alphabets a username's letters are checked against.
var scripts = []*unicode.RangeTable{
	unicode.Latin, unicode.Cyrillic, unicode.Greek, unicode.Arabic, unicode.Hebrew,
	unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul, unicode.Devanagari, unicode.Thai,
}

// mixesScripts reports whether name's letters come from more than one
// alphabet. Japanese mixes three by nature, so those count as one.
func mixesScripts(name string) bool {
	seen := -1
	for _, r := range name {
		if !unicode.IsLetter(r) {
			continue
		}
		i := -1
		for j, t := range scripts {
			if unicode.Is(t, r) {
				i = j
				break
			}
		}
		if i >= 5 && i <= 7 {
			i = 5 // Han, Hiragana, Katakana: one writing system
		}
		switch {
		case i < 0:
			return true // a letter from an alphabet not listed: refuse rather than guess
		case seen < 0:
			seen = i
		case seen != i:
			return true
		}
	}
	return false
}

// commonPasswords are among the most used passwords in breach lists: the
// first a guesser tries. A real service checks a far longer list (Have I
// Been Pwned's range API, say).
var commonPasswords = map[string]bool{
	"password": true, "password1": true, "password123": true, "12345678": true, "123456789": true,
	"1234567890": true, "qwertyuiop": true, "qwerty123": true, "iloveyou": true, "sunshine": true,
	"princess": true, "football": true, "baseball": true, "welcome1": true, "letmein1": true,
	"trustno1": true, "11111111": true, "00000000": true, "abc12345": true, "passw0rd": true,
	"monkey123": true, "dragon123": true, "superman": true, "starwars": true, "whatever": true,
}

// NormalizePassword returns the password as it is hashed — NFKC
// normalized, so the same passphrase typed on two keyboards is one — or
// why it cannot be used. username is the normalized username, which the
// password must not contain.
func NormalizePassword(raw, username string) (string, string) {
	if raw == "" {
		return "", "Choose a password."
	}
	if !utf8.ValidString(raw) {
		return "", "The password is not valid text."
	}
	if len(raw) > passwordMaxBytes || utf8.RuneCountInString(raw) > PasswordMax {
		return "", "At most 128 characters."
	}
	for _, r := range raw {
		if unicode.IsControl(r) {
			return "", "The password contains a control character (a tab, a NUL, …)."
		}
	}
	pw := norm.NFKC.String(raw)
	if utf8.RuneCountInString(pw) < PasswordMin {
		return "", "At least 8 characters: length beats symbols."
	}
	lower := strings.ToLower(pw)
	if commonPasswords[lower] {
		return "", "That is one of the most common passwords: it is the first a guesser tries."
	}
	if username != "" && strings.Contains(lower, username) {
		return "", "The password must not contain the username."
	}
	return pw, ""
}

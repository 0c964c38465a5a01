package cache

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits of db.query.text.
const (
	maxQueryText = 1000 // bytes of the whole text
	maxArgText   = 100  // bytes of one argument
)

// queryText renders a command as redis-cli would show it, for
// db.query.text: the value of a SET as "<312 bytes>", visitor ids in key
// names as "…" (v:…:flight:LHR-JFK), arguments that need it quoted, long
// ones clipped, and the whole at most maxQueryText bytes.
func queryText(name string, args []any) string {
	var b strings.Builder
	b.WriteString(name)
	for i := 1; i < len(args); i++ {
		if b.Len() >= maxQueryText {
			fmt.Fprintf(&b, " …(%d more)", len(args)-i)
			break
		}
		b.WriteByte(' ')
		switch {
		case name == "SET" && i == 2:
			fmt.Fprintf(&b, "<%d bytes>", argLen(args[i]))
		case isKeyArg(name, i):
			b.WriteString(quoteArg(elide(argString(args[i]))))
		default:
			b.WriteString(quoteArg(argString(args[i])))
		}
	}
	return b.String()
}

// isKeyArg reports whether argument i of a command is a server key.
func isKeyArg(name string, i int) bool {
	switch name {
	case "DEL", "UNLINK", "EXISTS", "TOUCH":
		return true
	}
	return i == 1
}

// elide hides the visitor id in a server key of a namespace.
func elide(key string) string {
	if rest, ok := strings.CutPrefix(key, valuePrefix); ok {
		if _, k, ok := strings.Cut(rest, ":"); ok {
			return valuePrefix + "…:" + k
		}
	}
	for _, p := range []string{lruPrefix, metaPrefix} {
		if strings.HasPrefix(key, p) {
			return p + "…"
		}
	}
	return key
}

// visitorKey returns the visitor's key name of a value's server key.
func visitorKey(key string) (string, bool) {
	rest, ok := strings.CutPrefix(key, valuePrefix)
	if !ok {
		return "", false
	}
	_, k, ok := strings.Cut(rest, ":")
	return k, ok
}

// isIndexKey reports whether a server key is an LRU index key.
func isIndexKey(key string) bool {
	return strings.HasPrefix(key, lruPrefix) || strings.HasPrefix(key, metaPrefix)
}

// valueKeys returns the visitor key names of the values a command names.
func valueKeys(name string, args []any) []string {
	var out []string
	for i := 1; i < len(args); i++ {
		if !isKeyArg(name, i) {
			break
		}
		if k, ok := visitorKey(argString(args[i])); ok {
			out = append(out, k)
		}
	}
	return out
}

// setTTL finds the TTL of a SET in milliseconds (PX or EX).
func setTTL(args []any) (int64, bool) {
	for i := 3; i+1 < len(args); i++ {
		n, err := strconv.ParseInt(argString(args[i+1]), 10, 64)
		if err != nil {
			continue
		}
		switch strings.ToUpper(argString(args[i])) {
		case "PX":
			return n, true
		case "EX":
			return n * 1000, true
		}
	}
	return 0, false
}

// argString renders an argument as go-redis sends it.
func argString(a any) string {
	switch v := a.(type) {
	case string:
		return v
	case []byte:
		return string(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case int:
		return strconv.Itoa(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	default:
		return fmt.Sprint(v)
	}
}

// argLen is the size of an argument in bytes.
func argLen(a any) int {
	switch v := a.(type) {
	case string:
		return len(v)
	case []byte:
		return len(v)
	default:
		return len(argString(a))
	}
}

// quoteArg quotes an argument that is empty or holds spaces, quotes or
// unprintable characters, and clips a long one; bytes that are not
// UTF-8 are shown as their size only.
func quoteArg(s string) string {
	if !utf8.ValidString(s) {
		return fmt.Sprintf("<%d bytes>", len(s))
	}
	clipped := false
	if len(s) > maxArgText {
		cut := maxArgText
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s, clipped = s[:cut], true
	}
	if s == "" || strings.IndexFunc(s, needsQuote) >= 0 {
		s = strconv.Quote(s)
	}
	if clipped {
		s += "…"
	}
	return s
}

func needsQuote(r rune) bool {
	return unicode.IsSpace(r) || r == '"' || r == '\'' || r == '\\' || !unicode.IsPrint(r)
}

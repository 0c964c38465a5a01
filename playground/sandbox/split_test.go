package sandbox

import (
	"slices"
	"strings"
	"testing"
)

func TestSplit(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{name: "empty", src: "", want: nil},
		{name: "only whitespace and semicolons", src: " ;\n; ;", want: nil},
		{name: "one statement without semicolon", src: "SELECT 1", want: []string{"SELECT 1"}},
		{name: "two statements", src: "SELECT 1; SELECT 2;", want: []string{"SELECT 1", "SELECT 2"}},
		{name: "semicolon in string", src: "SELECT 'a;b'; SELECT 2", want: []string{"SELECT 'a;b'", "SELECT 2"}},
		{name: "escaped quote in string", src: "SELECT 'it''s;'; SELECT 2", want: []string{"SELECT 'it''s;'", "SELECT 2"}},
		{name: "double-quoted identifier", src: `SELECT 1 AS "a;""b"; SELECT 2`, want: []string{`SELECT 1 AS "a;""b"`, "SELECT 2"}},
		{name: "bracket identifier", src: "SELECT 1 AS [a;b]; SELECT 2", want: []string{"SELECT 1 AS [a;b]", "SELECT 2"}},
		{name: "backtick identifier", src: "SELECT 1 AS `a;``b`; SELECT 2", want: []string{"SELECT 1 AS `a;``b`", "SELECT 2"}},
		{name: "line comment", src: "SELECT 1 -- not; the end\n; SELECT 2", want: []string{"SELECT 1 -- not; the end", "SELECT 2"}},
		{name: "block comment", src: "SELECT /* ; */ 1; SELECT 2", want: []string{"SELECT /* ; */ 1", "SELECT 2"}},
		{name: "comment-only pieces dropped", src: "SELECT 1; -- done\n/* bye */", want: []string{"SELECT 1"}},
		{name: "leading comment kept", src: "-- gold members\nSELECT 1", want: []string{"-- gold members\nSELECT 1"}},
		{name: "unterminated string runs to the end", src: "SELECT 'a; SELECT 2", want: []string{"SELECT 'a; SELECT 2"}},
		{name: "unterminated comment runs to the end", src: "SELECT 1 /* ; SELECT 2", want: []string{"SELECT 1 /* ; SELECT 2"}},
		{name: "blob literal", src: "SELECT x'3b'; SELECT 2", want: []string{"SELECT x'3b'", "SELECT 2"}},
		{
			name: "trigger body",
			src:  "CREATE TRIGGER t AFTER INSERT ON a BEGIN INSERT INTO b VALUES (1); DELETE FROM c; END; SELECT 1",
			want: []string{"CREATE TRIGGER t AFTER INSERT ON a BEGIN INSERT INTO b VALUES (1); DELETE FROM c; END", "SELECT 1"},
		},
		{
			name: "temp trigger with CASE inside",
			src:  "create temp trigger t before update on a begin select case when new.x < 0 then raise(abort, 'no;') end; end; select 2",
			want: []string{"create temp trigger t before update on a begin select case when new.x < 0 then raise(abort, 'no;') end; end", "select 2"},
		},
		{
			name: "trigger with WHEN clause CASE",
			src:  "CREATE TRIGGER IF NOT EXISTS t AFTER UPDATE ON a WHEN CASE WHEN 1 THEN 1 END BEGIN UPDATE b SET y = 1; END; SELECT 3",
			want: []string{"CREATE TRIGGER IF NOT EXISTS t AFTER UPDATE ON a WHEN CASE WHEN 1 THEN 1 END BEGIN UPDATE b SET y = 1; END", "SELECT 3"},
		},
		{name: "BEGIN outside a trigger", src: "BEGIN; UPDATE a SET x = 1; END;", want: []string{"BEGIN", "UPDATE a SET x = 1", "END"}},
		{name: "CASE outside a trigger", src: "SELECT CASE WHEN 1 THEN 2 END; SELECT 3", want: []string{"SELECT CASE WHEN 1 THEN 2 END", "SELECT 3"}},
		{name: "create table is no trigger", src: "CREATE TABLE trigger_log (begin_at); SELECT 1", want: []string{"CREATE TABLE trigger_log (begin_at)", "SELECT 1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Split(tt.src); !slices.Equal(got, tt.want) {
				t.Errorf("Split(%q)\n got %q\nwant %q", tt.src, got, tt.want)
			}
		})
	}
}

func TestFirstKeyword(t *testing.T) {
	tests := []struct{ src, want string }{
		{"select 1", "SELECT"},
		{"  -- note\n/* x */ with c as (select 1) select * from c", "WITH"},
		{"(SELECT 1)", ""},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			if got := firstKeyword(tt.src); got != tt.want {
				t.Errorf("firstKeyword(%q) = %q, want %q", tt.src, got, tt.want)
			}
		})
	}
}

// squash keeps the text of SQL that is not a comment, without whitespace
// and semicolons (which Split may trim, or add when joining).
func squash(src string) string {
	var b strings.Builder
	lx := lexer{src: src}
	for {
		tok, text := lx.next()
		switch tok {
		case tokEOF:
			return b.String()
		case tokComment, tokSemicolon:
		default:
			b.WriteString(strings.Map(func(r rune) rune {
				if r == ';' || r < 0x80 && isSpace(byte(r)) {
					return -1
				}
				return r
			}, text))
		}
	}
}

func FuzzSplit(f *testing.F) {
	for _, s := range []string{
		"SELECT 1; SELECT 2",
		"SELECT 'a;''b'; -- c;\n/* d; */ SELECT [e;f], `g;h`, \"i;j\"",
		"CREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT CASE WHEN 1 THEN 2 END; END; SELECT 1",
		"SELECT 'unterminated; SELECT 2",
		"/* unterminated ; SELECT 2",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		got := Split(src)
		for _, s := range got {
			if s == "" || s != trimSpace(s) {
				t.Fatalf("Split(%q) returned untrimmed or empty statement %q", src, s)
			}
		}
		// Newlines around the semicolons keep a trailing line comment from
		// swallowing the next statement.
		joined := strings.Join(got, "\n;\n")
		if a, b := squash(joined), squash(src); a != b {
			t.Fatalf("Split(%q) = %q lost text:\n got %q\nwant %q", src, got, a, b)
		}
		if again := Split(joined); !slices.Equal(again, got) {
			t.Fatalf("Split(%q) = %q, but splitting them joined again gives %q", src, got, again)
		}
	})
}

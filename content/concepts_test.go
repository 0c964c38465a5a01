package content_test

import (
	"strings"
	"testing"

	"github.com/engineroom/engineroom/content"
	"github.com/engineroom/engineroom/playground/trace"
)

// introducing is a lesson file whose front matter introduces concepts.
func introducing(ids string) string {
	return strings.Replace(lesson("", "x"), "demos: []\n", "demos: []\nintroduces: ["+ids+"]\n", 1)
}

func TestIntroduces(t *testing.T) {
	lib, err := load(map[string]string{
		"lessons/001-a.md": introducing("sql-read, sql-write"),
		"lessons/002-b.md": lesson("", "y"),
	})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	a, _ := lib.Lesson("a")
	if got := strings.Join(a.Introduces, ","); got != "sql-read,sql-write" {
		t.Errorf("Introduces = %q, want sql-read,sql-write", got)
	}
	b, _ := lib.Lesson("b")
	if len(b.Introduces) != 0 {
		t.Errorf("lesson b introduces %v, want nothing", b.Introduces)
	}
	for _, tt := range []struct {
		id   string
		want string
	}{{"sql-read", "a"}, {"sql-write", "a"}, {"cache-miss", ""}} {
		l, ok := lib.Home(tt.id)
		switch {
		case tt.want == "" && ok:
			t.Errorf("Home(%q) = %q, want none", tt.id, l.Slug)
		case tt.want != "" && (!ok || l.Slug != tt.want):
			t.Errorf("Home(%q) = %v, %v; want %q", tt.id, l, ok, tt.want)
		}
	}
}

func TestIntroducesErrors(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]string
		wantErr []string
	}{
		{name: "unknown concept", files: map[string]string{"lessons/001-a.md": introducing("sql-read, sql-magic")},
			wantErr: []string{"lessons/001-a.md", `"sql-magic"`, "not a span concept"}},
		{name: "two homes", files: map[string]string{"lessons/001-a.md": introducing("cache-hit"), "lessons/002-b.md": introducing("cache-miss, cache-hit")},
			wantErr: []string{"lessons/002-b.md", `"cache-hit"`, `lesson "a"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(tt.files)
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
		})
	}
}

// TestEveryConceptHasAHome checks the curriculum: each span concept the
// back end pane can show is introduced by exactly one lesson (Load refuses
// a second), so every span links somewhere.
func TestEveryConceptHasAHome(t *testing.T) {
	lib, err := content.Load(content.Lessons)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range trace.Concepts() {
		if _, ok := lib.Home(c.ID); !ok {
			t.Errorf("no lesson introduces concept %q (%s): add it to one lesson's introduces", c.ID, c.Label)
		}
	}
}

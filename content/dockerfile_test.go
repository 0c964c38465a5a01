package content_test

import (
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/engineroom/engineroom/content"
)

// dockerLesson shows the repository's Dockerfile in a code block.
const dockerLesson = "lessons/031-containers-and-configuration.md"

// TestDockerfileLessonIsCurrent fails when the lesson's Dockerfile block
// and the repository's Dockerfile differ, so the lesson never teaches an
// image that is not the one built.
func TestDockerfileLessonIsCurrent(t *testing.T) {
	want, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	src, err := fs.ReadFile(content.Lessons, dockerLesson)
	if err != nil {
		t.Fatal(err)
	}
	blocks := fencedBlocks(string(src), "dockerfile")
	if len(blocks) != 1 {
		t.Fatalf("%s has %d dockerfile blocks, want 1", dockerLesson, len(blocks))
	}
	if got := blocks[0]; got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := range max(len(gl), len(wl)) {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("%s's Dockerfile block differs from ../Dockerfile at line %d:\n lesson: %q\n   file: %q\ncopy the Dockerfile into the lesson again", dockerLesson, i+1, g, w)
			}
		}
	}
}

// fencedBlocks returns the text of every ``` block of the language lang,
// each line ending in a newline.
func fencedBlocks(src, lang string) []string {
	var out []string
	var b *strings.Builder
	for line := range strings.Lines(src) {
		trimmed := strings.TrimRight(line, "\n")
		switch {
		case b == nil && trimmed == "```"+lang:
			b = &strings.Builder{}
		case b != nil && trimmed == "```":
			out = append(out, b.String())
			b = nil
		case b != nil:
			b.WriteString(trimmed + "\n")
		}
	}
	return out
}

func TestFencedBlocks(t *testing.T) {
	src := "# x\n```dockerfile\nFROM a\n\nRUN b\n```\ntext\n```go\nx\n```\n```dockerfile\nFROM c\n```\n"
	got := fencedBlocks(src, "dockerfile")
	if len(got) != 2 || got[0] != "FROM a\n\nRUN b\n" || got[1] != "FROM c\n" {
		t.Errorf("fencedBlocks = %q", got)
	}
	if got := fencedBlocks("```dockerfile\nFROM a\n", "dockerfile"); len(got) != 0 {
		t.Errorf("an unclosed block gave %q", got)
	}
}

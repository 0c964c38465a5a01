package content_test

import (
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/engineroom/engineroom/content"
)

// TestCILessonShowsTheScript keeps the CI/CD lesson's copy of .ci/run the
// same as the script CI really runs.
func TestCILessonShowsTheScript(t *testing.T) {
	script, err := os.ReadFile("../.ci/run")
	if err != nil {
		t.Fatal(err)
	}
	md, err := fs.ReadFile(content.Lessons, "lessons/034-ci-cd.md")
	if err != nil {
		t.Fatal(err)
	}
	const open, fence = "\n```bash\n#!/usr/bin/env bash\n", "\n```\n"
	_, after, ok := strings.Cut(string(md), open)
	if !ok {
		t.Fatal("the lesson has no ```bash block starting with #!/usr/bin/env bash")
	}
	shown, _, ok := strings.Cut(after, fence)
	if !ok {
		t.Fatal("the lesson's ```bash block is not closed")
	}
	shown = "#!/usr/bin/env bash\n" + shown + "\n"
	if shown != string(script) {
		a, b := strings.Split(shown, "\n"), strings.Split(string(script), "\n")
		for i := range min(len(a), len(b)) {
			if a[i] != b[i] {
				t.Fatalf("the lesson's copy of .ci/run differs from line %d:\nlesson: %q\nscript: %q\ncopy the script into the lesson again", i+1, a[i], b[i])
			}
		}
		t.Fatalf("the lesson's copy of .ci/run has %d lines, the script %d; copy the script into the lesson again", len(a), len(b))
	}
}

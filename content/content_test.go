package content_test

import (
	"fmt"
	"html/template"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/PuerkitoBio/goquery"

	"github.com/engineroom/engineroom/content"
)

const sections = "- name: Basics\n  blurb: The first steps.\n- name: Later\n"

// lesson is a lesson file with front matter naming demos and a body.
func lesson(demos, body string) string {
	return "---\ntitle: A lesson\nsummary: It teaches.\nsection: Basics\ndemos: [" + demos + "]\n---\n" + body
}

// load loads a library holding sections.yaml and the given lesson files.
func load(files map[string]string) (*content.Library, error) {
	fsys := fstest.MapFS{"sections.yaml": {Data: []byte(sections)}}
	for name, src := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(src)}
	}
	return content.Load(fsys)
}

// loadOne loads a single lesson from src and fails the test on error.
func loadOne(t *testing.T, src string) *content.Lesson {
	t.Helper()
	lib, err := load(map[string]string{"lessons/001-a.md": src})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	l, ok := lib.Lesson("a")
	if !ok {
		t.Fatal("lesson a not loaded")
	}
	return l
}

// bodyHTML joins a lesson's HTML blocks into one document.
func bodyHTML(t *testing.T, l *content.Lesson) *goquery.Document {
	t.Helper()
	var b strings.Builder
	for _, bl := range l.Blocks {
		b.WriteString(string(bl.HTML))
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// shape describes blocks as "html", "demo:<id>" or "map".
func shape(blocks []content.Block) []string {
	var out []string
	for _, b := range blocks {
		switch {
		case b.DemoID != "":
			out = append(out, "demo:"+b.DemoID)
		case b.Map:
			out = append(out, "map")
		default:
			out = append(out, "html")
		}
	}
	return out
}

func TestLoadEmbedded(t *testing.T) {
	lib, err := content.Load(content.Lessons)
	if err != nil {
		t.Fatalf("Load(embedded): %v", err)
	}
	files, err := fs.Glob(content.Lessons, "lessons/*.md")
	if err != nil {
		t.Fatal(err)
	}
	if len(lib.All()) != len(files) || len(files) == 0 {
		t.Fatalf("%d lessons loaded from %d files", len(lib.All()), len(files))
	}
	for i, l := range lib.All() {
		t.Run(l.Slug, func(t *testing.T) {
			if l.Title == "" || l.Summary == "" || l.Section == "" {
				t.Errorf("title %q, summary %q, section %q: none may be empty", l.Title, l.Summary, l.Section)
			}
			if want := fmt.Sprintf("lessons/%03d-%s.md", l.Number, l.Slug); files[i] != want {
				t.Errorf("lesson %d comes from %s, want %s (curriculum order)", i, files[i], want)
			}
			if got, ok := lib.Lesson(l.Slug); !ok || got != l {
				t.Error("Lesson(slug) does not find it")
			}
			if l.Words < 100 {
				t.Errorf("%d words", l.Words)
			}
			listed := 0
			for _, s := range lib.Sections {
				if slices.Contains(s.Lessons, l) {
					listed++
					if s.Name != l.Section {
						t.Errorf("listed under %q, not its section %q", s.Name, l.Section)
					}
				}
			}
			if listed != 1 {
				t.Errorf("listed in %d sections, want 1", listed)
			}
			var placed []string
			for j, b := range l.Blocks {
				if set := btoi(b.HTML != "") + btoi(b.DemoID != "") + btoi(b.Map); set != 1 {
					t.Errorf("block %d has HTML %v, demo %q and map %v: want exactly one", j, b.HTML != "", b.DemoID, b.Map)
				}
				if j > 0 && b.HTML != "" && l.Blocks[j-1].HTML != "" {
					t.Errorf("blocks %d and %d are both HTML: they should be one", j-1, j)
				}
				if b.DemoID != "" {
					placed = append(placed, b.DemoID)
				}
			}
			if !slices.Equal(placed, l.Demos) {
				t.Errorf("placed %v, listed %v: want each listed demo placed once, in order", placed, l.Demos)
			}
			if bodyHTML(t, l).Find("script, iframe, style, [style]").Length() != 0 {
				t.Error("rendered lesson contains raw HTML")
			}
		})
	}
	tests := []struct {
		slug       string
		number     int
		wantShape  []string
		wantChecks int
	}{
		{slug: "what-is-the-back-end", number: 0,
			wantShape: []string{"html", "demo:backend-tour", "html", "map", "html"}, wantChecks: 2},
		{slug: "what-happens-when-you-click", number: 1,
			wantShape: []string{"html", "demo:request-echo", "html", "demo:slow-step", "html"}, wantChecks: 2},
	}
	for _, tt := range tests {
		t.Run("opening "+tt.slug, func(t *testing.T) {
			l, ok := lib.Lesson(tt.slug)
			if !ok {
				t.Fatalf("lesson %s is missing", tt.slug)
			}
			if got := shape(l.Blocks); !slices.Equal(got, tt.wantShape) {
				t.Errorf("blocks = %v, want %v", got, tt.wantShape)
			}
			if l.Number != tt.number || l.Section != "Servers and the request lifecycle" {
				t.Errorf("Number %d, Section %q", l.Number, l.Section)
			}
			if lib.All()[tt.number] != l {
				t.Errorf("lesson %d of the curriculum is %s, want %s", tt.number, lib.All()[tt.number].Slug, tt.slug)
			}
			if n := bodyHTML(t, l).Find("details.check").Length(); n != tt.wantChecks {
				t.Errorf("%d check questions, want %d", n, tt.wantChecks)
			}
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestLoadSectionsInOrder(t *testing.T) {
	lib, err := load(map[string]string{
		"lessons/002-b.md": strings.Replace(lesson("", "B"), "section: Basics", "section: Later", 1),
		"lessons/001-a.md": lesson("", "A"),
		"lessons/003-c.md": lesson("", "C"),
	})
	if err != nil {
		t.Fatal(err)
	}
	var slugs []string
	for _, l := range lib.All() {
		slugs = append(slugs, fmt.Sprintf("%d:%s", l.Number, l.Slug))
	}
	if want := []string{"1:a", "2:b", "3:c"}; !slices.Equal(slugs, want) {
		t.Errorf("lessons = %v, want %v", slugs, want)
	}
	tests := []struct {
		name      string
		blurb     string
		wantSlugs []string
	}{
		{name: "Basics", blurb: "The first steps.", wantSlugs: []string{"a", "c"}},
		{name: "Later", blurb: "", wantSlugs: []string{"b"}},
	}
	if len(lib.Sections) != len(tests) {
		t.Fatalf("%d sections, want %d", len(lib.Sections), len(tests))
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := lib.Sections[i]
			if s.Name != tt.name || s.Blurb != tt.blurb {
				t.Errorf("section %d = %q (%q), want %q (%q)", i, s.Name, s.Blurb, tt.name, tt.blurb)
			}
			var got []string
			for _, l := range s.Lessons {
				got = append(got, l.Slug)
			}
			if !slices.Equal(got, tt.wantSlugs) {
				t.Errorf("lessons = %v, want %v", got, tt.wantSlugs)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]string
		noSects bool
		wantErr []string
	}{
		{name: "no sections.yaml", noSects: true, files: map[string]string{"lessons/001-a.md": lesson("", "x")},
			wantErr: []string{"sections"}},
		{name: "no number", files: map[string]string{"lessons/intro.md": lesson("", "x")},
			wantErr: []string{"lessons/intro.md", "NNN-slug.md"}},
		{name: "two-digit number", files: map[string]string{"lessons/01-intro.md": lesson("", "x")},
			wantErr: []string{"lessons/01-intro.md", "NNN-slug.md"}},
		{name: "upper case slug", files: map[string]string{"lessons/001-Intro.md": lesson("", "x")},
			wantErr: []string{"lessons/001-Intro.md", "NNN-slug.md"}},
		{name: "underscore", files: map[string]string{"lessons/001_intro.md": lesson("", "x")},
			wantErr: []string{"lessons/001_intro.md", "NNN-slug.md"}},
		{name: "missing front matter", files: map[string]string{"lessons/001-a.md": "# Just a heading\n"},
			wantErr: []string{"lessons/001-a.md", "missing front matter"}},
		{name: "unclosed front matter", files: map[string]string{"lessons/001-a.md": "---\ntitle: A\nsummary: B\nsection: Basics\n\nBody\n"},
			wantErr: []string{"lessons/001-a.md", "not closed"}},
		{name: "bad YAML", files: map[string]string{"lessons/001-a.md": "---\ntitle: [unclosed\n---\nBody\n"},
			wantErr: []string{"lessons/001-a.md", "front matter"}},
		{name: "no title", files: map[string]string{"lessons/001-a.md": strings.Replace(lesson("", "x"), "title: A lesson\n", "", 1)},
			wantErr: []string{"lessons/001-a.md", "title, summary and section"}},
		{name: "no summary", files: map[string]string{"lessons/001-a.md": strings.Replace(lesson("", "x"), "summary: It teaches.\n", "", 1)},
			wantErr: []string{"lessons/001-a.md", "title, summary and section"}},
		{name: "slug differs from the file name", files: map[string]string{"lessons/001-a.md": strings.Replace(lesson("", "x"), "---\ntitle", "---\nslug: b\ntitle", 1)},
			wantErr: []string{"lessons/001-a.md", `slug "b"`}},
		{name: "demo placed but not listed", files: map[string]string{"lessons/001-a.md": lesson("", "Intro\n\n[[demo ghost]]\n")},
			wantErr: []string{"lessons/001-a.md", `"ghost"`, "does not list"}},
		{name: "demo listed but not placed", files: map[string]string{"lessons/001-a.md": lesson("ghost", "Intro\n")},
			wantErr: []string{"lessons/001-a.md", `"ghost"`, "not placed"}},
		{name: "unknown section", files: map[string]string{"lessons/001-a.md": strings.Replace(lesson("", "x"), "section: Basics", "section: Nowhere", 1)},
			wantErr: []string{`"a"`, `"Nowhere"`, "sections.yaml"}},
		{name: "duplicate slug", files: map[string]string{"lessons/001-a.md": lesson("", "x"), "lessons/002-a.md": lesson("", "y")},
			wantErr: []string{"lessons/002-a.md", `slug "a"`, "twice"}},
		{name: "unclosed question", files: map[string]string{"lessons/001-a.md": lesson("", "Intro\n\n??? Why?\nBecause.\n")},
			wantErr: []string{"lessons/001-a.md", "line 3", "Why?", "not closed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			if !tt.noSects {
				fsys["sections.yaml"] = &fstest.MapFile{Data: []byte(sections)}
			}
			for name, src := range tt.files {
				fsys[name] = &fstest.MapFile{Data: []byte(src)}
			}
			lib, err := content.Load(fsys)
			if err == nil {
				t.Fatalf("Load succeeded with %d lessons, want an error", len(lib.All()))
			}
			if !strings.HasPrefix(err.Error(), "content: ") {
				t.Errorf("error %q does not start with the package name", err)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
		})
	}
}

func TestDemoPlacement(t *testing.T) {
	tests := []struct {
		name      string
		demos     string
		body      string
		wantShape []string
	}{
		{name: "between prose", demos: "x", body: "Before.\n\n[[demo x]]\n\nAfter.\n", wantShape: []string{"html", "demo:x", "html"}},
		{name: "first thing", demos: "x", body: "[[demo x]]\n\nAfter.\n", wantShape: []string{"demo:x", "html"}},
		{name: "last thing", demos: "x", body: "Before.\n\n[[demo x]]\n", wantShape: []string{"html", "demo:x"}},
		{name: "two in a row", demos: "x, y", body: "Before.\n\n[[demo x]]\n[[demo y]]\n", wantShape: []string{"html", "demo:x", "demo:y"}},
		{name: "indented", demos: "x", body: "Before.\n\n   [[demo  x ]]  \n\nAfter.\n", wantShape: []string{"html", "demo:x", "html"}},
		{name: "a question joins the prose around it", demos: "x", body: "Before.\n\n??? Q?\nA.\n???\n\nAfter.\n\n[[demo x]]\n", wantShape: []string{"html", "demo:x"}},
		{name: "no demos", demos: "", body: "Only prose.\n", wantShape: []string{"html"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := loadOne(t, lesson(tt.demos, tt.body))
			if got := shape(l.Blocks); !slices.Equal(got, tt.wantShape) {
				t.Errorf("blocks = %v, want %v", got, tt.wantShape)
			}
		})
	}
}

func TestCurriculumMap(t *testing.T) {
	tests := []struct {
		name      string
		demos     string
		body      string
		wantShape []string
		wantText  string // prose that must survive around the map
	}{
		{name: "between prose", body: "Before.\n\n[[curriculum]]\n\nAfter.\n", wantShape: []string{"html", "map", "html"}, wantText: "Before.After."},
		{name: "the whole body", body: "[[curriculum]]\n", wantShape: []string{"map"}},
		{name: "indented, spaces after", body: "Intro.\n\n   [[curriculum]]  \n", wantShape: []string{"html", "map"}, wantText: "Intro."},
		{name: "after a demo", demos: "x", body: "[[demo x]]\n[[curriculum]]\n", wantShape: []string{"demo:x", "map"}},
		{name: "a question joins the prose before it", body: "??? Q?\nA.\n???\n[[curriculum]]\n", wantShape: []string{"html", "map"}, wantText: "Q?A."},
		{name: "in the middle of a line it is text", body: "See [[curriculum]] below.\n", wantShape: []string{"html"}, wantText: "See [[curriculum]] below."},
		{name: "with an argument it is text", body: "[[curriculum databases]]\n", wantShape: []string{"html"}, wantText: "[[curriculum databases]]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := loadOne(t, lesson(tt.demos, tt.body))
			if got := shape(l.Blocks); !slices.Equal(got, tt.wantShape) {
				t.Errorf("blocks = %v, want %v", got, tt.wantShape)
			}
			for i, b := range l.Blocks {
				if b.Map && (b.HTML != "" || b.DemoID != "") {
					t.Errorf("map block %d also has HTML %q or demo %q", i, b.HTML, b.DemoID)
				}
			}
			if got := strings.ReplaceAll(bodyHTML(t, l).Text(), "\n", ""); got != tt.wantText {
				t.Errorf("prose = %q, want %q", got, tt.wantText)
			}
		})
	}
}

func TestCheckQuestions(t *testing.T) {
	tests := []struct {
		name        string
		body        string
		wantSummary []string // inner HTML of each <summary>
		wantAnswer  []string // text of each answer
	}{
		{name: "one question", body: "??? Where do you look first?\nAt the slow span.\n???\n",
			wantSummary: []string{"Where do you look first?"}, wantAnswer: []string{"At the slow span."}},
		{name: "markdown in the question", body: "??? Why **this** `code`?\nBecause.\n???\n",
			wantSummary: []string{"Why <strong>this</strong> <code>code</code>?"}, wantAnswer: []string{"Because."}},
		{name: "answer of several paragraphs", body: "??? Q?\nOne.\n\nTwo.\n???\n",
			wantSummary: []string{"Q?"}, wantAnswer: []string{"One.\nTwo."}},
		{name: "two questions", body: "??? First?\nA.\n???\n\n??? Second?\nB.\n???\n",
			wantSummary: []string{"First?", "Second?"}, wantAnswer: []string{"A.", "B."}},
		{name: "indented markers", body: "  ??? Q?\nA.\n  ???  \n",
			wantSummary: []string{"Q?"}, wantAnswer: []string{"A."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := bodyHTML(t, loadOne(t, lesson("", "Intro.\n\n"+tt.body+"\nOutro.\n")))
			checks := doc.Find("details.check")
			if checks.Length() != len(tt.wantSummary) {
				t.Fatalf("%d details.check, want %d", checks.Length(), len(tt.wantSummary))
			}
			checks.Each(func(i int, d *goquery.Selection) {
				if _, open := d.Attr("open"); open {
					t.Errorf("question %d is open", i)
				}
				if got, _ := d.Find("summary").Html(); got != tt.wantSummary[i] {
					t.Errorf("summary %d = %q, want %q", i, got, tt.wantSummary[i])
				}
				var paras []string
				d.Find(".answer p").Each(func(_ int, p *goquery.Selection) { paras = append(paras, p.Text()) })
				if got := strings.Join(paras, "\n"); got != tt.wantAnswer[i] {
					t.Errorf("answer %d = %q, want %q", i, got, tt.wantAnswer[i])
				}
			})
			if doc.Find("p").FilterFunction(func(_ int, s *goquery.Selection) bool { return strings.Contains(s.Text(), "???") }).Length() != 0 {
				t.Error("a ??? marker is left in the prose")
			}
			if txt := doc.Text(); !strings.Contains(txt, "Intro.") || !strings.Contains(txt, "Outro.") {
				t.Error("the prose around the question is lost")
			}
		})
	}
}

func TestRawHTMLIsNotPassedThrough(t *testing.T) {
	tests := []struct {
		name string
		body string
		text string // visible text that must survive
	}{
		{name: "script block", body: "<script>alert(1)</script>\n", text: ""},
		{name: "inline script", body: "Hello <script>alert(1)</script> there.\n", text: "Hello"},
		{name: "event handler", body: "<img src=x onerror=alert(1)>\n", text: ""},
		{name: "iframe and style", body: "<iframe src=\"https://evil.example\"></iframe>\n\n<style>body{display:none}</style>\n\nText.\n", text: "Text."},
		{name: "inline style attribute", body: "<p style=\"color:red\">red</p>\n", text: ""},
		{name: "javascript link", body: "[click](javascript:alert(1))\n", text: "click"},
		{name: "html in a question", body: "??? Is <script>alert(1)</script> safe?\nNo <img src=x onerror=alert(1)>.\n???\n", text: "safe?"},
		{name: "html inside code stays text", body: "`<script>alert(1)</script>`\n", text: "<script>alert(1)</script>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := loadOne(t, lesson("", tt.body))
			doc := bodyHTML(t, l)
			if n := doc.Find("script, img, iframe, style, [style]").Length(); n != 0 {
				h, _ := doc.Html()
				t.Errorf("%d raw HTML elements passed through:\n%s", n, h)
			}
			doc.Find("*").Each(func(_ int, s *goquery.Selection) {
				for _, a := range s.Nodes[0].Attr {
					if strings.HasPrefix(a.Key, "on") || strings.HasPrefix(strings.ToLower(strings.TrimSpace(a.Val)), "javascript:") {
						t.Errorf("<%s %s=%q> passed through", goquery.NodeName(s), a.Key, a.Val)
					}
				}
			})
			if !strings.Contains(doc.Text(), tt.text) {
				t.Errorf("text %q is lost", tt.text)
			}
		})
	}
}

func TestCodeHighlighting(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		wantChroma bool
		wantToken  string // selector of a highlighted token; empty when none
		wantText   string
	}{
		{name: "sql", body: "```sql\nSELECT name FROM users WHERE id = 1;\n```\n", wantChroma: true, wantToken: "span.k", wantText: "SELECT name FROM users WHERE id = 1;"},
		{name: "go", body: "```go\nfunc main() {}\n```\n", wantChroma: true, wantToken: "span.kd", wantText: "func main() {}"},
		{name: "markup in code is text", body: "```sql\nSELECT '<b>x</b>';\n```\n", wantChroma: true, wantToken: "span.k", wantText: "SELECT '<b>x</b>';"},
		{name: "no language", body: "```\nplain <b>text</b>\n```\n", wantChroma: false, wantText: "plain <b>text</b>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := bodyHTML(t, loadOne(t, lesson("", tt.body)))
			pre := doc.Find("pre")
			if pre.Length() != 1 {
				t.Fatalf("%d <pre>, want 1", pre.Length())
			}
			if pre.HasClass("chroma") != tt.wantChroma {
				t.Errorf(`class="chroma" = %v, want %v`, pre.HasClass("chroma"), tt.wantChroma)
			}
			if tt.wantToken != "" && pre.Find(tt.wantToken).Length() == 0 {
				h, _ := pre.Html()
				t.Errorf("no %s token in:\n%s", tt.wantToken, h)
			}
			if got := strings.TrimSpace(pre.Text()); got != tt.wantText {
				t.Errorf("code = %q, want %q", got, tt.wantText)
			}
			if n := doc.Find("[style], style, b").Length(); n != 0 {
				t.Errorf("%d inline styles or markup elements in highlighted code (the CSP blocks inline styles)", n)
			}
		})
	}
}

func TestFrontMatterLineEndings(t *testing.T) {
	tests := []struct {
		name string
		src  string
	}{
		{name: "LF", src: "---\ntitle: T\nsummary: S\nsection: Basics\n---\nBody.\n"},
		{name: "CRLF", src: "---\r\ntitle: T\r\nsummary: S\r\nsection: Basics\r\n---\r\nBody.\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := loadOne(t, tt.src)
			if l.Title != "T" || l.Summary != "S" || l.Section != "Basics" || l.Number != 1 || l.Slug != "a" {
				t.Errorf("lesson = %+v", l)
			}
			if len(l.Blocks) != 1 || l.Blocks[0].HTML != template.HTML("<p>Body.</p>\n") {
				t.Errorf("blocks = %+v", l.Blocks)
			}
		})
	}
}

// Package content loads the lessons: Markdown files with YAML front matter,
// rendered to HTML once at start, with the places where live demo panels go.
package content

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"gopkg.in/yaml.v3"

	"github.com/engineroom/engineroom/playground/trace"
)

// Lessons holds the lesson sources compiled into the binary.
//
//go:embed lessons/*.md sections.yaml
var Lessons embed.FS

// Lesson is one rendered lesson.
type Lesson struct {
	Number  int
	Slug    string
	Title   string
	Summary string
	Section string
	Demos   []string
	// Introduces lists the span concepts (trace.Concept ids) this lesson
	// is the home of: the back end pane links each such span here.
	Introduces []string
	Blocks     []Block
	Words      int
}

// Block is a piece of a lesson body: rendered HTML, the place for the
// live panel of the demo named by DemoID, or (Map) the place for the map
// of the whole curriculum. Exactly one of the three is set.
type Block struct {
	HTML   template.HTML
	DemoID string
	Map    bool
}

// Section groups lessons on the home page.
type Section struct {
	Name    string
	Blurb   string
	Lessons []*Lesson
}

// Library is every lesson, in curriculum order.
type Library struct {
	Sections []Section
	lessons  []*Lesson
	bySlug   map[string]*Lesson
	homes    map[string]*Lesson // concept id -> the lesson that introduces it
}

type frontMatter struct {
	Title   string   `yaml:"title"`
	Slug    string   `yaml:"slug"`
	Summary string   `yaml:"summary"`
	Section string   `yaml:"section"`
	Demos   []string `yaml:"demos"`
	// Introduces names span concepts by id, e.g. [sql-read, sql-write].
	Introduces []string `yaml:"introduces"`
}

var fileName = regexp.MustCompile(`^(\d{3})-([a-z0-9-]+)\.md$`)

// Load reads sections.yaml and lessons/NNN-slug.md from fsys and renders
// every lesson.
func Load(fsys fs.FS) (*Library, error) {
	var sections []struct {
		Name  string `yaml:"name"`
		Blurb string `yaml:"blurb"`
	}
	raw, err := fs.ReadFile(fsys, "sections.yaml")
	if err != nil {
		return nil, fmt.Errorf("content: reading sections: %w", err)
	}
	if err := yaml.Unmarshal(raw, &sections); err != nil {
		return nil, fmt.Errorf("content: parsing sections.yaml: %w", err)
	}
	names, err := fs.Glob(fsys, "lessons/*.md")
	if err != nil {
		return nil, fmt.Errorf("content: listing lessons: %w", err)
	}
	slices.Sort(names)
	lib := &Library{bySlug: make(map[string]*Lesson), homes: make(map[string]*Lesson)}
	md := newMarkdown()
	for _, name := range names {
		l, err := loadLesson(fsys, name, md)
		if err != nil {
			return nil, err
		}
		if _, dup := lib.bySlug[l.Slug]; dup {
			return nil, fmt.Errorf("content: %s: slug %q used twice", name, l.Slug)
		}
		lib.bySlug[l.Slug] = l
		lib.lessons = append(lib.lessons, l)
		for _, id := range l.Introduces {
			if other, dup := lib.homes[id]; dup {
				return nil, fmt.Errorf("content: %s: concept %q is already introduced by lesson %q: a concept has one home", name, id, other.Slug)
			}
			lib.homes[id] = l
		}
	}
	for _, s := range sections {
		sec := Section{Name: s.Name, Blurb: s.Blurb}
		for _, l := range lib.lessons {
			if l.Section == s.Name {
				sec.Lessons = append(sec.Lessons, l)
			}
		}
		if len(sec.Lessons) > 0 {
			lib.Sections = append(lib.Sections, sec)
		}
	}
	for _, l := range lib.lessons {
		if !slices.ContainsFunc(sections, func(s struct {
			Name  string `yaml:"name"`
			Blurb string `yaml:"blurb"`
		}) bool {
			return s.Name == l.Section
		}) {
			return nil, fmt.Errorf("content: lesson %q names section %q, which sections.yaml does not list", l.Slug, l.Section)
		}
	}
	return lib, nil
}

// Lesson returns the lesson with the given slug.
func (lib *Library) Lesson(slug string) (*Lesson, bool) {
	l, ok := lib.bySlug[slug]
	return l, ok
}

// Home returns the lesson that introduces the span concept with the given
// id, the one the back end pane links that concept's spans to.
func (lib *Library) Home(conceptID string) (*Lesson, bool) {
	l, ok := lib.homes[conceptID]
	return l, ok
}

// All returns every lesson in curriculum order.
func (lib *Library) All() []*Lesson { return lib.lessons }

// FocusablePre is chroma's <pre> around highlighted code, with
// tabindex="0": a block wider or taller than its box scrolls, and only a
// block that takes the focus can be scrolled from the keyboard.
type FocusablePre struct{}

// Start opens the block.
func (FocusablePre) Start(code bool, styleAttr string) string {
	if code {
		return `<pre tabindex="0"` + styleAttr + `><code>`
	}
	return `<pre tabindex="0"` + styleAttr + `>`
}

// End closes the block.
func (FocusablePre) End(code bool) string {
	if code {
		return `</code></pre>`
	}
	return `</pre>`
}

func newMarkdown() goldmark.Markdown {
	return goldmark.New(
		goldmark.WithExtensions(
			extension.GFM,
			newCodeBlocks(),
		),
		goldmark.WithParserOptions(parser.WithAutoHeadingID()),
	)
}

func loadLesson(fsys fs.FS, name string, md goldmark.Markdown) (*Lesson, error) {
	m := fileName.FindStringSubmatch(path.Base(name))
	if m == nil {
		return nil, fmt.Errorf("content: %s: lesson files are named NNN-slug.md", name)
	}
	src, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("content: reading %s: %w", name, err)
	}
	fm, body, err := splitFrontMatter(src)
	if err != nil {
		return nil, fmt.Errorf("content: %s: %w", name, err)
	}
	var meta frontMatter
	if err := yaml.Unmarshal(fm, &meta); err != nil {
		return nil, fmt.Errorf("content: %s: front matter: %w", name, err)
	}
	num, _ := strconv.Atoi(m[1])
	l := &Lesson{
		Number: num, Slug: m[2], Title: meta.Title, Summary: meta.Summary,
		Section: meta.Section, Demos: meta.Demos, Introduces: meta.Introduces,
		Words: len(strings.Fields(string(body))),
	}
	for _, id := range l.Introduces {
		if _, ok := trace.ConceptByID(id); !ok {
			return nil, fmt.Errorf("content: %s: introduces %q, which is not a span concept (see playground/trace/concepts.go)", name, id)
		}
	}
	if meta.Slug != "" && meta.Slug != l.Slug {
		return nil, fmt.Errorf("content: %s: front matter slug %q does not match the file name", name, meta.Slug)
	}
	if l.Title == "" || l.Summary == "" || l.Section == "" {
		return nil, fmt.Errorf("content: %s: front matter needs title, summary and section", name)
	}
	if l.Blocks, err = renderBody(body, md); err != nil {
		return nil, fmt.Errorf("content: %s: %w", name, err)
	}
	placed := make(map[string]bool)
	for _, b := range l.Blocks {
		if b.DemoID != "" {
			if !slices.Contains(l.Demos, b.DemoID) {
				return nil, fmt.Errorf("content: %s: body places demo %q, which the front matter does not list", name, b.DemoID)
			}
			placed[b.DemoID] = true
		}
	}
	for _, id := range l.Demos {
		if !placed[id] {
			return nil, fmt.Errorf("content: %s: demo %q is listed but not placed in the body", name, id)
		}
	}
	return l, nil
}

func splitFrontMatter(src []byte) (fm, body []byte, err error) {
	src = bytes.ReplaceAll(src, []byte("\r\n"), []byte("\n"))
	if !bytes.HasPrefix(src, []byte("---\n")) {
		return nil, nil, fmt.Errorf("missing front matter (a leading --- block)")
	}
	fm, body, ok := bytes.Cut(src[4:], []byte("\n---\n"))
	if !ok {
		return nil, nil, fmt.Errorf("front matter is not closed by ---")
	}
	return fm, body, nil
}

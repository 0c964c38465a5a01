// Package view holds the templ components and the view models they take.
// Components render what they are given and never query anything.
package view

import (
	"html/template"

	"github.com/a-h/templ"
)

// Page is what every full page's layout needs.
type Page struct {
	Title       string
	Description string
	CSRF        string
	CSS         string
	ChromaCSS   string
	JS          string
	Icon        string
	Theme       string
	// Present is the URL of the presenter-mode and keyboard-shortcut script.
	Present string
	// Rooms is the URL of the script that presents or follows a room.
	Rooms string
	// Visited is the URL of the script that remembers the lessons this
	// browser opened and marks them on the curriculum.
	Visited string
}

// Home is the curriculum page; Start is its first lesson.
type Home struct {
	Page
	Start    *LessonLink
	Sections []HomeSection
}

// HomeSection is one group of lessons.
type HomeSection struct {
	Name    string
	Blurb   string
	Lessons []LessonLink
}

// LessonLink points at a lesson.
type LessonLink struct {
	Num string
	// Slug names the lesson to the script that marks visited lessons.
	Slug    string
	Href    string
	Title   string
	Summary string
}

// Lesson is a lesson page.
type Lesson struct {
	Page
	Section string
	Title   string
	Summary string
	// JoinHref is the page showing this lesson's address and QR code
	// for a class to open.
	JoinHref string
	Blocks   []LessonBlock
	// Concepts are the span concepts this lesson introduces.
	Concepts []ConceptLink
	Prev     *LessonLink
	Next     *LessonLink
}

// LessonBlock is prose, a live demo panel or the map of the curriculum.
type LessonBlock struct {
	HTML template.HTML
	Demo *Demo
	Map  *CurriculumMap
}

// Demo is a live panel: the form that runs it and, once run, its result.
type Demo struct {
	ID          string
	Title       string
	Description string
	Action      string
	CSRF        string
	Button      string
	Fields      []Field
	// Result, when set, fills the result region: a run's DemoResult.
	Result   templ.Component
	SQLTools bool
	Wide     bool
}

// Field is one input of a demo form.
type Field struct {
	ID      string
	Name    string
	Label   string
	Kind    string // text, number, select, textarea
	Value   string
	Hint    string
	Options []string
	Min     string
	Max     string
	MaxLen  int
	// Browser hints of a text field (minlength, pattern, required, type):
	// zero values add no attribute.
	MinLen    int
	Pattern   string
	Required  bool
	InputType string
}

// Result is both panes of a demo run, swapped in together.
type Result struct {
	DemoID   string
	Output   templ.Component
	Notice   *Notice
	Exchange Exchange
	Trace    Waterfall
	Curl     string
}

// Notice is a message above a demo's output.
type Notice struct {
	Level string // ok, warn, error
	Title string
	Text  string
}

// Exchange is the raw HTTP request and response as the server saw them.
type Exchange struct {
	Request     HTTPMessage
	Response    HTTPMessage
	StatusClass string
	Status      string
	Size        string
	Time        string
}

// HTTPMessage is a start line, headers and an optional body.
type HTTPMessage struct {
	StartLine string
	Headers   []Header
	Body      string
}

// Header is one header line; Masked values are hidden.
type Header struct {
	Name   string
	Value  string
	Masked bool
}

// Waterfall is the back end pane: the trace of the request as bars.
type Waterfall struct {
	TraceID string
	Spans   int
	Total   string
	Rows    []SpanRow
	Note    string
}

// SpanRow is one span in the waterfall.
type SpanRow struct {
	Depth     int
	Kind      string
	KindLabel string
	// Concept links the span's kind label to the lesson that explains
	// what it shows; nil draws the label without a link.
	Concept   *ConceptLink
	Name      string
	X         string
	W         string
	Dur       string
	Open      bool
	Error     bool
	StatusMsg string
	Attrs     []Attr
	Detail    template.HTML
	// Narration is one sentence on what the span did, shown when a class
	// steps through the waterfall.
	Narration string
}

// Attr is a span attribute.
type Attr struct {
	Key   string
	Value string
}

// Console is the SQL console page.
type Console struct {
	Page
	Panel Demo
}

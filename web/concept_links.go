package web

import (
	"strings"

	"github.com/engineroom/engineroom/content"
	ertrace "github.com/engineroom/engineroom/playground/trace"
	"github.com/engineroom/engineroom/web/view"
)

// conceptLink is where the span concept id is explained: the lesson that
// introduces it (the library maps each concept to its one home lesson when
// it loads). It reports false for an unknown concept or one no lesson
// introduces; such a span keeps a plain kind label.
func (s *Server) conceptLink(id string) (view.ConceptLink, bool) {
	c, ok := ertrace.ConceptByID(id)
	if !ok {
		return view.ConceptLink{}, false
	}
	l, ok := s.lessons.Home(id)
	if !ok {
		return view.ConceptLink{}, false
	}
	return newConceptLink(c, l), true
}

func newConceptLink(c ertrace.Concept, l *content.Lesson) view.ConceptLink {
	kind := kindLabel(c.Kind)
	label := c.Label
	// The accessible name starts with the words the chip shows, so a
	// visitor who speaks "click SQL" to their computer still hits it.
	if !strings.Contains(strings.ToLower(label), strings.ToLower(kind)) {
		label = kind + ": " + label
	}
	return view.ConceptLink{
		ID: c.ID, Kind: c.Kind, KindLabel: kind, Label: c.Label,
		Href: "/lessons/" + l.Slug + "#concept-" + c.ID,
		Name: label + " — explained in " + l.Title,
	}
}

// kindLabel is how the back end pane names a span kind.
func kindLabel(kind string) string {
	if l, ok := kindLabels[kind]; ok {
		return l
	}
	return kind
}

// lessonConcepts lists the concepts a lesson introduces, for its page.
func lessonConcepts(l *content.Lesson) []view.ConceptLink {
	out := make([]view.ConceptLink, 0, len(l.Introduces))
	for _, id := range l.Introduces {
		if c, ok := ertrace.ConceptByID(id); ok { // Load refuses unknown ids
			out = append(out, newConceptLink(c, l))
		}
	}
	return out
}

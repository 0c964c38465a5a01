package web

import (
	"fmt"
	"strconv"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/engineroom/engineroom/content"
	"github.com/engineroom/engineroom/web/view"
)

// pageMeta is what every full page's layout needs.
func (s *Server) pageMeta(csrf, title string) view.Page {
	return view.Page{
		Title:     title,
		CSRF:      csrf,
		CSS:       s.assets.URL("app.css"),
		ChromaCSS: s.assets.URL("chroma.css"),
		JS:        s.assets.URL("app.js"),
		Icon:      s.assets.URL("favicon.svg"),
		Theme:     s.assets.URL("theme.js"),
		Present:   s.assets.URL("present.js"),
		Rooms:     s.assets.URL("rooms.js"),
		Visited:   s.assets.URL("visited.js"),
	}
}

// showHome lists the curriculum.
func (s *Server) showHome(c echo.Context) error {
	return s.prerendered(c, "/")
}

// homeView is the curriculum page.
func (s *Server) homeView(csrf string) templ.Component {
	h := view.Home{Page: s.pageMeta(csrf, "Lessons")}
	h.Description = "A back-end concepts playground: live panels that show what the browser got and what the server did."
	if all := s.lessons.All(); len(all) > 0 {
		start := lessonLink(all[0])
		h.Start = &start
	}
	for _, sec := range s.lessons.Sections {
		hs := view.HomeSection{Name: sec.Name, Blurb: sec.Blurb}
		for _, l := range sec.Lessons {
			hs.Lessons = append(hs.Lessons, lessonLink(l))
		}
		h.Sections = append(h.Sections, hs)
	}
	return view.HomePage(h)
}

func lessonLink(l *content.Lesson) view.LessonLink {
	return view.LessonLink{Num: fmt.Sprintf("%02d", l.Number), Slug: l.Slug, Href: "/lessons/" + l.Slug, Title: l.Title, Summary: l.Summary}
}

// showLesson renders a lesson with its demo panels ready to run.
func (s *Server) showLesson(c echo.Context) error {
	if _, ok := s.lessons.Lesson(c.Param("slug")); !ok {
		return echo.NewHTTPError(404, "There is no lesson called "+strconv.Quote(c.Param("slug"))+".")
	}
	// The visitor's sandbox is cloned while they read, so the first Run
	// of a class pressing it together does not wait for 300 clones.
	s.sql.Warm(visitorID(c))
	if r, d, ok := s.ranHere(c); ok {
		return s.page(c, s.demoPage(csrfToken(c), d, templ.Raw(r.html), r.values))
	}
	return s.prerendered(c, "/lessons/"+c.Param("slug"))
}

// lessonView is a lesson page; results and values fill in demo panels that
// have just run (a form posted without the partial-update script).
func (s *Server) lessonView(csrf, slug string, results map[string]templ.Component, values map[string]map[string]string) templ.Component {
	l, _ := s.lessons.Lesson(slug)
	vm := view.Lesson{Page: s.pageMeta(csrf, l.Title), Section: l.Section, Title: l.Title, Summary: l.Summary, JoinHref: "/join?path=/lessons/" + slug}
	vm.Description = l.Summary
	vm.Concepts = lessonConcepts(l)
	for _, b := range l.Blocks {
		if b.Map {
			m := s.curriculumMap(slug)
			vm.Blocks = append(vm.Blocks, view.LessonBlock{Map: &m})
			continue
		}
		if b.DemoID == "" {
			vm.Blocks = append(vm.Blocks, view.LessonBlock{HTML: b.HTML})
			continue
		}
		d, _ := s.demos.get(b.DemoID)
		dv := s.demoView(csrf, d, values[d.ID])
		dv.Result = results[d.ID]
		vm.Blocks = append(vm.Blocks, view.LessonBlock{Demo: &dv})
	}
	all := s.lessons.All()
	for i, x := range all {
		if x.Slug != slug {
			continue
		}
		if i > 0 {
			p := lessonLink(all[i-1])
			vm.Prev = &p
		}
		if i+1 < len(all) {
			n := lessonLink(all[i+1])
			vm.Next = &n
		}
	}
	return view.LessonPage(vm)
}

// curriculumMap is every lesson by section, the one at slug marked as
// the one being read.
func (s *Server) curriculumMap(slug string) view.CurriculumMap {
	var m view.CurriculumMap
	for _, sec := range s.lessons.Sections {
		ms := view.MapSection{Name: sec.Name}
		for _, l := range sec.Lessons {
			ms.Lessons = append(ms.Lessons, view.MapLesson{LessonLink: lessonLink(l), Current: l.Slug == slug})
		}
		m.Sections = append(m.Sections, ms)
	}
	return m
}

// demoView is a demo's panel with its form filled from values (or the
// defaults).
func (s *Server) demoView(csrf string, d *demo, values map[string]string) view.Demo {
	dv := view.Demo{
		ID: d.ID, Title: d.Title, Description: d.Description,
		Action: "/demos/" + d.ID, CSRF: csrf, Button: d.Button, SQLTools: d.SQLTools, Wide: d.Wide,
	}
	if dv.Button == "" {
		dv.Button = "Run it"
	}
	for _, p := range d.Params {
		v, ok := values[p.Name]
		if !ok {
			v = p.Default
		}
		dv.Fields = append(dv.Fields, view.Field{
			ID: "demo-" + d.ID + "-" + p.Name, Name: p.Name, Label: p.Label, Kind: p.Kind,
			Value: v, Hint: p.Hint, Options: p.Options,
			Min: strconv.Itoa(p.Min), Max: strconv.Itoa(p.Max), MaxLen: p.MaxLen,
			MinLen: p.MinLen, Pattern: p.Pattern, Required: p.Required, InputType: p.InputType,
		})
	}
	return dv
}

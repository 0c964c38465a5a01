package web_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/engineroom/engineroom/content"
	"github.com/engineroom/engineroom/web"
)

// TestLessonMap checks the map of the curriculum a lesson's [[curriculum]]
// line becomes: every section and lesson of the library, in order, as
// links, with the lesson being read marked; and that lessons without the
// line have no map.
func TestLessonMap(t *testing.T) {
	lib, err := content.Load(content.Lessons)
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(t, web.Config{})
	for _, l := range lib.All() {
		hasMap := false
		for _, b := range l.Blocks {
			hasMap = hasMap || b.Map
		}
		t.Run(l.Slug, func(t *testing.T) {
			r := newClient(t, srv).get("/lessons/"+l.Slug, nil)
			if r.StatusCode != http.StatusOK {
				t.Fatalf("status %d", r.StatusCode)
			}
			maps := parseHTML(t, r.text).Find(".prose nav.curriculum-map")
			if !hasMap {
				if maps.Length() != 0 {
					t.Errorf("%d maps on a lesson without a [[curriculum]] line", maps.Length())
				}
				return
			}
			if maps.Length() != 1 {
				t.Fatalf("%d maps, want 1", maps.Length())
			}
			sections := maps.Find("section.map-section")
			if sections.Length() != len(lib.Sections) {
				t.Fatalf("%d sections, want %d", sections.Length(), len(lib.Sections))
			}
			for i, sec := range lib.Sections {
				s := sections.Eq(i)
				if got := s.Find("h3").Text(); got != sec.Name {
					t.Errorf("section %d = %q, want %q", i, got, sec.Name)
				}
				links := s.Find("ol.map-lessons > li > a")
				if links.Length() != len(sec.Lessons) {
					t.Errorf("%s: %d links, want %d", sec.Name, links.Length(), len(sec.Lessons))
					continue
				}
				links.Each(func(j int, a *goquery.Selection) {
					want := sec.Lessons[j]
					href, num, title := a.AttrOr("href", ""), a.Find(".map-num").Text(), a.Find(".map-title").Text()
					if href != "/lessons/"+want.Slug || title != want.Title || num != twoDigits(want.Number) {
						t.Errorf("%s lesson %d = %s %q %q, want /lessons/%s %q %q", sec.Name, j, href, num, title, want.Slug, twoDigits(want.Number), want.Title)
					}
					_, current := a.Attr("aria-current")
					if current != (want.Slug == l.Slug) || a.Parent().HasClass("is-current") != current || (a.Find(".map-here").Length() == 1) != current {
						t.Errorf("%s: marked current = %v, want %v", href, current, want.Slug == l.Slug)
					}
				})
			}
			if n := maps.Find(`a[aria-current="page"]`).Length(); n != 1 {
				t.Errorf("%d lessons marked current, want 1", n)
			}
		})
	}
}

// TestHomeStartLink checks the home page's start link points at the
// curriculum's first lesson.
func TestHomeStartLink(t *testing.T) {
	lib, err := content.Load(content.Lessons)
	if err != nil {
		t.Fatal(err)
	}
	first := lib.All()[0]
	doc := parseHTML(t, newClient(t, newServer(t, web.Config{})).get("/", nil).text)
	a := doc.Find(".hero a.start-link")
	if a.Length() != 1 || a.AttrOr("href", "") != "/lessons/"+first.Slug {
		t.Fatalf("start links: %d, the first to %q; want one to /lessons/%s", a.Length(), a.AttrOr("href", ""), first.Slug)
	}
	if want := "Start with lesson " + twoDigits(first.Number) + ": " + first.Title + " →"; a.Text() != want {
		t.Errorf("start link = %q, want %q", a.Text(), want)
	}
}

func twoDigits(n int) string { return fmt.Sprintf("%02d", n) }

package web

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

// TestProblemTypesDocumented: the problem types the server answers with
// are exactly the ones the OpenAPI document lists, with the same titles,
// and each points at a section of the reference page.
func TestProblemTypesDocumented(t *testing.T) {
	d, err := parsedAPIDoc()
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]string{}
	for _, p := range d.ProblemTypes {
		documented[p.Type] = p.Title
		if !strings.HasPrefix(p.Type, "/api#problem-") || p.Description == "" || p.Status < 400 || p.Status > 599 {
			t.Errorf("problem type %+v", p)
		}
		if newProblem(p.Type, p.Status, "").Title != p.Title {
			t.Errorf("%s: the server titles it %q, the document %q", p.Type, problemTitles[p.Type], p.Title)
		}
	}
	if !maps.Equal(documented, problemTitles) {
		t.Errorf("the document lists %v\nthe server has %v", slices.Sorted(maps.Keys(documented)), slices.Sorted(maps.Keys(problemTitles)))
	}
}

package web_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/engineroom/engineroom/content"
	"github.com/engineroom/engineroom/web"
)

const tourLessonPath = "/lessons/what-is-the-back-end"

// tourPartWant is what one part of the tour's diagram shows after a run.
type tourPartWant struct {
	part     string
	used     bool
	errored  bool
	didParts []string // in the part's "did" line
	// spanKinds are the waterfall's span kinds that light the part up: a
	// used part has rows of each, an unused part none.
	spanKinds []string
}

// TestBackendTour runs the first lesson's tour through the real router:
// every part lit on a visitor's first run, each with spans of its kind in
// the back end pane; the cache a hit and the database dark on the second;
// the JSON twin saying the same; a failing reservation system shown as a
// failed part while the page still answers.
func TestBackendTour(t *testing.T) {
	srv := newServer(t, web.Config{})
	tests := []struct {
		name string
		run  func(t *testing.T, srv *web.Server)
	}{
		{name: "FirstThenSecondRun", run: testTourRuns},
		{name: "JSON", run: testTourJSON},
		{name: "FailingSupplier", run: testTourFailingSupplier},
		{name: "LessonLinks", run: testTourLessonLinks},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t, srv)
		})
	}
}

func testTourRuns(t *testing.T, srv *web.Server) {
	c := newClient(t, srv)
	runs := []struct {
		name       string
		wantNotice string
		wantUsed   string
		parts      []tourPartWant
	}{
		{
			name: "first", wantNotice: "Miss.", wantUsed: "6 of 6 parts",
			parts: []tourPartWant{
				{part: "browser", used: true, didParts: []string{"Sent POST /demos/backend-tour"}, spanKinds: []string{"server"}},
				{part: "server", used: true, didParts: []string{"middleware", "1 handler"}, spanKinds: []string{"server", "middleware", "handler"}},
				{part: "cache", used: true, didParts: []string{"GET miss · SET"}, spanKinds: []string{"cache"}},
				{part: "database", used: true, didParts: []string{"1 query · 1 row ·"}, spanKinds: []string{"sql"}},
				{part: "services", used: true, didParts: []string{"Reservations · 1 call · 200 OK"}, spanKinds: []string{"http"}},
				{part: "jobs", used: true, didParts: []string{"1 job queued"}, spanKinds: []string{"job"}},
			},
		},
		{
			name: "second", wantNotice: "Hit.", wantUsed: "5 of 6 parts",
			parts: []tourPartWant{
				{part: "browser", used: true, didParts: []string{"Sent POST /demos/backend-tour"}, spanKinds: []string{"server"}},
				{part: "server", used: true, didParts: []string{"middleware", "1 handler"}, spanKinds: []string{"server", "middleware", "handler"}},
				{part: "cache", used: true, didParts: []string{"GET hit"}, spanKinds: []string{"cache"}},
				{part: "database", used: false, didParts: []string{"Not asked: the cache had the answer."}, spanKinds: []string{"sql"}},
				{part: "services", used: true, didParts: []string{"Reservations · 1 call · 200 OK"}, spanKinds: []string{"http"}},
				{part: "jobs", used: true, didParts: []string{"1 job queued"}, spanKinds: []string{"job"}},
			},
		},
	}
	for _, run := range runs {
		t.Run(run.name, func(t *testing.T) {
			r, doc := panelAs(t, c, tourLessonPath, "backend-tour", nil)
			if r.StatusCode != http.StatusOK {
				t.Fatalf("status = %d; body:\n%.2000s", r.StatusCode, r.text)
			}
			front := doc.Find(".pane-front .output")
			if got := strings.Join(strings.Fields(front.Find(".notice").First().Text()), " "); !strings.HasPrefix(got, run.wantNotice) {
				t.Errorf("notice = %q, want it to start with %q", got, run.wantNotice)
			}
			if got := front.Find(".tour-caption strong").Text(); got != run.wantUsed {
				t.Errorf("caption says %q used, want %q", got, run.wantUsed)
			}
			if got := front.Find(".lead-out").Text(); got != "Flight ER139: London (LHR) → Chicago (ORD)" {
				t.Errorf("lead = %q, want the flight and its route", got)
			}
			rows := doc.Find(".pane-back ol.waterfall li.span")
			assertTourParts(t, front, rows, run.parts)
		})
	}
}

// assertTourParts checks each part of the diagram against want, and
// against the waterfall rows of the same run.
func assertTourParts(t *testing.T, front, rows *goquery.Selection, want []tourPartWant) {
	t.Helper()
	parts := front.Find("li.tour-part")
	if parts.Length() != len(want) {
		t.Fatalf("%d parts in the diagram, want %d", parts.Length(), len(want))
	}
	for i, w := range want {
		p := parts.Eq(i)
		if id := p.AttrOr("data-part", ""); id != w.part {
			t.Errorf("part %d is %q, want %q", i, id, w.part)
			continue
		}
		if p.HasClass("is-used") != w.used || p.HasClass("is-idle") == w.used {
			t.Errorf("%s: class %q, want used = %v", w.part, p.AttrOr("class", ""), w.used)
		}
		if p.HasClass("is-error") != w.errored {
			t.Errorf("%s: class %q, want error = %v", w.part, p.AttrOr("class", ""), w.errored)
		}
		state := map[bool]string{true: "used", false: "not used"}[w.used]
		if w.errored {
			state = "failed"
		}
		if got := strings.TrimSpace(p.Find(".tour-state").Text()); got != state {
			t.Errorf("%s: state %q, want %q", w.part, got, state)
		}
		did := strings.Join(strings.Fields(p.Find(".tour-did").Text()), " ")
		for _, s := range w.didParts {
			if !strings.Contains(did, s) {
				t.Errorf("%s: did %q, want %q in it", w.part, did, s)
			}
		}
		for _, k := range w.spanKinds {
			n := rows.Filter(".kind-" + k).Length()
			if (n > 0) != w.used {
				t.Errorf("%s: %d waterfall rows of kind %s, want some = %v", w.part, n, k, w.used)
			}
		}
	}
}

func testTourJSON(t *testing.T, srv *web.Server) {
	c := newClient(t, srv)
	type out struct {
		Source         string `json:"source"`
		SeatsAvailable *int   `json:"seats_available"`
		JobID          int64  `json:"job_id"`
		Mailbox        string `json:"mailbox"`
		Parts          []struct {
			Part  string `json:"part"`
			Used  bool   `json:"used"`
			Error bool   `json:"error"`
			Did   string `json:"did"`
		} `json:"parts"`
	}
	for i, wantSource := range []string{"database", "cache"} {
		r := c.postJSON("/api/v1/demos/backend-tour", "{}", nil)
		if r.StatusCode != http.StatusOK {
			t.Fatalf("run %d: status = %d; body:\n%.2000s", i+1, r.StatusCode, r.text)
		}
		var got demoRunJSON
		decodeJSON(t, r, &got)
		var o out
		if err := json.Unmarshal(got.Output, &o); err != nil {
			t.Fatal(err)
		}
		if o.Source != wantSource || o.SeatsAvailable == nil || o.JobID <= 0 || !strings.HasPrefix(o.Mailbox, "/mailbox?job=") {
			t.Errorf("run %d: source %q, seats %v, job %d, mailbox %q; want source %q, seats, a job and its mailbox",
				i+1, o.Source, o.SeatsAvailable, o.JobID, o.Mailbox, wantSource)
		}
		byKind := assertSpans(t, got.Trace)
		// A part is used exactly when the trace has spans of its kind.
		kinds := map[string]string{"cache": "cache", "database": "sql", "services": "http", "jobs": "job", "server": "middleware"}
		if len(o.Parts) != 6 {
			t.Fatalf("run %d: %d parts, want 6", i+1, len(o.Parts))
		}
		for _, p := range o.Parts {
			if k, ok := kinds[p.Part]; ok && p.Used != (len(byKind[k]) > 0) {
				t.Errorf("run %d: part %s used = %v, but the trace has %d %s spans", i+1, p.Part, p.Used, len(byKind[k]), k)
			}
			if p.Error || p.Did == "" {
				t.Errorf("run %d: part %+v, want no error and a did line", i+1, p)
			}
		}
	}
}

func testTourFailingSupplier(t *testing.T, srv *web.Server) {
	c := newClient(t, srv)
	r := c.postJSON("/api/v1/demos/fault-switches", `{"service": "reservations", "error_rate": 100}`, nil)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("fault switches: status = %d; body:\n%.1000s", r.StatusCode, r.text)
	}
	r, doc := panelAs(t, c, tourLessonPath, "backend-tour", nil)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("status = %d; body:\n%.2000s", r.StatusCode, r.text)
	}
	front := doc.Find(".pane-front .output")
	p := front.Find(`li.tour-part[data-part="services"]`)
	if !p.HasClass("is-used") || !p.HasClass("is-error") || strings.TrimSpace(p.Find(".tour-state").Text()) != "failed" {
		t.Errorf("services part: class %q, state %q; want used and failed", p.AttrOr("class", ""), p.Find(".tour-state").Text())
	}
	if got := strings.Join(strings.Fields(front.Find(".kv").Text()), " "); !strings.Contains(got, "not known: The reservation system is having trouble") {
		t.Errorf("details = %q, want the seat count explained as not known", got)
	}
	if n := doc.Find(".pane-back li.span.kind-http.is-error").Length(); n == 0 {
		t.Error("no failed HTTP span in the waterfall")
	}
}

func testTourLessonLinks(t *testing.T, srv *web.Server) {
	lib, err := content.Load(content.Lessons)
	if err != nil {
		t.Fatal(err)
	}
	wantLinks := map[string]int{"browser": 2, "server": 2, "cache": 2, "database": 2, "services": 2, "jobs": 1}
	_, doc := panelAs(t, newClient(t, srv), tourLessonPath, "backend-tour", nil)
	doc.Find(".pane-front li.tour-part").Each(func(_ int, p *goquery.Selection) {
		links := p.Find(".tour-lessons a")
		if want := wantLinks[p.AttrOr("data-part", "")]; links.Length() != want {
			t.Errorf("part %s links to %d lessons, want %d", p.AttrOr("data-part", ""), links.Length(), want)
		}
		links.Each(func(_ int, a *goquery.Selection) {
			slug, ok := strings.CutPrefix(a.AttrOr("href", ""), "/lessons/")
			if l, found := lib.Lesson(slug); !ok || !found || !strings.HasPrefix(l.Title, strings.TrimSpace(strings.SplitN(a.Text(), " ", 2)[1])) {
				t.Errorf("part %s links to %q (%q), not a lesson of that title", p.AttrOr("data-part", ""), a.AttrOr("href", ""), a.Text())
			}
		})
	})
}

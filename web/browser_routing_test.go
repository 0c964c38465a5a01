package web

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// routingRun is one run of a routing panel through its form: the fields
// to set, then what the front end pane's output must and must not show
// and which spans the back end pane must and must not list.
type routingRun struct {
	what             string
	set              map[string]string // field id suffix → value
	click            string            // a field to click (a checkbox) before sending
	want, notWant    []string
	spans, notSpans  []string
	selectors        map[string]int // selector inside the result → how many
	backWant         []string       // text anywhere in the back end pane
	frontNotContains []string
}

// TestBrowserRouting runs every panel of the routing lesson through its
// real form, on a phone and on a projector: a route that matches, a 405,
// the middleware chain stopping at auth and at the rate limit, a panic
// with and without the recover layer, and a handler that watches or
// ignores its context against a timeout. Both panes are checked by
// selector, and the page never scrolls sideways.
func TestBrowserRouting(t *testing.T) {
	requireChromium(t)
	base := startBrowserServer(t)
	browser := startBrowser(t)
	booked := func(left string) routingRun {
		return routingRun{what: "booking, " + left + " left", set: map[string]string{"token": "valid"},
			want:      []string{"201 Created: every layer handed on", left + " of 3 bookings left"},
			spans:     []string{"auth", "rate limit", "handler createBooking"},
			selectors: map[string]int{".routing-step.is-ran": 5, ".routing-step.is-skipped": 0}}
	}
	panels := []struct {
		id   string
		runs []routingRun
	}{
		{"route-table", []routingRun{
			{what: "a route that matches",
				want:      []string{"Matched GET /flights/:id → showFlight, which answered 200 OK."},
				spans:     []string{"GET /flights/:id", "logging", "recover", "handler showFlight"},
				selectors: map[string]int{"tr.is-matched": 1, "tr.is-path-only": 0, ".routing-params dt": 1, "pre.routing-log": 1}},
			{what: "a method the path does not take", set: map[string]string{"method": "POST"},
				want:      []string{"405 Method Not Allowed: the path matches /flights/:id, but not for POST. Allow: OPTIONS, GET."},
				spans:     []string{"POST /flights/:id", "logging", "recover"},
				notSpans:  []string{"handler showFlight"},
				selectors: map[string]int{"tr.is-matched": 0, "tr.is-path-only": 1}},
			{what: "a path no route fits", set: map[string]string{"method": "GET", "path": "/nope"},
				want:  []string{"404 Not Found: no route matches /nope."},
				spans: []string{"GET (no route)"}, selectors: map[string]int{"tr.is-matched": 0, "tr.is-path-only": 0}},
		}},
		{"middleware-chain", []routingRun{
			{what: "no token", set: map[string]string{"token": "none"},
				want:      []string{"401 Unauthorized at auth: the rate limit and the handler never ran."},
				spans:     []string{"logging", "recover", "auth"},
				notSpans:  []string{"rate limit", "handler createBooking"},
				selectors: map[string]int{".routing-step.is-ran": 2, ".routing-step.is-stopped": 1, ".routing-step.is-skipped": 2}},
			booked("2"), booked("1"), booked("0"),
			{what: "one booking too many", set: map[string]string{"token": "valid"},
				want:      []string{"429 Too Many Requests at the rate limit: try again in", "(Retry-After). The handler never ran."},
				spans:     []string{"auth", "rate limit"},
				notSpans:  []string{"handler createBooking"},
				selectors: map[string]int{".routing-step.is-stopped": 1, ".routing-step.is-skipped": 1}},
		}},
		{"handler-panic", []routingRun{
			{what: "recovered",
				want:             []string{"500 Internal Server Error, request id", "no panic value, no stack", "assignment to entry in nil map"},
				spans:            []string{"recover", "handler brokenReport"},
				backWant:         []string{"exception.stacktrace", "routing/handlers.go"},
				frontNotContains: []string{"goroutine", "handlers.go", "runtime/panic"},
				selectors:        map[string]int{".routing-dropped": 0, ".routing-exchange pre.http-response": 1}},
			{what: "not recovered", click: "recover",
				want:      []string{"No response at all: the connection was closed.", "http: panic serving 127.0.0.1:"},
				spans:     []string{"GET /reports/broken", "logging", "handler brokenReport"},
				notSpans:  []string{"recover"},
				selectors: map[string]int{".routing-dropped": 1, ".routing-exchange pre.http-response": 0}},
		}},
		{"handler-timeout", []routingRun{
			{what: "a handler that watches its context", set: map[string]string{"work_ms": "2000", "timeout_ms": "500"},
				want:      []string{"503 after", "stopped at once: nothing kept working", "Service Unavailable"},
				spans:     []string{"GET /reports/slow", "handler slowReport", "build the report"},
				selectors: map[string]int{".routing-timeline dt": 2}},
			{what: "a handler that ignores it", set: map[string]string{"handler": "ignores the context"},
				want:  []string{"503 after", "but the handler kept working until", "it logged the 200 the handler tried to send"},
				spans: []string{"build the report"}, selectors: map[string]int{".routing-timeline dt": 2}},
		}},
	}
	for _, vp := range []browserViewport{phoneViewport, projectorViewport} {
		t.Run(vp.name, func(t *testing.T) {
			tab := openTab(t, browser, base, vp)
			tab.do(t, "opening the lesson",
				chromedp.Navigate(base+"/lessons/routing-and-middleware"),
				chromedp.WaitVisible(chromedp.CSS("#demo-route-table button.btn-run")),
			)
			tab.noHorizontalScroll(t, "on the lesson page")
			for _, p := range panels {
				previous := ""
				for _, run := range p.runs {
					for field, value := range run.set {
						tab.do(t, "setting "+field, chromedp.SetValue(chromedp.CSS("#demo-"+p.id+"-"+field), value))
					}
					if run.click != "" {
						tab.click(t, "#demo-"+p.id+"-"+run.click)
					}
					tab.click(t, "#demo-"+p.id+" button.btn-run")
					tab.waitForNewResult(t, p.id, previous)
					r := tab.result(t, p.id)
					previous = r.Trace
					checkRoutingRun(t, tab, p.id, run, r)
					tab.noHorizontalScroll(t, p.id+": after "+run.what)
				}
				tab.saveShot(t, vp.name+"-"+p.id+".png", "#demo-"+p.id+"-result")
			}
			tab.saveShot(t, vp.name+"-routing-lesson.png", "")
		})
	}
}

// checkRoutingRun checks both panes of a routing panel's result.
func checkRoutingRun(t *testing.T, tab *browserTab, id string, run routingRun, r demoResult) {
	t.Helper()
	front := r.Output
	for _, w := range run.want {
		if !strings.Contains(front, w) {
			t.Errorf("%s, %s: the front end pane shows %.700q, want %q", id, run.what, front, w)
		}
	}
	for _, w := range run.frontNotContains {
		if strings.Contains(front, w) {
			t.Errorf("%s, %s: the front end pane shows %q", id, run.what, w)
		}
	}
	for _, s := range run.spans {
		if !slices.Contains(r.Names, s) {
			t.Errorf("%s, %s: no span %q in the back end pane: %v", id, run.what, s, r.Names)
		}
	}
	for _, s := range run.notSpans {
		if slices.Contains(r.Names, s) {
			t.Errorf("%s, %s: a span %q in the back end pane, want none: %v", id, run.what, s, r.Names)
		}
	}
	result := "#demo-" + id + "-result "
	for sel, want := range run.selectors {
		if n := browserEval[int](t, tab, `document.querySelectorAll(`+strconv.Quote(result+".pane-front "+sel)+`).length`); n != want {
			t.Errorf("%s, %s: %d of %s in the front end pane, want %d", id, run.what, n, sel, want)
		}
	}
	if len(run.backWant) > 0 {
		back := browserEval[string](t, tab, `document.querySelector(`+strconv.Quote(result+".pane-back")+`).textContent`)
		for _, w := range run.backWant {
			if !strings.Contains(back, w) {
				t.Errorf("%s, %s: the back end pane does not show %q", id, run.what, w)
			}
		}
	}
}

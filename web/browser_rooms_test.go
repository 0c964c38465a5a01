package web

import (
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// followWait is how long a student's page may take to show the teacher's
// step; navWait how long it may take to follow the teacher to another
// page, which includes loading that page: on a 2-core machine running
// three renderers and the server it takes 0.4–0.9 s.
const (
	followWait = time.Second
	navWait    = 2 * time.Second
)

// TestBrowserRooms is a teacher and two students, each in a browser
// context of their own: the teacher starts a room, the students join it
// by its address and follow the teacher to another page and lesson; after
// the teacher steps twice through a demo's trace, each student's own run
// of the same demo shows the same step. A student who stops following
// stays where they are.
func TestBrowserRooms(t *testing.T) {
	requireChromium(t)
	base := startBrowserServer(t)
	browser := startBrowser(t)
	teacher := openTab(t, browser, base, projectorViewport)
	students := []*browserTab{openTab(t, browser, base, phoneViewport), openTab(t, browser, base, phoneViewport)}

	teacher.do(t, "opening the rooms page", chromedp.Navigate(base+"/rooms?back=/"))
	if status := teacher.clickToNavigate(t, "form.rooms-start button"); status != 200 {
		t.Fatalf("starting a room: status %d", status)
	}
	code := browserEval[string](t, teacher, `document.querySelector('[data-room-role="teach"]').dataset.roomCode`)
	if len(code) != 5 {
		t.Fatalf("room code %q, want 5 characters", code)
	}
	for i, s := range students {
		s.do(t, "student "+strconv.Itoa(i+1)+" joining", chromedp.Navigate(base+"/rooms/"+code))
		s.waitFor(t, "the banner names the room",
			`(() => { const b = document.querySelector('.room-banner.is-following'); return !!b && b.textContent.includes('Following room `+code+`'); })()`, followWait)
	}

	teacher.clickToNavigate(t, ".join-back a")
	followed(t, students, "/")
	teacher.do(t, "going to the lesson", chromedp.Navigate(base+browserLessonPath))
	followed(t, students, browserLessonPath)

	teacher.send(t, "request-echo", "follow me")
	teacher.press(t, kb.ArrowRight)
	teacher.press(t, kb.ArrowRight)
	if got := browserEval[string](t, teacher, `document.querySelector('#demo-request-echo-result ol.waterfall').dataset.step || ''`); got != "2" {
		t.Fatalf("teacher's step = %q, want 2", got)
	}
	for i, s := range students {
		s.send(t, "request-echo", "me too")
		s.waitFor(t, "student "+strconv.Itoa(i+1)+" shows step 2",
			`(() => { const ol = document.querySelector('#demo-request-echo-result ol.waterfall.is-stepping'); return !!ol && ol.dataset.step === '2'; })()`, followWait)
	}
	teacher.press(t, kb.ArrowRight)
	followedStep(t, students, "3")

	// The first student stops following; the second keeps following.
	students[0].click(t, ".room-banner .room-stop")
	students[0].waitFor(t, "the banner is gone", `!document.querySelector('.room-banner')`, followWait)
	teacher.do(t, "going home", chromedp.Navigate(base+"/"))
	followed(t, students[1:], "/")
	students[0].do(t, "waiting a moment", chromedp.Sleep(300*time.Millisecond))
	if loc := students[0].location(t); loc != base+browserLessonPath {
		t.Errorf("a student who stopped following is at %s, want %s", loc, base+browserLessonPath)
	}
}

// waitAcross polls a JavaScript predicate until it holds, like waitFor,
// but survives the page navigating while it polls.
func (b *browserTab) waitAcross(t *testing.T, what, predicate string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`(() => { try { return !!(`+predicate+`); } catch (_) { return false; } })()`))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			where, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`location.pathname + ' ' + document.readyState`))
			t.Fatalf("waiting until %s: not within %v (page: %s; last error: %v)", what, timeout, where, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// followed waits until every student's page is at path.
func followed(t *testing.T, students []*browserTab, path string) {
	t.Helper()
	for i, s := range students {
		s.waitAcross(t, "student "+strconv.Itoa(i+1)+" follows to "+path,
			`location.pathname === `+strconv.Quote(path)+` && !!document.querySelector('.room-banner')`, navWait)
	}
}

// followedStep waits until every student's result of request-echo shows
// step.
func followedStep(t *testing.T, students []*browserTab, step string) {
	t.Helper()
	for i, s := range students {
		s.waitFor(t, "student "+strconv.Itoa(i+1)+" shows step "+step,
			`document.querySelector('#demo-request-echo-result ol.waterfall').dataset.step === `+strconv.Quote(step), followWait)
	}
}

package web

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/engineroom/engineroom/playground/sandbox"
)

// The browser tests drive a real Chromium against the real server: they
// click, type and press keys the way a visitor does, and check what the
// page shows. They run whenever Chromium is installed; E2E=1 makes a
// missing Chromium a failure instead of a skip.

const (
	chromiumPath       = "/usr/bin/chromium"
	browserLessonPath  = "/lessons/what-happens-when-you-click"
	browserStepTimeout = 30 * time.Second
)

// browserViewport is a screen the scenario runs on.
type browserViewport struct {
	name          string
	width, height int64
	scale         float64
	mobile        bool
}

var (
	phoneViewport     = browserViewport{name: "phone", width: 390, height: 844, scale: 2, mobile: true}
	projectorViewport = browserViewport{name: "projector", width: 1280, height: 720, scale: 1}
)

func TestBrowser(t *testing.T) {
	requireChromium(t)
	base := startBrowserServer(t)
	browser := startBrowser(t)
	for _, vp := range []browserViewport{phoneViewport, projectorViewport} {
		t.Run(vp.name, func(t *testing.T) {
			tab := openTab(t, browser, base, vp)
			tab.openLessonFromHome(t)
			tab.runRequestEcho(t)
			tab.saveShot(t, vp.name+"-request-echo.png", "#demo-request-echo-result")
			tab.saveShot(t, vp.name+"-request-echo-back.png", "#demo-request-echo-result .pane-back")
			tab.runSlowStep(t)
			tab.saveShot(t, vp.name+"-slow-step.png", "#demo-slow-step-result")
			tab.useKeyboardAndTheme(t)
			tab.noHorizontalScroll(t, "after every demo ran")
			tab.saveShot(t, vp.name+"-lesson.png", "")
		})
	}
	t.Run("without-javascript", func(t *testing.T) {
		tab := openTab(t, browser, base, projectorViewport)
		tab.submitWithoutJavaScript(t)
	})
}

// submitWithoutJavaScript submits a demo form with scripts off: the
// browser posts it and shows the full page the server answers with.
func (b *browserTab) submitWithoutJavaScript(t *testing.T) {
	t.Helper()
	if _, err := chromedp.Call(b.ctx, emulation.SetScriptExecutionDisabled,
		emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatalf("turning JavaScript off: %v", err)
	}
	b.do(t, "opening the lesson",
		chromedp.Navigate(b.base+browserLessonPath),
		chromedp.WaitVisible(chromedp.CSS("#demo-request-echo button.btn-run")),
	)
	// With scripts off the toggle never gets the title the script sets.
	if title := browserEval[string](t, b, `document.querySelector('[data-theme-toggle]').title`); title != "" {
		t.Fatalf("the theme toggle has title %q: scripts still run", title)
	}
	const msg = "no script <b>here</b>"
	b.do(t, "typing the message",
		clearField("#demo-request-echo-message"),
		chromedp.SendKeys(chromedp.CSS("#demo-request-echo-message"), msg),
	)
	res := b.clickToNavigate(t, "#demo-request-echo button.btn-run")
	if res != 200 {
		t.Fatalf("the page the form post led to answered %d, want 200", res)
	}
	// The post answers 303 to the lesson, which shows the run in its panel.
	loc := b.location(t)
	if !regexp.MustCompile(`^` + regexp.QuoteMeta(b.base+browserLessonPath) + `\?run=[A-Za-z0-9_-]{16}#demo-request-echo$`).MatchString(loc) {
		t.Errorf("after the post the page is %s, want the lesson with ?run= and #demo-request-echo", loc)
	}
	b.do(t, "waiting for the result", chromedp.WaitVisible(chromedp.CSS("#demo-request-echo-result .pane-back ol.waterfall li.span")))
	r := b.result(t, "request-echo")
	r.check(t, msg)
	if r.HXRequest {
		t.Errorf("the request pane shows an HX-Request header, so the script sent it:\n%s", r.Request)
	}
	if got := browserEval[string](t, b, `document.getElementById('demo-request-echo-message').value`); got != msg {
		t.Errorf("the full page shows the message field as %q, want the message sent, %q", got, msg)
	}
	b.noHorizontalScroll(t, "on the full-page result")
	// Reloading shows the same run again: nothing is posted twice.
	if res, err := chromedp.RunResponse(b.ctx, chromedp.Reload()); err != nil || res.Status != 200 {
		t.Fatalf("reloading: %v (status %v)", err, res)
	}
	b.do(t, "waiting for the result after the reload", chromedp.WaitVisible(chromedp.CSS("#demo-request-echo-result .pane-back ol.waterfall li.span")))
	if again := b.result(t, "request-echo"); again.Trace != r.Trace || again.Trace == "" {
		t.Errorf("after a reload the panel shows trace %q, want the same run's %q", again.Trace, r.Trace)
	}
}

// TestBrowserScreenshot writes the README screenshot: the request demo
// after a run on a 1280-wide screen. It runs only with SCREENSHOT set to a
// path relative to the repository root, e.g.
//
//	SCREENSHOT=docs/screenshot.png go test -run BrowserScreenshot ./web/
func TestBrowserScreenshot(t *testing.T) {
	out := os.Getenv("SCREENSHOT")
	if out == "" {
		t.Skip("set SCREENSHOT=docs/screenshot.png to write the README screenshot")
	}
	if !filepath.IsAbs(out) {
		out = filepath.Join("..", out)
	}
	requireChromium(t)
	base := startBrowserServer(t)
	browser := startBrowser(t)
	tab := openTab(t, browser, base, browserViewport{name: "readme", width: 1280, height: 900, scale: 1})
	tab.do(t, "opening the lesson",
		chromedp.Navigate(base+browserLessonPath),
		chromedp.WaitVisible(chromedp.CSS("#demo-request-echo button.btn-run")),
	)
	tab.send(t, "request-echo", "hi <b>there</b>")
	tab.scrollTo(t, "#demo-request-echo-result")
	png, err := chromedp.Run(tab.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d KB)", out, len(png)/1024)
}

// requireChromium skips the test when it cannot run here, or fails it
// when E2E=1 says it must.
func requireChromium(t *testing.T) {
	t.Helper()
	required := os.Getenv("E2E") == "1"
	if testing.Short() && !required {
		t.Skip("browser tests are skipped under -short; set E2E=1 to run them")
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		if required {
			t.Fatalf("E2E=1 but Chromium is not installed at %s: %v", chromiumPath, err)
		}
		t.Skip("browser tests need Chromium: apt-get install chromium, or set E2E=1 to require them")
	}
}

// startBrowserServer serves the real server on a loopback port.
func startBrowserServer(t *testing.T) string {
	t.Helper()
	image, err := browserImage()
	if err != nil {
		t.Fatal(err)
	}
	// Chromium shares the cores with the server (and, on CI, the race
	// detector): a demo's first run, which builds its tables, may take
	// longer than the 2 s a visitor gets. The time limit has tests of its own.
	srv, err := New(t.Context(), Config{Sandbox: sandbox.Options{Template: image, QueryTimeout: 10 * time.Second}})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		ts.Close()
		if err := srv.Close(context.Background()); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return ts.URL
}

// browserImage builds the demo data once for every server the browser
// tests (and BenchmarkClassPressesRun) start. Building it takes a quarter of a second, but over ten under
// the race detector: longer than a panel's first request may wait for it.
var browserImage = sync.OnceValues(func() ([]byte, error) {
	m, err := sandbox.New(sandbox.Options{})
	if err != nil {
		return nil, err
	}
	defer m.Close()
	return m.Image(context.Background())
})

// startBrowser starts one headless Chromium with a fresh profile. The
// whole browser lives at most two minutes, so a wedged one cannot hang
// the test run.
func startBrowser(t *testing.T) context.Context {
	t.Helper()
	return startBrowserFor(t, 2*time.Minute)
}

// startBrowserFor is startBrowser with a browser that lives at most life.
func startBrowserFor(t *testing.T, life time.Duration) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
	)
	root, cancelRoot := context.WithTimeout(context.Background(), life)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(root, opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
		cancelRoot()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return ctx
}

// browserTab is one tab in its own browser context (its own cookies and
// storage), with every console error, warning and exception it reports.
type browserTab struct {
	ctx  context.Context
	base string

	mu       sync.Mutex
	problems []string
	expected []string // problems the test provokes on purpose, by substring
}

// expectProblem tells the tab a console problem containing substr is
// provoked on purpose (a refused request the page handles, say).
func (b *browserTab) expectProblem(substr string) {
	b.mu.Lock()
	b.expected = append(b.expected, substr)
	b.mu.Unlock()
}

// openTab opens a tab on vp. When the test ends it fails the test if the
// page reported any console error, warning, exception or CSP violation.
func openTab(t *testing.T, browser context.Context, base string, vp browserViewport) *browserTab {
	t.Helper()
	tab := &browserTab{base: base}
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext(), chromedp.WithListener(tab.listen))
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("opening a tab: %v", err)
	}
	tctx, tcancel := context.WithTimeout(ctx, browserStepTimeout)
	t.Cleanup(tcancel)
	tab.ctx = tctx
	t.Cleanup(func() {
		tab.mu.Lock()
		defer tab.mu.Unlock()
		for _, p := range tab.problems {
			if !slices.ContainsFunc(tab.expected, func(e string) bool { return strings.Contains(p, e) }) {
				t.Errorf("browser console: %s", p)
			}
		}
	})
	opts := []chromedp.EmulateViewportOption{chromedp.EmulateScale(vp.scale)}
	if vp.mobile {
		opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)
	}
	tab.do(t, "emulating the "+vp.name+" screen", chromedp.EmulateViewport(vp.width, vp.height, opts...))
	return tab
}

// listen runs in the tab's event loop: it only records.
func (b *browserTab) listen(ev any) {
	var msg string
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning {
			parts := make([]string, 0, len(ev.Args))
			for _, a := range ev.Args {
				if len(a.Value) > 0 {
					parts = append(parts, string(a.Value))
				} else {
					parts = append(parts, a.Description)
				}
			}
			msg = fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(parts, " "))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg = "uncaught exception: " + d.Text
		if d.Exception != nil {
			msg += " " + d.Exception.Description
		}
		msg += fmt.Sprintf(" (%s:%d)", d.URL, d.LineNumber+1)
	case *cdplog.EventEntryAdded:
		if e := ev.Entry; e.Level == cdplog.EntryLevelError {
			msg = fmt.Sprintf("%s error: %s %s", e.Source, e.Text, e.URL)
		}
	}
	if msg == "" {
		return
	}
	b.mu.Lock()
	b.problems = append(b.problems, msg)
	b.mu.Unlock()
}

func (b *browserTab) do(t *testing.T, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// browserEval evaluates a JavaScript expression in the page.
func browserEval[T any](t *testing.T, b *browserTab, expr string) T {
	t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// clearField empties a text field the way selecting all and deleting
// does. (SetValue cannot: it drops an empty string argument.)
func clearField(selector string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](`(() => {
		const el = document.querySelector(` + strconv.Quote(selector) + `);
		el.value = '';
		el.dispatchEvent(new Event('input', { bubbles: true }));
	})()`)
}

// click scrolls the element to the middle of the screen at once, clicks
// it like a mouse does and checks the click reached it. (The page scrolls
// smoothly; a click aimed while it glides lands somewhere else.)
func (b *browserTab) click(t *testing.T, selector string) {
	t.Helper()
	// On a loaded machine the layout can still move between aiming and
	// clicking; a click that missed did nothing, so aim again.
	var got string
	for range 3 {
		b.do(t, "clicking "+selector,
			chromedp.WaitVisible(chromedp.CSS(selector)),
			chromedp.Evaluate[chromedp.Void](`(() => {
			const el = document.querySelector(`+strconv.Quote(selector)+`);
			el.scrollIntoView({ block: 'center', behavior: 'instant' });
			window.lastClick = '';
			document.addEventListener('click', (e) => {
				window.lastClick = el.contains(e.target) ? 'hit' : e.target.tagName + '.' + e.target.className;
			}, { capture: true, once: true });
		})()`),
			chromedp.Click(chromedp.CSS(selector)),
		)
		if got = browserEval[string](t, b, `window.lastClick`); got == "hit" {
			return
		}
		b.do(t, "letting the layout settle", chromedp.Sleep(200*time.Millisecond))
	}
	t.Fatalf("the click aimed at %s landed on %q", selector, got)
}

// clickToNavigate activates an element that loads a new page — a link or
// a submit button — and returns the new page's HTTP status. It focuses
// the element and presses Enter, as a keyboard user would: unlike a mouse
// click at computed coordinates, that cannot land beside a target the
// layout moved while the page was still settling.
func (b *browserTab) clickToNavigate(t *testing.T, selector string) int64 {
	t.Helper()
	res, err := chromedp.RunResponse(b.ctx,
		chromedp.Focus(chromedp.CSS(selector)),
		chromedp.KeyEvent(kb.Enter),
	)
	if err != nil {
		t.Fatalf("activating %s: %v", selector, err)
	}
	return res.Status
}

// waitFor polls a JavaScript predicate until it holds.
func (b *browserTab) waitFor(t *testing.T, what, predicate string, timeout time.Duration) {
	t.Helper()
	_, err := chromedp.Run(b.ctx, chromedp.Poll[chromedp.Void](predicate,
		chromedp.WithPollingInterval(10*time.Millisecond), chromedp.WithPollingTimeout(timeout)))
	if err != nil {
		t.Fatalf("waiting until %s: %v", what, err)
	}
}

func (b *browserTab) location(t *testing.T) string {
	t.Helper()
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		t.Fatalf("reading the location: %v", err)
	}
	return loc
}

// saveShot writes a screenshot to $SCREENSHOT_DIR, if set, for looking
// at the layout by eye: the screen scrolled to the element scrollTo, or the
// whole page when scrollTo is empty.
func (b *browserTab) saveShot(t *testing.T, name, scrollTo string) {
	t.Helper()
	dir := os.Getenv("SCREENSHOT_DIR")
	if dir == "" {
		return
	}
	shot := chromedp.FullScreenshot(100)
	if scrollTo != "" {
		b.scrollTo(t, scrollTo)
		shot = chromedp.CaptureScreenshot()
	}
	png, err := chromedp.Run(b.ctx, shot)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// scrollTo puts the top of the element near the top of the screen.
func (b *browserTab) scrollTo(t *testing.T, selector string) {
	t.Helper()
	b.do(t, "scrolling to "+selector, chromedp.Evaluate[chromedp.Void](`window.scrollTo({
		top: document.querySelector(`+strconv.Quote(selector)+`).getBoundingClientRect().top + window.scrollY - 12,
		behavior: 'instant',
	})`))
}

// noHorizontalScroll checks the page fits the screen's width, naming the
// elements that stick out when it does not.
func (b *browserTab) noHorizontalScroll(t *testing.T, when string) {
	t.Helper()
	type overflow struct {
		ScrollWidth int      `json:"scrollWidth"`
		InnerWidth  int      `json:"innerWidth"`
		Culprits    []string `json:"culprits"`
	}
	o := browserEval[overflow](t, b, `(() => {
		const w = window.innerWidth;
		const culprits = [];
		for (const el of document.body.querySelectorAll('*')) {
			const r = el.getBoundingClientRect();
			if (r.width > 0 && r.right > w + 0.5 && culprits.length < 8) {
				culprits.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
					(el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : '') +
					' right=' + Math.round(r.right));
			}
		}
		return { scrollWidth: document.documentElement.scrollWidth, innerWidth: w, culprits };
	})()`)
	if o.ScrollWidth > o.InnerWidth {
		t.Errorf("%s: the page scrolls sideways: scrollWidth %d > innerWidth %d; sticking out: %v",
			when, o.ScrollWidth, o.InnerWidth, o.Culprits)
	}
}

// openLessonFromHome clicks the lesson's card on the home page.
func (b *browserTab) openLessonFromHome(t *testing.T) {
	t.Helper()
	card := chromedp.CSS(`a.lesson-card[href="` + browserLessonPath + `"]`)
	b.do(t, "opening the home page", chromedp.Navigate(b.base+"/"), chromedp.WaitVisible(card))
	b.noHorizontalScroll(t, "on the home page")
	if status := b.clickToNavigate(t, `a.lesson-card[href="`+browserLessonPath+`"]`); status != 200 {
		t.Fatalf("the lesson answered %d, want 200", status)
	}
	if loc := b.location(t); loc != b.base+browserLessonPath {
		t.Fatalf("after the click the page is %s, want %s", loc, b.base+browserLessonPath)
	}
	b.do(t, "finding the request demo", chromedp.WaitVisible(chromedp.CSS("#demo-request-echo button.btn-run")))
	b.noHorizontalScroll(t, "on the lesson page")
}

// demoResult is what a demo's result region shows.
type demoResult struct {
	Rows      int      `json:"rows"`
	Kinds     []string `json:"kinds"`
	Names     []string `json:"names"`
	Durs      []string `json:"durs"`
	Trace     string   `json:"trace"`
	Request   string   `json:"request"`
	Body      string   `json:"body"`
	Response  string   `json:"response"`
	Output    string   `json:"output"`
	Bold      int      `json:"bold"`
	HXRequest bool     `json:"hxRequest"`
	Busy      bool     `json:"busy"`
}

// result reads the result region of the demo with the given id.
func (b *browserTab) result(t *testing.T, id string) demoResult {
	t.Helper()
	return browserEval[demoResult](t, b, `(() => {
		const r = document.getElementById(`+strconv.Quote("demo-"+id+"-result")+`);
		const text = (sel) => { const el = r.querySelector(sel); return el ? el.textContent : ''; };
		const rows = Array.from(r.querySelectorAll('.pane-back ol.waterfall > li.span'));
		return {
			rows: rows.length,
			kinds: rows.map((li) => Array.from(li.classList).find((c) => c.startsWith('kind-')) || ''),
			names: rows.map((li) => li.querySelector('.span-name').textContent),
			durs: rows.map((li) => li.querySelector('.span-dur').textContent),
			trace: text('.pane-back .trace-meta code'),
			request: text('.pane-front pre.http:not(.http-response)'),
			body: text('.pane-front pre.http:not(.http-response) .http-body'),
			response: text('.pane-front pre.http-response'),
			output: text('.pane-front .output'),
			bold: r.querySelectorAll('.pane-front .output b').length,
			hxRequest: /^HX-Request: true$/mi.test(text('.pane-front pre.http:not(.http-response)')),
			busy: r.closest('.demo').classList.contains('htmx-request'),
		};
	})()`)
}

// check asserts both panes describe one request that carried message.
func (r demoResult) check(t *testing.T, message string) {
	t.Helper()
	if r.Rows < 5 {
		t.Errorf("the waterfall has %d rows, want at least 5: %v", r.Rows, r.Names)
	}
	for _, k := range []string{"kind-server", "kind-middleware", "kind-handler"} {
		if !slices.Contains(r.Kinds, k) {
			t.Errorf("no %s row in the waterfall: %v", k, r.Kinds)
		}
	}
	if !strings.Contains(r.Request, "POST /demos/request-echo") {
		t.Errorf("the request pane does not show POST /demos/request-echo:\n%s", r.Request)
	}
	if !strings.Contains(r.Output, message) {
		t.Errorf("the front end pane does not show the message %q as text:\n%s", message, r.Output)
	}
	if r.Bold != 0 {
		t.Errorf("the front end pane has %d <b> elements: the message was not escaped", r.Bold)
	}
	form, err := url.ParseQuery(r.Body)
	if err != nil || form.Get("message") != message {
		t.Errorf("the request body in the exchange is %q, want message=%q", r.Body, message)
	}
	// The waterfall shows the first 12 characters of the trace id; the
	// response headers in the front pane carry the whole id.
	short := strings.TrimSuffix(r.Trace, "…")
	if len(short) < 8 || !strings.Contains(r.Response, "00-"+short) {
		t.Errorf("the back end pane's trace %q is not the trace in the front pane's response:\n%s", r.Trace, r.Response)
	}
}

// send types message into the request demo, clicks its button and waits
// until a new result is in place. It returns the result.
func (b *browserTab) send(t *testing.T, id, message string) demoResult {
	t.Helper()
	before := b.result(t, id)
	input := chromedp.CSS("#demo-" + id + "-message")
	b.do(t, "typing the message", clearField("#demo-"+id+"-message"), chromedp.SendKeys(input, message))
	b.click(t, "#demo-"+id+" button.btn-run")
	b.waitForNewResult(t, id, before.Trace)
	return b.result(t, id)
}

// waitForNewResult waits until the demo's result shows a trace other than
// previous and the demo is no longer busy.
func (b *browserTab) waitForNewResult(t *testing.T, id, previous string) {
	t.Helper()
	b.do(t, "waiting for the result", chromedp.WaitVisible(chromedp.CSS("#demo-"+id+"-result .pane-back ol.waterfall li.span")))
	b.waitFor(t, "the "+id+" result is new", `(() => {
		const code = document.querySelector(`+strconv.Quote("#demo-"+id+"-result .trace-meta code")+`);
		const demo = document.getElementById(`+strconv.Quote("demo-"+id)+`);
		return code && code.textContent !== `+strconv.Quote(previous)+` && !demo.classList.contains('htmx-request');
	})()`, 10*time.Second)
}

// runRequestEcho sends two messages and checks each run replaced both
// panes in place, without leaving the page.
func (b *browserTab) runRequestEcho(t *testing.T) {
	t.Helper()
	b.do(t, "marking the document", chromedp.Evaluate[chromedp.Void](`window.sameDocument = true`))
	const first = "hi <b>there</b>"
	r1 := b.send(t, "request-echo", first)
	if loc := b.location(t); loc != b.base+browserLessonPath {
		t.Fatalf("after the run the page is %s, want it to stay on %s", loc, b.base+browserLessonPath)
	}
	if !browserEval[bool](t, b, `window.sameDocument === true`) {
		t.Fatal("the run loaded a new document: it should update the result in place")
	}
	r1.check(t, first)
	if !r1.HXRequest {
		t.Errorf("the request pane shows no HX-Request header: was it a partial update?\n%s", r1.Request)
	}
	b.noHorizontalScroll(t, "after the request demo ran")

	const second = "second run & more"
	r2 := b.send(t, "request-echo", second)
	r2.check(t, second)
	if r2.Trace == r1.Trace {
		t.Errorf("the second run shows the same trace %q as the first", r2.Trace)
	}
	if strings.Contains(r2.Output, first) || strings.Contains(r2.Body, "there") {
		t.Errorf("the second run still shows the first message:\n%s\n%s", r2.Output, r2.Body)
	}
	if !browserEval[bool](t, b, `window.sameDocument === true`) {
		t.Fatal("the second run loaded a new document")
	}
}

// runSlowStep runs the slow demo, checks the slow span's bar and that the
// panel shows it is busy while the request is in flight.
func (b *browserTab) runSlowStep(t *testing.T) {
	t.Helper()
	delay := chromedp.CSS("#demo-slow-step-delay_ms")
	const run = "#demo-slow-step button.btn-run"

	b.do(t, "setting the delay to 300 ms", chromedp.SetValue(delay, "300"))
	b.click(t, run)
	b.waitForNewResult(t, "slow-step", "")
	r := b.result(t, "slow-step")
	slow := loyaltySpan(t, r)
	if slow < 250*time.Millisecond {
		t.Errorf("the loyalty service span took %v, want at least 250ms for a 300 ms delay", slow)
	}
	b.noHorizontalScroll(t, "after the slow demo ran")

	// While a request is in flight the panel says so.
	b.do(t, "setting the delay to 800 ms", chromedp.SetValue(delay, "800"))
	b.click(t, run)
	type busy struct {
		Busy     bool `json:"busy"`
		Disabled bool `json:"disabled"`
		AriaBusy bool `json:"ariaBusy"`
	}
	got, err := chromedp.Run(b.ctx, chromedp.Poll[busy](`(() => {
		const demo = document.getElementById('demo-slow-step');
		return demo.classList.contains('htmx-request') && {
			busy: true,
			disabled: demo.querySelector('button.btn-run').disabled,
			ariaBusy: demo.querySelector('form').getAttribute('aria-busy') === 'true',
		};
	})()`, chromedp.WithPollingInterval(5*time.Millisecond), chromedp.WithPollingTimeout(600*time.Millisecond)))
	if err != nil {
		t.Fatalf("#demo-slow-step never got the htmx-request class while its request was in flight: %v", err)
	}
	if !got.Disabled || !got.AriaBusy {
		t.Errorf("while in flight: button disabled = %v, form aria-busy = %v; want both", got.Disabled, got.AriaBusy)
	}
	b.waitForNewResult(t, "slow-step", r.Trace)
	r = b.result(t, "slow-step")
	if slow := loyaltySpan(t, r); slow < 750*time.Millisecond {
		t.Errorf("the loyalty service span took %v, want at least 750ms for an 800 ms delay", slow)
	}
	if enabled := browserEval[bool](t, b, `!document.querySelector('#demo-slow-step button.btn-run').disabled`); !enabled {
		t.Error("the run button stays disabled after the response")
	}
}

// loyaltySpan is the duration of the waterfall row for the loyalty service.
func loyaltySpan(t *testing.T, r demoResult) time.Duration {
	t.Helper()
	for i, name := range r.Names {
		if strings.Contains(name, "loyalty service") {
			d, err := parseSpanDur(r.Durs[i])
			if err != nil {
				t.Fatalf("row %q: %v", name, err)
			}
			return d
		}
	}
	t.Fatalf("no waterfall row names the loyalty service: %v", r.Names)
	return 0
}

var spanDurRE = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)\s*(µs|us|ms|s)\b`)

// parseSpanDur reads a duration as the waterfall shows it ("312.4 ms",
// "1.20 s", "0.05 ms"), ignoring any marker after it.
func parseSpanDur(s string) (time.Duration, error) {
	m := spanDurRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, fmt.Errorf("duration %q is not a number with µs, ms or s", s)
	}
	n, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, err
	}
	unit := map[string]time.Duration{"µs": time.Microsecond, "us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}[m[2]]
	return time.Duration(n * float64(unit)), nil
}

// useKeyboardAndTheme submits a demo with Enter and flips the theme from
// the keyboard and the mouse; the choice survives a reload.
func (b *browserTab) useKeyboardAndTheme(t *testing.T) {
	t.Helper()
	before := b.result(t, "request-echo")
	const msg = "sent with Enter"
	input := chromedp.CSS("#demo-request-echo-message")
	b.do(t, "submitting with Enter",
		chromedp.Focus(input),
		clearField("#demo-request-echo-message"),
		chromedp.SendKeys(input, msg+"\n"),
	)
	b.waitForNewResult(t, "request-echo", before.Trace)
	b.result(t, "request-echo").check(t, msg)
	if id := browserEval[string](t, b, `document.activeElement ? document.activeElement.id : ''`); id != "demo-request-echo-message" {
		t.Errorf("after the keyboard run the focus is on %q, want it still in the message field", id)
	}
	if loc := b.location(t); loc != b.base+browserLessonPath {
		t.Errorf("Enter left the page for %s", loc)
	}

	const theme = `document.documentElement.dataset.theme || ''`
	const effective = `document.documentElement.dataset.theme || (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light')`
	start := browserEval[string](t, b, effective)
	flipped := map[string]string{"light": "dark", "dark": "light"}[start]

	b.do(t, "toggling the theme with the keyboard", chromedp.Focus(chromedp.CSS("[data-theme-toggle]")), chromedp.KeyEvent("\r"))
	if got := browserEval[string](t, b, theme); got != flipped {
		t.Fatalf("after Enter on the theme toggle the theme is %q, want %q", got, flipped)
	}
	if pressed := browserEval[string](t, b, `document.querySelector('[data-theme-toggle]').getAttribute('aria-pressed')`); pressed != strconv.FormatBool(flipped == "dark") {
		t.Errorf("theme %s but the toggle has aria-pressed=%s", flipped, pressed)
	}
	b.do(t, "reloading", chromedp.Reload())
	b.waitFor(t, "the theme is restored after the reload", theme+` === `+strconv.Quote(flipped), 5*time.Second)

	b.click(t, "[data-theme-toggle]")
	if got := browserEval[string](t, b, theme); got != start {
		t.Fatalf("after clicking the toggle the theme is %q, want %q", got, start)
	}
	b.do(t, "reloading", chromedp.Reload())
	b.waitFor(t, "the theme is restored after the second reload", theme+` === `+strconv.Quote(start), 5*time.Second)
}

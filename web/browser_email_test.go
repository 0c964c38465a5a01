package web

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

const browserEmailLessonPath = "/lessons/email-and-background-jobs"

// TestBrowserEmailJob confirms an order in the email lesson: the answer
// says the email is queued, and the mailbox region below it polls until
// the job has sent the email, without reloading the page. Without
// JavaScript, the region's link opens the mailbox as a page instead.
func TestBrowserEmailJob(t *testing.T) {
	requireChromium(t)
	base := startBrowserServer(t)
	browser := startBrowser(t)
	for _, vp := range []browserViewport{phoneViewport, projectorViewport} {
		t.Run(vp.name, func(t *testing.T) {
			tab := openTab(t, browser, base, vp)
			tab.do(t, "opening the lesson",
				chromedp.Navigate(base+browserEmailLessonPath),
				chromedp.WaitVisible(chromedp.CSS("#demo-email-job button.btn-run")),
				chromedp.Evaluate[chromedp.Void](`window.sameDocument = true`),
			)
			tab.click(t, "#demo-email-job button.btn-run")
			tab.waitForNewResult(t, "email-job", "")
			r := tab.result(t, "email-job")
			m := regexp.MustCompile(`Order #(\d+) confirmed\. Confirmation email queued as job #(\d+)\.`).FindStringSubmatch(strings.Join(strings.Fields(r.Output), " "))
			if m == nil {
				t.Fatalf("the front end pane shows %q, want the order confirmed and the job queued", r.Output)
			}
			tab.waitFor(t, "the email arrives in the mailbox", `(() => {
				const box = document.querySelector('#demo-email-job-result section.mailbox');
				const row = box && box.querySelector('li.mail-job .mail-subject');
				return !!row && row.textContent === 'Order #`+m[1]+` confirmed' && !box.hasAttribute('hx-trigger');
			})()`, 15*time.Second)
			if state := browserEval[string](t, tab, `document.querySelector('#demo-email-job-result .job-state').textContent`); !strings.Contains(state, "Job #"+m[2]+": completed.") {
				t.Errorf("job state = %q, want job #%s completed", state, m[2])
			}
			if !browserEval[bool](t, tab, `window.sameDocument === true`) || tab.location(t) != base+browserEmailLessonPath {
				t.Fatalf("the mailbox loaded a new page (now at %s): it should fill in in place", tab.location(t))
			}
			tab.noHorizontalScroll(t, "after the email arrived")
			tab.saveShot(t, vp.name+"-email-job.png", "#demo-email-job-result")
		})
	}
	t.Run("failing", func(t *testing.T) {
		tab := openTab(t, browser, base, phoneViewport)
		tab.do(t, "opening the lesson",
			chromedp.Navigate(base+browserEmailLessonPath),
			chromedp.WaitVisible(chromedp.CSS("#demo-email-job button.btn-run")),
			chromedp.SetValue(chromedp.CSS("#demo-email-job-service"), "failing (every call errors)"),
		)
		tab.click(t, "#demo-email-job button.btn-run")
		tab.waitForNewResult(t, "email-job", "")
		tab.waitFor(t, "a failed attempt shows while the region keeps polling", `(() => {
			const box = document.querySelector('#demo-email-job-result section.mailbox');
			return !!box && !!box.querySelector('li.attempt-failed .attempt-error') && box.hasAttribute('hx-trigger');
		})()`, 10*time.Second)
		tab.noHorizontalScroll(t, "with a failed attempt in the mailbox")
		tab.saveShot(t, "phone-email-job-failing.png", "#demo-email-job-result section.mailbox")
	})
	t.Run("without-javascript", func(t *testing.T) {
		tab := openTab(t, browser, base, projectorViewport)
		if _, err := chromedp.Call(tab.ctx, emulation.SetScriptExecutionDisabled,
			emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
			t.Fatalf("turning JavaScript off: %v", err)
		}
		tab.do(t, "opening the lesson",
			chromedp.Navigate(base+browserEmailLessonPath),
			chromedp.WaitVisible(chromedp.CSS("#demo-email-job button.btn-run")),
		)
		if status := tab.clickToNavigate(t, "#demo-email-job button.btn-run"); status != 200 {
			t.Fatalf("the page the form post led to answered %d, want 200", status)
		}
		link := "#demo-email-job-result section.mailbox .mailbox-foot a:last-child"
		tab.do(t, "finding the mailbox link", chromedp.WaitVisible(chromedp.CSS(link)))
		if status := tab.clickToNavigate(t, link); status != 200 {
			t.Fatalf("the mailbox page answered %d, want 200", status)
		}
		if loc := tab.location(t); !regexp.MustCompile(`/mailbox\?job=\d+$`).MatchString(loc) {
			t.Fatalf("the link led to %s, want the mailbox page", loc)
		}
		// The page does not refresh itself; its link reloads it.
		deadline := time.Now().Add(10 * time.Second)
		for !browserEval[bool](t, tab, `!!document.querySelector('main section.mailbox li.mail-job')`) {
			if time.Now().After(deadline) {
				t.Fatal("the email never showed on the mailbox page")
			}
			tab.do(t, "waiting a moment", chromedp.Sleep(300*time.Millisecond))
			if status := tab.clickToNavigate(t, "main section.mailbox .mailbox-foot a:last-child"); status != 200 {
				t.Fatalf("reloading the mailbox answered %d", status)
			}
		}
	})
}

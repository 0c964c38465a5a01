package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/engineroom/engineroom/playground/sandbox"
)

// TestBrowserBusyClass: when every query slot stays taken past the queue's
// wait, the panel says the class is busy, waits the Retry-After the server
// asked for, tries once more and shows the result.
func TestBrowserBusyClass(t *testing.T) {
	requireChromium(t)
	image, err := browserImage()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(t.Context(), Config{Sandbox: sandbox.Options{
		Template: image, MaxConcurrent: 1, QueueWait: 20 * time.Millisecond, QueryTimeout: 1500 * time.Millisecond,
	}})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		ts.Close()
		srv.Close(context.Background())
	})
	sqlWarmURL(t, ts.URL)
	tab := openTab(t, startBrowser(t), ts.URL, phoneViewport)
	// The browser logs the refusal the panel then retries.
	tab.expectProblem("the server responded with a status of 503 (Service Unavailable) " + ts.URL + "/demos/sql")
	tab.do(t, "opening the SQL console",
		chromedp.Navigate(ts.URL+"/sql"),
		chromedp.WaitVisible(chromedp.CSS("#demo-sql-sql")),
		clearField("#demo-sql-sql"),
		chromedp.SendKeys(chromedp.CSS("#demo-sql-sql"), "SELECT 'served' AS answer;"),
	)

	// Another visitor's query holds the only slot until its time limit.
	done := make(chan int, 1)
	go func() {
		res, err := http.Post(ts.URL+"/api/v1/sql", "application/json",
			strings.NewReader(`{"sql": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"}`))
		if err != nil {
			done <- 0
			return
		}
		res.Body.Close()
		done <- res.StatusCode
	}()
	deadline := time.Now().Add(5 * time.Second)
	for srv.sql.Stats().Running == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the long query never started")
		}
		time.Sleep(time.Millisecond)
	}

	tab.do(t, "pressing Ctrl+Enter", chromedp.KeyEvent("\r", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	tab.waitFor(t, "the panel says the class is busy", `(() => {
		const s = document.querySelector('#demo-sql .status');
		return !!s && s.textContent.includes('busy with the whole class') && s.textContent.includes('trying again in 2\u00a0s');
	})()`, 5*time.Second)
	tab.saveShot(t, "phone-busy-class.png", "#demo-sql")
	if code := <-done; code != http.StatusOK {
		t.Fatalf("the long query answered %d", code)
	}
	tab.waitFor(t, "the retried query shows its answer", `(() => {
		const td = document.querySelector('#demo-sql-result table.data tbody td');
		return !!td && td.textContent === 'served' && !document.getElementById('demo-sql').classList.contains('htmx-request');
	})()`, 10*time.Second)
	if got := browserEval[string](t, tab, `document.querySelector('#demo-sql .status').textContent`); got != "" {
		t.Errorf("the status still says %q after the answer", got)
	}
	if st := srv.sql.Stats(); st.Saturated != 1 {
		t.Errorf("Saturated = %d, want the one refusal before the retry", st.Saturated)
	}
}

package web_test

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/engineroom/engineroom/playground/sandbox"
	"github.com/engineroom/engineroom/web"
)

const eventsPage = "/lessons/queues-and-events"

// eventsFinal follows a panel's deliveries region, as the page's script
// does, until it stops reloading, and returns it.
func eventsFinal(t *testing.T, c *client, doc *goquery.Document) *goquery.Selection {
	t.Helper()
	region := doc.Find(".pane-front section.ev-run")
	deadline := time.Now().Add(15 * time.Second)
	for {
		if region.Length() != 1 {
			t.Fatalf("%d deliveries regions", region.Length())
		}
		url, polling := region.AttrOr("hx-get", ""), region.AttrOr("hx-trigger", "") != ""
		if !polling {
			return region
		}
		if time.Now().After(deadline) {
			t.Fatalf("still delivering after 15 s: %q", text(region.Find(".ev-summary")))
		}
		time.Sleep(100 * time.Millisecond)
		r := c.get(url, hdr("HX-Request", "true"))
		if r.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %.300s", url, r.StatusCode, r.text)
		}
		region = parseHTML(t, r.text).Find("section.ev-run")
	}
}

func text(s *goquery.Selection) string { return strings.Join(strings.Fields(s.Text()), " ") }

// consumerRow finds a consumer's card by name.
func consumerRow(region *goquery.Selection, name string) *goquery.Selection {
	return region.Find("li.ev-consumer").FilterFunction(func(_ int, s *goquery.Selection) bool {
		return s.Find(".ev-name").Text() == name
	})
}

func outcomesOf(s *goquery.Selection) string {
	var out []string
	s.Find(".ev-outcome").Each(func(_ int, o *goquery.Selection) { out = append(out, text(o)) })
	return strings.Join(out, ", ")
}

func TestEventPanels(t *testing.T) {
	srv := newDemoServer(t)
	tests := []struct {
		name, id string
		set      map[string]string
		// wantSummary is in the final summary; wantOutcomes are each
		// consumer's attempts; wantDead is the dead-letter list's size.
		wantSummary  string
		wantOutcomes map[string]string
		wantDead     int
		wantArrived  string
	}{
		{name: "fan-out to three consumers", id: "event-fanout", wantSummary: "All 3 jobs finished on their first attempt, the last +",
			wantOutcomes: map[string]string{"email": "#1 done", "miles (idempotent)": "#1 done", "analytics": "#1 done"},
			wantArrived:  "confirmed” is in ada@example.com's inbox | Miles: 15,851 (was 12,400) | Analytics: the booking is counted in today's report"},
		{name: "flaky email is retried with backoff", id: "event-retries",
			wantSummary:  "email failed twice, then worked on attempt 3 of 5, after waits of ",
			wantOutcomes: map[string]string{"email": "#1 failed, #2 failed, #3 done", "miles (idempotent)": "#1 done", "analytics": "#1 done"}},
		{name: "analytics always failing ends a dead letter", id: "event-retries",
			set:          map[string]string{"consumer": "analytics", "fault": "always fails"},
			wantSummary:  "analytics failed all 3 attempts and was discarded: a dead letter. The other 2 finished on their first attempt by +",
			wantOutcomes: map[string]string{"analytics": "#1 failed, #2 failed, #3 failed", "email": "#1 done"}, wantDead: 1},
		{name: "a crash before the ack redelivers; the duplicate is skipped", id: "event-retries",
			set:          map[string]string{"consumer": "miles", "fault": "crashes after its work, before the ack"},
			wantSummary:  "and it skipped the duplicate.",
			wantOutcomes: map[string]string{"miles (idempotent)": "#1 crashed before ack, #2 duplicate skipped"}},
		{name: "naive and idempotent consumers", id: "event-idempotency",
			wantSummary:  "miles (idempotent) credited once (+3,451). miles (naive) credited twice (+6,902): 3,451 miles too many.",
			wantOutcomes: map[string]string{"miles (idempotent)": "#1 crashed before ack, #2 duplicate skipped", "miles (naive)": "#1 crashed before ack, #2 done"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, srv)
			r, doc := panelAs(t, c, eventsPage, tt.id, tt.set)
			if r.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %.500s", r.StatusCode, r.text)
			}
			if got := text(doc.Find(".pane-front .ev-confirm")); !strings.Contains(got, "is confirmed. The page answered at once") {
				t.Errorf("confirmation = %q", got)
			}
			region := eventsFinal(t, c, doc)
			if got := text(region.Find(".ev-summary")); !strings.Contains(got, tt.wantSummary) {
				t.Errorf("summary = %q, want %q in it", got, tt.wantSummary)
			}
			for name, want := range tt.wantOutcomes {
				if got := outcomesOf(consumerRow(region, name)); got != want {
					t.Errorf("%s attempts = %q, want %q", name, got, want)
				}
			}
			var arrived []string
			region.Find("ul.ev-arrived li").Each(func(_ int, li *goquery.Selection) { arrived = append(arrived, text(li)) })
			if got := strings.Join(arrived, " | "); !strings.Contains(got, tt.wantArrived) {
				t.Errorf("arrived = %q, want %q in it", got, tt.wantArrived)
			}
			if got := region.Find("ul.ev-dead li").Length(); got != tt.wantDead {
				t.Errorf("%d dead letters, want %d", got, tt.wantDead)
			}
			if tt.wantDead > 0 {
				testEventReplay(t, c)
			}
		})
	}
}

// testEventReplay retries the visitor's dead letter by hand.
func testEventReplay(t *testing.T, c *client) {
	r, doc := panelAs(t, c, eventsPage, "event-retries", map[string]string{"action": "retry my dead letters by hand"})
	if r.StatusCode != http.StatusOK {
		t.Fatalf("replay: status %d: %.500s", r.StatusCode, r.text)
	}
	region := eventsFinal(t, c, doc)
	if got := text(region.Find(".ev-summary")); !strings.Contains(got, "(analytics) was replayed and worked on attempt 1.") {
		t.Errorf("summary after replay = %q", got)
	}
	if region.Find("ul.ev-dead li").Length() != 0 || region.Find(".ev-dead-empty").Length() != 1 {
		t.Errorf("dead letters after replay: %q", text(region.Find("ul.ev-dead")))
	}
	r, _ = panelAs(t, c, eventsPage, "event-retries", map[string]string{"action": "retry my dead letters by hand"})
	if r.StatusCode != http.StatusBadRequest || !strings.Contains(r.text, "You have no dead letters to retry") {
		t.Errorf("second replay: %d %.300s", r.StatusCode, r.text)
	}
}

func TestEventBalances(t *testing.T) {
	srv := newDemoServer(t)
	c := newClient(t, srv)
	_, doc := panelAs(t, c, eventsPage, "event-idempotency", nil)
	region := eventsFinal(t, c, doc)
	want := [][]string{{"miles (idempotent)", "12,400", "15,851", "once (+3,451)"}, {"miles (naive)", "12,400", "19,302", "twice (+6,902)"}}
	rows := region.Find("table.ev-balances tbody tr")
	if rows.Length() != len(want) {
		t.Fatalf("%d balance rows", rows.Length())
	}
	rows.Each(func(i int, row *goquery.Selection) {
		var got []string
		row.Find("th, td").Each(func(_ int, cell *goquery.Selection) { got = append(got, text(cell)) })
		if strings.Join(got, "|") != strings.Join(want[i], "|") {
			t.Errorf("row %d = %q, want %q", i, got, want[i])
		}
		if wrong := row.HasClass("ev-wrong"); wrong != (i == 1) {
			t.Errorf("row %d ev-wrong = %v", i, wrong)
		}
	})
	testEventVisitors(t, srv, c)
}

// testEventVisitors checks that another visitor cannot read c's event 1,
// and that a visitor cannot publish again while delivering.
func testEventVisitors(t *testing.T, srv *web.Server, c *client) {
	other := newClient(t, srv)
	if r := other.get("/event-runs/1?demo=event-fanout", hdr("HX-Request", "true")); r.StatusCode != http.StatusNotFound {
		t.Errorf("another visitor's event: %d", r.StatusCode)
	}
	r1, _ := panelAs(t, c, eventsPage, "event-retries", map[string]string{"consumer": "analytics", "fault": "always fails"})
	r2, _ := panelAs(t, c, eventsPage, "event-fanout", nil)
	if r1.StatusCode != http.StatusOK || r2.StatusCode != http.StatusConflict || !strings.Contains(r2.text, "still being delivered") {
		t.Errorf("publish while delivering: %d then %d %.300s", r1.StatusCode, r2.StatusCode, r2.text)
	}
	if r := other.get("/event-runs/abc", nil); r.StatusCode != http.StatusBadRequest {
		t.Errorf("/event-runs/abc: %d", r.StatusCode)
	}
}

// TestEventsLabBesideStateDB: the events lab keeps its files in a folder
// of its own beside the state database, a folder the server may write to
// where the rest of the filesystem is read-only, and removes it on Close.
func TestEventsLabBesideStateDB(t *testing.T) {
	dir := t.TempDir()
	t.Cleanup(func() { // after the server's own Close, registered later
		if left, _ := filepath.Glob(filepath.Join(dir, "engineroom-events-*")); len(left) != 0 {
			t.Errorf("after Close: %v left behind", left)
		}
	})
	srv := newServer(t, web.Config{StateDB: filepath.Join(dir, "state.db"), Sandbox: sandbox.Options{QueryTimeout: 30 * time.Second}})
	c := newClient(t, srv)
	_, doc := panelAs(t, c, eventsPage, "event-fanout", nil)
	eventsFinal(t, c, doc)
	labs, err := filepath.Glob(filepath.Join(dir, "engineroom-events-*", "queue.db"))
	if err != nil || len(labs) != 1 {
		t.Fatalf("events lab folders beside the state database: %v (%v), want one", labs, err)
	}
}

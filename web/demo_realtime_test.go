package web_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

const realtimePage = "/lessons/real-time-updates"

// rtCell reads a number from the compare table's row of one transport.
func rtCell(t *testing.T, doc *goquery.Document, transport, class string) int {
	t.Helper()
	cell := doc.Find(`.pane-front table.rt-compare tr[data-transport="` + transport + `"] td.` + class)
	if cell.Length() != 1 {
		t.Fatalf("no %s cell for %s", class, transport)
	}
	f := strings.Fields(cell.Text())
	n, err := strconv.Atoi(f[0])
	if err != nil {
		t.Fatalf("%s of %s: %q is not a number", class, transport, cell.Text())
	}
	return n
}

func TestRealtimeCompare(t *testing.T) {
	srv := newDemoServer(t)
	r, doc := demoPanelRun(t, srv, realtimePage, "realtime-compare", map[string]string{"every": "250"})
	if r.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %.500s", r.StatusCode, r.text)
	}
	if n := doc.Find(".pane-front table.rt-compare tbody tr").Length(); n != 4 {
		t.Fatalf("%d rows, want 4", n)
	}
	req := map[string]int{}
	for _, tr := range []string{"polling", "long-polling", "sse", "websocket"} {
		req[tr] = rtCell(t, doc, tr, "rt-requests")
		if got := strings.TrimSpace(doc.Find(`tr[data-transport="` + tr + `"] td.rt-messages`).Text()); got != "6 of 6" {
			t.Errorf("%s saw %q changes, want 6 of 6", tr, got)
		}
		if b := doc.Find(`tr[data-transport="` + tr + `"] td.rt-bytes`).Text(); !strings.HasSuffix(b, "B") || strings.HasPrefix(b, "0 ") {
			t.Errorf("%s: bytes %q", tr, b)
		}
		for _, c := range []string{"rt-avg", "rt-max"} {
			if d := doc.Find(`tr[data-transport="` + tr + `"] td .` + c).Text(); !strings.HasSuffix(d, " ms") {
				t.Errorf("%s: %s %q", tr, c, d)
			}
		}
	}
	if req["polling"] <= req["long-polling"] {
		t.Errorf("polling sent %d requests, long polling %d; want polling to send more", req["polling"], req["long-polling"])
	}
	if req["sse"] != 1 || req["websocket"] != 1 {
		t.Errorf("SSE sent %d requests, WebSocket %d; want 1 each", req["sse"], req["websocket"])
	}
	if rtCell(t, doc, "polling", "rt-empty") == 0 || rtCell(t, doc, "sse", "rt-empty") != 0 || rtCell(t, doc, "websocket", "rt-empty") != 0 {
		t.Error("want empty answers for polling only among polling, SSE and WebSocket")
	}
	names := doc.Find(".pane-back ol.waterfall li.span.kind-http .span-name").Text()
	for _, want := range []string{"GET /status (poll 1)", "(long poll)", "GET /events (event stream)", "GET /ws (WebSocket)", "event 6: Departed 10:58", "message 3: Delayed 20 min"} {
		if !strings.Contains(names, want) {
			t.Errorf("the waterfall has no %q span", want)
		}
	}
}

func TestRealtimeFeed(t *testing.T) {
	srv := newDemoServer(t)
	tests := []struct {
		name      string
		set       map[string]string
		wantText  string
		wantWarn  bool
		wantReqs  int // 0: more than one
		wantState string
	}{
		{name: "slow polling misses changes", set: map[string]string{"transport": "polling", "every": "1000"},
			wantText: "were never seen", wantWarn: true},
		{name: "long polling", set: map[string]string{"transport": "long polling"}, wantText: "timed out with 204 No Content"},
		{name: "server-sent events", set: map[string]string{"transport": "Server-Sent Events"}, wantText: "carried 6 events", wantReqs: 1},
		{name: "websocket", set: map[string]string{"transport": "WebSocket"}, wantText: "then 6 messages on the open connection", wantReqs: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, doc := demoPanelRun(t, srv, realtimePage, "realtime-feed", tt.set)
			if r.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %.500s", r.StatusCode, r.text)
			}
			out := doc.Find(".pane-front .output")
			if got := strings.Join(strings.Fields(out.Find(".notice").Text()), " "); !strings.Contains(got, tt.wantText) {
				t.Errorf("summary %q, want %q in it", got, tt.wantText)
			}
			if out.Find(".notice-warn").Length() > 0 != tt.wantWarn {
				t.Errorf("warning shown = %v, want %v", !tt.wantWarn, tt.wantWarn)
			}
			if got := out.Find(".rt-board .rt-status").Text(); got != "Departed" {
				t.Errorf("the board ends at %q, want Departed", got)
			}
			n, _ := strconv.Atoi(out.Find(".rt-counts dd.rt-requests").Text())
			if (tt.wantReqs == 0 && n < 2) || (tt.wantReqs > 0 && n != tt.wantReqs) {
				t.Errorf("%d requests, want %d (0: several)", n, tt.wantReqs)
			}
			if updates := out.Find("ol.rt-updates li.rt-update").Length(); !tt.wantWarn && updates != 6 {
				t.Errorf("%d updates listed, want 6", updates)
			}
		})
	}
	t.Run("json", func(t *testing.T) {
		r, got := demoAPIRun(t, srv, "realtime-feed", map[string]any{"transport": "WebSocket"})
		if r.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %s", r.StatusCode, r.text)
		}
		var o struct {
			Updates []struct {
				Version int `json:"version"`
			} `json:"updates"`
			Counts struct {
				Requests int    `json:"requests"`
				Closed   string `json:"closed"`
			} `json:"counts"`
		}
		if err := json.Unmarshal(got.Output, &o); err != nil {
			t.Fatal(err)
		}
		if len(o.Updates) != 6 || o.Updates[5].Version != 6 || o.Counts.Requests != 1 || !strings.HasPrefix(o.Counts.Closed, "1000 ") {
			t.Errorf("JSON twin: %s", got.Output)
		}
	})
}

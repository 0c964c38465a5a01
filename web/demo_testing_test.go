package web_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/engineroom/engineroom/web"
)

// TestHandlerTestDemo runs the flight API's handler test live, as the
// repository has it and with one expectation changed, and checks what the
// panel shows by selector and what the JSON twin answers.
func TestHandlerTestDemo(t *testing.T) {
	srv := newServer(t, web.Config{})
	sqlReady(t, srv)
	const page = "/lessons/testing-and-debugging"
	tests := []struct {
		wantStatus     string
		wantNotice     string // the .notice, as text
		wantFailed     []string
		wantEdited     string   // the .note under the notice; "" for none
		wantFailRow    []string // name, verdict, want and got of the failing check
		wantTranscript []string // lines of the go test transcript
	}{
		{wantStatus: "404", wantNotice: "PASS. All 3 cases pass: the handler answers as the test expects.",
			wantTranscript: []string{"$ go test -run TestFlightAPI ./web/", "ok  \tgithub.com/engineroom/engineroom/web\t"}},
		{wantStatus: "200", wantNotice: "FAIL. 1 of 3 cases fail: no such flight.", wantFailed: []string{"no such flight"},
			wantEdited:  "You changed one expectation: no such flight now expects 200. The test in the repository expects 404.",
			wantFailRow: []string{"status", "✕ fail", "200", "404"},
			wantTranscript: []string{"$ go test -run TestFlightAPI ./web/", "--- FAIL: TestFlightAPI (", "    --- FAIL: TestFlightAPI/no_such_flight (",
				"        flight_api_test.go:41: status = 404, want 200", "FAIL", "FAIL\tgithub.com/engineroom/engineroom/web\t", "FAIL"}},
	}
	for _, tt := range tests {
		t.Run("expects "+tt.wantStatus, func(t *testing.T) {
			r, doc := demoPanelRun(t, srv, page, "handler-test", map[string]string{"want_status": tt.wantStatus})
			if r.StatusCode != http.StatusOK {
				t.Fatalf("status = %d; body:\n%.1000s", r.StatusCode, r.text)
			}
			out := doc.Find(".pane-front .output")
			if got := squash(out.Find(".notice")); got != tt.wantNotice {
				t.Errorf("notice = %q, want %q", got, tt.wantNotice)
			}
			if got := squash(out.Find("p.note")); got != tt.wantEdited {
				t.Errorf("note = %q, want %q", got, tt.wantEdited)
			}
			var names, failed []string
			out.Find("ol.hcases > li.hcase").Each(func(_ int, li *goquery.Selection) {
				name := li.Find(".hcase-name").Text()
				names = append(names, name)
				if li.HasClass("is-fail") {
					failed = append(failed, name)
				}
				if v := li.Find(".hcase-verdict").Text(); v != map[bool]string{true: "FAIL", false: "PASS"}[li.HasClass("is-fail")] {
					t.Errorf("case %s: verdict %q", name, v)
				}
				var checks []string
				li.Find("ul.assertions li.assertion .assertion-name").Each(func(_ int, n *goquery.Selection) { checks = append(checks, n.Text()) })
				if !slices.Equal(checks, []string{"status", "Content-Type", "body contains"}) {
					t.Errorf("case %s checks %q", name, checks)
				}
			})
			if !slices.Equal(names, []string{"a flight", "no such flight", "not a number"}) || !slices.Equal(failed, tt.wantFailed) {
				t.Errorf("cases %q, failing %q; want the three cases, failing %q", names, failed, tt.wantFailed)
			}
			var row []string
			out.Find("ul.assertions li.assertion.is-fail").Each(func(_ int, li *goquery.Selection) {
				row = append(row, li.Find(".assertion-name").Text(), li.Find(".assertion-mark").Text())
				li.Find(".assertion-vals code").Each(func(_ int, c *goquery.Selection) { row = append(row, c.Text()) })
			})
			if !slices.Equal(row, tt.wantFailRow) {
				t.Errorf("failing check row = %q, want %q", row, tt.wantFailRow)
			}
			lines := strings.Split(strings.TrimSuffix(out.Find("pre.test-output").Text(), "\n"), "\n")
			if len(lines) != len(tt.wantTranscript) {
				t.Fatalf("transcript:\n%s\nwant %d lines", strings.Join(lines, "\n"), len(tt.wantTranscript))
			}
			for i, want := range tt.wantTranscript {
				if !strings.HasPrefix(lines[i], want) {
					t.Errorf("transcript line %d = %q, want it to start %q", i+1, lines[i], want)
				}
			}
			// Each case is a request of its own, under a client span named
			// after it.
			var clients []string
			doc.Find(".pane-back li.span .span-name").Each(func(_ int, s *goquery.Selection) {
				if strings.Contains(s.Text(), ": GET /api/v1/flights/") {
					clients = append(clients, s.Text())
				}
			})
			want := []string{"a flight: GET /api/v1/flights/42", "no such flight: GET /api/v1/flights/999999", "not a number: GET /api/v1/flights/abc"}
			if !slices.Equal(clients, want) {
				t.Errorf("request spans %q, want %q", clients, want)
			}
		})
	}
	t.Run("json", func(t *testing.T) {
		_, got := demoAPIRunAs(t, newClient(t, srv), "handler-test", `{"want_status": 500}`)
		var out struct {
			Passed int `json:"passed"`
			Failed int `json:"failed"`
			Cases  []struct {
				Name   string `json:"name"`
				Pass   bool   `json:"pass"`
				Checks []struct {
					Check, Want, Got, Message string
					Pass                      bool
				} `json:"checks"`
			} `json:"cases"`
			Transcript string `json:"transcript"`
		}
		if err := json.Unmarshal(got.Output, &out); err != nil {
			t.Fatal(err)
		}
		if out.Passed != 2 || out.Failed != 1 || len(out.Cases) != 3 || out.Cases[1].Pass || !out.Cases[0].Pass || !out.Cases[2].Pass {
			t.Fatalf("output = %+v", out)
		}
		c := out.Cases[1].Checks[0]
		if c.Check != "status" || c.Want != "500" || c.Got != "404" || c.Pass || c.Message != "status = 404, want 500" {
			t.Errorf("failing check = %+v", c)
		}
		if !strings.Contains(out.Transcript, "flight_api_test.go:41: status = 404, want 500\n") {
			t.Errorf("transcript = %q", out.Transcript)
		}
	})
	t.Run("out of range", func(t *testing.T) {
		r := newClient(t, srv).postJSON("/api/v1/demos/handler-test", `{"want_status": 99}`, nil)
		if r.StatusCode != http.StatusBadRequest || !strings.Contains(r.text, "want_status: must be between 100 and 599") {
			t.Errorf("status %d, body %.300s", r.StatusCode, r.text)
		}
	})
}

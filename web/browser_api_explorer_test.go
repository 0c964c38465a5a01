package web

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserAPIExplorer runs the REST lesson's explorer on a phone and a
// projector: picking an endpoint fills in its example path and body from
// the OpenAPI document, and sending it shows the answer's status and its
// JSON highlighted.
func TestBrowserAPIExplorer(t *testing.T) {
	requireChromium(t)
	base := startBrowserServer(t)
	sqlWarmURL(t, base)
	browser := startBrowser(t)
	tests := []struct {
		endpoint   string
		wantPath   string
		wantBody   string
		wantStatus string
		wantStart  string // the request line
		wantJSON   string // in the highlighted answer
	}{
		{endpoint: "POST /api/v1/bookings", wantPath: "/api/v1/bookings", wantBody: "{\n  \"member_id\": 1,\n  \"flight_id\": 42\n}",
			wantStatus: "201 Created", wantStart: "POST /api/v1/bookings HTTP/1.1", wantJSON: `"status": "confirmed"`},
		{endpoint: "GET /api/v1/products", wantPath: "/api/v1/products?category=kitchen&limit=5",
			wantStatus: "200 OK", wantStart: "GET /api/v1/products?category=kitchen&limit=5 HTTP/1.1", wantJSON: `"category": "kitchen"`},
	}
	for _, vp := range []browserViewport{phoneViewport, projectorViewport} {
		t.Run(vp.name, func(t *testing.T) {
			tab := openTab(t, browser, base, vp)
			tab.do(t, "opening the lesson",
				chromedp.Navigate(base+"/lessons/rest-and-json"),
				chromedp.WaitVisible(chromedp.CSS("#demo-api-explorer button.btn-run")),
			)
			tab.noHorizontalScroll(t, "on the REST lesson")
			previous := ""
			for _, tt := range tests {
				tab.pick(t, "#demo-api-explorer-endpoint", tt.endpoint)
				tab.waitFor(t, "the fields hold the example of "+tt.endpoint, `(() => {
					const f = document.querySelector('#demo-api-explorer form');
					return f.elements.path.value === `+strconv.Quote(tt.wantPath)+` && f.elements.body.value === `+strconv.Quote(tt.wantBody)+`;
				})()`, 5*time.Second)

				tab.click(t, "#demo-api-explorer button.btn-run")
				tab.waitForNewResult(t, "api-explorer", previous)
				r := tab.result(t, "api-explorer")
				previous = r.Trace
				type answer struct {
					Status string `json:"status"`
					Spans  int    `json:"spans"`
					JSON   string `json:"json"`
				}
				a := browserEval[answer](t, tab, `(() => {
					const r = document.getElementById('demo-api-explorer-result');
					const body = r.querySelector('.api-response-body pre.chroma');
					return {
						status: r.querySelector('.api-call .visit-status').textContent,
						spans: body ? body.querySelectorAll('span').length : 0,
						json: body ? body.textContent : '',
					};
				})()`)
				if a.Status != tt.wantStatus {
					t.Errorf("%s: the answer is %q, want %q", tt.endpoint, a.Status, tt.wantStatus)
				}
				if a.Spans < 10 || !strings.Contains(a.JSON, tt.wantJSON) {
					t.Errorf("%s: the answer's JSON has %d highlighted tokens and reads:\n%.400s\nwant it highlighted, with %s", tt.endpoint, a.Spans, a.JSON, tt.wantJSON)
				}
				if !strings.HasPrefix(r.Request, tt.wantStart) {
					t.Errorf("%s: the request shown starts %.80q, want %q", tt.endpoint, r.Request, tt.wantStart)
				}
				tab.noHorizontalScroll(t, "after sending "+tt.endpoint)
				tab.saveShot(t, vp.name+"-api-explorer-"+strings.ToLower(strings.Fields(tt.endpoint)[0])+".png", "#demo-api-explorer-result")
			}
		})
	}
}

// pick chooses an option of a select as a person does: the value
// changes and the select fires change.
func (b *browserTab) pick(t *testing.T, selector, value string) {
	t.Helper()
	b.do(t, "picking "+value, chromedp.Evaluate[chromedp.Void](`(() => {
		const el = document.querySelector(`+strconv.Quote(selector)+`);
		el.scrollIntoView({ block: 'center', behavior: 'instant' });
		el.focus();
		el.value = `+strconv.Quote(value)+`;
		el.dispatchEvent(new Event('input', { bubbles: true }));
		el.dispatchEvent(new Event('change', { bubbles: true }));
	})()`))
}

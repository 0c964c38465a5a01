package web_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/engineroom/engineroom/web"
)

const opsConfigPage = "/lessons/containers-and-configuration"

// words is s with its runs of white space made single spaces.
func words(s string) string { return strings.Join(strings.Fields(s), " ") }

func TestHealthCheckDemo(t *testing.T) {
	tests := []struct {
		name      string
		cacheDown bool
		headline  string
		// readyStatus is /readyz's answer; failed the check that fails.
		readyStatus string
		failed      string
	}{
		{name: "all well", headline: "Ready", readyStatus: "200 OK"},
		{name: "the cache is down", cacheDown: true, headline: "Alive, not ready", readyStatus: "503 Service Unavailable", failed: "cache"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := web.Config{}
			stop := func() {}
			if tt.cacheDown {
				cfg.RedisURL, stop = stoppableRedis(t)
			}
			srv := newServer(t, cfg)
			sqlReady(t, srv)
			stop()
			r, doc := demoPanelRun(t, srv, opsConfigPage, "health-check", nil)
			if r.StatusCode != http.StatusOK {
				t.Fatalf("status %d\n%.2000s", r.StatusCode, r.text)
			}
			out := doc.Find(".pane-front .output")
			head := words(out.Find(".big-number").Text())
			if want := regexp.MustCompile(`^` + tt.headline + ` live: 200 in [0-9.]+ (µs|ms) · ready: ` + tt.readyStatus[:3] + ` in [0-9.]+ (µs|ms)$`); !want.MatchString(head) {
				t.Errorf("headline %q, want %s", head, want)
			}
			probes := out.Find("li.ops-probe")
			if probes.Length() != 2 {
				t.Fatalf("%d probes, want 2", probes.Length())
			}
			type probeWant struct {
				title, status, start, body, question, note string
				checks                                     int
			}
			wants := []probeWant{
				{title: "Liveness · GET /healthz", status: "200 OK", start: "GET /healthz HTTP/1.1", body: "ok",
					question: "Is the process up and able to answer? If not, restart it.", note: "No request id, no log line, no handler step"},
				{title: "Readiness · GET /readyz", status: tt.readyStatus, start: "GET /readyz HTTP/1.1", body: `"checks": [`,
					question: "Can it do its work right now?", note: "Each dependency is tried for real, each within 500 ms. A failed check makes the answer 503", checks: 3},
			}
			probes.Each(func(i int, p *goquery.Selection) {
				w := wants[i]
				if got := p.Find(".visit-head strong").Text(); got != w.title {
					t.Errorf("probe %d title %q, want %q", i, got, w.title)
				}
				st := p.Find(".visit-status")
				if st.Text() != w.status || !st.HasClass("status-"+w.status[:1]+"xx") {
					t.Errorf("probe %d status %q (class %q), want %q", i, st.Text(), st.AttrOr("class", ""), w.status)
				}
				if meta := p.Find(".visit-head .meta").Text(); !strings.Contains(meta, "bytes") {
					t.Errorf("probe %d meta %q, want the body size and time", i, meta)
				}
				if q := p.Find(".ops-question").Text(); !strings.HasPrefix(q, w.question) {
					t.Errorf("probe %d question %q", i, q)
				}
				req := p.Find("pre.http").First().Text()
				if !strings.HasPrefix(req, w.start+"\nHost: ") || strings.Contains(req, "Cookie") || !strings.Contains(req, "Accept: */*") {
					t.Errorf("probe %d request:\n%s\nwant %s, Host and Accept, and no cookie", i, req, w.start)
				}
				res := p.Find("pre.http-response").Text()
				if !strings.HasPrefix(res, "HTTP/1.1 "+w.status+"\n") || !strings.Contains(res, "Cache-Control: ") == (i == 1) || !strings.Contains(res, w.body) {
					t.Errorf("probe %d response:\n%s\nwant %s and %q", i, res, w.status, w.body)
				}
				if strings.Contains(res, "X-Request-Id: ") != (i == 1) {
					t.Errorf("probe %d: X-Request-Id shown = %v, want it on /readyz only", i, i != 1)
				}
				if more := p.Find(".visit-more").Text(); !strings.HasPrefix(more, "+ ") {
					t.Errorf("probe %d: more = %q", i, more)
				}
				if n := p.Find(".ops-probe-note").Text(); !strings.HasPrefix(n, w.note) {
					t.Errorf("probe %d note %q, want %q…", i, n, w.note)
				}
				checks := p.Find("li.ops-check")
				if checks.Length() != w.checks {
					t.Fatalf("probe %d: %d checks, want %d", i, checks.Length(), w.checks)
				}
				checks.Each(func(j int, ch *goquery.Selection) {
					name := ch.Find(".ops-check-name").Text()
					ok := name != tt.failed
					result := map[bool]string{true: "ok", false: "failed"}[ok]
					if name != readyChecks[j] || ch.HasClass("is-ok") != ok || ch.HasClass("is-failed") == ok || ch.Find(".ops-check-result").Text() != result {
						t.Errorf("check %d: %q %q (class %q), want %q %s", j, name, ch.Find(".ops-check-result").Text(), ch.AttrOr("class", ""), readyChecks[j], result)
					}
					if took := ch.Find(".ops-check-took").Text(); !regexp.MustCompile(`^[0-9]+\.[0-9]{2} ms$`).MatchString(took) {
						t.Errorf("check %s took %q", name, took)
					}
					if d := ch.Find(".ops-check-detail").Text(); d == "" || (!ok && d != "PING failed") {
						t.Errorf("check %s detail %q", name, d)
					}
				})
			})
			// The back end pane: the PING under the readiness handler.
			back := doc.Find(".pane-back li.span")
			var names []string
			back.Each(func(_ int, s *goquery.Selection) { names = append(names, s.Find(".span-name").Text()) })
			for _, want := range []string{"GET /healthz", "handler readiness", "check demo data", "check cache", "PING", "check state database", "state database: count waiting jobs"} {
				if !slices.Contains(names, want) {
					t.Errorf("no %q span among %q", want, names)
				}
			}

			_, run := demoAPIRun(t, srv, "health-check", map[string]any{})
			var got struct {
				Live   bool `json:"live"`
				Ready  bool `json:"ready"`
				Checks []struct {
					Name string `json:"name"`
					OK   bool   `json:"ok"`
				} `json:"checks"`
				Calls []struct {
					Target         string      `json:"target"`
					Status         int         `json:"status"`
					RequestHeaders http.Header `json:"request_headers"`
				} `json:"calls"`
			}
			if err := json.Unmarshal(run.Output, &got); err != nil {
				t.Fatal(err)
			}
			if !got.Live || got.Ready != !tt.cacheDown || len(got.Checks) != 3 || len(got.Calls) != 2 {
				t.Fatalf("JSON twin: %+v", got)
			}
			if got.Calls[0].Target != "/healthz" || got.Calls[0].Status != 200 || got.Calls[1].Target != "/readyz" || got.Calls[1].Status != map[bool]int{false: 200, true: 503}[tt.cacheDown] {
				t.Errorf("calls %+v", got.Calls)
			}
			for _, c := range got.Calls {
				if c.RequestHeaders.Get("Cookie") != "" {
					t.Errorf("%s sent a cookie", c.Target)
				}
			}
		})
	}
}

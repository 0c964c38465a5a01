package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/engineroom/engineroom/web"
)

// metricRows are the rows of the metrics table and the metric each is
// exposed as ("" for a row with nothing to expose yet).
var metricRows = [][2]string{
	{"Requests answered", "engineroom_http_requests_total"},
	{"Requests in flight", "engineroom_http_requests_in_flight"},
	{"Goroutines", "go_goroutines"},
	{"Go heap in use", "go_memstats_heap_inuse_bytes"},
	{"Memory the Go runtime holds", "go_memstats_sys_bytes"},
	{"Resident memory (RSS)", "process_resident_memory_bytes"},
	{"Garbage collections", "go_gc_cycles_total"},
	{"GOMAXPROCS", "go_sched_gomaxprocs_threads"},
	{"Visitor databases open", "engineroom_sandboxes"},
	{"Visitor databases created", "engineroom_sandboxes_created_total"},
	{"SQLite memory", "engineroom_sqlite_memory_bytes"},
	{"Traces kept", "engineroom_traces_stored"},
	{"Log records kept", "engineroom_log_records_kept"},
	{"Jobs waiting", ""},
	{"Started", "process_start_time_seconds"},
}

// exposition parses Prometheus text: each family's type, and each
// sample's value by its name and labels.
func exposition(t *testing.T, text string) (types map[string]string, samples map[string]float64) {
	t.Helper()
	types, samples = map[string]string{}, map[string]float64{}
	help := map[string]bool{}
	sample := regexp.MustCompile(`^([a-z_]+)(\{[a-z]+="[^"]*"(,[a-z]+="[^"]*")*\})? (\S+)$`)
	for line := range strings.Lines(text) {
		line = strings.TrimSuffix(line, "\n")
		switch f := strings.Fields(line); {
		case strings.HasPrefix(line, "# HELP "):
			help[f[2]] = len(f) > 3
		case strings.HasPrefix(line, "# TYPE "):
			if len(f) != 4 || !help[f[2]] || (f[3] != "counter" && f[3] != "gauge") {
				t.Errorf("TYPE line %q: want a counter or gauge after its HELP", line)
			}
			types[f[2]] = f[3]
		default:
			m := sample.FindStringSubmatch(line)
			if m == nil {
				t.Errorf("not a sample line: %q", line)
				continue
			}
			if _, ok := types[m[1]]; !ok {
				t.Errorf("sample %q before its TYPE", line)
			}
			v, err := strconv.ParseFloat(m[4], 64)
			if err != nil {
				t.Errorf("sample %q: %v", line, err)
			}
			samples[m[1]+m[2]] = v
		}
	}
	return types, samples
}

func TestServerMetricsDemo(t *testing.T) {
	srv := newServer(t, web.Config{})
	c := newClient(t, srv)
	c.get(opsObservePage, nil)
	_, first := panelAs(t, c, opsObservePage, "server-metrics", nil)
	const extra = 5
	for range extra {
		c.get("/healthz", nil)
	}
	c.get("/no-such-page", nil)
	r, doc := panelAs(t, c, opsObservePage, "server-metrics", nil)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("status %d\n%.2000s", r.StatusCode, r.text)
	}
	o := doc.Find(".pane-front .output")
	head := words(o.Find(".big-number").Text())
	m := regexp.MustCompile(`^([0-9,]+) requests answered in [0-9a-z ]+ since the start · (\d+) in flight, yours among them$`).FindStringSubmatch(head)
	if m == nil {
		t.Fatalf("headline %q", head)
	}
	total, _ := strconv.Atoi(strings.ReplaceAll(m[1], ",", ""))
	if inFlight, _ := strconv.Atoi(m[2]); inFlight < 1 {
		t.Errorf("%d in flight, want at least this request", inFlight)
	}
	var labels []string
	values := map[string]string{}
	o.Find("table.ops-metrics tbody tr").Each(func(i int, row *goquery.Selection) {
		label := row.Find(".ops-metric-label").Text()
		labels = append(labels, label)
		values[label] = row.Find(".ops-metric-value").Text()
		if values[label] == "" {
			t.Errorf("%s has no value", label)
		}
		if i < len(metricRows) {
			if name := row.Find(".ops-metric-name").Text(); name != metricRows[i][1] {
				t.Errorf("%s is exposed as %q, want %q", label, name, metricRows[i][1])
			}
		}
	})
	var wantLabels []string
	for _, r := range metricRows {
		wantLabels = append(wantLabels, r[0])
	}
	if !slices.Equal(labels, wantLabels) {
		t.Errorf("rows %q, want %q", labels, wantLabels)
	}
	if note := words(o.Find("tr:first-child .ops-metric-note").Text()); !regexp.MustCompile(`^2xx [0-9,]+ · 4xx [0-9,]+$`).MatchString(note) {
		t.Errorf("requests note %q, want the 2xx and 4xx counts", note)
	}
	if values["GOMAXPROCS"] != fmt.Sprint(runtime.GOMAXPROCS(0)) || values["Jobs waiting"] != "—" || !strings.HasSuffix(values["Go heap in use"], "iB") {
		t.Errorf("values %v", values)
	}

	text := o.Find("pre.ops-exposition").Text()
	types, samples := exposition(t, text)
	for _, r := range metricRows {
		if r[1] == "" {
			continue
		}
		want := "gauge"
		if strings.HasSuffix(r[1], "_total") {
			want = "counter"
		}
		if types[r[1]] != want {
			t.Errorf("%s is a %q, want a %s", r[1], types[r[1]], want)
		}
	}
	var sum float64
	for _, class := range []string{"1xx", "2xx", "3xx", "4xx", "5xx"} {
		v, ok := samples[`engineroom_http_requests_total{code="`+class+`"}`]
		if !ok {
			t.Errorf("no sample for %s", class)
		}
		sum += v
	}
	if int(sum) != total || samples[`engineroom_http_requests_total{code="4xx"}`] < 1 {
		t.Errorf("requests by class sum to %v, the headline says %d; want the 404 counted", sum, total)
	}
	if v := samples["go_sched_gomaxprocs_threads"]; v != float64(runtime.GOMAXPROCS(0)) {
		t.Errorf("gomaxprocs %v", v)
	}
	if samples["engineroom_http_requests_in_flight"] < 1 || samples["go_goroutines"] < 1 || samples["go_memstats_heap_inuse_bytes"] <= 0 {
		t.Errorf("samples %v", samples)
	}
	if note := o.Find(".ops-metrics-note").Text(); !strings.Contains(note, "/metrics") {
		t.Errorf("note %q", note)
	}
	// The counter grew by the requests sent in between, at least.
	firstTotal, _ := strconv.Atoi(strings.ReplaceAll(strings.Fields(first.Find(".pane-front .big-number").Text())[0], ",", ""))
	if total < firstTotal+extra+2 {
		t.Errorf("requests went from %d to %d, want at least %d more", firstTotal, total, extra+2)
	}

	_, run := demoAPIRun(t, srv, "server-metrics", map[string]any{})
	var got struct {
		Requests struct {
			Total    uint64 `json:"total"`
			InFlight int64  `json:"in_flight"`
			ByClass  []struct {
				Class string `json:"class"`
				Count uint64 `json:"count"`
			} `json:"by_class"`
		} `json:"requests"`
		Runtime struct {
			Goroutines int64 `json:"goroutines"`
			HeapInUse  int64 `json:"heap_in_use_bytes"`
			GCCycles   int64 `json:"gc_cycles"`
			RSS        int64 `json:"rss_bytes"`
		} `json:"runtime"`
		LogRecords  int     `json:"log_records_kept"`
		JobsWaiting *int    `json:"jobs_waiting"`
		UptimeS     float64 `json:"uptime_s"`
		Exposition  string  `json:"exposition"`
	}
	if err := json.Unmarshal(run.Output, &got); err != nil {
		t.Fatal(err)
	}
	if got.Requests.Total <= uint64(total) || got.Requests.InFlight < 1 || len(got.Requests.ByClass) != 5 || got.Runtime.Goroutines < 1 ||
		got.Runtime.HeapInUse <= 0 || got.LogRecords < 1 || got.JobsWaiting != nil || got.UptimeS <= 0 || !strings.Contains(got.Exposition, "# TYPE go_goroutines gauge\n") {
		t.Errorf("JSON twin %+v", got)
	}
	if runtime.GOOS == "linux" && got.Runtime.RSS <= 0 {
		t.Errorf("RSS %d on Linux", got.Runtime.RSS)
	}
}

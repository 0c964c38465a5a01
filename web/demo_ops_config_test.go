package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/engineroom/engineroom/web"
)

// opsFacts are the facts the running-config demo lists about the process.
var opsFacts = []string{"Process id", "User", "CPUs", "Memory limit", "Go memory limit", "Databases' memory", "Shell", "Go", "Up for"}

func TestRunningConfigDemo(t *testing.T) {
	settings := []web.Setting{
		{Env: "ADDR", Flag: "-addr", Value: ":3000", Source: web.SourceEnv, Via: "PORT"},
		{Env: "BASE_URL", Flag: "-base-url", Empty: "curl snippets use the request's own host", Source: web.SourceDefault},
		{Env: "LOG_LEVEL", Flag: "-log-level", Value: "debug", Source: web.SourceFlag},
		{Env: "REDIS_URL", Flag: "-redis-url", Value: "redis://engine:xxxxx@cache:6390/3", Source: web.SourceEnv},
		{Env: "SECRET_KEY", Value: "set", Source: web.SourceEnv, Secret: true},
		{Flag: "-cpuprofile", Empty: "no CPU profile", Source: web.SourceDefault},
	}
	tests := []struct {
		name         string
		settings     []web.Setting
		headline     string
		wantNotice   bool
		wantSettings []web.Setting
	}{
		{name: "started by the engineroom command", settings: settings, headline: "6 settings 3 from the environment · 1 from a flag · 2 defaults", wantSettings: settings},
		{name: "built by another program", headline: "No settings were handed to this server", wantNotice: true, wantSettings: []web.Setting{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, web.Config{Settings: tt.settings})
			r, doc := demoPanelRun(t, srv, opsConfigPage, "running-config", nil)
			if r.StatusCode != http.StatusOK {
				t.Fatalf("status %d\n%.2000s", r.StatusCode, r.text)
			}
			out := doc.Find(".pane-front .output")
			if h := words(out.Find(".big-number").Text()); h != tt.headline {
				t.Errorf("headline %q, want %q", h, tt.headline)
			}
			if n := out.Find(".ops-no-settings").Length(); (n == 1) != tt.wantNotice {
				t.Errorf("%d no-settings notices, want one = %v", n, tt.wantNotice)
			}
			rows := out.Find("table.ops-settings tbody tr")
			if rows.Length() != len(tt.settings) {
				t.Fatalf("%d setting rows, want %d", rows.Length(), len(tt.settings))
			}
			rows.Each(func(i int, row *goquery.Selection) {
				st := tt.settings[i]
				if got := row.Find("code.ops-env").Text(); got != st.Env {
					t.Errorf("row %d variable %q, want %q", i, got, st.Env)
				}
				if got := row.Find(".ops-flag").Text(); got != st.Flag {
					t.Errorf("row %d flag %q, want %q", i, got, st.Flag)
				}
				value := row.Find("td.ops-value")
				switch {
				case st.Secret:
					if value.Find(".ops-secret").Text() != st.Value || value.Find("code").Length() != 0 {
						t.Errorf("row %d secret shows %q", i, words(value.Text()))
					}
				case st.Value == "":
					if value.Find(".null").Text() != "empty" || value.Find(".note").Text() != st.Empty {
						t.Errorf("row %d value %q, want empty and %q", i, words(value.Text()), st.Empty)
					}
				default:
					if value.Find("code").Text() != st.Value {
						t.Errorf("row %d value %q, want %q", i, value.Find("code").Text(), st.Value)
					}
				}
				src := row.Find(".ops-source")
				if src.Text() != st.Source || !src.HasClass("ops-source-"+st.Source) || !row.HasClass("from-"+st.Source) {
					t.Errorf("row %d source %q (class %q), want %s", i, src.Text(), src.AttrOr("class", ""), st.Source)
				}
				if via := row.Find(".ops-via").Text(); via != map[bool]string{true: "via " + st.Via, false: ""}[st.Via != ""] {
					t.Errorf("row %d via %q, want %q", i, via, st.Via)
				}
			})
			var labels []string
			facts := map[string]string{}
			out.Find("dl.ops-facts dt").Each(func(_ int, dt *goquery.Selection) {
				dd := dt.Next()
				labels = append(labels, dt.Text())
				facts[dt.Text()] = dd.Find(".ops-fact-value").Text()
				if dd.Find(".ops-fact-note").Text() == "" || dd.Find(".ops-fact-value").Text() == "" {
					t.Errorf("fact %s: value %q, note %q", dt.Text(), dd.Find(".ops-fact-value").Text(), dd.Find(".ops-fact-note").Text())
				}
				if dd.HasClass("ops-warn") != (dt.Text() == "User" && os.Getuid() == 0) {
					t.Errorf("fact %s warns = %v", dt.Text(), dd.HasClass("ops-warn"))
				}
			})
			if !slices.Equal(labels, opsFacts) {
				t.Errorf("facts %v, want %v", labels, opsFacts)
			}
			want := map[string]string{
				"Process id": fmt.Sprint(os.Getpid()),
				"User":       fmt.Sprintf("uid %d, gid %d", os.Getuid(), os.Getgid()),
				"CPUs":       fmt.Sprintf("GOMAXPROCS %d of %d", runtime.GOMAXPROCS(0), runtime.NumCPU()),
				"Go":         runtime.Version() + " on " + runtime.GOOS + "/" + runtime.GOARCH,
			}
			for k, v := range want {
				if facts[k] != v {
					t.Errorf("%s = %q, want %q", k, facts[k], v)
				}
			}
			if !regexp.MustCompile(`^[0-9.]+ (B|[KMG]iB) of 928\.0 MiB$`).MatchString(facts["Databases' memory"]) {
				t.Errorf("Databases' memory %q, want what SQLite holds of its 928 MiB limit", facts["Databases' memory"])
			}
			if !strings.HasSuffix(facts["Up for"], " s") && !strings.Contains(facts["Up for"], "min") {
				t.Errorf("Up for %q", facts["Up for"])
			}

			_, run := demoAPIRun(t, srv, "running-config", map[string]any{})
			var got struct {
				Settings []web.Setting `json:"settings"`
				Process  struct {
					PID        int     `json:"pid"`
					UID        int     `json:"uid"`
					GOMAXPROCS int     `json:"gomaxprocs"`
					UptimeS    float64 `json:"uptime_s"`
					Uptime     string  `json:"uptime"`
				} `json:"process"`
			}
			if err := json.Unmarshal(run.Output, &got); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Settings, tt.wantSettings) {
				t.Errorf("JSON settings %+v, want %+v", got.Settings, tt.wantSettings)
			}
			if got.Process.PID != os.Getpid() || got.Process.UID != os.Getuid() || got.Process.GOMAXPROCS != runtime.GOMAXPROCS(0) || got.Process.UptimeS <= 0 || got.Process.Uptime == "" {
				t.Errorf("JSON process %+v", got.Process)
			}
		})
	}
}

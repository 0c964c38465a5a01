package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/engineroom/engineroom/web"
)

// demoJSON runs a demo's JSON twin on the server at base and decodes its
// output into out.
func demoJSON(t *testing.T, base, id, params string, out any) {
	t.Helper()
	res, err := testClient().Post(base+"/api/v1/demos/"+id, "application/json", strings.NewReader(params))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("%s: status %d\n%s", id, res.StatusCode, body)
	}
	var run struct {
		Output json.RawMessage `json:"output"`
	}
	if err := json.Unmarshal(body, &run); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(run.Output, out); err != nil {
		t.Fatalf("%s output: %v\n%s", id, err, run.Output)
	}
}

// testRunOperations checks, on the whole program, what the operations
// lessons show: the settings run was started with, this very process, and
// log lines that are the ones it wrote.
func testRunOperations(t *testing.T, base, addr, stateDB string, logs *syncBuffer) {
	t.Run("running-config", func(t *testing.T) {
		var got struct {
			Settings []web.Setting `json:"settings"`
			Process  struct {
				PID int `json:"pid"`
				UID int `json:"uid"`
			} `json:"process"`
		}
		demoJSON(t, base, "running-config", "{}", &got)
		want := map[string]web.Setting{
			"ADDR":       {Env: "ADDR", Flag: "-addr", Value: addr, Source: web.SourceEnv},
			"STATE_DB":   {Env: "STATE_DB", Flag: "-state-db", Value: stateDB, Source: web.SourceEnv, Empty: "engineroom/state.db in the user's cache folder"},
			"LOG_FORMAT": {Env: "LOG_FORMAT", Flag: "-log-format", Value: "text", Source: web.SourceDefault},
			"SECRET_KEY": {Env: "SECRET_KEY", Value: "not set", Source: web.SourceDefault, Secret: true, Empty: "a random key per start: visitors start afresh after a restart"},
		}
		for _, st := range got.Settings {
			if w, ok := want[st.Env]; ok {
				if st != w {
					t.Errorf("%s = %+v, want %+v", st.Env, st, w)
				}
				delete(want, st.Env)
			}
		}
		if len(got.Settings) != len(settingOrder) || len(want) > 0 {
			t.Errorf("%d settings, missing %v", len(got.Settings), want)
		}
		if got.Process.PID != os.Getpid() || got.Process.UID != os.Getuid() {
			t.Errorf("process %+v, want this test's pid %d and uid %d", got.Process, os.Getpid(), os.Getuid())
		}
	})
	t.Run("server-logs", func(t *testing.T) {
		var got struct {
			Format string `json:"format"`
			Text   string `json:"text"`
			JSON   string `json:"json"`
		}
		demoJSON(t, base, "server-logs", `{"note": "from run_test"}`, &got)
		if got.Format != "text" || !strings.Contains(got.Text, `note="from run_test"`) {
			t.Fatalf("format %q, text %q; want text with the note", got.Format, got.Text)
		}
		// The line the lesson shows is the line the server wrote.
		if !strings.Contains(logs.String(), got.Text+"\n") {
			t.Errorf("the logs lack the shown line %q:\n%s", got.Text, logs.String())
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(got.JSON), &rec); err != nil || rec["note"] != "from run_test" || rec["msg"] != "reading the server's logs" {
			t.Errorf("JSON form %q (%v)", got.JSON, err)
		}
	})
	t.Run("readyz", func(t *testing.T) {
		// Not ready while the demo data is built; ready once it is.
		deadline := time.Now().Add(time.Minute)
		for {
			status, r := readyz(t, base)
			var failed []string
			for _, ch := range r.Checks {
				if !ch.OK {
					failed = append(failed, ch.Name)
				}
			}
			if len(r.Checks) != 3 {
				t.Fatalf("readyz: %d %+v, want 3 checks", status, r)
			}
			if status == http.StatusOK && r.Status == "ready" && len(failed) == 0 {
				return
			}
			if status != http.StatusServiceUnavailable || r.Status != "not ready" || !slices.Equal(failed, []string{"demo data"}) {
				t.Fatalf("readyz: %d %+v, want 200 ready, or 503 while the demo data is built", status, r)
			}
			if time.Now().After(deadline) {
				t.Fatal("readyz not ready after a minute")
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
}

// readiness is the answer of /readyz.
type readiness struct {
	Status string `json:"status"`
	Checks []struct {
		Name string `json:"name"`
		OK   bool   `json:"ok"`
	} `json:"checks"`
}

func readyz(t *testing.T, base string) (int, readiness) {
	t.Helper()
	res, err := testClient().Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var r readiness
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, r
}

package web_test

import (
	"encoding/json"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/engineroom/engineroom/playground/buildinfo"
	"github.com/engineroom/engineroom/web"
)

// TestBuildInfoDemo asks the test binary about its own build: the panel
// must show what runtime/debug.ReadBuildInfo says, say honestly that go
// test records no commit, and set the release build's settings beside
// this binary's.
func TestBuildInfoDemo(t *testing.T) {
	srv := newServer(t, web.Config{})
	self, ok := buildinfo.Read()
	if !ok {
		t.Fatal("the test binary has no build info")
	}
	r, doc := demoPanelRun(t, srv, "/lessons/ci-cd", "build-info", nil)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("status = %d; body:\n%.1000s", r.StatusCode, r.text)
	}
	out := doc.Find(".pane-front .output")
	if got := squash(out.Find(".big-number")); got != runtime.Version()+" built for "+runtime.GOOS+"/"+runtime.GOARCH {
		t.Errorf("big number = %q", got)
	}
	kv := map[string]string{}
	out.Find("dl.buildinfo-facts dt").Each(func(_ int, dt *goquery.Selection) { kv[dt.Text()] = squash(dt.Next()) })
	if kv["main package"] != "github.com/engineroom/engineroom/web.test" ||
		kv["module"] != "github.com/engineroom/engineroom (devel) — not stamped from version control" || len(kv) != 2 {
		t.Errorf("facts = %q", kv)
	}
	if got := squash(out.Find(".notice-warn")); !strings.HasPrefix(got, "No commit recorded. go run and go test never record one") ||
		!strings.Contains(got, "A release build gets one by running go build inside the checkout") {
		t.Errorf("no-commit notice = %q", got)
	}
	settings := map[string]string{}
	out.Find("dl.buildinfo-settings dt").Each(func(_ int, dt *goquery.Selection) {
		settings[dt.Text()] = dt.Next().Text()
	})
	if len(settings) != len(self.Settings) || settings["GOOS"] != runtime.GOOS || settings["GOARCH"] != runtime.GOARCH {
		t.Errorf("settings = %q, want the binary's %d", settings, len(self.Settings))
	}
	if got := squash(out.Find("ul.buildinfo-release").Prev()); got != buildinfo.ReleaseCommand {
		t.Errorf("release command = %q", got)
	}
	var keys []string
	out.Find("ul.buildinfo-release li.assertion").Each(func(_ int, li *goquery.Selection) {
		key := li.Find(".assertion-name").Text()
		keys = append(keys, key)
		vals := li.Find(".assertion-vals code")
		here, _ := self.Setting(key)
		if here == "" {
			here = "not recorded"
		}
		match := vals.Eq(1).Text() == vals.Eq(0).Text()
		if vals.Eq(1).Text() != here || li.HasClass("is-fail") == match || li.Find(".assertion-mark").Text() != map[bool]string{true: "✓ same", false: "✕ differs"}[match] {
			t.Errorf("release row %s: %q, class %q; this binary has %q", key, squash(li), li.AttrOr("class", ""), here)
		}
	})
	if !slices.Equal(keys, []string{"CGO_ENABLED", "-tags", "-trimpath", "-ldflags", "-race"}) {
		t.Errorf("release rows %q", keys)
	}
	if len(self.Deps) == 0 && !strings.Contains(squash(out.Find("p.note")), "a test binary built by go test leaves them out") {
		t.Errorf("no note on the missing modules: %q", squash(out.Find("p.note")))
	}
	if n := doc.Find(".pane-back li.span .span-name").FilterFunction(func(_ int, s *goquery.Selection) bool {
		return s.Text() == "runtime/debug.ReadBuildInfo"
	}).Length(); n != 1 {
		t.Errorf("%d ReadBuildInfo spans, want 1", n)
	}

	_, got := demoAPIRunAs(t, newClient(t, srv), "build-info", `{}`)
	var info buildinfo.Info
	if err := json.Unmarshal(got.Output, &info); err != nil {
		t.Fatal(err)
	}
	if info.GoVersion != runtime.Version() || info.Path != self.Path || info.VCS != nil || !slices.Equal(info.Settings, self.Settings) {
		t.Errorf("JSON = %s", got.Output)
	}
}

package buildinfo

import (
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
)

func TestFrom(t *testing.T) {
	tests := []struct {
		name         string
		bi           debug.BuildInfo
		wantVCS      *VCS
		wantSettings []Setting
		wantStamped  bool
		wantChecks   []Check
	}{
		{
			name: "a release build from a checkout",
			bi: debug.BuildInfo{
				GoVersion: "go1.26.8", Path: "github.com/engineroom/engineroom/cmd/engineroom",
				Main: debug.Module{Path: "github.com/engineroom/engineroom", Version: "v0.0.0-20260415120000-a12250a8c7eb+dirty"},
				Deps: []*debug.Module{
					{Path: "github.com/labstack/echo/v4", Version: "v4.16.0", Sum: "h1:x"},
					{Path: "modernc.org/sqlite", Version: "v1.61.1", Replace: &debug.Module{Path: "../sqlite", Version: ""}},
				},
				Settings: []debug.BuildSetting{
					{Key: "-buildmode", Value: "exe"}, {Key: "-tags", Value: "grpcnotrace"}, {Key: "-trimpath", Value: "true"},
					{Key: "CGO_ENABLED", Value: "0"}, {Key: "GOOS", Value: "linux"},
					{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "a12250a8c7ebe7dee1bf42997e264d5bd2fa1aaf"},
					{Key: "vcs.time", Value: "2026-04-15T12:00:00Z"}, {Key: "vcs.modified", Value: "true"},
				},
			},
			wantVCS:      &VCS{System: "git", Revision: "a12250a8c7ebe7dee1bf42997e264d5bd2fa1aaf", Time: "2026-04-15T12:00:00Z", Modified: true},
			wantSettings: []Setting{{"-buildmode", "exe"}, {"-tags", "grpcnotrace"}, {"-trimpath", "true"}, {"CGO_ENABLED", "0"}, {"GOOS", "linux"}},
			wantStamped:  true,
			wantChecks: []Check{
				{Key: "CGO_ENABLED", Release: "0", Here: "0", Match: true},
				{Key: "-tags", Release: "grpcnotrace", Here: "grpcnotrace", Match: true},
				{Key: "-trimpath", Release: "true", Here: "true", Match: true},
				{Key: "-ldflags", Match: true},
				{Key: "-race", Match: true},
			},
		},
		{
			name: "go run, no version control",
			bi: debug.BuildInfo{
				GoVersion: "go1.26.8", Path: "command-line-arguments",
				Main:     debug.Module{Path: "github.com/engineroom/engineroom", Version: "(devel)"},
				Settings: []debug.BuildSetting{{Key: "-ldflags", Value: "-X main.x=1"}, {Key: "CGO_ENABLED", Value: "1"}, {Key: "-race", Value: "true"}},
			},
			wantSettings: []Setting{{"-ldflags", "-X main.x=1"}, {"CGO_ENABLED", "1"}, {"-race", "true"}},
			wantChecks: []Check{
				{Key: "CGO_ENABLED", Release: "0", Here: "1"},
				{Key: "-tags", Release: "grpcnotrace"},
				{Key: "-trimpath", Release: "true"},
				{Key: "-ldflags", Here: "-X main.x=1"},
				{Key: "-race", Here: "true"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			i := From(&tt.bi)
			if i.GoVersion != tt.bi.GoVersion || i.Path != tt.bi.Path || i.Main.Path != tt.bi.Main.Path || i.Main.Version != tt.bi.Main.Version {
				t.Errorf("info = %+v", i)
			}
			if (i.VCS == nil) != (tt.wantVCS == nil) || (i.VCS != nil && *i.VCS != *tt.wantVCS) {
				t.Errorf("VCS = %+v, want %+v", i.VCS, tt.wantVCS)
			}
			if !slices.Equal(i.Settings, tt.wantSettings) {
				t.Errorf("settings = %v, want %v", i.Settings, tt.wantSettings)
			}
			if i.Stamped() != tt.wantStamped {
				t.Errorf("stamped = %v, want %v", i.Stamped(), tt.wantStamped)
			}
			if got := i.CompareRelease(); !slices.Equal(got, tt.wantChecks) {
				t.Errorf("checks = %+v\nwant %+v", got, tt.wantChecks)
			}
			if len(i.Deps) != len(tt.bi.Deps) {
				t.Fatalf("%d deps, want %d", len(i.Deps), len(tt.bi.Deps))
			}
			for n, d := range tt.bi.Deps {
				got := i.Deps[n]
				if got.Path != d.Path || got.Version != d.Version || got.Sum != d.Sum || (got.Replace == nil) != (d.Replace == nil) ||
					(d.Replace != nil && got.Replace.Path != d.Replace.Path) {
					t.Errorf("dep %d = %+v, want %+v", n, got, *d)
				}
			}
		})
	}
}

func TestModules(t *testing.T) {
	i := Info{Deps: []Module{{Path: "a", Version: "v1"}, {Path: "b", Version: "v2"}, {Path: "c", Version: "v3"}}}
	got := i.Modules("c", "missing", "a")
	if len(got) != 2 || got[0].Path != "c" || got[1].Path != "a" {
		t.Errorf("Modules = %+v, want c then a", got)
	}
	if v, ok := i.Setting("GOOS"); ok || v != "" {
		t.Errorf("Setting(GOOS) = %q, %v on an empty list", v, ok)
	}
}

// TestRead reads the test binary's own build: go test records no
// version control, and its version is (devel).
func TestRead(t *testing.T) {
	i, ok := Read()
	if !ok {
		t.Fatal("no build info")
	}
	if i.GoVersion != runtime.Version() || i.Main.Path != "github.com/engineroom/engineroom" || i.VCS != nil || i.Stamped() {
		t.Errorf("info = %+v %+v", i, i.VCS)
	}
	if v, ok := i.Setting("GOOS"); !ok || v != runtime.GOOS {
		t.Errorf("GOOS = %q, %v; want %s", v, ok, runtime.GOOS)
	}
}

// TestReleaseCommand keeps ReleaseCommand the Dockerfile's own.
func TestReleaseCommand(t *testing.T) {
	b, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(strings.Fields(string(b)), " "), ReleaseCommand) {
		t.Errorf("the Dockerfile does not build with %s", ReleaseCommand)
	}
}

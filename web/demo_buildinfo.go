package web

import (
	"context"
	"errors"
	"runtime"
	"strconv"
	"strings"

	"github.com/engineroom/engineroom/playground/buildinfo"
	"github.com/engineroom/engineroom/web/view"
)

// The CI/CD lesson's build-info panel: what the running binary knows
// about its own build.

// mainModules are the modules the panel lists by name, in this order.
func mainModules() []string {
	return []string{
		"github.com/labstack/echo/v4",
		"github.com/a-h/templ",
		"modernc.org/sqlite",
		"github.com/alecthomas/chroma/v2",
		"github.com/yuin/goldmark",
		"go.opentelemetry.io/otel/sdk",
		"github.com/redis/go-redis/v9",
		"github.com/riverqueue/river",
		"github.com/alexedwards/scs/v2",
		"golang.org/x/crypto",
	}
}

// noVCS says why a binary recorded no commit, and how a release build
// gets one.
const noVCS = "go run and go test never record one, and go build leaves it out with -buildvcs=false or when the source is not a Git checkout. " +
	"This app's Dockerfile copies the source without .git (see .dockerignore), so its image has none either. " +
	"A release build gets one by running go build inside the checkout: the binary then carries vcs.revision, vcs.time and vcs.modified, and its module version is taken from the commit or tag."

func (s *Server) demoBuildInfo() *demo {
	return &demo{
		ID: "build-info", Title: "What does this binary know about its build?", Lesson: "ci-cd",
		Description: "Ask the running server for the build information the Go toolchain wrote into it: the toolchain, the commit, the build settings and the modules inside.",
		Button:      "Ask the binary",
		Wide:        true,
		Run: func(ctx context.Context, in demoInput) (demoOutput, error) {
			_, span := s.tracer.Start(ctx, "runtime/debug.ReadBuildInfo")
			i, ok := buildinfo.Read()
			span.End()
			if !ok {
				return demoOutput{}, errors.New("web: reading build info: this binary was built without module support")
			}
			return demoOutput{Data: i, View: view.BuildInfo(buildInfoView(i))}, nil
		},
	}
}

func buildInfoView(i buildinfo.Info) view.BuildInfoOutput {
	o := view.BuildInfoOutput{
		GoVersion: i.GoVersion, Platform: "built for " + setting(i, "GOOS", runtime.GOOS) + "/" + setting(i, "GOARCH", runtime.GOARCH),
		Path: i.Path, Module: i.Main.Path, Version: i.Main.Version,
		NoVCS: noVCS, ReleaseCommand: buildinfo.ReleaseCommand,
	}
	if !i.Stamped() {
		o.Version += " — not stamped from version control"
	}
	if v := i.VCS; v != nil {
		o.VCS = &view.BuildInfoVCS{System: v.System, Revision: v.Revision, Time: v.Time, Modified: strconv.FormatBool(v.Modified)}
		if v.Modified {
			o.VCS.Modified = "true: the checkout had changes that were not committed"
		}
	}
	for _, st := range i.Settings {
		o.Settings = append(o.Settings, view.BuildInfoSetting{Key: st.Key, Value: st.Value})
	}
	for _, c := range i.CompareRelease() {
		o.Release = append(o.Release, view.BuildInfoCheck{Key: c.Key, Release: c.Release, Here: c.Here, Match: c.Match})
	}
	deps := i.Modules(mainModules()...)
	for _, d := range deps {
		v := d.Version
		if d.Replace != nil {
			v += " (replaced by " + strings.TrimSpace(d.Replace.Path+" "+d.Replace.Version) + ")"
		}
		o.Deps = append(o.Deps, view.BuildInfoSetting{Key: d.Path, Value: v})
	}
	o.Others = len(i.Deps) - len(deps)
	return o
}

// setting is a build setting, or def when the build did not record it.
func setting(i buildinfo.Info, key, def string) string {
	if v, ok := i.Setting(key); ok {
		return v
	}
	return def
}

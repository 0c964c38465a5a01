// Package buildinfo reads what the running binary knows about its own
// build — the Go toolchain, the main module, the commit it was built from,
// the build settings and the modules linked in — and compares it with how
// this app's release binary is built.
package buildinfo

import (
	"runtime/debug"
)

// Info is a binary's build as runtime/debug.ReadBuildInfo reports it.
type Info struct {
	GoVersion string `json:"go_version"`
	// Path is the main package's import path (a test binary's ends in
	// .test).
	Path string `json:"path"`
	Main Module `json:"main"`
	// VCS is the version-control state the build recorded; nil when it
	// recorded none, as go run and go test never do.
	VCS *VCS `json:"vcs"`
	// Settings are the build settings other than vcs.*, in the order the
	// binary lists them.
	Settings []Setting `json:"settings"`
	Deps     []Module  `json:"deps"`
}

// Module is a module linked into the binary.
type Module struct {
	Path    string  `json:"path"`
	Version string  `json:"version"`
	Sum     string  `json:"sum,omitempty"`
	Replace *Module `json:"replace,omitempty"`
}

// VCS is the commit a binary was built from.
type VCS struct {
	System   string `json:"system"`
	Revision string `json:"revision"`
	Time     string `json:"time"`
	// Modified reports uncommitted changes in the checkout at build time.
	Modified bool `json:"modified"`
}

// Setting is one build setting: a flag (-tags, -trimpath) or an
// environment variable (CGO_ENABLED, GOOS).
type Setting struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Read returns the running binary's build info; ok is false for a binary
// built without module support.
func Read() (Info, bool) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return Info{}, false
	}
	return From(bi), true
}

// From converts a debug.BuildInfo.
func From(bi *debug.BuildInfo) Info {
	i := Info{GoVersion: bi.GoVersion, Path: bi.Path, Main: module(&bi.Main), Deps: []Module{}, Settings: []Setting{}}
	for _, d := range bi.Deps {
		i.Deps = append(i.Deps, module(d))
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs":
			i.vcs().System = s.Value
		case "vcs.revision":
			i.vcs().Revision = s.Value
		case "vcs.time":
			i.vcs().Time = s.Value
		case "vcs.modified":
			i.vcs().Modified = s.Value == "true"
		default:
			i.Settings = append(i.Settings, Setting{Key: s.Key, Value: s.Value})
		}
	}
	return i
}

func (i *Info) vcs() *VCS {
	if i.VCS == nil {
		i.VCS = &VCS{}
	}
	return i.VCS
}

func module(m *debug.Module) Module {
	out := Module{Path: m.Path, Version: m.Version, Sum: m.Sum}
	if m.Replace != nil {
		r := module(m.Replace)
		out.Replace = &r
	}
	return out
}

// Setting returns the value of a build setting and whether the build
// recorded it.
func (i Info) Setting(key string) (string, bool) {
	for _, s := range i.Settings {
		if s.Key == key {
			return s.Value, true
		}
	}
	return "", false
}

// Modules returns the linked modules among paths, in the order of paths;
// paths the binary does not link are left out.
func (i Info) Modules(paths ...string) []Module {
	var out []Module
	for _, p := range paths {
		for _, d := range i.Deps {
			if d.Path == p {
				out = append(out, d)
			}
		}
	}
	return out
}

// ReleaseCommand is how the Dockerfile builds this app's release binary.
const ReleaseCommand = `CGO_ENABLED=0 go build -tags grpcnotrace -trimpath -ldflags "-s -w" -o /out/engineroom ./cmd/engineroom`

// releaseSettings are what ReleaseCommand records in the binary, "" for
// not recorded. -ldflags is missing on purpose: a -trimpath build leaves
// it out, since linker flags may hold paths of the build machine.
func releaseSettings() []Setting {
	return []Setting{
		{Key: "CGO_ENABLED", Value: "0"},
		{Key: "-tags", Value: "grpcnotrace"},
		{Key: "-trimpath", Value: "true"},
		{Key: "-ldflags", Value: ""},
		{Key: "-race", Value: ""},
	}
}

// Check is one build setting of the release build next to this binary's.
// An empty value means the setting was not recorded.
type Check struct {
	Key     string `json:"key"`
	Release string `json:"release"`
	Here    string `json:"here"`
	Match   bool   `json:"match"`
}

// CompareRelease sets the settings that ReleaseCommand records beside this
// binary's.
func (i Info) CompareRelease() []Check {
	release := releaseSettings()
	out := make([]Check, len(release))
	for n, r := range release {
		here, _ := i.Setting(r.Key)
		out[n] = Check{Key: r.Key, Release: r.Value, Here: here, Match: here == r.Value}
	}
	return out
}

// ShortRevision is the first 12 characters of a revision, as git shows
// commits in logs.
func ShortRevision(rev string) string {
	if len(rev) > 12 {
		return rev[:12]
	}
	return rev
}

// Stamped reports whether the main module's version came from version
// control (Go 1.24 and later set it from the commit or tag, with +dirty
// for uncommitted changes) rather than the "(devel)" of an unstamped
// build.
func (i Info) Stamped() bool {
	return i.Main.Version != "" && i.Main.Version != "(devel)"
}

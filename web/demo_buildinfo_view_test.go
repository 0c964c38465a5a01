package web

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/engineroom/engineroom/playground/buildinfo"
	"github.com/engineroom/engineroom/web/view"
)

// TestBuildInfoView renders a release build made from a checkout: the
// commit rows, a stamped version and the main modules in their order.
func TestBuildInfoView(t *testing.T) {
	i := buildinfo.Info{
		GoVersion: "go1.26.8", Path: "github.com/engineroom/engineroom/cmd/engineroom",
		Main: buildinfo.Module{Path: "github.com/engineroom/engineroom", Version: "v0.0.0-20260415120000-a12250a8c7eb+dirty"},
		VCS:  &buildinfo.VCS{System: "git", Revision: "a12250a8c7ebe7dee1bf42997e264d5bd2fa1aaf", Time: "2026-04-15T12:00:00Z", Modified: true},
		Settings: []buildinfo.Setting{{Key: "CGO_ENABLED", Value: "0"}, {Key: "-tags", Value: "grpcnotrace"},
			{Key: "-trimpath", Value: "true"}, {Key: "GOARCH", Value: "arm64"}, {Key: "GOOS", Value: "linux"}},
		Deps: []buildinfo.Module{
			{Path: "modernc.org/sqlite", Version: "v1.61.1"},
			{Path: "github.com/google/uuid", Version: "v1.6.0"},
			{Path: "github.com/labstack/echo/v4", Version: "v4.16.0", Replace: &buildinfo.Module{Path: "../echo"}},
		},
	}
	var b strings.Builder
	if err := view.BuildInfo(buildInfoView(i)).Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if got := doc.Find(".big-number").Text(); got != "go1.26.8 built for linux/arm64" {
		t.Errorf("big number = %q", got)
	}
	var facts []string
	doc.Find("dl.buildinfo-facts dt").Each(func(_ int, dt *goquery.Selection) {
		facts = append(facts, dt.Text()+": "+strings.Join(strings.Fields(dt.Next().Text()), " "))
	})
	want := []string{
		"main package: github.com/engineroom/engineroom/cmd/engineroom",
		"module: github.com/engineroom/engineroom v0.0.0-20260415120000-a12250a8c7eb+dirty",
		"git revision: a12250a8c7ebe7dee1bf42997e264d5bd2fa1aaf",
		"commit time: 2026-04-15T12:00:00Z",
		"modified: true: the checkout had changes that were not committed",
	}
	if !slices.Equal(facts, want) {
		t.Errorf("facts:\n%q\nwant\n%q", facts, want)
	}
	if doc.Find(".notice-warn").Length() != 0 {
		t.Error("a no-commit notice for a build that recorded one")
	}
	if n := doc.Find("ul.buildinfo-release li.assertion.is-fail").Length(); n != 0 {
		t.Errorf("%d release settings differ, want none", n)
	}
	var deps []string
	doc.Find("dl.buildinfo-deps dt").Each(func(_ int, dt *goquery.Selection) {
		deps = append(deps, dt.Text()+" "+dt.Next().Text())
	})
	if !slices.Equal(deps, []string{"github.com/labstack/echo/v4 v4.16.0 (replaced by ../echo)", "modernc.org/sqlite v1.61.1"}) {
		t.Errorf("deps = %q", deps)
	}
	if got := doc.Find("dl.buildinfo-deps + p.meta").Text(); got != "and 1 more module" {
		t.Errorf("others = %q", got)
	}
}

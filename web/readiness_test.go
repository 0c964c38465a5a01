package web_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/engineroom/engineroom/playground/jobs"
	"github.com/engineroom/engineroom/web"
)

// readyReport is the body of GET /readyz.
type readyReport struct {
	Status string `json:"status"`
	Checks []struct {
		Name   string  `json:"name"`
		OK     bool    `json:"ok"`
		TookMS float64 `json:"took_ms"`
		Detail string  `json:"detail"`
	} `json:"checks"`
}

// readyChecks are the checks /readyz runs, in order.
var readyChecks = []string{"demo data", "cache", "state database"}

// stoppableRedis starts a Redis-protocol server the test can stop, and
// returns its URL and the stop.
func stoppableRedis(t *testing.T) (string, func()) {
	t.Helper()
	mr := miniredis.NewMiniRedis()
	if err := mr.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(mr.Close)
	return "redis://" + mr.Addr() + "/0", mr.Close
}

func TestReadiness(t *testing.T) {
	tests := []struct {
		name string
		// setup returns the server's config and what to break after start.
		setup      func(t *testing.T) (web.Config, func())
		method     string
		path       string
		wantStatus int
		// wantFailed are the checks that fail; nil for all passing.
		wantFailed []string
		wantDetail map[string]string // a check's detail, when fixed
	}{
		{
			name:   "everything answers",
			setup:  func(t *testing.T) (web.Config, func()) { return web.Config{}, func() {} },
			method: http.MethodGet, path: "/readyz", wantStatus: http.StatusOK,
			wantDetail: map[string]string{"state database": "not created yet: the job queue opens it on first use"},
		},
		{
			name: "the cache is down",
			setup: func(t *testing.T) (web.Config, func()) {
				url, stop := stoppableRedis(t)
				return web.Config{RedisURL: url}, stop
			},
			method: http.MethodGet, path: "/readyz", wantStatus: http.StatusServiceUnavailable,
			wantFailed: []string{"cache"}, wantDetail: map[string]string{"cache": "PING failed"},
		},
		{
			name: "the cache is down, but the process is alive",
			setup: func(t *testing.T) (web.Config, func()) {
				url, stop := stoppableRedis(t)
				return web.Config{RedisURL: url}, stop
			},
			method: http.MethodGet, path: "/healthz", wantStatus: http.StatusOK,
		},
		{
			name: "the state database is not a database",
			setup: func(t *testing.T) (web.Config, func()) {
				path := filepath.Join(t.TempDir(), "state.db")
				if err := os.WriteFile(path, []byte(strings.Repeat("not a database\n", 100)), 0o600); err != nil {
					t.Fatal(err)
				}
				return web.Config{StateDB: path}, func() {}
			},
			method: http.MethodGet, path: "/readyz", wantStatus: http.StatusServiceUnavailable,
			wantFailed: []string{"state database"}, wantDetail: map[string]string{"state database": "the query failed"},
		},
		{
			name: "the state database exists",
			setup: func(t *testing.T) (web.Config, func()) {
				// A queue that ran before and left nothing waiting.
				path := filepath.Join(t.TempDir(), "state.db")
				q, err := jobs.Open(t.Context(), jobs.Options{Path: path})
				if err != nil {
					t.Fatal(err)
				}
				if err := q.Close(t.Context()); err != nil {
					t.Fatal(err)
				}
				return web.Config{StateDB: path}, func() {}
			},
			method: http.MethodGet, path: "/readyz", wantStatus: http.StatusOK,
			wantDetail: map[string]string{"state database": "0 jobs waiting"},
		},
		{
			name:   "only GET",
			setup:  func(t *testing.T) (web.Config, func()) { return web.Config{}, func() {} },
			method: http.MethodPost, path: "/readyz", wantStatus: http.StatusMethodNotAllowed,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, brk := tt.setup(t)
			srv := newServer(t, cfg)
			sqlReady(t, srv)
			brk()
			r := newClient(t, srv).send(tt.method, tt.path, "", nil)
			if r.StatusCode != tt.wantStatus {
				t.Fatalf("%s %s = %d, want %d\n%s", tt.method, tt.path, r.StatusCode, tt.wantStatus, r.text)
			}
			if tt.path != "/readyz" || tt.method != http.MethodGet {
				return
			}
			if ct := r.Header.Get("Content-Type"); ct != "application/json" || r.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("Content-Type %q, Cache-Control %q; want application/json, no-store", ct, r.Header.Get("Cache-Control"))
			}
			var rep readyReport
			decodeJSON(t, r, &rep)
			wantStatus := map[bool]string{true: "ready", false: "not ready"}[tt.wantFailed == nil]
			var names, failed []string
			for _, ch := range rep.Checks {
				names = append(names, ch.Name)
				if !ch.OK {
					failed = append(failed, ch.Name)
				}
				if ch.Detail == "" || ch.TookMS < 0 || ch.TookMS > 600 {
					t.Errorf("%s: detail %q, took %v ms", ch.Name, ch.Detail, ch.TookMS)
				}
				if want, ok := tt.wantDetail[ch.Name]; ok && ch.Detail != want {
					t.Errorf("%s: detail %q, want %q", ch.Name, ch.Detail, want)
				}
				if strings.Contains(ch.Detail, "127.0.0.1") || strings.Contains(ch.Detail, "/") {
					t.Errorf("%s: detail %q names an address or a path", ch.Name, ch.Detail)
				}
			}
			if rep.Status != wantStatus || !slices.Equal(names, readyChecks) || !slices.Equal(failed, tt.wantFailed) {
				t.Errorf("status %q, checks %v, failed %v; want %q, %v, failed %v", rep.Status, names, failed, wantStatus, readyChecks, tt.wantFailed)
			}
		})
	}
}

// TestDemoDataBuiltWhenAVisitorArrives: the demo data is not built with
// the server but when a visitor's first page arrives, in the background,
// so it is ready by the time they run a query.
func TestDemoDataBuiltWhenAVisitorArrives(t *testing.T) {
	srv, err := web.New(t.Context(), web.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close(context.Background()) })
	c := newClient(t, srv)
	if r := c.get("/healthz", nil); r.StatusCode != http.StatusOK {
		t.Fatalf("/healthz: %d", r.StatusCode)
	}
	if r := c.get("/lessons/sql-basics", nil); r.StatusCode != http.StatusOK {
		t.Fatalf("lesson page: %d", r.StatusCode)
	}
	select {
	case <-srv.DemoDataBuilt():
	case <-time.After(30 * time.Second):
		t.Fatal("the demo data was not built after a visitor's first page")
	}
	if err := srv.Ready(t.Context()); err != nil {
		t.Errorf("Ready after the build: %v", err)
	}
}

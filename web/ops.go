package web

import (
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/engineroom/engineroom/playground/ops"
)

// Setting is one configuration setting as the server runs with it, for
// the lesson that shows them. Its value is safe to show: a secret is
// "set" or "not set", a URL's password is hidden.
type Setting struct {
	// Env is the environment variable ("LOG_LEVEL"); empty for a
	// setting that only a flag sets.
	Env string `json:"env,omitempty"`
	// Flag is the command-line flag beside it ("-log-level"), if any.
	Flag  string `json:"flag,omitempty"`
	Value string `json:"value"`
	// Empty says what an empty Value means ("the request's own host"), or
	// for an unset secret what its absence means.
	Empty string `json:"empty,omitempty"`
	// Source is where the value came from: SourceDefault, SourceEnv or
	// SourceFlag.
	Source string `json:"source"`
	// Via names the variable that gave the value when it is not Env
	// (PORT for ADDR).
	Via string `json:"via,omitempty"`
	// Secret marks a value shown only as set or not set.
	Secret bool `json:"secret,omitempty"`
}

// Where a setting's value came from.
const (
	SourceDefault = "default"
	SourceEnv     = "environment"
	SourceFlag    = "flag"
)

// logRingSize is how many log records the server keeps for the logs
// lesson: a few minutes of a quiet server, a few seconds of a class, in
// about 200 KiB.
const logRingSize = 200

// opsState is what the operations lessons read about the server itself:
// its recent log records, its request counters and when it started.
type opsState struct {
	ring     *ops.Ring
	requests ops.Requests
	started  time.Time
	// root is the filesystem /proc and /sys are read from.
	root fs.FS
	// format is the form the configured handler writes: "text", "json",
	// or "" when it is neither of slog's own (a test's discard handler).
	format string
}

// newOps makes the operations state and the server's logger: log's
// handler, with every record also kept in the ring. Records at info and
// above are kept even when LOG_LEVEL drops them.
func newOps(log *slog.Logger) (*opsState, *slog.Logger) {
	o := &opsState{ring: ops.NewRing(logRingSize, slog.LevelInfo), started: time.Now(), root: os.DirFS("/")}
	switch log.Handler().(type) {
	case *slog.TextHandler:
		o.format = "text"
	case *slog.JSONHandler:
		o.format = "json"
	}
	return o, slog.New(o.ring.Handler(log.Handler()))
}

// countRequests counts every request while it is in flight and, when
// answered, by status class for the metrics lesson and by route, method
// and status for /metrics.
func (s *Server) countRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		s.ops.requests.Begin()
		start := time.Now()
		// Until next returns, a panic on its way to Recover: it answers 500.
		status := http.StatusInternalServerError
		defer func() {
			s.ops.requests.End(status)
			s.metrics.observe(c, status, time.Since(start))
		}()
		err := next(c)
		status = c.Response().Status
		return err
	}
}

// formatBytes shows a size in bytes, KiB, MiB or GiB, with one decimal
// above bytes.
func formatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 2; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMG"[exp])
}

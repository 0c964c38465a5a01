package web

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/engineroom/engineroom/playground/jobs"
	ertrace "github.com/engineroom/engineroom/playground/trace"
)

// readiness is the answer of GET /readyz: whether the server can do its
// work now, and each check that says so.
type readiness struct {
	// Status is "ready" (200) or "not ready" (503).
	Status string       `json:"status"`
	Checks []readyCheck `json:"checks"`
}

// readyCheck is one dependency checked: what, whether it answered, how
// long it took. Detail never holds an address or an error's text: those
// go to the log.
type readyCheck struct {
	Name   string  `json:"name"`
	OK     bool    `json:"ok"`
	TookMS float64 `json:"took_ms"`
	Detail string  `json:"detail"`
}

// readyCheckTimeout bounds each check, so the whole answer comes well
// within a probe's timeout (Fly.io's is 2 s).
const readyCheckTimeout = 500 * time.Millisecond

// showReadiness answers the readiness check: 200 when the demo data is
// built, the cache answers a PING and the state database a query; 503
// naming the check that failed otherwise. Unlike /healthz it does real
// work, so an orchestrator sends traffic only to an instance that can
// serve it.
func (s *Server) showReadiness(c echo.Context) error {
	ctx, span := s.tracer.Start(c.Request().Context(), "handler readiness", trace.WithAttributes(kindAttr(ertrace.KindHandler)))
	defer span.End()
	r := readiness{Status: "ready", Checks: []readyCheck{
		s.readyCheck(ctx, "demo data", s.checkDemoData),
		s.readyCheck(ctx, "cache", s.checkCache),
		s.readyCheck(ctx, "state database", s.checkStateDB),
	}}
	status := http.StatusOK
	for _, ch := range r.Checks {
		if !ch.OK {
			r.Status, status = "not ready", http.StatusServiceUnavailable
		}
	}
	if status != http.StatusOK {
		span.SetStatus(codes.Error, r.Status)
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.JSON(status, r)
}

// readyCheck runs one check in its own span with its own deadline.
func (s *Server) readyCheck(ctx context.Context, name string, check func(context.Context) (string, error)) readyCheck {
	ctx, cancel := context.WithTimeout(ctx, readyCheckTimeout)
	defer cancel()
	ctx, span := s.tracer.Start(ctx, "check "+name, trace.WithAttributes(kindAttr(ertrace.KindInternal)))
	defer span.End()
	start := time.Now()
	detail, err := check(ctx)
	rc := readyCheck{Name: name, OK: err == nil, TookMS: roundMS(time.Since(start)), Detail: detail}
	span.SetAttributes(attribute.Bool("engineroom.check.ok", rc.OK), attribute.String("engineroom.check.detail", detail))
	if err != nil {
		span.SetStatus(codes.Error, detail)
		s.log.LogAttrs(ctx, slog.LevelWarn, "readiness check failed", slog.String("check", name), slog.String("err", err.Error()))
	}
	return rc
}

// checkDemoData waits (within the deadline) for the demo data every SQL
// sandbox is cloned from.
func (s *Server) checkDemoData(ctx context.Context) (string, error) {
	if err := s.sql.Ready(ctx); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return "still being built", err
		}
		return "could not be built", err
	}
	return fmt.Sprintf("built: %s, cloned for each visitor's database", formatBytes(int64(s.sql.Stats().TemplateBytes))), nil
}

// checkCache sends the cache one PING.
func (s *Server) checkCache(ctx context.Context) (string, error) {
	start := time.Now()
	if err := s.cache.Ping(ctx); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Sprintf("no answer to PING within %s", formatDuration(readyCheckTimeout)), err
		}
		return "PING failed", err
	}
	return "PONG in " + formatDuration(time.Since(start)), nil
}

// checkStateDB counts the jobs waiting in the state database: a query
// that needs the file and its tables to be readable.
func (s *Server) checkStateDB(ctx context.Context) (string, error) {
	n, created, err := s.jobsWaiting(ctx)
	switch {
	case err != nil:
		return "the query failed", err
	case !created:
		return "not created yet: the job queue opens it on first use", nil
	case n == 1:
		return "1 job waiting", nil
	default:
		return fmt.Sprintf("%d jobs waiting", n), nil
	}
}

// jobsWaiting counts the jobs waiting to run in the state database, with
// a span of its own; created is false when the file does not exist yet.
func (s *Server) jobsWaiting(ctx context.Context) (n int, created bool, err error) {
	path := s.stateDBPath()
	_, span := s.tracer.Start(ctx, "state database: count waiting jobs", trace.WithAttributes(
		kindAttr(ertrace.KindInternal),
		attribute.String("db.system.name", "sqlite"),
		attribute.String("engineroom.query", "SELECT count(*) FROM river_job WHERE state IN (…waiting states…)"),
	))
	defer span.End()
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		span.SetAttributes(attribute.Bool("engineroom.state_db.exists", false))
		return 0, false, nil
	}
	n, err = jobs.Pending(ctx, path)
	if err != nil {
		span.SetStatus(codes.Error, "the query failed")
		return 0, true, err
	}
	span.SetAttributes(attribute.Bool("engineroom.state_db.exists", true), attribute.Int("engineroom.jobs.waiting", n))
	return n, true, nil
}

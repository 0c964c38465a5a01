// Package web is Engine Room's HTTP server: routes, middleware, handlers
// and the templ views they render.
package web

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/trace"

	"github.com/engineroom/engineroom/content"
	"github.com/engineroom/engineroom/playground/airline"
	"github.com/engineroom/engineroom/playground/auth"
	"github.com/engineroom/engineroom/playground/balancer"
	"github.com/engineroom/engineroom/playground/cache"
	"github.com/engineroom/engineroom/playground/events"
	"github.com/engineroom/engineroom/playground/realtime"
	"github.com/engineroom/engineroom/playground/sandbox"
	"github.com/engineroom/engineroom/playground/shop"
	"github.com/engineroom/engineroom/playground/stories"
	ertrace "github.com/engineroom/engineroom/playground/trace"
)

// Config is everything the server needs from its environment.
type Config struct {
	// BaseURL is the public origin (https://engineroom.example) used in
	// "copy as curl" snippets; empty means the request's own host.
	BaseURL string
	// OTLPEndpoint, when set, exports every span to that collector too.
	OTLPEndpoint string
	// ClientIPHeader names the header a trusted proxy puts the client
	// address in (Fly-Client-IP on Fly.io); empty means the peer address.
	ClientIPHeader string
	// Secret signs visitor cookies; empty means a random key per process.
	Secret []byte
	// Logger receives one line per request and every server error.
	Logger *slog.Logger
	// Content holds sections.yaml and lessons/; nil means the embedded ones.
	Content fs.FS
	// Static holds the CSS and JS; nil means the embedded ones.
	Static fs.FS
	// RequestTimeout bounds each request's context (default 10s).
	RequestTimeout time.Duration
	// Sandbox configures the visitors' SQL sandboxes; zero values take the
	// sandbox package's defaults. Its Tracer is set by New.
	Sandbox sandbox.Options
	// RedisURL is the Redis the cache lessons use; empty starts an
	// embedded Redis-protocol server on a loopback port.
	RedisURL string
	// StateDB is the file of the app's own state database (the job
	// queue); empty means a temporary file removed on Close.
	StateDB string
	// MetricsApart leaves /metrics out of the app's routes: the caller
	// serves Metrics on an address of its own, which only a scraper on a
	// private network reaches.
	MetricsApart bool
	// Instance names this instance among several behind Fly.io's proxy
	// (FLY_MACHINE_ID): each visitor is then kept on the instance that holds
	// their sandbox (see instance.go). Empty pins nothing.
	Instance string
	// Settings describe the configuration the process was started with,
	// values safe to show, for the lesson on configuration; nil shows
	// none.
	Settings []Setting
}

// Server is Engine Room's HTTP handler and the engines behind it.
type Server struct {
	cfg     Config
	echo    *echo.Echo
	log     *slog.Logger
	lessons *content.Library
	traces  *ertrace.Provider
	tracer  trace.Tracer
	visitor *visitorSigner
	demos   *demoRegistry
	assets  *assets
	code    *highlighter
	pages   map[string]prerenderedPage
	sql     *sandbox.Manager
	airline *airline.App
	runs    *runStore
	cache   *cache.Cache
	shop    *shop.App
	third   *thirdParty
	stories *stories.App
	auth    *auth.App
	ops     *opsState
	rooms   *roomService
	metrics *serverMetrics
	// The engines of lessons that keep listeners or goroutines, each
	// started on first use: the load-balancing lesson's web tier, the
	// events lesson's queue and consumers, the real-time lesson's feed
	// server.
	balance  lazyLab[*balancer.Lab]
	events   lazyLab[*events.Lab]
	realtime lazyLab[*realtime.Lab]
}

// New builds a Server: it loads and renders the lessons, starts the tracer
// provider and registers every route.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Content == nil {
		cfg.Content = content.Lessons
	}
	if cfg.Static == nil {
		cfg.Static = embeddedStatic()
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 10 * time.Second
	}
	if len(cfg.Secret) == 0 {
		cfg.Secret = make([]byte, 32)
		if _, err := rand.Read(cfg.Secret); err != nil {
			return nil, fmt.Errorf("web: making a cookie key: %w", err)
		}
	}
	// The sandbox manager comes first: SQLite's process-wide heap limit can
	// only be set before any database is opened.
	sandboxOpts := cfg.Sandbox
	lib, err := content.Load(cfg.Content)
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	tp, err := ertrace.NewProvider(ctx, ertrace.Options{ServiceName: "engineroom", OTLPEndpoint: cfg.OTLPEndpoint, Sampler: requestSampler()})
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	sandboxOpts.Tracer = tp.Tracer("github.com/engineroom/engineroom/playground/sandbox")
	sql, err := sandbox.New(sandboxOpts)
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	kv, err := cache.New(ctx, cache.Options{URL: cfg.RedisURL, Tracer: tp.Tracer("github.com/engineroom/engineroom/playground/cache")})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("web: %w", err), sql.Close())
	}
	code := newHighlighter()
	a, err := newAssets(cfg.Static, code)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:     cfg,
		echo:    echo.New(),
		log:     cfg.Logger,
		lessons: lib,
		traces:  tp,
		tracer:  tp.Tracer("github.com/engineroom/engineroom/web"),
		visitor: newVisitorSigner(cfg.Secret),
		assets:  a,
		code:    code,
		sql:     sql,
		cache:   kv,
		airline: airline.New(tp.Tracer("github.com/engineroom/engineroom/playground/airline")),
		auth:    auth.New(auth.Options{Tracer: tp.Tracer("github.com/engineroom/engineroom/playground/auth")}),
		shop:    shop.New(tp.Tracer("github.com/engineroom/engineroom/playground/shop")),
		// Results of form posts made without JavaScript, shown again on
		// the page the post redirects to: a few minutes' worth for a class.
		runs:  newRunStore(2000, 32<<20, 30*time.Minute, time.Now),
		rooms: newRoomService(cfg.RedisURL, kv),
	}
	s.ops, s.log = newOps(cfg.Logger)
	s.metrics = s.newMetrics()
	s.demos = s.newDemoRegistry()
	if err := s.checkLessonDemos(); err != nil {
		return nil, err
	}
	if s.pages, err = s.prerender(ctx); err != nil {
		return nil, err
	}
	s.echo.HideBanner, s.echo.HidePort = true, true
	s.echo.HTTPErrorHandler = s.handleError
	s.echo.IPExtractor = ipExtractor(cfg.ClientIPHeader)
	s.routes()
	if s.third, err = s.startThirdParty(ctx, s); err != nil {
		return nil, errors.Join(err, sql.Close(), kv.Close(), tp.Shutdown(ctx))
	}
	s.stories = stories.New(tp.Tracer("github.com/engineroom/engineroom/playground/stories"), s.third.app)
	return s, nil
}

// checkLessonDemos makes sure every demo a lesson places exists.
func (s *Server) checkLessonDemos() error {
	for _, l := range s.lessons.All() {
		for _, id := range l.Demos {
			if _, ok := s.demos.get(id); !ok {
				return fmt.Errorf("web: lesson %q places demo %q, which does not exist", l.Slug, id)
			}
		}
	}
	return nil
}

// ServeHTTP makes Server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.echo.ServeHTTP(w, r) }

// Ready builds what the server builds on first use (the demo data every
// SQL sandbox is cloned from), unless that has started, and waits for it.
func (s *Server) Ready(ctx context.Context) error { return s.sql.Ready(ctx) }

// DemoDataBuilt is closed once the demo data is built; unlike Ready it does
// not start building it.
func (s *Server) DemoDataBuilt() <-chan struct{} { return s.sql.Built() }

// Close stops the engines behind the server, flushing any span exporter.
func (s *Server) Close(ctx context.Context) error {
	s.rooms.close()
	s.balance.close()
	s.events.close()
	s.realtime.close()
	return errors.Join(s.third.close(ctx), s.sql.Close(), s.cache.Close(), s.traces.Shutdown(ctx))
}

// CacheBackend says what the cache lessons talk to: the embedded
// Redis-protocol server or a Redis at REDIS_URL.
func (s *Server) CacheBackend() string { return s.cache.Backend() }

// ipExtractor trusts the named proxy header when configured and the peer
// address otherwise, so a client cannot pick its own address with
// X-Forwarded-For.
func ipExtractor(header string) echo.IPExtractor {
	direct := echo.ExtractIPDirect()
	if header == "" {
		return direct
	}
	return func(r *http.Request) string {
		if ip := r.Header.Get(header); ip != "" {
			return ip
		}
		return direct(r)
	}
}

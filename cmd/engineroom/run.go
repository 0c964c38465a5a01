package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/engineroom/engineroom/playground/cache"
	"github.com/engineroom/engineroom/playground/ops"
	"github.com/engineroom/engineroom/playground/sandbox"
	"github.com/engineroom/engineroom/web"
)

// config is the process's configuration, from flags and the environment.
type config struct {
	addr           string
	baseURL        string
	logLevel       slog.Level
	logFormat      string
	otlpEndpoint   string
	clientIPHeader string
	// instance names this instance among several behind Fly.io's proxy;
	// visitors are then pinned to the instance holding their sandbox.
	instance   string
	secret     string
	cpuProfile string
	// redisURL is the Redis the cache lessons use; empty means the
	// embedded Redis-protocol server.
	redisURL string
	// stateDB is the app's own state database (the job queue); empty
	// means defaultStateDB.
	stateDB string
	// metricsAddr, when set, is where /metrics is served instead of
	// beside the app.
	metricsAddr string
	// settings describe all of the above for the configuration lesson:
	// values safe to show, and where each came from.
	settings []web.Setting
}

// shutdownGrace is how long in-flight requests get to finish on SIGTERM;
// with a second for the engines to stop, the process exits within 5 s.
const shutdownGrace = 4 * time.Second

// run is the whole program: it parses its arguments and environment, then
// serves until ctx is cancelled, or runs the healthcheck or loadtest
// command.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, rest, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		switch rest[0] {
		case "healthcheck":
			return healthcheck(ctx, cfg.addr, stdout)
		case "loadtest":
			return loadtest(ctx, rest[1:], getenv, stdout, stderr)
		default:
			return fmt.Errorf("unknown command %q (try: healthcheck, loadtest)", rest[0])
		}
	}
	return serve(ctx, cfg, stdout)
}

func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, []string, error) {
	fs := flag.NewFlagSet("engineroom", flag.ContinueOnError)
	fs.SetOutput(stderr)
	def := func(key, fallback string) string {
		if v := getenv(key); v != "" {
			return v
		}
		return fallback
	}
	addr := def("ADDR", ":8080")
	if port := getenv("PORT"); port != "" && getenv("ADDR") == "" {
		addr = ":" + port
	}
	var cfg config
	var level string
	fs.StringVar(&cfg.addr, "addr", addr, "listen address (env ADDR; PORT sets the port)")
	fs.StringVar(&cfg.baseURL, "base-url", def("BASE_URL", ""), "public URL used in curl snippets (env BASE_URL)")
	fs.StringVar(&level, "log-level", def("LOG_LEVEL", "info"), "debug, info, warn or error (env LOG_LEVEL)")
	fs.StringVar(&cfg.logFormat, "log-format", def("LOG_FORMAT", "text"), "text or json (env LOG_FORMAT)")
	fs.StringVar(&cfg.otlpEndpoint, "otlp-endpoint", def("OTEL_EXPORTER_OTLP_ENDPOINT", ""), "OTLP/HTTP collector base URL (env OTEL_EXPORTER_OTLP_ENDPOINT)")
	fs.StringVar(&cfg.clientIPHeader, "client-ip-header", def("CLIENT_IP_HEADER", ""), "header a trusted proxy sets to the client address, e.g. Fly-Client-IP (env CLIENT_IP_HEADER)")
	fs.StringVar(&cfg.instance, "instance", def("FLY_MACHINE_ID", ""), "this instance's id among several behind Fly.io's proxy, which keeps each visitor on the instance holding their sandbox (env FLY_MACHINE_ID, set by Fly.io)")
	fs.StringVar(&cfg.redisURL, "redis-url", def("REDIS_URL", ""), "Redis for the cache lessons, e.g. redis://127.0.0.1:6379/0; default an embedded Redis-protocol server (env REDIS_URL)")
	fs.StringVar(&cfg.stateDB, "state-db", def("STATE_DB", ""), "SQLite file of the app's own state (the job queue); default engineroom/state.db in the user's cache folder (env STATE_DB)")
	fs.StringVar(&cfg.metricsAddr, "metrics-addr", def("METRICS_ADDR", ""), "serve /metrics on this address only, e.g. :9091 for a scraper on a private network; default beside the app (env METRICS_ADDR)")
	fs.StringVar(&cfg.cpuProfile, "cpuprofile", "", "write a CPU profile of the server to this file until it stops (for go tool pprof)")
	cfg.secret = getenv("SECRET_KEY")
	if err := fs.Parse(args); err != nil {
		return config{}, nil, err
	}
	if err := cfg.logLevel.UnmarshalText([]byte(level)); err != nil {
		return config{}, nil, fmt.Errorf("LOG_LEVEL: %q is not debug, info, warn or error", level)
	}
	if cfg.logFormat != "text" && cfg.logFormat != "json" {
		return config{}, nil, fmt.Errorf("LOG_FORMAT: %q is not text or json", cfg.logFormat)
	}
	if cfg.instance != "" && !web.ValidInstance(cfg.instance) {
		return config{}, nil, fmt.Errorf("FLY_MACHINE_ID: %q is not an instance id (lower-case letters and digits, at most 64)", cfg.instance)
	}
	if cfg.redisURL != "" {
		if err := cache.CheckURL(cfg.redisURL); err != nil {
			return config{}, nil, fmt.Errorf("REDIS_URL: %w", err)
		}
	}
	cfg.settings = describeSettings(fs, getenv, cfg)
	return cfg, fs.Args(), nil
}

func newLogger(cfg config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.logLevel}
	if cfg.logFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// serve runs the server until ctx is done, then stops accepting
// connections and gives in-flight requests shutdownGrace to finish.
func serve(ctx context.Context, cfg config, stdout io.Writer) error {
	log := newLogger(cfg, stdout)
	// Claim the port first: a busy port is reported at once, before any
	// engine starts.
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.addr, err)
	}
	var metricsLn net.Listener
	if cfg.metricsAddr != "" {
		if metricsLn, err = net.Listen("tcp", cfg.metricsAddr); err != nil {
			ln.Close()
			return fmt.Errorf("listening on %s for metrics: %w", cfg.metricsAddr, err)
		}
	}
	closeListeners := func() {
		ln.Close()
		if metricsLn != nil {
			metricsLn.Close()
		}
	}
	if cfg.cpuProfile != "" {
		stop, err := startCPUProfile(cfg.cpuProfile)
		if err != nil {
			closeListeners()
			return err
		}
		defer stop()
	}
	stateDB := cfg.stateDB
	if stateDB == "" {
		stateDB = defaultStateDB()
	}
	// The state database's folder holds the job queue and the events
	// lesson's files: make it now, so a missing one is reported at start.
	if err := os.MkdirAll(filepath.Dir(stateDB), 0o700); err != nil {
		closeListeners()
		return fmt.Errorf("making a folder for the state database (set STATE_DB): %w", err)
	}
	// SQLite's heap limit follows the machine's memory, so that a class
	// larger than the machine has sandboxes reset, not the process killed.
	memory, memoryFrom := ops.MachineMemory(os.DirFS("/"))
	heapLimit := sandbox.HeapLimitFor(memory)
	srv, err := web.New(ctx, web.Config{
		Sandbox:        sandbox.Options{HeapLimit: heapLimit},
		MetricsApart:   metricsLn != nil,
		StateDB:        stateDB,
		BaseURL:        cfg.baseURL,
		OTLPEndpoint:   cfg.otlpEndpoint,
		ClientIPHeader: cfg.clientIPHeader,
		Instance:       cfg.instance,
		Secret:         []byte(cfg.secret),
		Logger:         log,
		RedisURL:       cfg.redisURL,
		Settings:       withStateDB(cfg.settings, stateDB),
	})
	if err != nil {
		closeListeners()
		return err
	}
	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("serving", slog.String("addr", ln.Addr().String()), slog.String("url", localURL(ln.Addr())),
		slog.String("cache", srv.CacheBackend()), slog.String("state", stateDB),
		slog.String("sqlite_heap_limit", mibString(heapLimit)), slog.String("memory", memoryString(memory, memoryFrom)))
	errc := make(chan error, 2)
	var ms *http.Server
	if metricsLn != nil {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", srv.Metrics())
		ms = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second,
			ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
		log.Info("serving metrics", slog.String("addr", metricsLn.Addr().String()))
		go func() { errc <- ms.Serve(metricsLn) }()
	}
	go func() { errc <- hs.Serve(ln) }()
	go func() {
		// Building the demo data (when the first visitor arrives) is the
		// process's largest burst of memory; hand what it no longer needs
		// back to the system.
		select {
		case <-srv.DemoDataBuilt():
			debug.FreeOSMemory()
		case <-ctx.Done():
		}
	}()
	select {
	case err := <-errc:
		closeListeners()
		return errors.Join(fmt.Errorf("serving: %w", err), srv.Close(context.Background()))
	case <-ctx.Done():
	}
	log.Info("shutting down", slog.Duration("grace", shutdownGrace))
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if ms != nil {
		// A scrape answers at once; it needs no grace.
		ms.Close()
	}
	err = hs.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = errors.Join(err, hs.Close())
	}
	// The engines get their own short deadline: draining requests may have
	// used all of the grace period.
	cctx, ccancel := context.WithTimeout(context.Background(), time.Second)
	defer ccancel()
	if cerr := srv.Close(cctx); cerr != nil {
		err = errors.Join(err, cerr)
	}
	if err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	return nil
}

// defaultStateDB is engineroom/state.db in the user's cache folder
// ($XDG_CACHE_HOME or ~/.cache on Linux), or in the system's temporary
// folder when there is no such folder.
func defaultStateDB() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "engineroom", "state.db")
}

// startCPUProfile profiles the process into path until stop is called.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// localURL is the address to open in a browser on this machine.
func localURL(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || tcp.IP.IsUnspecified() {
		if ok {
			return fmt.Sprintf("http://localhost:%d", tcp.Port)
		}
		return a.String()
	}
	return "http://" + tcp.String()
}

// healthcheck asks the server on this machine for /healthz; it is what
// the container's HEALTHCHECK runs, since the image has no shell or curl.
func healthcheck(ctx context.Context, addr string, stdout io.Writer) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("healthcheck: address %q: %w", addr, err)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	url := "http://" + net.JoinHostPort(host, port) + "/healthz"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 256))
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %s", url, res.Status)
	}
	fmt.Fprintf(stdout, "healthy: %s\n", strings.TrimSpace(string(body)))
	return nil
}

// mibString writes a number of bytes in MiB.
func mibString(b int64) string { return fmt.Sprintf("%d MiB", b>>20) }

// memoryString says how much memory the process may use and where that
// was read.
func memoryString(b int64, from string) string {
	if b == 0 {
		return "unknown"
	}
	return mibString(b) + " (" + from + ")"
}

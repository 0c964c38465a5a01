package upstream

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// config is what every service takes from its options, defaults applied.
type config struct {
	seed           uint64
	now            func() time.Time
	maxHang        time.Duration
	idempotencyTTL time.Duration
	maxIdemKeys    int
	maxAccounts    int
}

// withDefaults fills in the zero values; maxAccounts and maxIdemKeys
// default to 10,000 unless the service chose its own defaults first.
func (c config) withDefaults() config {
	if c.now == nil {
		c.now = time.Now
	}
	if c.maxHang <= 0 {
		c.maxHang = 30 * time.Second
	}
	if c.idempotencyTTL <= 0 {
		c.idempotencyTTL = 24 * time.Hour
	}
	if c.maxIdemKeys <= 0 {
		c.maxIdemKeys = 10_000
	}
	if c.maxAccounts <= 0 {
		c.maxAccounts = 10_000
	}
	return c
}

// service is the machinery the simulated services share: an HTTP server
// on a loopback port and accounts, one per bearer token, each holding
// the service's own state S next to its fault switches, idempotency keys
// and seeded random source.
type service[S any] struct {
	name     string // in messages: "the <name> gave up"
	cfg      config
	newState func() S
	srv      *http.Server
	url      string

	mu       sync.Mutex // guards accounts and uses
	accounts map[string]*account[S]
	uses     uint64 // counts account look-ups, ordering them for the LRU cap

	closing   chan struct{} // closed when Close starts: ends hangs and sleeps
	serveDone chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// route is one API endpoint: a "METHOD /path" pattern and its handler.
type route[S any] struct {
	pattern string
	h       handler[S]
}

// newService makes a service that is not yet listening; newState makes
// the state of each new account.
func newService[S any](name string, cfg config, newState func() S) *service[S] {
	return &service[S]{
		name:      name,
		cfg:       cfg.withDefaults(),
		newState:  newState,
		accounts:  make(map[string]*account[S]),
		closing:   make(chan struct{}),
		serveDone: make(chan struct{}),
	}
}

// start serves routes, plus GET and PUT /v1/faults, on a free loopback
// port.
func (s *service[S]) start(routes []route[S]) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("upstream: starting the %s: %w", s.name, err)
	}
	s.url = "http://" + ln.Addr().String()
	s.srv = &http.Server{Handler: s.mux(routes), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(s.serveDone)
		_ = s.srv.Serve(ln) // always ErrServerClosed after Close
	}()
	return nil
}

// mux is the route table: the API routes, the fault switches, a JSON 405
// for a known path with another method and a JSON 404 for the rest.
func (s *service[S]) mux(routes []route[S]) http.Handler {
	mux := http.NewServeMux()
	paths := []string{"/v1/faults"}
	for _, rt := range routes {
		mux.HandleFunc(rt.pattern, s.api(rt.h))
		_, path, _ := strings.Cut(rt.pattern, " ")
		if !slices.Contains(paths, path) {
			paths = append(paths, path)
		}
	}
	mux.HandleFunc("GET /v1/faults", s.control(getFaults[S]))
	mux.HandleFunc("PUT /v1/faults", s.control(putFaults[S]))
	for _, p := range paths {
		mux.HandleFunc(p, func(w http.ResponseWriter, _ *http.Request) {
			errorResponse(http.StatusMethodNotAllowed, "method_not_allowed", "method not allowed here", "").write(w)
		})
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		errorResponse(http.StatusNotFound, "not_found", "no such endpoint", "").write(w)
	})
	return mux
}

// now reads the service's clock.
func (s *service[S]) now() time.Time { return s.cfg.now() }

// close stops the server, releasing held requests first, and waits for
// its goroutines. It is safe to call more than once.
func (s *service[S]) close() error {
	s.closeOnce.Do(func() {
		close(s.closing)
		// Held requests return at once; what is still open after a short
		// grace (a connection a client dialled but never used, which
		// Shutdown would wait 5 s for) is cut.
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := s.srv.Shutdown(ctx); err != nil {
			if err := s.srv.Close(); err != nil {
				s.closeErr = fmt.Errorf("upstream: stopping the %s: %w", s.name, err)
			}
		}
		<-s.serveDone
	})
	return s.closeErr
}

// sleep waits for d, or less when the client goes away or the service
// closes; it reports whether d passed in full.
func (s *service[S]) sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
	case <-s.closing:
	}
	return false
}

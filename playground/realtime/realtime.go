// Package realtime serves one flight-status feed four ways over real
// HTTP on loopback, and follows it with real clients, so the four can be
// compared on the same changes:
//
//   - polling: GET /status answers the board as it stands, with its
//     version, every time it is asked;
//   - long polling: GET /status?after=N holds the request until there is a
//     version newer than N, or answers 204 No Content after a timeout;
//   - Server-Sent Events: GET /events keeps one response open and writes
//     each change as an event with an id; a client that reconnects with
//     Last-Event-ID gets what it missed;
//   - WebSocket: GET /ws upgrades the connection and the server writes
//     each change as a text message.
//
// Every run has its own feed, named by a run id each request carries in
// its query string, so two runs never see each other's changes. A feed
// plays a fixed script on timers and ends by itself a moment after its
// last change. Clients count requests, empty answers, messages, bytes on
// the wire (headers included) and how long each change took to arrive,
// and record each request, stream and message as a span.
package realtime

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Options configures Start. Zero values mean the documented default.
type Options struct {
	// Tracer records the clients' spans. Default: a no-op tracer.
	Tracer trace.Tracer
	// Now is the clock changes are stamped with and delays measured by.
	// Default time.Now.
	Now func() time.Time
	// Step is the script's time unit: the first change comes 3 steps
	// after a feed starts, the last 29. Default 100ms (a 3 s run).
	Step time.Duration
	// Linger is how long a feed stays after its last change, for late
	// readers and resumes. Default 2 steps.
	Linger time.Duration
	// LongPollTimeout is how long GET /status?after=N waits for news
	// before it answers 204. Default 1s.
	LongPollTimeout time.Duration
	// Retain is how long a run stays known after its feed ended, so a
	// slow poller still finds it. Default 5s.
	Retain time.Duration
	// MaxRuns caps the feeds alive at once. Default 200.
	MaxRuns int
}

func (o *Options) defaults() {
	if o.Tracer == nil {
		o.Tracer = noop.NewTracerProvider().Tracer("")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Step <= 0 {
		o.Step = 100 * time.Millisecond
	}
	if o.Linger <= 0 {
		o.Linger = 2 * o.Step
	}
	if o.LongPollTimeout <= 0 {
		o.LongPollTimeout = time.Second
	}
	if o.Retain <= 0 {
		o.Retain = 5 * time.Second
	}
	if o.MaxRuns <= 0 {
		o.MaxRuns = 200
	}
}

// ErrBusy is returned by NewRun when MaxRuns feeds are already running.
var ErrBusy = errors.New("realtime: too many feeds running; try again in a few seconds")

// Lab is the feed server on loopback and its feeds. It is safe for
// concurrent use.
type Lab struct {
	opts   Options
	srv    *http.Server
	url    string
	ctx    context.Context // ends at Close: ends every open stream
	cancel context.CancelFunc

	mu     sync.Mutex
	feeds  map[string]*feed
	closed bool
	once   sync.Once
}

// Start listens on a random loopback port and serves the feeds.
func Start(opts Options) (*Lab, error) {
	opts.defaults()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("realtime: listening: %w", err)
	}
	l := &Lab{opts: opts, url: "http://" + ln.Addr().String(), feeds: map[string]*feed{}}
	l.ctx, l.cancel = context.WithCancel(context.Background())
	l.srv = &http.Server{Handler: l.routes(), ReadHeaderTimeout: 2 * time.Second, BaseContext: func(net.Listener) context.Context { return l.ctx }}
	go func() { _ = l.srv.Serve(ln) }()
	return l, nil
}

// URL is the feed server's address.
func (l *Lab) URL() string { return l.url }

// Options returns the options the lab runs with, defaults filled in.
func (l *Lab) Options() Options { return l.opts }

// Run is one feed, started by NewRun. Its id goes in every request.
type Run struct {
	ID    string
	Start time.Time
	lab   *Lab
	feed  *feed
}

// NewRun starts a new feed; it plays its script and ends by itself.
func (l *Lab) NewRun() (*Run, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("realtime: making a run id: %w", err)
	}
	id := hex.EncodeToString(b)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, errors.New("realtime: the lab is closed")
	}
	if len(l.feeds) >= l.opts.MaxRuns {
		return nil, ErrBusy
	}
	f := newFeed(id, l.opts)
	l.feeds[id] = f
	go func() {
		select {
		case <-f.ended:
		case <-l.ctx.Done():
		}
		t := time.NewTimer(l.opts.Retain)
		defer t.Stop()
		select {
		case <-t.C:
		case <-l.ctx.Done():
		}
		l.mu.Lock()
		delete(l.feeds, id)
		l.mu.Unlock()
	}()
	return &Run{ID: id, Start: f.start, lab: l, feed: f}, nil
}

// Done is closed when the run's feed has ended.
func (r *Run) Done() <-chan struct{} { return r.feed.ended }

// feedOf returns the running feed called id.
func (l *Lab) feedOf(id string) (*feed, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f, ok := l.feeds[id]
	return f, ok
}

// Close ends every feed and stream and stops the server. It is safe to
// call more than once.
func (l *Lab) Close() error {
	var err error
	l.once.Do(func() {
		l.mu.Lock()
		l.closed = true
		for _, f := range l.feeds {
			f.stop()
		}
		l.mu.Unlock()
		l.cancel()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err = l.srv.Shutdown(ctx); err != nil {
			err = errors.Join(fmt.Errorf("realtime: stopping the server: %w", err), l.srv.Close())
		}
	})
	return err
}

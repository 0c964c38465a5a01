package web

import (
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// lazyLab holds an engine a lesson runs on that keeps listeners or
// goroutines (a web tier behind a load balancer, a feed server, a job
// queue): it starts on first use, closes itself after idle without use
// and when the http.Server carrying the app shuts down (as the rooms' hub
// does), and starts again on the next use. So a server nobody asks about
// a lesson keeps nothing running for it. Its zero value is ready to use.
type lazyLab[T any] struct {
	mu      sync.Mutex
	lab     T
	running bool
	stop    func(T)
	idle    *time.Timer
	hooked  sync.Map // *http.Server already told to close the lab
}

// get returns the running lab, started with start if need be; stop is
// how to close it. Every call counts as a use.
func (b *lazyLab[T]) get(c echo.Context, idle time.Duration, start func() (T, error), stop func(T)) (T, error) {
	if hs, ok := c.Request().Context().Value(http.ServerContextKey).(*http.Server); ok {
		if _, seen := b.hooked.LoadOrStore(hs, struct{}{}); !seen {
			hs.RegisterOnShutdown(b.close)
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.running {
		lab, err := start()
		if err != nil {
			return lab, err
		}
		b.lab, b.running, b.stop = lab, true, stop
		b.idle = time.AfterFunc(idle, b.close)
	}
	b.idle.Reset(idle)
	return b.lab, nil
}

// close stops the lab, if it runs; the next use starts it again.
func (b *lazyLab[T]) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.running {
		b.stop(b.lab)
		var zero T
		b.lab, b.running = zero, false
		b.idle.Stop()
	}
}

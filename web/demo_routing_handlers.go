package web

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
)

// The booking rate limit: a burst of three, then one more every ten
// seconds — small, so a few clicks trip it.
const (
	bookingBurst  = 3
	bookingRefill = 10 * time.Second
	// maxBuckets bounds the limiter's memory: a flood of new callers
	// pushes out the buckets that have refilled, then any.
	maxBuckets = 10000
	// maxWorkMS bounds how long a report may take, even one that ignores
	// its context, so no goroutine outlives a run by more than this.
	maxWorkMS = 3000
)

// appFlight is a flight as the demo app's API returns it.
type appFlight struct {
	ID     int    `json:"id"`
	Number string `json:"flight_no"`
	From   string `json:"origin"`
	To     string `json:"destination"`
}

// handlers are the app's handlers by the name the route table gives them.
func (a *routingApp) handlers() map[string]echo.HandlerFunc {
	return map[string]echo.HandlerFunc{
		"listFlights": func(c echo.Context) error {
			return c.JSON(http.StatusOK, []appFlight{flightByID(42), flightByID(181), flightByID(7)})
		},
		"showFlight": func(c echo.Context) error {
			id, err := strconv.Atoi(c.Param("id"))
			if err != nil || id < 1 || id > 999 {
				return c.JSON(http.StatusNotFound, map[string]string{"error": fmt.Sprintf("no flight %q: the route matched, the handler found nothing", c.Param("id"))})
			}
			return c.JSON(http.StatusOK, flightByID(id))
		},
		"showSeat": func(c echo.Context) error {
			return c.JSON(http.StatusOK, map[string]any{"flight": c.Param("id"), "seat": c.Param("seat"), "free": true})
		},
		"createBooking": func(c echo.Context) error {
			caller, _ := c.Get(appCallerKey).(string)
			return c.JSON(http.StatusCreated, map[string]any{"booking": "B-" + strconv.FormatInt(time.Now().UnixMilli()%100000, 10), "flight": "ER042", "caller": caller})
		},
		"showBooking": func(c echo.Context) error {
			return c.JSON(http.StatusOK, map[string]string{"booking": c.Param("id"), "flight": "ER042"})
		},
		"cancelBooking": func(c echo.Context) error { return c.NoContent(http.StatusNoContent) },
		"serveFile": func(c echo.Context) error {
			switch name := c.Param("*"); name {
			case "timetable.txt", "logos/airline.svg":
				return c.String(http.StatusOK, "the file "+name+"\n")
			default:
				return c.JSON(http.StatusNotFound, map[string]string{"error": fmt.Sprintf("no file %q", name)})
			}
		},
		"brokenReport": brokenReport,
		"slowReport":   a.slowReport,
	}
}

func flightByID(id int) appFlight {
	routes := [...][2]string{{"LHR", "JFK"}, {"CDG", "LHR"}, {"AMS", "BCN"}, {"JFK", "SFO"}}
	r := routes[id%len(routes)]
	return appFlight{ID: id, Number: fmt.Sprintf("ER%03d", id), From: r[0], To: r[1]}
}

// brokenReport has the bugs the panic demo sets off, chosen by ?kind=.
func brokenReport(c echo.Context) error {
	switch c.QueryParam("kind") {
	case "index":
		rows := []string{"ER042", "ER181"}
		i := len(c.QueryParam("kind")) // one past the end, and more
		return c.String(http.StatusOK, rows[i])
	case "nil-pointer":
		var f *appFlight
		return c.String(http.StatusOK, f.Number)
	default:
		var seatsSold map[string]int
		seatsSold["ER042"]++
		return c.JSON(http.StatusOK, seatsSold)
	}
}

// slowReport works for ?ms= milliseconds. Unless ?ctx=ignore, it stops as
// soon as its context ends — the deadline passed or the client went away.
func (a *routingApp) slowReport(c echo.Context) error {
	ms, _ := strconv.Atoi(c.QueryParam("ms"))
	ms = max(0, min(ms, maxWorkMS))
	ignore := c.QueryParam("ctx") == "ignore"
	ctx, span := a.tracer.Start(c.Request().Context(), "build the report")
	defer span.End()
	span.SetAttributes(attribute.Int("engineroom.work_ms", ms), attribute.Bool("engineroom.watches_context", !ignore))
	start := time.Now()
	if ignore {
		time.Sleep(time.Duration(ms) * time.Millisecond)
	} else if err := sleep(ctx, time.Duration(ms)*time.Millisecond); err != nil {
		span.SetStatus(codes.Error, err.Error())
		span.SetAttributes(attribute.Int64("engineroom.stopped_after_ms", time.Since(start).Milliseconds()))
		return err
	}
	if err := ctx.Err(); err != nil {
		span.SetAttributes(attribute.String("engineroom.context", err.Error()+" long before the work ended; the work went on anyway"))
	}
	return c.JSON(http.StatusOK, map[string]any{"report": "ready", "rows": 1200, "work_ms": ms})
}

// tokenBuckets is a rate limiter: each key has a bucket of burst tokens,
// one refilled every interval; a request takes one or is refused.
type tokenBuckets struct {
	mu      sync.Mutex
	burst   int
	every   time.Duration
	max     int
	now     func() time.Time
	buckets map[string]*tokenBucket
}

type tokenBucket struct {
	tokens float64
	at     time.Time
}

func newTokenBuckets(burst int, every time.Duration, maxKeys int, now func() time.Time) *tokenBuckets {
	return &tokenBuckets{burst: burst, every: every, max: maxKeys, now: now, buckets: make(map[string]*tokenBucket)}
}

// take spends a token of key's bucket. It says whether there was one, how
// many are left, and when refused how long until the next.
func (t *tokenBuckets) take(key string) (ok bool, left int, wait time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	b := t.buckets[key]
	if b == nil {
		if len(t.buckets) >= t.max {
			t.prune(now)
		}
		b = &tokenBucket{tokens: float64(t.burst), at: now}
		t.buckets[key] = b
	}
	b.tokens = min(float64(t.burst), b.tokens+float64(now.Sub(b.at))/float64(t.every))
	b.at = now
	if b.tokens < 1 {
		return false, 0, time.Duration((1 - b.tokens) * float64(t.every))
	}
	b.tokens--
	return true, int(b.tokens), 0
}

// prune drops the buckets that have refilled (they hold nothing a new
// bucket would not), then, if that is not enough, any.
func (t *tokenBuckets) prune(now time.Time) {
	full := time.Duration(t.burst) * t.every
	for k, b := range t.buckets {
		if now.Sub(b.at) >= full {
			delete(t.buckets, k)
		}
	}
	for k := range t.buckets {
		if len(t.buckets) < t.max {
			return
		}
		delete(t.buckets, k)
	}
}

package routing

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
)

// appFlight is a flight as the demo app's API returns it.
type appFlight struct {
	ID     int    `json:"id"`
	Number string `json:"flight_no"`
	From   string `json:"origin"`
	To     string `json:"destination"`
}

// handlers are the app's handlers by the name the route table gives them.
func (a *App) handlers() map[string]echo.HandlerFunc {
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
			return c.JSON(http.StatusCreated, map[string]any{"booking": "B-" + strconv.FormatInt(a.now().UnixMilli()%100000, 10), "flight": "ER042", "caller": caller})
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
func (a *App) slowReport(c echo.Context) error {
	ms, _ := strconv.Atoi(c.QueryParam("ms"))
	ms = max(0, min(ms, MaxWorkMS))
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

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// newRequestID names a request in the logs. It needs to be unique, not
// secret, so the runtime's fast random source will do.
func (a *App) newRequestID() string {
	return strconv.FormatUint(rand.Uint64(), 36)
}

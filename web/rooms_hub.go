package web

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/engineroom/engineroom/playground/cache"
	"github.com/engineroom/engineroom/playground/rooms"
)

// Timings of a room's event stream.
const (
	// roomHeartbeat is how often an idle stream sends a comment, so
	// proxies and phones keep the connection open.
	roomHeartbeat = 15 * time.Second
	// roomWriteWait bounds each write to a follower.
	roomWriteWait = 10 * time.Second
	// roomRetry is how soon, in ms, a browser reconnects a dropped stream.
	roomRetry = 2000
)

// teachCookie holds "<code>.<token>": the room this browser presents.
const teachCookie = "er_teach"

// roomService is the hub of rooms and what ties its streams to the HTTP
// servers that carry them.
type roomService struct {
	hub *rooms.Hub
	// hooked is the set of *http.Server whose Shutdown already ends the
	// streams.
	hooked sync.Map
}

// newRoomService keeps the rooms in memory, unless the server was given a
// Redis (redisURL, REDIS_URL): then they live in that Redis, through the
// cache's connection pool, so every instance that shares it serves every
// room. The embedded server is not used for rooms: it lives and dies with
// this process, so it would connect no instances, and would only add a
// round trip to each follow and publish.
func newRoomService(redisURL string, kv *cache.Cache) *roomService {
	opts := rooms.Options{}
	if redisURL != "" {
		opts.Shared = kv.Shared("rooms")
	}
	return &roomService{hub: rooms.New(opts)}
}

// endOnShutdown makes the Shutdown of the http.Server carrying r close the
// hub, so open event streams end at once instead of holding the shutdown
// for its whole grace period.
func (rs *roomService) endOnShutdown(r *http.Request) {
	hs, ok := r.Context().Value(http.ServerContextKey).(*http.Server)
	if !ok {
		return
	}
	if _, seen := rs.hooked.LoadOrStore(hs, struct{}{}); !seen {
		hs.RegisterOnShutdown(rs.hub.Close)
	}
}

// open returns nil if room code is open, rooms.ErrNotFound if not, or the
// hub's error.
func (rs *roomService) open(ctx context.Context, code string) error {
	ok, err := rs.hub.Exists(ctx, code)
	if err == nil && !ok {
		err = rooms.ErrNotFound
	}
	return err
}

// close ends every room and stream.
func (rs *roomService) close() { rs.hub.Close() }

// isRoomStream reports whether the request is a room's event stream,
// which the request timeout and compression must leave alone.
func isRoomStream(c echo.Context) bool { return c.Path() == "/rooms/:code/events" }

// roomCode reads the :code parameter; lower case is accepted.
func roomCode(c echo.Context) (string, error) {
	code := strings.ToUpper(c.Param("code"))
	if !rooms.ValidCode(code) {
		return "", errNoRoom(code)
	}
	return code, nil
}

// errNoRoom is the 404 for a code that names no open room.
func errNoRoom(code string) error {
	if len(code) > rooms.CodeLen {
		code = code[:rooms.CodeLen] + "…"
	}
	return echo.NewHTTPError(http.StatusNotFound,
		"No room has the code "+code+". Check the code on the projector: the room may have ended (rooms close after 3 hours without use).")
}

// roomError maps an error of the hub to the answer a browser gets: 404
// for no room, 503 with Retry-After for a full hub, a crowded room, a
// store that does not answer or a server shutting down.
func roomError(c echo.Context, code string, err error) error {
	unavailable := func(retry, msg string) error {
		c.Response().Header().Set("Retry-After", retry)
		return echo.NewHTTPError(http.StatusServiceUnavailable, msg)
	}
	switch {
	case errors.Is(err, rooms.ErrNotFound):
		return errNoRoom(code)
	case errors.Is(err, rooms.ErrFull):
		return unavailable("600", "Every room is taken right now. Try again in a few minutes.")
	case errors.Is(err, rooms.ErrCrowded):
		return unavailable("30", "This room has as many followers as it can take.")
	case errors.Is(err, rooms.ErrUnavailable):
		return unavailable("5", "Rooms are unavailable for a moment. Try again in a few seconds.")
	case errors.Is(err, rooms.ErrClosed):
		return unavailable("5", "The server is shutting down.")
	}
	return err
}

// teacherToken returns this browser's token for room code, if it has one.
func teacherToken(c echo.Context, code string) string {
	ck, err := c.Cookie(teachCookie)
	if err != nil {
		return ""
	}
	got, token, ok := strings.Cut(ck.Value, ".")
	if !ok || got != code {
		return ""
	}
	return token
}

package web

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

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

func newRoomService() *roomService {
	return &roomService{hub: rooms.New(rooms.Options{})}
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

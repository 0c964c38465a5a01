package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
)

// streamRoomEvents is GET /rooms/<code>/events: a Server-Sent Events
// stream of the room's states, the latest one first. It sends a comment
// every roomHeartbeat and ends when the client goes, the room ends or the
// server shuts down. The route runs without the request timeout and
// without compression (see routes).
func (s *Server) streamRoomEvents(c echo.Context) error {
	code, err := roomCode(c)
	if err != nil {
		return err
	}
	f, err := s.rooms.hub.Follow(c.Request().Context(), code)
	if err != nil {
		return roomError(c, code, err)
	}
	defer f.Stop()
	s.rooms.endOnShutdown(c.Request())

	res := c.Response()
	rc := http.NewResponseController(res)
	// The server's read deadline would otherwise cancel a long stream.
	_ = rc.SetReadDeadline(time.Time{})
	h := res.Header()
	h.Set(echo.HeaderContentType, "text/event-stream")
	h.Set(echo.HeaderCacheControl, "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: pass events on at once
	res.WriteHeader(http.StatusOK)
	send := func(chunk string) error {
		// Each write gets its own deadline, past the server's WriteTimeout.
		_ = rc.SetWriteDeadline(time.Now().Add(roomWriteWait))
		if _, err := res.Write([]byte(chunk)); err != nil {
			return err
		}
		return rc.Flush()
	}
	if err := send("retry: " + strconv.Itoa(roomRetry) + "\n: room " + code + "\n\n"); err != nil {
		return nil
	}
	beat := time.NewTicker(roomHeartbeat)
	defer beat.Stop()
	done := c.Request().Context().Done()
	for {
		var chunk string
		select {
		case <-done:
			return nil
		case msg, ok := <-f.C:
			if !ok {
				return nil
			}
			chunk = "event: state\ndata: " + string(msg) + "\n\n"
		case <-beat.C:
			chunk = ": heartbeat\n\n"
		}
		if err := send(chunk); err != nil {
			return nil // the client went away
		}
	}
}

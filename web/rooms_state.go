package web

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/engineroom/engineroom/playground/rooms"
)

// maxRoomStateBody is the largest state a teacher may send.
const maxRoomStateBody = 1 << 10

// publishRoomState is POST /rooms/<code>/state with the JSON
// {"path":"/lessons/…","demo":"…","step":2}: the teacher's browser
// (its er_teach cookie) sets what the room's followers see.
func (s *Server) publishRoomState(c echo.Context) error {
	code, err := roomCode(c)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, maxRoomStateBody+1))
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "could not read the body")
	}
	if len(body) > maxRoomStateBody {
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "a room state is at most 1 KiB")
	}
	var st rooms.State
	if err := json.Unmarshal(body, &st); err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "the body is not a JSON object {path, demo, step}")
	}
	if localPath(st.Path) == "" {
		return echo.NewHTTPError(http.StatusUnprocessableEntity, "path must be a page of this site, starting with a single /")
	}
	err = s.rooms.hub.Publish(c.Request().Context(), code, teacherToken(c, code), st)
	switch {
	case err == nil:
		return c.NoContent(http.StatusNoContent)
	case errors.Is(err, rooms.ErrForbidden):
		return echo.NewHTTPError(http.StatusForbidden, "only the browser that started this room may move it")
	case errors.Is(err, rooms.ErrBadState):
		return echo.NewHTTPError(http.StatusUnprocessableEntity, err.Error())
	default:
		return roomError(c, code, err)
	}
}

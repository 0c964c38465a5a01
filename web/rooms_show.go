package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/engineroom/engineroom/playground/rooms"
	"github.com/engineroom/engineroom/web/view"
)

// showRooms is GET /rooms?back=/lessons/…: start a room or join one.
func (s *Server) showRooms(c echo.Context) error {
	return s.page(c, view.PageRooms(view.RoomsPage{
		Page: s.pageMeta(csrfToken(c), "Follow the presenter"),
		Back: localPath(c.QueryParam("back")),
	}))
}

// joinRoom is GET /rooms/join?code=…: the join form's target.
func (s *Server) joinRoom(c echo.Context) error {
	code := strings.ToUpper(strings.TrimSpace(c.QueryParam("code")))
	if !rooms.ValidCode(code) {
		return errNoRoom(code)
	}
	if err := s.rooms.open(c.Request().Context(), code); err != nil {
		return roomError(c, code, err)
	}
	return c.Redirect(http.StatusSeeOther, "/rooms/"+code)
}

// createRoom is POST /rooms: it opens a room, keeps its teacher token in
// this browser's cookie and shows the room's page.
func (s *Server) createRoom(c echo.Context) error {
	code, token, err := s.rooms.hub.Create(c.Request().Context())
	if err != nil {
		return roomError(c, "", err)
	}
	c.SetCookie(&http.Cookie{
		Name: teachCookie, Value: code + "." + token, Path: "/rooms/",
		MaxAge: 3 * 60 * 60, HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: c.Scheme() == "https" || strings.HasPrefix(s.cfg.BaseURL, "https://"),
	})
	target := "/rooms/" + code
	if back := localPath(c.FormValue("back")); back != "" && len(back) <= rooms.MaxPath {
		target += "?back=" + url.QueryEscape(back)
	}
	return c.Redirect(http.StatusSeeOther, target)
}

// showRoom is GET /rooms/<code>: for the teacher, the code to project;
// for a student, the page that starts following.
func (s *Server) showRoom(c echo.Context) error {
	code, err := roomCode(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if err := s.rooms.open(ctx, code); err != nil {
		return roomError(c, code, err)
	}
	teacher, err := s.rooms.hub.Authorized(ctx, code, teacherToken(c, code))
	if err != nil {
		return roomError(c, code, err)
	}
	u := s.baseURL(c) + "/rooms/" + code
	qr, err := qrCode(u)
	if err != nil {
		return err
	}
	back := localPath(c.QueryParam("back"))
	if back == "" {
		back = "/"
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return s.page(c, view.PageRoom(view.RoomPage{
		Page: s.pageMeta(csrfToken(c), "Room "+code),
		Code: code, URL: u, QR: qr, Back: back,
		Teacher: teacher,
	}))
}

package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// routes is the one route table: every method and path the server answers,
// and the middleware each group runs.
func (s *Server) routes() {
	e := s.echo
	e.Use(
		middleware.Recover(),
		middleware.RequestIDWithConfig(middleware.RequestIDConfig{Skipper: isHealthCheck}),
		s.observe,
		s.traced("security headers", s.secureHeaders),
		s.traced("body limit", middleware.BodyLimit("1M")),
		s.traced("timeout", middleware.ContextTimeout(s.cfg.RequestTimeout)),
		middleware.Gzip(),
	)

	e.GET("/healthz", s.showHealth)
	e.GET("/static/:file", s.showAsset)

	pages := e.Group("", s.traced("visitor cookie", s.identifyVisitor), s.traced("read form", parseForm), s.traced("csrf", s.csrf()))
	pages.GET("/", s.showHome)
	pages.GET("/lessons/:slug", s.showLesson)
	pages.POST("/demos/:id", s.runDemoForm)
	pages.GET("/sql", s.showConsole)
	pages.GET("/sql/schema", s.showSchema)
	pages.POST("/sql/reset", s.resetSQL)
	pages.GET("/sql/download", s.downloadSQL)

	api := e.Group("/api/v1", s.traced("visitor cookie", s.identifyVisitor), s.traced("json only", s.requireJSON))
	api.GET("/demos", s.listDemos)
	api.POST("/demos/:id", s.runDemoJSON)
	api.GET("/traces/:id", s.showTraceJSON)
	api.POST("/sql", s.runSQLJSON)
	api.POST("/sql/reset", s.resetSQLJSON)
	api.GET("/sql/schema", s.showSchemaJSON)
}

func isHealthCheck(c echo.Context) bool { return c.Path() == "/healthz" }

// showHealth answers the liveness check: the process is up and serving.
func (s *Server) showHealth(c echo.Context) error {
	return c.String(http.StatusOK, "ok\n")
}

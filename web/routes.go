package web

import (
	"compress/gzip"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// routes is the one route table: every method and path the server answers,
// and the middleware each runs.
func (s *Server) routes() {
	e := s.echo
	e.Use(
		middleware.Recover(),
		s.countRequests,
		middleware.RequestIDWithConfig(middleware.RequestIDConfig{Skipper: isHealthCheck, Generator: newRequestID}),
		s.observe,
		s.traced("security headers", s.secureHeaders),
		s.traced("body limit", middleware.BodyLimit("1M")),
		s.traced("timeout", middleware.ContextTimeoutWithConfig(middleware.ContextTimeoutConfig{Skipper: isRoomStream, Timeout: s.cfg.RequestTimeout})),
		// The fastest level: on a lesson page it compresses almost as well
		// as the default at a fraction of the CPU, which a class of 300
		// needs more. Small answers are not worth compressing.
		compress(gzip.BestSpeed, 1024, isRoomStream),
	)

	e.GET("/healthz", s.showHealth)
	e.GET("/readyz", s.showReadiness)
	if !s.cfg.MetricsApart {
		e.GET("/metrics", s.showMetrics)
	}
	e.GET("/static/:file", s.showAsset)
	// The payment gateway's webhooks: signed, so no cookie and no CSRF token.
	e.POST("/webhooks/payments", s.receivePaymentWebhook)

	// Middleware is attached route by route rather than to groups, so a
	// known path asked with the wrong method answers 405, not 404.
	page := []echo.MiddlewareFunc{s.traced("visitor cookie", s.identifyVisitor), s.traced("read form", parseForm), s.traced("csrf", s.csrf())}
	e.GET("/", s.showHome, page...)
	e.GET("/lessons/:slug", s.showLesson, page...)
	e.POST("/demos/:id", s.runDemoForm, page...)
	e.GET("/sql", s.showConsole, page...)
	e.GET("/sql/schema", s.showSchema, page...)
	e.POST("/sql/reset", s.resetSQL, page...)
	e.GET("/sql/download", s.downloadSQL, page...)
	e.GET("/mailbox", s.showMailbox, page...)
	e.GET("/event-runs/:id", s.showEventRun, page...)
	e.GET("/traces/:id/sequence", s.showTraceSequence, page...)
	e.GET("/traces/compare", s.showTraceCompare, page...)
	e.GET("/join", s.showJoin, page...)
	// Rooms: a class follows the teacher's page and step (rooms_*.go).
	e.GET("/rooms", s.showRooms, page...)
	e.POST("/rooms", s.createRoom, page...)
	e.GET("/rooms/join", s.joinRoom, page...)
	e.GET("/rooms/:code", s.showRoom, page...)
	e.GET("/rooms/:code/events", s.streamRoomEvents)
	e.POST("/rooms/:code/state", s.publishRoomState, s.traced("json only", s.requireJSON))
	// The airline demo app's own pages: its session says who is asking.
	e.GET("/airline/login", s.showAirlineLogin, page...)
	e.POST("/airline/login", s.logInAirline, page...)
	e.POST("/airline/logout", s.logOutAirline, page...)
	e.GET("/airline/bookings/:id", s.showAirlineBooking, page...)
	e.POST("/airline/miles/transfer", s.transferMiles, page...)

	// The JSON API: every route is in the OpenAPI document, and every
	// error is application/problem+json (see handleError).
	api := []echo.MiddlewareFunc{s.traced("visitor cookie", s.identifyVisitor), s.traced("json only", s.requireJSON)}
	// POSTs that create things run once per Idempotency-Key.
	create := append(slices.Clip(api), s.traced("idempotency key", s.idempotencyKeys(newIdempotencyStore(defaultIdempotencyLimits, time.Now))))
	remove := []echo.MiddlewareFunc{s.traced("visitor cookie", s.identifyVisitor), s.traced("same site only", s.refuseCrossSite)}
	e.GET("/api", s.showAPIReference, page...)
	e.GET("/api/v1/openapi.json", s.showOpenAPI)
	e.GET("/api/v1/demos", s.listDemos, api...)
	e.POST("/api/v1/demos/:id", s.runDemoJSON, api...)
	e.GET("/api/v1/traces/:id", s.showTraceJSON, api...)
	e.POST("/api/v1/sql", s.runSQLJSON, api...)
	e.POST("/api/v1/sql/reset", s.resetSQLJSON, api...)
	e.GET("/api/v1/sql/schema", s.showSchemaJSON, api...)
	e.GET("/api/v1/flights", s.listFlights, api...)
	e.GET("/api/v1/flights/:id", s.showFlightJSON, api...)
	e.GET("/api/v1/members/:id", s.showMember, api...)
	e.GET("/api/v1/members/:id/bookings", s.listMemberBookings, api...)
	e.POST("/api/v1/bookings", s.createBooking, create...)
	e.GET("/api/v1/bookings/:id", s.showBooking, api...)
	e.DELETE("/api/v1/bookings/:id", s.cancelBooking, remove...)
	e.GET("/api/v1/products", s.listProducts, api...)
	e.GET("/api/v1/products/:id", s.showProduct, api...)
	e.POST("/api/v1/orders", s.createOrder, create...)
	e.GET("/api/v1/orders/:id", s.showOrder, api...)
	e.POST("/api/v1/accounts", s.createAccount, create...)
	e.POST("/api/v1/sessions", s.createSession, api...)
	e.GET("/api/v1/sessions/current", s.showSession, api...)
	e.DELETE("/api/v1/sessions/current", s.deleteSession, remove...)
}

func isHealthCheck(c echo.Context) bool { return c.Path() == "/healthz" }

// newRequestID names a request in the logs. It needs to be unique, not
// secret, so the runtime's fast random source will do.
func newRequestID() string {
	return strconv.FormatUint(rand.Uint64(), 36)
}

// showHealth answers the liveness check: the process is up and serving.
func (s *Server) showHealth(c echo.Context) error {
	return c.String(http.StatusOK, "ok\n")
}

package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/attribute"

	"github.com/engineroom/engineroom/playground/airline"
	"github.com/engineroom/engineroom/playground/sandbox"
	"github.com/engineroom/engineroom/web/view"
)

// httpCacheFlight is the flight the HTTP caching demo loads.
const httpCacheFlight = 42

// httpCachePriceStep is what the airline adds to the price when the demo
// changes the flight between the two visits.
const httpCachePriceStep = 500

// httpCacheRun is what the HTTP caching demo did, for the JSON twin.
type httpCacheRun struct {
	FlightID int64        `json:"flight_id"`
	URL      string       `json:"url"`
	MaxAgeS  int          `json:"max_age_s"`
	LaterS   int          `json:"second_visit_after_s"`
	Changed  bool         `json:"changed_in_between"`
	Visits   []cacheVisit `json:"visits"`
}

// cacheVisit is one visit of the demo's browser.
type cacheVisit struct {
	AtS          int    `json:"at_s"`
	Sent         bool   `json:"request_sent"`
	IfNoneMatch  string `json:"if_none_match,omitempty"`
	Status       int    `json:"status,omitempty"`
	ETag         string `json:"etag,omitempty"`
	CacheControl string `json:"cache_control,omitempty"`
	BodyBytes    int    `json:"body_bytes"`
	ServedFrom   string `json:"served_from"`
	PriceShown   int64  `json:"price_shown_miles"`

	x *selfExchange // the exchange, when a request was sent
}

// Where a visit's page came from.
const (
	fromServer      = "server"
	fromRevalidated = "browser cache, revalidated by a 304"
	fromFresh       = "browser cache, fresh: no request"
)

// storedResponse is the demo browser's HTTP cache: the one response it
// keeps, on a clock of whole seconds that the demo moves forward instead
// of waiting.
type storedResponse struct {
	etag     string
	maxAge   int // seconds; -1 when the response gave none
	storedAt int
	body     []byte
}

// fresh reports whether the stored response may be used at now without
// asking the server: its age is below max-age (RFC 9111 §4.2).
func (r storedResponse) fresh(now int) bool {
	return r.maxAge >= 0 && now-r.storedAt < r.maxAge
}

func (s *Server) demoHTTPCache() *demo {
	return &demo{
		ID: "http-cache", Title: "Load a flight twice", Lesson: "http-caching",
		Description: fmt.Sprintf("A browser loads flight %d from this server's API, keeps the answer in its cache, and comes back later.", httpCacheFlight),
		Button:      "Visit twice",
		Wide:        true,
		Params: []param{
			{Name: "max_age", Label: "Server's max-age (seconds)", Kind: "number", Default: "60", Min: 0, Max: 3600,
				Hint: "Sent as Cache-Control: max-age. 0 to 3600."},
			{Name: "later", Label: "Second visit after (seconds)", Kind: "number", Default: "120", Min: 0, Max: 3600,
				Hint: "The demo's browser moves its clock forward; nobody waits."},
			{Name: "changed", Label: "The price changes in between", Kind: "checkbox", Default: "off",
				Hint: fmt.Sprintf("The airline adds %d miles to the price before the second visit.", httpCachePriceStep)},
		},
		Run: s.runHTTPCache,
	}
}

func (s *Server) runHTTPCache(ctx context.Context, in demoInput) (demoOutput, error) {
	c := in.Request
	run := httpCacheRun{
		FlightID: httpCacheFlight, MaxAgeS: in.Int("max_age"), LaterS: in.Int("later"), Changed: in.Params["changed"] == "on",
	}
	run.URL = fmt.Sprintf("/api/v1/flights/%d?max_age=%d", httpCacheFlight, run.MaxAgeS)
	if isNewVisitor(c) {
		// A new visitor's database is made here, under the limits for new
		// visitors; the requests below carry the cookie of an existing one.
		if err := s.sql.With(s.sqlContext(ctx, c), in.Visitor, func(context.Context, *sandbox.DB) error { return nil }); err != nil {
			return demoOutput{}, err
		}
	}
	accept := http.Header{"Accept": {echo.MIMEApplicationJSON}}

	path := fmt.Sprintf("/api/v1/flights/%d", httpCacheFlight)
	x, err := s.sendSelf(ctx, c, "visit 1: GET "+path, selfRequest{Target: run.URL, Header: accept})
	if err != nil {
		return demoOutput{}, err
	}
	if x.Status != http.StatusOK {
		return demoOutput{}, selfError(x)
	}
	first := visitOf(0, &x, fromServer)
	cache := storedResponse{etag: first.ETag, maxAge: maxAgeOf(first.CacheControl), body: x.Body}
	first.PriceShown = priceIn(cache.body)
	run.Visits = append(run.Visits, first)

	if run.Changed {
		if err := s.raisePrice(ctx, c, in.Visitor); err != nil {
			return demoOutput{}, err
		}
	}

	now := run.LaterS
	if cache.fresh(now) {
		_, span := s.tracer.Start(ctx, fmt.Sprintf("visit 2: fresh in the browser cache (age %d s < max-age %d s), no request", now, cache.maxAge))
		span.SetAttributes(attribute.Int("engineroom.cache.age_s", now), attribute.Int("engineroom.cache.max_age_s", cache.maxAge))
		span.End()
		run.Visits = append(run.Visits, cacheVisit{AtS: now, ServedFrom: fromFresh, PriceShown: priceIn(cache.body)})
	} else {
		h := accept.Clone()
		h.Set("If-None-Match", cache.etag)
		x2, err := s.sendSelf(ctx, c, "visit 2: GET "+path+" (If-None-Match)", selfRequest{Target: run.URL, Header: h})
		if err != nil {
			return demoOutput{}, err
		}
		var second cacheVisit
		switch x2.Status {
		case http.StatusNotModified:
			second = visitOf(now, &x2, fromRevalidated)
			second.PriceShown = priceIn(cache.body)
		case http.StatusOK:
			second = visitOf(now, &x2, fromServer)
			second.PriceShown = priceIn(x2.Body)
		default:
			return demoOutput{}, selfError(x2)
		}
		second.IfNoneMatch = cache.etag
		run.Visits = append(run.Visits, second)
	}
	return demoOutput{Data: run, View: view.HTTPCache(httpCacheView(run))}, nil
}

// raisePrice is the airline changing the flight between the two visits,
// in the visitor's own database.
func (s *Server) raisePrice(ctx context.Context, c echo.Context, visitor string) error {
	ctx, span := s.tracer.Start(ctx, fmt.Sprintf("the airline raises the price by %d miles", httpCachePriceStep))
	defer span.End()
	return s.sql.With(s.sqlContext(ctx, c), visitor, func(ctx context.Context, db *sandbox.DB) error {
		n, err := db.Exec(ctx, "UPDATE flights SET miles_price = miles_price + ? WHERE id = ?", httpCachePriceStep, httpCacheFlight)
		if err == nil && n == 0 {
			err = flightMissing()
		}
		return err
	})
}

// flightMissing is the demo's flight gone from the visitor's database.
func flightMissing() error {
	return echo.NewHTTPError(http.StatusConflict,
		fmt.Sprintf("Flight %d is not in your database. If you changed the demo data, press Reset my database in the SQL console.", httpCacheFlight))
}

// selfError turns a failed request the demo sent into the demo's error:
// a missing flight is the visitor's own data (409), anything else keeps
// the status and message the server answered with.
func selfError(x selfExchange) error {
	if x.Status == http.StatusNotFound {
		return flightMissing()
	}
	var e struct {
		Detail string `json:"detail"` // of the problem details every API error is
	}
	if json.Unmarshal(x.Body, &e) != nil || e.Detail == "" {
		e.Detail = fmt.Sprintf("GET %s answered %d %s.", x.Target, x.Status, http.StatusText(x.Status))
	}
	return echo.NewHTTPError(x.Status, e.Detail)
}

// visitOf describes a visit that sent a request.
func visitOf(at int, x *selfExchange, from string) cacheVisit {
	return cacheVisit{
		AtS: at, Sent: true, Status: x.Status, ETag: x.Header.Get("ETag"), CacheControl: x.Header.Get("Cache-Control"),
		BodyBytes: len(x.Body), ServedFrom: from, x: x,
	}
}

// maxAgeOf reads the max-age directive of a Cache-Control value, or -1.
func maxAgeOf(cacheControl string) int {
	for d := range strings.SplitSeq(cacheControl, ",") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), "=")
		if strings.EqualFold(name, "max-age") {
			if n, err := strconv.Atoi(strings.Trim(value, `"`)); err == nil && n >= 0 {
				return n
			}
		}
	}
	return -1
}

// priceIn reads the price from a flight's JSON body.
func priceIn(body []byte) int64 {
	var f airline.Flight
	_ = json.Unmarshal(body, &f)
	return f.MilesPrice
}

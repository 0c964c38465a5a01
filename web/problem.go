package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/trace"
)

// problemJSON is the media type of an error answer under /api/ (RFC 9457).
const problemJSON = "application/problem+json"

// problem is an API error as RFC 9457 problem details: what kind of
// problem (Type, a URI reference, with its Title), the HTTP status, a
// sentence about this occurrence (Detail), the trace of the request
// (Instance) and, for bad input, every field at fault.
type problem struct {
	Type     string       `json:"type"`
	Title    string       `json:"title"`
	Status   int          `json:"status"`
	Detail   string       `json:"detail,omitempty"`
	Instance string       `json:"instance,omitempty"`
	Errors   []fieldError `json:"errors,omitempty"`
	// replay marks an answer the operation itself decided (a refusal by
	// the business rules), which an Idempotency-Key replays.
	replay bool
	// retryAfter, when set, goes out as the Retry-After header.
	retryAfter time.Duration
}

// fieldError names one input at fault: a body field such as
// items[0].quantity, a query or path parameter such as cursor or id, or a
// header such as Idempotency-Key; "" is the body as a whole.
type fieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (p *problem) Error() string {
	msg := fmt.Sprintf("%d %s: %s", p.Status, p.Title, p.Detail)
	for _, f := range p.Errors {
		msg += fmt.Sprintf("; %s: %s", f.Field, f.Message)
	}
	return msg
}

// The problem types of the API besides about:blank (a plain HTTP status).
// Each is a section of the API reference page; the OpenAPI document lists
// them under x-problem-types.
const (
	problemMalformedJSON   = "/api#problem-malformed-json"
	problemInvalidParams   = "/api#problem-invalid-parameters"
	problemInvalidBody     = "/api#problem-invalid-body"
	problemNotEnoughMiles  = "/api#problem-not-enough-miles"
	problemNoSeats         = "/api#problem-no-seats-left"
	problemFlown           = "/api#problem-booking-flown"
	problemOutOfStock      = "/api#problem-out-of-stock"
	problemDatabaseChanged = "/api#problem-database-changed"
	problemKeyReused       = "/api#problem-idempotency-key-reused"
	problemKeyInUse        = "/api#problem-idempotency-key-in-use"
	problemUsernameTaken   = "/api#problem-username-taken"
	problemBadCredentials  = "/api#problem-bad-credentials"
	problemTooManyLogins   = "/api#problem-too-many-logins"
	problemNotLoggedIn     = "/api#problem-not-logged-in"
	problemAboutBlank      = "about:blank"
)

// problemTitles are the fixed titles of the problem types.
var problemTitles = map[string]string{
	problemMalformedJSON:   "Malformed JSON",
	problemInvalidParams:   "Invalid parameters",
	problemInvalidBody:     "Invalid body",
	problemNotEnoughMiles:  "Not enough miles",
	problemNoSeats:         "No seats left",
	problemFlown:           "Booking already flown",
	problemOutOfStock:      "Out of stock",
	problemDatabaseChanged: "Your database has changed",
	problemKeyReused:       "Idempotency-Key reused",
	problemKeyInUse:        "Idempotency-Key in use",
	problemUsernameTaken:   "Username taken",
	problemBadCredentials:  "Wrong username or password",
	problemTooManyLogins:   "Too many logins",
	problemNotLoggedIn:     "Not logged in",
}

// newProblem is a problem of a type with its title.
func newProblem(typ string, status int, detail string, errs ...fieldError) *problem {
	return &problem{Type: typ, Title: problemTitles[typ], Status: status, Detail: detail, Errors: errs}
}

// statusProblem is a plain HTTP error: about:blank, titled by its status.
func statusProblem(status int, detail string) *problem {
	return &problem{Type: problemAboutBlank, Title: http.StatusText(status), Status: status, Detail: detail}
}

// writeProblem sends p as application/problem+json. Its instance is the
// trace of this request, which GET /api/v1/traces/{id} shows, when the
// request is recorded.
func writeProblem(c echo.Context, p *problem) error {
	out := *p
	if sc := trace.SpanContextFromContext(c.Request().Context()); sc.IsSampled() {
		out.Instance = "/api/v1/traces/" + sc.TraceID().String()
	}
	body, err := json.Marshal(&out)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentLength, strconv.Itoa(len(body)))
	return c.Blob(out.Status, problemJSON, body)
}

// clipLiteral shortens a value a client sent for quoting in a message.
func clipLiteral(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

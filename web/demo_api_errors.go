package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"github.com/engineroom/engineroom/web/view"
)

// apiMistake is a prepared bad request: what it sends, and why the API
// answers it with the status it does.
type apiMistake struct {
	Name  string
	Story string
	Why   string
	// DB says whether the requests reach the visitor's database.
	DB    bool
	Steps []mistakeStep
}

// mistakeStep is one request of a mistake.
type mistakeStep struct {
	Title  string
	Method string
	Target string
	Body   string
	// NoJSON leaves out Content-Type: application/json.
	NoJSON bool
	// Key sends the run's Idempotency-Key.
	Key bool
}

// apiMistakes are the API errors demo's prepared requests, in the order
// the panel lists them; the first is its default.
var apiMistakes = []apiMistake{
	{Name: "malformed JSON", Story: "An order whose JSON lost its closing brace.",
		Why:   "400: the bytes are not JSON at all, so the server cannot tell what was meant. Sent again unchanged, it fails again: the client must fix it.",
		Steps: []mistakeStep{{Method: "POST", Target: "/api/v1/orders", Body: `{"customer_id": 1, "items": [{"product_id": 5, "quantity": 2}]`}}},
	{Name: "unknown field", Story: "A booking that also asks for seat 12A, which the API does not take.",
		Why:   "422: the JSON is fine, but it is not what this endpoint takes. Refusing a field it does not know catches a typo such as fligt_id instead of ignoring it.",
		Steps: []mistakeStep{{Method: "POST", Target: "/api/v1/bookings", Body: `{"member_id": 1, "flight_id": 42, "seat": "12A"}`}}},
	{Name: "wrong type", Story: `A booking whose member_id is the string "1", not the number 1.`,
		Why:   `422: member_id must be a whole number. The server does not guess that "1" meant 1: a client that sends strings has a bug worth finding.`,
		Steps: []mistakeStep{{Method: "POST", Target: "/api/v1/bookings", Body: `{"member_id": "1", "flight_id": 42}`}}},
	{Name: "negative quantity", Story: "An order for -2 water bottles.",
		Why:   "422: every field has the right type, but -2 is outside what a quantity may be (1 to 100). errors names the field by its path: items[0].quantity.",
		Steps: []mistakeStep{{Method: "POST", Target: "/api/v1/orders", Body: `{"customer_id": 1, "items": [{"product_id": 5, "quantity": -2}]}`}}},
	{Name: "huge number", Story: "An order for 99999999999999999999 water bottles.",
		Why:   "422: a valid JSON number that no quantity can be. The server names it instead of rounding it to some other number, as a float64 would.",
		Steps: []mistakeStep{{Method: "POST", Target: "/api/v1/orders", Body: `{"customer_id": 1, "items": [{"product_id": 5, "quantity": 99999999999999999999}]}`}}},
	{Name: "not enough stock", Story: "An order for 3 tents when the shop has 1.", DB: true,
		Why:   "409: the request is valid, but it conflicts with the current state of the data. Nothing was ordered; the same request can succeed once stock arrives.",
		Steps: []mistakeStep{{Method: "POST", Target: "/api/v1/orders", Body: `{"customer_id": 1, "items": [{"product_id": 8, "quantity": 3}]}`}}},
	{Name: "bad cursor", Story: "The next page of flights, with a cursor made up by the client.",
		Why:   "400: a cursor is opaque. Pass next_cursor back exactly as the last page gave it; this one was never handed out, so the server cannot tell where the page starts.",
		Steps: []mistakeStep{{Method: "GET", Target: "/api/v1/flights?origin=LHR&cursor=cGFnZS0y"}}},
	{Name: "unknown query parameter", Story: "Flights from Heathrow, with origin misspelt as orign.",
		Why:   "400: orign is not a parameter of this endpoint. Ignoring it would answer every flight instead of those from LHR, and nobody would notice.",
		Steps: []mistakeStep{{Method: "GET", Target: "/api/v1/flights?orign=LHR"}}},
	{Name: "unknown id", Story: "Flight 999999, which does not exist.", DB: true,
		Why:   "404: the address is well formed, but there is nothing at it. The handler looked in your database and found no such flight.",
		Steps: []mistakeStep{{Method: "GET", Target: "/api/v1/flights/999999"}}},
	{Name: "wrong method", Story: "Changing flight 42's price with PUT.",
		Why:   "405: /api/v1/flights/42 exists, but it cannot be changed. The router answered before any handler ran, and the Allow header lists the methods it takes.",
		Steps: []mistakeStep{{Method: "PUT", Target: "/api/v1/flights/42", Body: `{"miles_price": 1000}`}}},
	{Name: "missing Content-Type", Story: "A booking sent without saying its body is JSON.",
		Why:   "415: the body is JSON, but the request did not say so. The API reads only Content-Type: application/json, which a form on another site cannot send.",
		Steps: []mistakeStep{{Method: "POST", Target: "/api/v1/bookings", Body: `{"member_id": 1, "flight_id": 42}`, NoJSON: true}}},
	{Name: "Idempotency-Key reused", Story: "An order sent with an Idempotency-Key, retried, then the same key sent with another body.", DB: true,
		Why: "422: the key belongs to another request. A retry sends the same body and is a replay (201 again, Idempotent-Replayed: true, no second order); a new order needs a new key.",
		Steps: []mistakeStep{
			{Title: "1 · the order, with a new key", Method: "POST", Target: "/api/v1/orders", Body: `{"customer_id": 1, "items": [{"product_id": 1, "quantity": 1}]}`, Key: true},
			{Title: "2 · a retry: same key, same body", Method: "POST", Target: "/api/v1/orders", Body: `{"customer_id": 1, "items": [{"product_id": 1, "quantity": 1}]}`, Key: true},
			{Title: "3 · same key, another body", Method: "POST", Target: "/api/v1/orders", Body: `{"customer_id": 1, "items": [{"product_id": 1, "quantity": 2}]}`, Key: true},
		}},
}

func (s *Server) demoAPIErrors() *demo {
	names := make([]string, len(apiMistakes))
	for i, m := range apiMistakes {
		names[i] = m.Name
	}
	return &demo{
		ID: "api-errors", Title: "Send a bad request", Lesson: "status-codes-and-errors",
		Description: "Pick a mistake a client makes and send it to this server's API. Each answer is a status and a problem document that says what went wrong.",
		Button:      "Send the mistake",
		Wide:        true,
		Params: []param{
			{Name: "mistake", Label: "Mistake", Kind: "select", Default: names[0], Options: names},
		},
		Run: s.runAPIErrors,
	}
}

func (s *Server) runAPIErrors(ctx context.Context, in demoInput) (demoOutput, error) {
	i := slices.IndexFunc(apiMistakes, func(m apiMistake) bool { return m.Name == in.Params["mistake"] })
	m := apiMistakes[i] // the parameter is one of the names
	if m.DB {
		if err := s.sandboxForNewVisitor(ctx, in); err != nil {
			return demoOutput{}, err
		}
	}
	key := newIdempotencyKey()
	var xs []*selfExchange
	titles := make([]string, len(m.Steps))
	for j, st := range m.Steps {
		req := selfRequest{Method: st.Method, Target: st.Target, Header: http.Header{"Accept": {echo.MIMEApplicationJSON}}, Body: []byte(st.Body)}
		if st.Body != "" && !st.NoJSON {
			req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
		}
		if st.Key {
			req.Header.Set(idempotencyHeader, key)
		}
		titles[j] = st.Title
		if titles[j] == "" {
			titles[j] = "The request"
		}
		x, err := s.sendSelf(ctx, in.Request, st.Method+" "+pathOf(st.Target), req)
		if err != nil {
			return demoOutput{}, err
		}
		xs = append(xs, &x)
	}
	run := apiCallsRun{Mistake: m.Name, Why: m.Why, Calls: callsJSON(xs), Curl: curlCalls(s.baseURL(in.Request), xs)}
	o := s.apiCallsView(xs, titles, run.Curl, "demo-api-errors-request-curl")
	o.Lead, o.Why = m.Story, m.Why
	// The problem's title, when it says more than the status does.
	if p, last := o.Problem, xs[len(xs)-1]; p != nil && len(p.Members) > 1 && p.Members[1].Value != http.StatusText(last.Status) {
		o.HeadlineNote = http.StatusText(last.Status) + " · " + p.Members[1].Value + " · " + sizeAndTime(last)
	}
	return demoOutput{Data: run, View: view.APICalls(o)}, nil
}

// newIdempotencyKey is a fresh key, as a client makes one per new
// request.
func newIdempotencyKey() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return "demo-" + hex.EncodeToString(b)
}

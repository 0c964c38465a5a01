package web_test

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/engineroom/engineroom/web"
)

// Problem types the cases expect.
const (
	malformedJSON   = "/api#problem-malformed-json"
	invalidParams   = "/api#problem-invalid-parameters"
	invalidBody     = "/api#problem-invalid-body"
	notEnoughMiles  = "/api#problem-not-enough-miles"
	noSeats         = "/api#problem-no-seats-left"
	bookingFlown    = "/api#problem-booking-flown"
	outOfStock      = "/api#problem-out-of-stock"
	databaseChanged = "/api#problem-database-changed"
	keyReused       = "/api#problem-idempotency-key-reused"
	usernameTaken   = "/api#problem-username-taken"
	badCredentials  = "/api#problem-bad-credentials"
	tooManyLogins   = "/api#problem-too-many-logins"
	notLoggedIn     = "/api#problem-not-logged-in"
)

// TestAPIContract sends real requests through the real router and checks
// each request and answer against the OpenAPI document: a success and
// the errors of every endpoint.
func TestAPIContract(t *testing.T) {
	srv := newServer(t, web.Config{})
	sqlReady(t, srv)
	crossSite := hdr("Sec-Fetch-Site", "cross-site")
	big := `{"customer_id": 1, "items": [{"product_id": 5, "quantity": 1}], "note": "` + strings.Repeat("a", 1<<20) + `"}`
	k := checkContract(t, srv, []contractGroup{
		{name: "reference", cases: []exchange{
			{name: "document", method: "GET", target: "/api/v1/openapi.json", status: 200, docValid: true},
			{name: "not modified", method: "GET", target: "/api/v1/openapi.json", before: withETagOf("/api/v1/openapi.json"), status: 304, docValid: true},
			{name: "a query", method: "GET", target: "/api/v1/openapi.json?format=yaml", status: 400, docValid: true, problem: invalidParams, fields: []string{"format"}},
			{name: "wrong method", method: "POST", target: "/api/v1/openapi.json", header: jsonHeader(), body: "{}", status: 405},
		}},
		{name: "flights", cases: []exchange{
			{name: "list", method: "GET", target: "/api/v1/flights?origin=LHR&limit=5", status: 200, docValid: true},
			{name: "every filter", method: "GET", target: "/api/v1/flights?origin=lhr&destination=ORD&date=2026-04-20&max_miles=50000&limit=100", status: 200, docValid: true},
			{name: "next page", method: "GET", target: "/api/v1/flights?origin=LHR&limit=5&", before: withNextCursor("/api/v1/flights?origin=LHR&limit=5"), status: 200, docValid: true},
			{name: "not modified", method: "GET", target: "/api/v1/flights?origin=LHR", before: withETagOf("/api/v1/flights?origin=LHR"), status: 304, docValid: true},
			{name: "bad cursor", method: "GET", target: "/api/v1/flights?cursor=bm90LWEtY3Vyc29y", status: 400, docValid: true, problem: invalidParams, fields: []string{"cursor"}},
			{name: "cursor of another list", method: "GET", target: "/api/v1/flights?cursor=cHJvZHVjdHN8NQ", status: 400, docValid: true, problem: invalidParams, fields: []string{"cursor"}},
			{name: "cursor too long", method: "GET", target: "/api/v1/flights?cursor=" + strings.Repeat("a", 201), status: 400, problem: invalidParams, fields: []string{"cursor"}},
			{name: "limit 0", method: "GET", target: "/api/v1/flights?limit=0", status: 400, problem: invalidParams, fields: []string{"limit"}},
			{name: "limit too large", method: "GET", target: "/api/v1/flights?limit=101", status: 400, problem: invalidParams, fields: []string{"limit"}},
			{name: "huge limit", method: "GET", target: "/api/v1/flights?limit=99999999999999999999999", status: 400, problem: invalidParams, fields: []string{"limit"}},
			{name: "limit not a number", method: "GET", target: "/api/v1/flights?limit=ten", status: 400, problem: invalidParams, fields: []string{"limit"}},
			{name: "negative max miles", method: "GET", target: "/api/v1/flights?max_miles=-5", status: 400, problem: invalidParams, fields: []string{"max_miles"}},
			{name: "bad airport", method: "GET", target: "/api/v1/flights?origin=LHR1", status: 400, problem: invalidParams, fields: []string{"origin"}},
			{name: "bad date", method: "GET", target: "/api/v1/flights?date=2026-02-30", status: 400, problem: invalidParams, fields: []string{"date"}},
			{name: "several at once", method: "GET", target: "/api/v1/flights?origin=1&destination=2&limit=0", status: 400,
				problem: invalidParams, fields: []string{"origin", "destination", "limit"}},
			{name: "unknown parameter", method: "GET", target: "/api/v1/flights?orign=LHR", status: 400, docValid: true, problem: invalidParams, fields: []string{"orign"}},
			{name: "parameter twice", method: "GET", target: "/api/v1/flights?limit=1&limit=2", status: 400, docValid: true, problem: invalidParams, fields: []string{"limit"}},
			{name: "cross-site", method: "GET", target: "/api/v1/flights", header: crossSite, status: 403, docValid: true},
			{name: "show", method: "GET", target: "/api/v1/flights/42", status: 200, docValid: true},
			{name: "show not modified", method: "GET", target: "/api/v1/flights/42", before: withETagOf("/api/v1/flights/42"), status: 304, docValid: true},
			{name: "show max age", method: "GET", target: "/api/v1/flights/42?max_age=0", status: 200, docValid: true},
			{name: "show bad max age", method: "GET", target: "/api/v1/flights/42?max_age=86401", status: 400},
			{name: "show bad id", method: "GET", target: "/api/v1/flights/abc", status: 400},
			{name: "show no such flight", method: "GET", target: "/api/v1/flights/999999", status: 404, docValid: true},
			{name: "database changed", method: "GET", target: "/api/v1/flights", before: withSQL("DROP TABLE bookings; DROP TABLE flights"),
				status: 409, docValid: true, problem: databaseChanged},
		}},
		{name: "members", cases: []exchange{
			{name: "show", method: "GET", target: "/api/v1/members/1", status: 200, docValid: true},
			{name: "not modified", method: "GET", target: "/api/v1/members/1", before: withETagOf("/api/v1/members/1"), status: 304, docValid: true},
			{name: "no such member", method: "GET", target: "/api/v1/members/999999", status: 404, docValid: true},
			{name: "id 0", method: "GET", target: "/api/v1/members/0", status: 400, problem: invalidParams, fields: []string{"id"}},
			{name: "id not a number", method: "GET", target: "/api/v1/members/one", status: 400, problem: invalidParams, fields: []string{"id"}},
			{name: "huge id", method: "GET", target: "/api/v1/members/9007199254740992", status: 400, problem: invalidParams, fields: []string{"id"}},
			{name: "a query", method: "GET", target: "/api/v1/members/1?full=1", status: 400, docValid: true, problem: invalidParams, fields: []string{"full"}},
			{name: "bookings", method: "GET", target: "/api/v1/members/7/bookings?limit=3", status: 200, docValid: true},
			{name: "bookings next page", method: "GET", target: "/api/v1/members/7/bookings?limit=3&", before: withNextCursor("/api/v1/members/7/bookings?limit=3"), status: 200, docValid: true},
			{name: "bookings not modified", method: "GET", target: "/api/v1/members/7/bookings", before: withETagOf("/api/v1/members/7/bookings"), status: 304, docValid: true},
			{name: "bookings of no member", method: "GET", target: "/api/v1/members/999999/bookings", status: 404, docValid: true},
			{name: "bookings with a flight cursor", method: "GET", target: "/api/v1/members/7/bookings?cursor=ZmxpZ2h0c3wyMDI2LTAzLTAxIDE4OjI1fDExMzI", status: 400,
				docValid: true, problem: invalidParams, fields: []string{"cursor"}},
			{name: "bookings limit", method: "GET", target: "/api/v1/members/7/bookings?limit=-1", status: 400, problem: invalidParams, fields: []string{"limit"}},
		}},
		{name: "bookings", cases: []exchange{
			{name: "book", method: "POST", target: "/api/v1/bookings", header: jsonHeader(), body: `{"member_id": 1, "flight_id": 42}`, status: 201, docValid: true},
			{name: "book with a key", method: "POST", target: "/api/v1/bookings", header: jsonHeader("Idempotency-Key", "contract-1"),
				body: `{"member_id": 1, "flight_id": 44}`, status: 201, docValid: true,
				before: withSQL("UPDATE members SET miles = miles + 100000 WHERE id = 1; INSERT INTO miles_transactions (member_id, delta, reason, at) VALUES (1, 100000, 'bonus', '2026-04-15')")},
			{name: "book again with the key", method: "POST", target: "/api/v1/bookings", header: jsonHeader("Idempotency-Key", "contract-1"),
				body: `{"member_id": 1, "flight_id": 44}`, status: 201, docValid: true},
			{name: "the key with another body", method: "POST", target: "/api/v1/bookings", header: jsonHeader("Idempotency-Key", "contract-1"),
				body: `{"member_id": 1, "flight_id": 45}`, status: 422, docValid: true, problem: keyReused, fields: []string{"Idempotency-Key"}},
			{name: "key too long", method: "POST", target: "/api/v1/bookings", header: jsonHeader("Idempotency-Key", strings.Repeat("k", 256)),
				body: `{"member_id": 1, "flight_id": 42}`, status: 400, problem: invalidParams, fields: []string{"Idempotency-Key"}},
			{name: "key with a space", method: "POST", target: "/api/v1/bookings", header: jsonHeader("Idempotency-Key", "a b"),
				body: `{"member_id": 1, "flight_id": 42}`, status: 400, problem: invalidParams, fields: []string{"Idempotency-Key"}},
			{name: "not enough miles", method: "POST", target: "/api/v1/bookings", header: jsonHeader(), body: `{"member_id": 2, "flight_id": 42}`,
				before: withSQL("UPDATE members SET miles = 100 WHERE id = 2"), status: 409, docValid: true, problem: notEnoughMiles},
			{name: "no seats", method: "POST", target: "/api/v1/bookings", header: jsonHeader(), body: `{"member_id": 1, "flight_id": 43}`,
				before: withSQL("UPDATE flights SET seats = 0 WHERE id = 43"), status: 409, docValid: true, problem: noSeats},
			{name: "no such member", method: "POST", target: "/api/v1/bookings", header: jsonHeader(), body: `{"member_id": 999999, "flight_id": 42}`,
				status: 422, docValid: true, problem: invalidBody, fields: []string{"member_id"}},
			{name: "no such flight", method: "POST", target: "/api/v1/bookings", header: jsonHeader(), body: `{"member_id": 1, "flight_id": 999999}`,
				status: 422, docValid: true, problem: invalidBody, fields: []string{"flight_id"}},
			{name: "missing fields", method: "POST", target: "/api/v1/bookings", header: jsonHeader(), body: `{}`,
				status: 422, problem: invalidBody, fields: []string{"member_id", "flight_id"}},
			{name: "wrong types", method: "POST", target: "/api/v1/bookings", header: jsonHeader(), body: `{"member_id": "1", "flight_id": true}`,
				status: 422, problem: invalidBody, fields: []string{"member_id", "flight_id"}},
			{name: "null", method: "POST", target: "/api/v1/bookings", header: jsonHeader(), body: `{"member_id": null, "flight_id": 42}`,
				status: 422, problem: invalidBody, fields: []string{"member_id"}},
			{name: "unknown field", method: "POST", target: "/api/v1/bookings", header: jsonHeader(), body: `{"member_id": 1, "flight_id": 42, "seat": "1A"}`,
				status: 422, problem: invalidBody, fields: []string{"seat"}},
			{name: "huge number", method: "POST", target: "/api/v1/bookings", header: jsonHeader(), body: `{"member_id": 1e400, "flight_id": 123456789012345678901234567890}`,
				status: 422, problem: invalidBody, fields: []string{"member_id", "flight_id"}},
			{name: "negative and fraction", method: "POST", target: "/api/v1/bookings", header: jsonHeader(), body: `{"member_id": -1, "flight_id": 4.5}`,
				status: 422, problem: invalidBody, fields: []string{"member_id", "flight_id"}},
			{name: "not an object", method: "POST", target: "/api/v1/bookings", header: jsonHeader(), body: `[1, 42]`,
				status: 422, problem: invalidBody, fields: []string{""}},
			{name: "malformed JSON", method: "POST", target: "/api/v1/bookings", header: jsonHeader(), body: `{"member_id": 1,`,
				status: 400, problem: malformedJSON, fields: []string{""}},
			{name: "empty body", method: "POST", target: "/api/v1/bookings", header: jsonHeader(),
				status: 400, problem: malformedJSON, fields: []string{""}},
			{name: "not UTF-8", method: "POST", target: "/api/v1/bookings", header: jsonHeader(), body: "{\"member_id\": 1, \"x\": \"\xff\"}",
				status: 400, problem: malformedJSON, fields: []string{""}},
			// kin-openapi reads the first JSON value of a body and ignores
			// the rest; the server refuses what follows it.
			{name: "trailing data", method: "POST", target: "/api/v1/bookings", header: jsonHeader(), body: `{"member_id": 1, "flight_id": 42} {}`,
				status: 400, docValid: true, problem: malformedJSON, fields: []string{""}},
			{name: "a name twice", method: "POST", target: "/api/v1/bookings", header: jsonHeader(), body: `{"member_id": 1, "flight_id": 42, "member_id": 2}`,
				status: 400, docValid: true, problem: malformedJSON, fields: []string{""}},
			{name: "a query", method: "POST", target: "/api/v1/bookings?dry_run=1", header: jsonHeader(), body: `{"member_id": 1, "flight_id": 42}`,
				status: 400, docValid: true, problem: invalidParams, fields: []string{"dry_run"}},
			{name: "form encoded", method: "POST", target: "/api/v1/bookings", header: hdr("Content-Type", "application/x-www-form-urlencoded"), body: "member_id=1&flight_id=42",
				status: 415},
			{name: "cross-site", method: "POST", target: "/api/v1/bookings", header: jsonHeader("Sec-Fetch-Site", "cross-site"), body: `{"member_id": 1, "flight_id": 42}`,
				status: 403, docValid: true},
			{name: "show", method: "GET", target: "/api/v1/bookings/20001", status: 200, docValid: true},
			{name: "show not modified", method: "GET", target: "/api/v1/bookings/20001", before: withETagOf("/api/v1/bookings/20001"), status: 304, docValid: true},
			{name: "show no such booking", method: "GET", target: "/api/v1/bookings/999999", status: 404, docValid: true},
			{name: "show bad id", method: "GET", target: "/api/v1/bookings/1.5", status: 400, problem: invalidParams, fields: []string{"id"}},
			{name: "cancel", method: "DELETE", target: "/api/v1/bookings/20001", status: 200, docValid: true},
			{name: "cancel again", method: "DELETE", target: "/api/v1/bookings/20001", status: 200, docValid: true},
			{name: "cancel a flown booking", method: "DELETE", target: "/api/v1/bookings/1", status: 409, docValid: true, problem: bookingFlown},
			{name: "cancel no such booking", method: "DELETE", target: "/api/v1/bookings/999999", status: 404, docValid: true},
			{name: "cancel bad id", method: "DELETE", target: "/api/v1/bookings/x", status: 400, problem: invalidParams, fields: []string{"id"}},
			{name: "cancel cross-site", method: "DELETE", target: "/api/v1/bookings/20001", header: crossSite, status: 403, docValid: true},
			{name: "wrong method", method: "PUT", target: "/api/v1/bookings/20001", header: jsonHeader(), body: `{}`, status: 405},
		}},
		{name: "products", cases: []exchange{
			{name: "list", method: "GET", target: "/api/v1/products?limit=5", status: 200, docValid: true},
			{name: "category", method: "GET", target: "/api/v1/products?category=kitchen&limit=3", status: 200, docValid: true},
			{name: "next page", method: "GET", target: "/api/v1/products?category=kitchen&limit=3&", before: withNextCursor("/api/v1/products?category=kitchen&limit=3"), status: 200, docValid: true},
			{name: "not modified", method: "GET", target: "/api/v1/products", before: withETagOf("/api/v1/products"), status: 304, docValid: true},
			{name: "bad cursor", method: "GET", target: "/api/v1/products?cursor=abc", status: 400, docValid: true, problem: invalidParams, fields: []string{"cursor"}},
			// url.Values drops a pair it cannot decode, and so does
			// kin-openapi; the server names it.
			{name: "bad encoding", method: "GET", target: "/api/v1/products?cursor=%%%", status: 400, docValid: true, problem: invalidParams, fields: []string{"cursor"}},
			{name: "cursor of another list", method: "GET", target: "/api/v1/products?cursor=Ym9va2luZ3N8NQ", status: 400, docValid: true, problem: invalidParams, fields: []string{"cursor"}},
			{name: "category too long", method: "GET", target: "/api/v1/products?category=" + strings.Repeat("c", 51), status: 400, problem: invalidParams, fields: []string{"category"}},
			{name: "limit", method: "GET", target: "/api/v1/products?limit=1000", status: 400, problem: invalidParams, fields: []string{"limit"}},
			{name: "show", method: "GET", target: "/api/v1/products/5", status: 200, docValid: true},
			{name: "show not modified", method: "GET", target: "/api/v1/products/5", before: withETagOf("/api/v1/products/5"), status: 304, docValid: true},
			{name: "show no such product", method: "GET", target: "/api/v1/products/999999", status: 404, docValid: true},
			{name: "show bad id", method: "GET", target: "/api/v1/products/-5", status: 400, problem: invalidParams, fields: []string{"id"}},
			{name: "database changed", method: "GET", target: "/api/v1/products/5", before: withSQL("DROP TABLE order_items; DROP TABLE products"),
				status: 409, docValid: true, problem: databaseChanged},
		}},
		{name: "orders", cases: []exchange{
			{name: "order", method: "POST", target: "/api/v1/orders", header: jsonHeader(), body: `{"customer_id": 1, "items": [{"product_id": 5, "quantity": 2}, {"product_id": 7, "quantity": 1}]}`,
				status: 201, docValid: true},
			{name: "order with a key", method: "POST", target: "/api/v1/orders", header: jsonHeader("Idempotency-Key", "contract-2"),
				body: `{"customer_id": 1, "items": [{"product_id": 5, "quantity": 1}]}`, status: 201, docValid: true},
			{name: "the key again, other spacing", method: "POST", target: "/api/v1/orders", header: jsonHeader("Idempotency-Key", "contract-2"),
				body: `{ "customer_id":1, "items":[ {"product_id":5, "quantity":1} ] }`, status: 201, docValid: true},
			{name: "out of stock", method: "POST", target: "/api/v1/orders", header: jsonHeader(),
				body:   `{"customer_id": 1, "items": [{"product_id": 5, "quantity": 1}, {"product_id": 6, "quantity": 3}, {"product_id": 8, "quantity": 2}]}`,
				status: 409, docValid: true, problem: outOfStock, fields: []string{"items[1].quantity"},
				before: withSQL("UPDATE products SET stock = 2 WHERE id IN (6, 8)")},
			{name: "no such product", method: "POST", target: "/api/v1/orders", header: jsonHeader(),
				body:   `{"customer_id": 1, "items": [{"product_id": 5, "quantity": 1}, {"product_id": 999999, "quantity": 1}]}`,
				status: 422, docValid: true, problem: invalidBody, fields: []string{"items[1].product_id"}},
			{name: "no such customer", method: "POST", target: "/api/v1/orders", header: jsonHeader(),
				body:   `{"customer_id": 999999, "items": [{"product_id": 5, "quantity": 1}]}`,
				status: 422, docValid: true, problem: invalidBody, fields: []string{"customer_id"}},
			{name: "negative quantity", method: "POST", target: "/api/v1/orders", header: jsonHeader(),
				body: `{"customer_id": 1, "items": [{"product_id": 5, "quantity": -2}]}`, status: 422, problem: invalidBody, fields: []string{"items[0].quantity"}},
			{name: "zero quantity", method: "POST", target: "/api/v1/orders", header: jsonHeader(),
				body: `{"customer_id": 1, "items": [{"product_id": 5, "quantity": 0}]}`, status: 422, problem: invalidBody, fields: []string{"items[0].quantity"}},
			{name: "huge quantity", method: "POST", target: "/api/v1/orders", header: jsonHeader(),
				body: `{"customer_id": 1, "items": [{"product_id": 5, "quantity": 18446744073709551617}]}`, status: 422, problem: invalidBody, fields: []string{"items[0].quantity"}},
			{name: "quantity as text", method: "POST", target: "/api/v1/orders", header: jsonHeader(),
				body: `{"customer_id": 1, "items": [{"product_id": 5, "quantity": "2"}]}`, status: 422, problem: invalidBody, fields: []string{"items[0].quantity"}},
			{name: "no items", method: "POST", target: "/api/v1/orders", header: jsonHeader(),
				body: `{"customer_id": 1, "items": []}`, status: 422, problem: invalidBody, fields: []string{"items"}},
			{name: "too many items", method: "POST", target: "/api/v1/orders", header: jsonHeader(),
				body:   `{"customer_id": 1, "items": [` + strings.TrimSuffix(strings.Repeat(`{"product_id": 5, "quantity": 1},`, 21), ",") + `]}`,
				status: 422, problem: invalidBody, fields: []string{"items"}},
			{name: "items not an array", method: "POST", target: "/api/v1/orders", header: jsonHeader(),
				body: `{"customer_id": 1, "items": {"product_id": 5}}`, status: 422, problem: invalidBody, fields: []string{"items"}},
			{name: "a line not an object", method: "POST", target: "/api/v1/orders", header: jsonHeader(),
				body: `{"customer_id": 1, "items": [{"product_id": 5, "quantity": 1}, 7]}`, status: 422, problem: invalidBody, fields: []string{"items[1]"}},
			{name: "a product twice", method: "POST", target: "/api/v1/orders", header: jsonHeader(),
				body:   `{"customer_id": 1, "items": [{"product_id": 5, "quantity": 1}, {"product_id": 5, "quantity": 2}]}`,
				status: 422, docValid: true, problem: invalidBody, fields: []string{"items[1].product_id"}},
			{name: "every field wrong", method: "POST", target: "/api/v1/orders", header: jsonHeader(),
				body: `{"customer": 1, "items": [{"product_id": 0, "qty": 1}]}`, status: 422, problem: invalidBody,
				fields: []string{"customer", "customer_id", "items[0].qty", "items[0].product_id", "items[0].quantity"}},
			{name: "body over 1 MB", method: "POST", target: "/api/v1/orders", header: jsonHeader(), body: big, status: 413},
			{name: "body over 1 MB with a key", method: "POST", target: "/api/v1/orders", header: jsonHeader("Idempotency-Key", "contract-3"), body: big, status: 413},
			{name: "no content type", method: "POST", target: "/api/v1/orders", body: `{"customer_id": 1, "items": [{"product_id": 5, "quantity": 1}]}`, status: 415},
			{name: "show", method: "GET", target: "/api/v1/orders/1", status: 200, docValid: true},
			{name: "show the new one", method: "GET", target: "/api/v1/orders/5001", status: 200, docValid: true},
			{name: "show not modified", method: "GET", target: "/api/v1/orders/1", before: withETagOf("/api/v1/orders/1"), status: 304, docValid: true},
			{name: "show no such order", method: "GET", target: "/api/v1/orders/999999", status: 404, docValid: true},
			{name: "show bad id", method: "GET", target: "/api/v1/orders/1e3", status: 400, problem: invalidParams, fields: []string{"id"}},
		}},
		{name: "demos and traces", cases: []exchange{
			{name: "list", method: "GET", target: "/api/v1/demos", status: 200, docValid: true},
			{name: "list cross-site", method: "GET", target: "/api/v1/demos", header: crossSite, status: 403, docValid: true},
			{name: "run", method: "POST", target: "/api/v1/demos/request-echo", header: jsonHeader(), body: `{"message": "hi"}`, status: 200, docValid: true},
			{name: "run with the defaults", method: "POST", target: "/api/v1/demos/request-echo", header: jsonHeader(), status: 200, docValid: true},
			{name: "run a SQL demo", method: "POST", target: "/api/v1/demos/sql-select", header: jsonHeader(), body: `{"sql": "SELECT 1", "plan": true}`, status: 200, docValid: true},
			{name: "no such demo", method: "POST", target: "/api/v1/demos/nope", header: jsonHeader(), body: `{}`, status: 404, docValid: true},
			{name: "bad parameter", method: "POST", target: "/api/v1/demos/slow-step", header: jsonHeader(), body: `{"delay_ms": 5000}`, status: 400, docValid: true},
			{name: "object parameter", method: "POST", target: "/api/v1/demos/request-echo", header: jsonHeader(), body: `{"message": {}}`, status: 400},
			{name: "malformed", method: "POST", target: "/api/v1/demos/request-echo", header: jsonHeader(), body: `{"message"`, status: 400},
			{name: "text/plain", method: "POST", target: "/api/v1/demos/request-echo", header: hdr("Content-Type", "text/plain"), body: `{}`, status: 415},
			{name: "trace", method: "GET", target: "/api/v1/traces/", before: withTraceOf("/api/v1/demos"), status: 200, docValid: true},
			{name: "no such trace", method: "GET", target: "/api/v1/traces/0123456789abcdef0123456789abcdef", status: 404, docValid: true},
		}},
		{name: "sql", cases: []exchange{
			{name: "run", method: "POST", target: "/api/v1/sql", header: jsonHeader(), body: `{"sql": "SELECT id, name FROM members LIMIT 2; SELECT nope", "plan": true}`, status: 200, docValid: true},
			{name: "missing sql", method: "POST", target: "/api/v1/sql", header: jsonHeader(), body: `{"plan": true}`, status: 400},
			{name: "unknown field", method: "POST", target: "/api/v1/sql", header: jsonHeader(), body: `{"sql": "SELECT 1", "explain": true}`, status: 400},
			{name: "wrong type", method: "POST", target: "/api/v1/sql", header: jsonHeader(), body: `{"sql": 1}`, status: 400},
			{name: "schema", method: "GET", target: "/api/v1/sql/schema", status: 200, docValid: true},
			{name: "schema cross-site", method: "GET", target: "/api/v1/sql/schema", header: crossSite, status: 403, docValid: true},
			{name: "reset", method: "POST", target: "/api/v1/sql/reset", header: jsonHeader(), body: `{}`, status: 200, docValid: true},
			{name: "reset without a content type", method: "POST", target: "/api/v1/sql/reset", status: 415, docValid: true},
		}},
		{name: "accounts", cases: []exchange{
			{name: "sign up", method: "POST", target: "/api/v1/accounts", header: jsonHeader(), body: `{"username": "grace", "password": "correct horse battery staple"}`, status: 201, docValid: true},
			{name: "taken", method: "POST", target: "/api/v1/accounts", header: jsonHeader(), body: `{"username": "grace", "password": "another good passphrase"}`, status: 409, docValid: true, problem: usernameTaken, fields: []string{"username"}},
			{name: "taken in capitals", method: "POST", target: "/api/v1/accounts", header: jsonHeader(), body: `{"username": "GRACE", "password": "another good passphrase"}`, status: 409, docValid: true, problem: usernameTaken, fields: []string{"username"}},
			{name: "taken in fullwidth letters", method: "POST", target: "/api/v1/accounts", header: jsonHeader(), body: `{"username": "ｇｒａｃｅ", "password": "another good passphrase"}`, status: 409, docValid: true, problem: usernameTaken, fields: []string{"username"}},
			{name: "seeded name taken", method: "POST", target: "/api/v1/accounts", header: jsonHeader(), body: `{"username": "Alice", "password": "another good passphrase"}`, status: 409, docValid: true, problem: usernameTaken, fields: []string{"username"}},
			{name: "empty username", method: "POST", target: "/api/v1/accounts", header: jsonHeader(), body: `{"username": "", "password": "correct horse battery staple"}`, status: 422, docValid: true, problem: invalidBody, fields: []string{"username"}},
			{name: "blank username", method: "POST", target: "/api/v1/accounts", header: jsonHeader(), body: `{"username": "   ", "password": "correct horse battery staple"}`, status: 422, docValid: true, problem: invalidBody, fields: []string{"username"}},
			{name: "username with a space", method: "POST", target: "/api/v1/accounts", header: jsonHeader(), body: `{"username": "grace hopper", "password": "correct horse battery staple"}`, status: 422, docValid: true, problem: invalidBody, fields: []string{"username"}},
			{name: "look-alike username", method: "POST", target: "/api/v1/accounts", header: jsonHeader(), body: `{"username": "gr\u0430ce", "password": "correct horse battery staple"}`, status: 422, docValid: true, problem: invalidBody, fields: []string{"username"}},
			{name: "right-to-left override", method: "POST", target: "/api/v1/accounts", header: jsonHeader(), body: `{"username": "\u202egrace", "password": "correct horse battery staple"}`, status: 422, docValid: true, problem: invalidBody, fields: []string{"username"}},
			{name: "zero-width joiner", method: "POST", target: "/api/v1/accounts", header: jsonHeader(), body: `{"username": "gra\u200dce", "password": "correct horse battery staple"}`, status: 422, docValid: true, problem: invalidBody, fields: []string{"username"}},
			{name: "username too long", method: "POST", target: "/api/v1/accounts", header: jsonHeader(), body: `{"username": "` + strings.Repeat("g", 33) + `", "password": "correct horse battery staple"}`, status: 422, docValid: true, problem: invalidBody, fields: []string{"username"}},
			{name: "short password", method: "POST", target: "/api/v1/accounts", header: jsonHeader(), body: `{"username": "hopper", "password": "short"}`, status: 422, docValid: true, problem: invalidBody, fields: []string{"password"}},
			{name: "common password", method: "POST", target: "/api/v1/accounts", header: jsonHeader(), body: `{"username": "hopper", "password": "Password123"}`, status: 422, docValid: true, problem: invalidBody, fields: []string{"password"}},
			{name: "password holds the username", method: "POST", target: "/api/v1/accounts", header: jsonHeader(), body: `{"username": "hopper", "password": "hopper-rules-2026"}`, status: 422, docValid: true, problem: invalidBody, fields: []string{"password"}},
			{name: "password too long", method: "POST", target: "/api/v1/accounts", header: jsonHeader(), body: `{"username": "hopper", "password": "` + strings.Repeat("p", 129) + `"}`, status: 422, docValid: true, problem: invalidBody, fields: []string{"password"}},
			{name: "password far too long", method: "POST", target: "/api/v1/accounts", header: jsonHeader(), body: `{"username": "hopper", "password": "` + strings.Repeat("p", 5000) + `"}`, status: 422, problem: invalidBody, fields: []string{"password"}},
			{name: "password with a NUL", method: "POST", target: "/api/v1/accounts", header: jsonHeader(), body: `{"username": "hopper", "password": "correct horse\u0000battery"}`, status: 422, docValid: true, problem: invalidBody, fields: []string{"password"}},
			{name: "both wrong", method: "POST", target: "/api/v1/accounts", header: jsonHeader(), body: `{"username": "a", "password": "b"}`, status: 422, docValid: true, problem: invalidBody, fields: []string{"username", "password"}},
			{name: "missing password", method: "POST", target: "/api/v1/accounts", header: jsonHeader(), body: `{"username": "hopper"}`, status: 422, problem: invalidBody, fields: []string{"password"}},
			{name: "username a number", method: "POST", target: "/api/v1/accounts", header: jsonHeader(), body: `{"username": 5, "password": "correct horse battery staple"}`, status: 422, problem: invalidBody, fields: []string{"username"}},
			{name: "unknown field", method: "POST", target: "/api/v1/accounts", header: jsonHeader(), body: `{"username": "hopper", "password": "correct horse battery staple", "role": "admin"}`, status: 422, problem: invalidBody, fields: []string{"role"}},
			{name: "malformed", method: "POST", target: "/api/v1/accounts", header: jsonHeader(), body: `{"username": "hopper"`, status: 400, problem: malformedJSON, fields: []string{""}},
			{name: "a form", method: "POST", target: "/api/v1/accounts", header: hdr("Content-Type", "application/x-www-form-urlencoded"), body: `username=hopper&password=x`, status: 415},
			{name: "log in", method: "POST", target: "/api/v1/sessions", header: jsonHeader(), body: `{"username": "alice", "password": "alice-demo"}`, status: 201, docValid: true},
			{name: "who am I", method: "GET", target: "/api/v1/sessions/current", status: 200, docValid: true},
			{name: "log in as the new account", method: "POST", target: "/api/v1/sessions", header: jsonHeader(), body: `{"username": "Grace", "password": "correct horse battery staple"}`, status: 201, docValid: true},
			{name: "wrong password", method: "POST", target: "/api/v1/sessions", header: jsonHeader(), body: `{"username": "alice", "password": "alice-dem0"}`, status: 401, docValid: true, problem: badCredentials},
			{name: "unknown username", method: "POST", target: "/api/v1/sessions", header: jsonHeader(), body: `{"username": "nobody", "password": "alice-demo"}`, status: 401, docValid: true, problem: badCredentials},
			{name: "invalid username", method: "POST", target: "/api/v1/sessions", header: jsonHeader(), body: `{"username": "' OR 1=1 --", "password": "x"}`, status: 401, docValid: true, problem: badCredentials},
			{name: "empty password", method: "POST", target: "/api/v1/sessions", header: jsonHeader(), body: `{"username": "alice", "password": ""}`, status: 422, docValid: true, problem: invalidBody, fields: []string{"password"}},
			{name: "huge password", method: "POST", target: "/api/v1/sessions", header: jsonHeader(), body: `{"username": "alice", "password": "` + strings.Repeat("p", 1025) + `"}`, status: 422, problem: invalidBody, fields: []string{"password"}},
			{name: "log in cross-site", method: "POST", target: "/api/v1/sessions", header: hdr("Content-Type", "application/json", "Sec-Fetch-Site", "cross-site"), body: `{"username": "alice", "password": "alice-demo"}`, status: 403, docValid: true},
			{name: "log out cross-site", method: "DELETE", target: "/api/v1/sessions/current", header: crossSite, status: 403, docValid: true},
			{name: "log out", method: "DELETE", target: "/api/v1/sessions/current", status: 204, docValid: true},
			{name: "logged out", method: "GET", target: "/api/v1/sessions/current", status: 401, docValid: true, problem: notLoggedIn},
			{name: "log out again", method: "DELETE", target: "/api/v1/sessions/current", status: 204, docValid: true},
		}},
		{name: "password guessing", cases: append(slices.Repeat([]exchange{
			{name: "wrong password", method: "POST", target: "/api/v1/sessions", header: jsonHeader(), body: `{"username": "bob", "password": "guess-guess"}`, status: 401, docValid: true, problem: badCredentials},
		}, 5),
			exchange{name: "locked", method: "POST", target: "/api/v1/sessions", header: jsonHeader(), body: `{"username": "bob", "password": "guess-guess"}`, status: 429, docValid: true, problem: tooManyLogins},
			exchange{name: "locked for the right password too", method: "POST", target: "/api/v1/sessions", header: jsonHeader(), body: `{"username": "bob", "password": "bob-demo"}`, status: 429, docValid: true, problem: tooManyLogins},
			exchange{name: "another account is open", method: "POST", target: "/api/v1/sessions", header: jsonHeader(), body: `{"username": "carol", "password": "carol-demo"}`, status: 201, docValid: true},
		)},
		{name: "no such endpoint", cases: []exchange{
			{name: "unknown path", method: "GET", target: "/api/v1/nope", status: 404},
			{name: "unknown version", method: "GET", target: "/api/v2/flights", status: 404},
		}},
	})
	k.checkCoverage(t)
}

// TestAPIRoutesDocumented: the route table and the document list the same
// /api/v1 operations, so no route goes undocumented and the document
// promises none the server lacks.
func TestAPIRoutesDocumented(t *testing.T) {
	srv := newServer(t, web.Config{})
	k := loadContract(t, srv)
	param := regexp.MustCompile(`:([a-z_]+)`)
	var routes []string
	for _, r := range web.RouteTable(srv) {
		method, path, _ := strings.Cut(r, " ")
		if strings.HasPrefix(path, "/api/") {
			routes = append(routes, method+" "+param.ReplaceAllString(path, "{$1}"))
		}
	}
	var documented []string
	for path, item := range k.doc.Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	slices.Sort(routes)
	slices.Sort(documented)
	for _, r := range routes {
		if !slices.Contains(documented, r) {
			t.Errorf("%s is a route the OpenAPI document does not describe", r)
		}
	}
	for _, d := range documented {
		if !slices.Contains(routes, d) {
			t.Errorf("%s is in the OpenAPI document but not in the route table", d)
		}
	}
	if len(routes) < 18 {
		t.Errorf("only %d API routes: %v", len(routes), routes)
	}
}

// TestAPIOpenAPIDocument: the document is OpenAPI 3.1, served with an
// entity tag, and every operation has an id, a tag the document lists, a
// summary and an error answer.
func TestAPIOpenAPIDocument(t *testing.T) {
	srv := newServer(t, web.Config{})
	k := loadContract(t, srv)
	if k.doc.OpenAPI != "3.1.0" || !k.doc.IsOpenAPI31OrLater() {
		t.Errorf("openapi = %q, want 3.1.0", k.doc.OpenAPI)
	}
	r := newClient(t, srv).get("/api/v1/openapi.json", nil)
	if mt, _ := mediaType(t, r); mt != "application/json" || !etagRE.MatchString(r.Header.Get("ETag")) || r.Header.Get("Cache-Control") == "" {
		t.Errorf("Content-Type %q, ETag %q, Cache-Control %q", r.Header.Get("Content-Type"), r.Header.Get("ETag"), r.Header.Get("Cache-Control"))
	}
	ids := map[string]bool{}
	for path, item := range k.doc.Paths.Map() {
		for method, op := range item.Operations() {
			name := method + " " + path
			if op.OperationID == "" || ids[op.OperationID] || op.Summary == "" || len(op.Tags) == 0 || k.doc.Tags.Get(op.Tags[0]) == nil {
				t.Errorf("%s: id %q (duplicate: %v), summary %q, tags %v", name, op.OperationID, ids[op.OperationID], op.Summary, op.Tags)
			}
			ids[op.OperationID] = true
			if op.Responses.Default() == nil {
				t.Errorf("%s has no default (error) answer", name)
			}
			for code, res := range op.Responses.Map() {
				if code >= "400" && code != "default" && res.Value.Content.Get("application/problem+json") == nil {
					t.Errorf("%s %s: not application/problem+json", name, code)
				}
			}
		}
	}
	if r := newClient(t, srv).get("/api/v1/openapi.json", hdr("If-None-Match", r.Header.Get("ETag"))); r.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match with the tag: status %d, want 304", r.StatusCode)
	}
}

package web_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// apiContract is the OpenAPI document the server serves, loaded and
// validated by kin-openapi, with a router over its operations.
type apiContract struct {
	doc    *openapi3.T
	router routers.Router
	// problemTypes are the document's x-problem-types: type -> title.
	problemTypes map[string]string
	// seen records the statuses each operation answered in the checks.
	seen map[string][]int
}

// loadContract fetches /api/v1/openapi.json from the server and loads it.
func loadContract(t *testing.T, srv http.Handler) *apiContract {
	t.Helper()
	r := newClient(t, srv).get("/api/v1/openapi.json", nil)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v1/openapi.json: status %d", r.StatusCode)
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData([]byte(r.text))
	if err != nil {
		t.Fatalf("loading the OpenAPI document: %v", err)
	}
	if err := doc.Validate(t.Context(), openapi3.EnableExamplesValidation()); err != nil {
		t.Fatalf("the OpenAPI document is not valid: %v", err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatalf("routing the OpenAPI document: %v", err)
	}
	var ext struct {
		Types []struct {
			Type  string `json:"type"`
			Title string `json:"title"`
		} `json:"x-problem-types"`
	}
	if err := json.Unmarshal([]byte(r.text), &ext); err != nil {
		t.Fatal(err)
	}
	k := &apiContract{doc: doc, router: router, problemTypes: map[string]string{}, seen: map[string][]int{}}
	for _, pt := range ext.Types {
		k.problemTypes[pt.Type] = pt.Title
	}
	return k
}

// exchange is one request of a contract table and what it must get.
type exchange struct {
	name   string
	method string
	target string
	body   string
	header http.Header
	// before runs first, with the group's visitor; it may set up data
	// and fill in the request from earlier answers.
	before func(t *testing.T, c *client, x *exchange)
	status int
	// docValid is whether the document accepts the request: the server
	// and the document must agree on what is bad input.
	docValid bool
	// problem is the problem type of an error answer.
	problem string
	// fields are the inputs an error answer names, in order.
	fields []string
}

// check sends x with c and checks the request and the answer against the
// document: the request is valid exactly when x says; the status is the
// one wanted and one the operation documents; headers and body match the
// response's schemas; an error is problem details with the type and the
// fields wanted.
func (k *apiContract) check(t *testing.T, c *client, x exchange) reply {
	t.Helper()
	if x.before != nil {
		x.before(t, c, &x)
	}
	req := httptest.NewRequest(x.method, x.target, strings.NewReader(x.body))
	for name, vs := range x.header {
		for _, v := range vs {
			req.Header.Add(name, v)
		}
	}
	route, pathParams, routeErr := k.router.FindRoute(req)
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: pathParams, Route: route,
		Options: &openapi3filter.Options{MultiError: true}}
	switch {
	case routeErr != nil:
		if x.docValid {
			t.Errorf("%s %s: not an operation of the document (%v), yet the case says the document accepts it", x.method, x.target, routeErr)
		}
	default:
		reqErr := openapi3filter.ValidateRequest(t.Context(), in)
		switch {
		case x.docValid && reqErr != nil:
			t.Errorf("the document refuses the request: %v", reqErr)
		case !x.docValid && reqErr == nil:
			t.Errorf("the document accepts the request, yet the case says it is bad input")
		}
	}

	r := c.send(x.method, x.target, x.body, x.header)
	if r.StatusCode != x.status {
		t.Fatalf("%s %s: status = %d, want %d; body:\n%.1500s", x.method, x.target, r.StatusCode, x.status, r.text)
	}
	if route != nil {
		op := x.method + " " + route.Path
		k.seen[op] = append(k.seen[op], r.StatusCode)
		if route.Operation.Responses.Status(r.StatusCode) == nil {
			t.Errorf("%s answered %d, which the document does not list for it", op, r.StatusCode)
		}
		res := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: r.StatusCode, Header: r.Header,
			Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}}
		res.SetBodyBytes([]byte(r.text))
		if err := openapi3filter.ValidateResponse(t.Context(), res); err != nil {
			t.Errorf("the answer does not match the document: %v\nbody:\n%.1500s", err, r.text)
		}
	}
	switch {
	case r.StatusCode == http.StatusNotModified:
		if r.text != "" || !etagRE.MatchString(r.Header.Get("ETag")) {
			t.Errorf("304 with body %q and ETag %q: want no body and the tag", r.text, r.Header.Get("ETag"))
		}
	case r.StatusCode >= 400:
		k.checkProblem(t, r, x)
	}
	return r
}

// checkProblem checks an error answer against the Problem schema and the
// case: its type (with the title the document gives it) and its fields.
func (k *apiContract) checkProblem(t *testing.T, r reply, x exchange) {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(r.text), &v); err != nil {
		t.Fatalf("decoding the problem: %v", err)
	}
	if err := k.doc.Components.Schemas["Problem"].Value.VisitJSON(v, openapi3.EnableJSONSchema2020()); err != nil {
		t.Errorf("the problem does not match the Problem schema: %v", err)
	}
	p := decodeProblem(t, r)
	want := x.problem
	if want == "" {
		want = "about:blank"
	}
	if p.Type != want {
		t.Errorf("problem type = %q, want %q (%s)", p.Type, want, p.Detail)
	}
	switch title, listed := k.problemTypes[p.Type]; {
	case p.Type == "about:blank" && p.Title != http.StatusText(r.StatusCode):
		t.Errorf("about:blank titled %q, want %q", p.Title, http.StatusText(r.StatusCode))
	case p.Type != "about:blank" && (!listed || title != p.Title):
		t.Errorf("problem type %q titled %q: the document's x-problem-types has %q (listed: %v)", p.Type, p.Title, title, listed)
	}
	if !slices.Equal(p.fields(), x.fields) {
		t.Errorf("fields named = %q, want %q; errors: %+v", p.fields(), x.fields, p.Errors)
	}
	if r.Header.Get("ETag") != "" {
		t.Errorf("an error carries ETag %q", r.Header.Get("ETag"))
	}
}

// jsonHeader is a header with Content-Type: application/json and the
// given name/value pairs.
func jsonHeader(kv ...string) http.Header {
	h := hdr(kv...)
	h.Set("Content-Type", "application/json")
	return h
}

// withETagOf fills If-None-Match with the ETag a GET of target answers.
func withETagOf(target string) func(t *testing.T, c *client, x *exchange) {
	return func(t *testing.T, c *client, x *exchange) {
		t.Helper()
		r := c.get(target, nil)
		if !etagRE.MatchString(r.Header.Get("ETag")) {
			t.Fatalf("GET %s: status %d, ETag %q", target, r.StatusCode, r.Header.Get("ETag"))
		}
		x.header = hdr("If-None-Match", r.Header.Get("ETag"))
	}
}

// withNextCursor continues x.target with the next_cursor of a GET of
// first.
func withNextCursor(first string) func(t *testing.T, c *client, x *exchange) {
	return func(t *testing.T, c *client, x *exchange) {
		t.Helper()
		var page struct {
			Next *string `json:"next_cursor"`
		}
		r := c.get(first, nil)
		if err := json.Unmarshal([]byte(r.text), &page); err != nil || page.Next == nil {
			t.Fatalf("GET %s: no next_cursor in %.300s", first, r.text)
		}
		x.target += "cursor=" + *page.Next
	}
}

// withSQL runs statements on the visitor's database first.
func withSQL(src string) func(t *testing.T, c *client, x *exchange) {
	return func(t *testing.T, c *client, x *exchange) {
		t.Helper()
		for _, st := range sqlPost(t, c, src, false).Statements {
			if st.Error != nil {
				t.Fatalf("%s: %+v", src, *st.Error)
			}
		}
	}
}

// withTraceOf points x.target at the trace of a GET of target.
func withTraceOf(target string) func(t *testing.T, c *client, x *exchange) {
	return func(t *testing.T, c *client, x *exchange) {
		t.Helper()
		x.target += traceIDOf(t, c.get(target, nil))
	}
}

// checkContract runs the groups of a contract table, each with a visitor
// of its own, and returns the contract with what every operation answered.
func checkContract(t *testing.T, srv http.Handler, groups []contractGroup) *apiContract {
	t.Helper()
	k := loadContract(t, srv)
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			c := newClient(t, srv)
			for _, x := range g.cases {
				t.Run(x.name, func(t *testing.T) {
					k.check(t, sqlClientFor(t, c), x)
				})
			}
		})
	}
	return k
}

// contractGroup is a run of exchanges one visitor makes in order.
type contractGroup struct {
	name  string
	cases []exchange
}

// checkCoverage fails unless every operation of the document answered
// at least one success and one error in the contract table.
func (k *apiContract) checkCoverage(t *testing.T) {
	t.Helper()
	for path, item := range k.doc.Paths.Map() {
		for method := range item.Operations() {
			op := method + " " + path
			statuses := k.seen[op]
			ok := slices.ContainsFunc(statuses, func(s int) bool { return s < 300 })
			bad := slices.ContainsFunc(statuses, func(s int) bool { return s >= 400 })
			if !ok || !bad {
				t.Errorf("%s: the contract table has statuses %v; want a success and an error", op, statuses)
			}
		}
	}
}

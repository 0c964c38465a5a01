package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode"

	"github.com/labstack/echo/v4"

	"github.com/engineroom/engineroom/playground/sandbox"
	"github.com/engineroom/engineroom/web/view"
)

// apiEndpoint is one operation of the OpenAPI document, as the explorer
// offers it.
type apiEndpoint struct {
	Method string
	Path   string // the template, /api/v1/flights/{id}
	// Example is a target filled in from the document's examples; Body
	// is the example request body, indented, for a POST.
	Example string
	Body    string
}

// key names the endpoint in the explorer's list: "GET /api/v1/flights".
func (e apiEndpoint) key() string { return e.Method + " " + e.Path }

// fits reports whether a path fits the endpoint's template: the same
// segments, with a non-empty value in place of each {name}.
func (e apiEndpoint) fits(path string) bool {
	want, got := strings.Split(e.Path, "/"), strings.Split(path, "/")
	if len(want) != len(got) {
		return false
	}
	for i, w := range want {
		if strings.HasPrefix(w, "{") && strings.HasSuffix(w, "}") {
			if got[i] == "" {
				return false
			}
		} else if got[i] != w {
			return false
		}
	}
	return true
}

// explorerSkipped are the operations the explorer does not offer: a demo
// run from the explorer could be the explorer itself.
var explorerSkipped = []string{"POST /api/v1/demos/{id}"}

// apiEndpoints lists the document's operations in the order of the
// reference page: by tag, then path, then method.
func apiEndpoints(d *apiDoc) []apiEndpoint {
	paths := make([]string, 0, len(d.Paths))
	for p := range d.Paths {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	var out []apiEndpoint
	for _, t := range d.Tags {
		for _, path := range paths {
			for _, m := range apiMethods {
				op := d.Paths[path][m]
				if op == nil || len(op.Tags) == 0 || op.Tags[0] != t.Name {
					continue
				}
				e := apiEndpoint{Method: strings.ToUpper(m), Path: path}
				if slices.Contains(explorerSkipped, e.key()) {
					continue
				}
				e.Example, e.Body = operationExample(d, path, op)
				out = append(out, e)
			}
		}
	}
	return out
}

// operationExample fills an operation's path and query with the
// document's examples, in the document's order, and indents its example
// body. static/app.js does the same when a visitor picks an endpoint.
func operationExample(d *apiDoc, path string, op *apiOperation) (target, body string) {
	var query []string
	for _, ref := range op.Parameters {
		p := d.param(ref)
		if len(p.Example) == 0 {
			continue
		}
		ex := exampleText(p.Example)
		switch p.In {
		case "path":
			path = strings.ReplaceAll(path, "{"+p.Name+"}", url.PathEscape(ex))
		case "query":
			query = append(query, url.QueryEscape(p.Name)+"="+url.QueryEscape(ex))
		}
	}
	target = path
	if len(query) > 0 {
		target += "?" + strings.Join(query, "&")
	}
	if rb := op.RequestBody; rb != nil {
		if mt := rb.Content["application/json"]; mt != nil && len(mt.Example) > 0 {
			var b bytes.Buffer
			if json.Indent(&b, mt.Example, "", "  ") == nil {
				body = b.String()
			}
		}
	}
	return target, body
}

// The explorer's limits and its default run.
const (
	maxExplorerBody   = 16 << 10
	maxExplorerTarget = 2000
	explorerEndpoint  = "GET /api/v1/flights"
	explorerTarget    = "/api/v1/flights?origin=LHR&limit=3"
)

func (s *Server) demoAPIExplorer() *demo {
	var endpoints []apiEndpoint
	if d, err := parsedAPIDoc(); err == nil {
		endpoints = apiEndpoints(d)
	}
	keys := make([]string, len(endpoints))
	for i, e := range endpoints {
		keys[i] = e.key()
	}
	return &demo{
		ID: "api-explorer", Title: "Call the API", Lesson: "rest-and-json",
		Description: "Pick an endpoint of this server's API, change the path or the body, and send it. It runs as you, on your own copy of the demo data.",
		Button:      "Send",
		Wide:        true,
		Params: []param{
			{Name: "endpoint", Label: "Endpoint", Kind: "select", Default: explorerEndpoint, Options: keys,
				Hint: "Every operation in /api/v1/openapi.json. Picking one fills in its example."},
			{Name: "path", Label: "Path and query", Kind: "text", Default: explorerTarget, MaxLen: maxExplorerTarget,
				Hint: "Starts with /api/v1/ and fits the endpoint: /api/v1/flights/42 for GET /api/v1/flights/{id}. Left empty: the endpoint's example."},
			{Name: "body", Label: "Body (JSON)", Kind: "textarea",
				Hint: "Sent with POST only, as typed, up to 16 KiB."},
			{Name: "idempotency_key", Label: "Idempotency-Key (optional)", Kind: "text", MaxLen: 300,
				Hint: "POST /api/v1/bookings and /api/v1/orders run once per key: send the same key and body again and you get a replay."},
		},
		Run: func(ctx context.Context, in demoInput) (demoOutput, error) {
			return s.runAPIExplorer(ctx, in, endpoints)
		},
	}
}

func (s *Server) runAPIExplorer(ctx context.Context, in demoInput, endpoints []apiEndpoint) (demoOutput, error) {
	i := slices.IndexFunc(endpoints, func(e apiEndpoint) bool { return e.key() == in.Params["endpoint"] })
	if i < 0 {
		return demoOutput{}, &paramError{"endpoint: not an operation of the API"}
	}
	ep := endpoints[i]
	target := strings.TrimSpace(in.Params["path"])
	if target == "" {
		target = ep.Example
	}
	if err := checkTarget(ep, target); err != nil {
		return demoOutput{}, err
	}
	body := in.Params["body"]
	if len(body) > maxExplorerBody {
		return demoOutput{}, &paramError{fmt.Sprintf("body: at most 16 KiB (%d bytes), not %d bytes", maxExplorerBody, len(body))}
	}
	key := strings.TrimSpace(in.Params["idempotency_key"])
	if strings.ContainsFunc(key, unicode.IsControl) {
		return demoOutput{}, &paramError{"idempotency_key: a header value cannot hold control characters such as a line break"}
	}

	req := selfRequest{Method: ep.Method, Target: target, Header: http.Header{"Accept": {echo.MIMEApplicationJSON}}}
	var notes []string
	switch {
	case ep.Method == http.MethodPost:
		req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
		req.Body = []byte(body)
	case strings.TrimSpace(body) != "":
		notes = append(notes, fmt.Sprintf("The body was not sent: a %s request carries none here.", ep.Method))
	}
	if key != "" {
		req.Header.Set(idempotencyHeader, key)
	}
	if err := s.sandboxForNewVisitor(ctx, in); err != nil {
		return demoOutput{}, err
	}
	x, err := s.sendSelf(ctx, in.Request, ep.Method+" "+pathOf(target), req)
	if err != nil {
		return demoOutput{}, err
	}
	if x.Header.Get(replayedHeader) == "true" {
		notes = append(notes, "A replay: this Idempotency-Key came with the same request before, so the server answered what it answered then, without running it again.")
	}
	xs := []*selfExchange{&x}
	run := apiCallsRun{Endpoint: ep.key(), Calls: callsJSON(xs), Curl: curlCalls(s.baseURL(in.Request), xs)}
	o := s.apiCallsView(xs, []string{"The request"}, run.Curl, "demo-api-explorer-request-curl")
	o.Lead = answerLine(&x)
	o.Notes = append(notes, o.Notes...)
	return demoOutput{Data: run, View: view.APICalls(o)}, nil
}

// checkTarget refuses a target the explorer does not send: outside the
// API, not one request target, or not a path of the chosen endpoint.
func checkTarget(ep apiEndpoint, target string) error {
	if !strings.HasPrefix(target, "/api/v1/") {
		return &paramError{fmt.Sprintf("path: must start with /api/v1/ (this panel calls the API), not %q", clipLiteral(target))}
	}
	if strings.ContainsFunc(target, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return &paramError{"path: no spaces or control characters; write a space in a query as %20"}
	}
	if strings.Contains(target, "#") {
		return &paramError{"path: a fragment (#…) never leaves the browser; leave it out"}
	}
	if _, err := url.ParseRequestURI(target); err != nil {
		return &paramError{"path: not a valid path and query: " + err.Error()}
	}
	if !ep.fits(pathOf(target)) {
		return &paramError{fmt.Sprintf("path: %s does not fit %s; it takes paths like %s", clipLiteral(pathOf(target)), ep.key(), ep.Example)}
	}
	return nil
}

// pathOf is the path of a target, without its query.
func pathOf(target string) string {
	path, _, _ := strings.Cut(target, "?")
	return path
}

// sandboxForNewVisitor makes a new visitor's database under the limits
// for new visitors. The requests a demo then sends to the server itself
// carry the cookie of an existing visitor.
func (s *Server) sandboxForNewVisitor(ctx context.Context, in demoInput) error {
	if !isNewVisitor(in.Request) {
		return nil
	}
	return s.sql.With(s.sqlContext(ctx, in.Request), in.Visitor, func(context.Context, *sandbox.DB) error { return nil })
}

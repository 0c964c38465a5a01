package web

import (
	"bytes"
	"encoding/json"
	"net/url"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/engineroom/engineroom/web/view"
)

// apiMethods are the operations of a Path Item, in the order the page
// lists them.
var apiMethods = []string{"get", "post", "put", "patch", "delete"}

// showAPIReference is GET /api: the API reference, rendered from the
// OpenAPI document by our own templates.
func (s *Server) showAPIReference(c echo.Context) error {
	d, err := parsedAPIDoc()
	if err != nil {
		return err
	}
	return s.page(c, view.APIReferencePage(s.apiReferenceView(csrfToken(c), d, s.baseURL(c))))
}

// apiReferenceView shapes the document for the page: every operation
// grouped by its first tag, in the order of the document's tags.
func (s *Server) apiReferenceView(csrf string, d *apiDoc, base string) view.APIReference {
	r := view.APIReference{
		Page: s.pageMeta(csrf, "API reference"), Title: d.Info.Title, Version: d.Info.Version, Summary: d.Info.Summary,
		Paragraphs: strings.Split(d.Info.Description, "\n\n"), DocumentURL: "/api/v1/openapi.json",
	}
	r.Description = d.Info.Summary
	paths := make([]string, 0, len(d.Paths))
	for p := range d.Paths {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, t := range d.Tags {
		g := view.APIGroup{ID: "tag-" + strings.ToLower(t.Name), Name: t.Name, Description: t.Description}
		for _, path := range paths {
			for _, m := range apiMethods {
				op := d.Paths[path][m]
				if op == nil || len(op.Tags) == 0 || op.Tags[0] != t.Name {
					continue
				}
				g.Operations = append(g.Operations, operationView(d, strings.ToUpper(m), path, op, base))
			}
		}
		r.Groups = append(r.Groups, g)
	}
	names := make([]string, 0, len(d.Components.Schemas))
	for name, sc := range d.Components.Schemas {
		if len(sc.Properties) > 0 {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		sc := d.Components.Schemas[name]
		r.Schemas = append(r.Schemas, view.APISchema{ID: "schema-" + name, Name: name, Description: sc.Description,
			Fields: fieldRows(d, sc, "", false)})
	}
	for _, p := range d.ProblemTypes {
		_, anchor, _ := strings.Cut(p.Type, "#")
		r.Problems = append(r.Problems, view.APIProblem{ID: anchor, Type: p.Type, Title: p.Title, Status: p.Status, Description: p.Description})
	}
	return r
}

// operationView is one operation as the page shows it.
func operationView(d *apiDoc, method, path string, op *apiOperation, base string) view.APIOperation {
	o := view.APIOperation{ID: "op-" + op.OperationID, Method: method, Path: path, Summary: op.Summary, Description: op.Description}
	examples := map[string]string{}
	query := url.Values{}
	for _, ref := range op.Parameters {
		p := d.param(ref)
		o.Params = append(o.Params, view.APIParam{Name: p.Name, In: p.In, Type: schemaSummary(d, p.Schema), Required: p.Required, Description: p.Description})
		if len(p.Example) == 0 {
			continue
		}
		ex := exampleText(p.Example)
		switch p.In {
		case "path":
			examples[p.Name] = ex
		case "query":
			query.Set(p.Name, ex)
		}
	}
	var body []byte
	if rb := op.RequestBody; rb != nil {
		if mt := rb.Content["application/json"]; mt != nil {
			o.BodyRequired = rb.Required
			schema, name := d.schema(mt.Schema)
			o.BodySchema = name
			o.Body = fieldRows(d, schema, "", true)
			body = mt.Example
		}
	}
	codes := make([]string, 0, len(op.Responses))
	for code := range op.Responses {
		codes = append(codes, code)
	}
	slices.Sort(codes) // "default" sorts after the numbers
	for _, code := range codes {
		res := d.response(op.Responses[code])
		rv := view.APIResponse{Status: code, Description: res.Description, StatusClass: "status-" + code[:1] + "xx"}
		if code == "default" {
			rv.StatusClass = "status-5xx"
		}
		for name, h := range res.Headers {
			rv.Headers = append(rv.Headers, view.APIHeader{Name: name, Description: d.header(h).Description})
		}
		slices.SortFunc(rv.Headers, func(a, b view.APIHeader) int { return strings.Compare(a.Name, b.Name) })
		for mediaType, mt := range res.Content {
			rv.MediaType = mediaType
			if sc, name := d.schema(mt.Schema); name != "" && len(sc.Properties) > 0 {
				rv.Schema, rv.SchemaID = name, "schema-"+name
			}
		}
		o.Responses = append(o.Responses, rv)
	}
	o.Curl = curlExample(method, path, examples, query, body, base)
	return o
}

// curlExample is the command that calls an operation with the
// document's examples, keeping the visitor cookie in a jar.
func curlExample(method, path string, pathExamples map[string]string, query url.Values, body []byte, base string) string {
	for name, v := range pathExamples {
		path = strings.ReplaceAll(path, "{"+name+"}", url.PathEscape(v))
	}
	target := base + path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	var b strings.Builder
	b.WriteString("curl -s -i -c jar.txt -b jar.txt")
	if method != "GET" {
		b.WriteString(" -X " + method)
	}
	if method == "POST" {
		if len(body) == 0 {
			body = []byte("{}")
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, body); err == nil {
			body = compact.Bytes()
		}
		b.WriteString(" \\\n  -H 'Content-Type: application/json'")
		b.WriteString(" \\\n  -d " + shellQuote(string(body)))
	}
	b.WriteString(" \\\n  " + shellQuote(target))
	return b.String()
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// exampleText is an example value as it goes in a URL.
func exampleText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

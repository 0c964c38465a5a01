package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/engineroom/engineroom/web/view"
)

// The contract demo's changes: what a code change could do to an answer
// the document describes. The first is its default.
const (
	changeNone    = "none: the server as it is"
	changeRenamed = "a field renamed"
	changeDropped = "a field dropped"
	changeString  = "a number sent as a string"
)

var contractChanges = []string{changeNone, changeRenamed, changeDropped, changeString}

// contractRun is what the contract demo did, for the JSON twin.
type contractRun struct {
	Endpoint string `json:"endpoint"`
	Change   string `json:"change"`
	// Changed says what the simulated change did to the answer; empty
	// when nothing was changed.
	Changed   string            `json:"changed,omitempty"`
	Status    int               `json:"status"`
	Schema    string            `json:"schema,omitempty"`
	Checked   int               `json:"checked"`
	Matches   bool              `json:"matches"`
	Findings  []contractFinding `json:"differences"`
	Truncated bool              `json:"truncated,omitempty"`
	Calls     []apiCallJSON     `json:"calls"`
	Curl      string            `json:"curl"`
}

func (s *Server) demoAPIContract() *demo {
	var (
		doc  *apiDoc
		gets []apiEndpoint
	)
	if d, err := parsedAPIDoc(); err == nil {
		doc = d
		for _, e := range apiEndpoints(d) {
			if e.Method == http.MethodGet {
				gets = append(gets, e)
			}
		}
	}
	keys := make([]string, len(gets))
	for i, e := range gets {
		keys[i] = e.key()
	}
	return &demo{
		ID: "api-contract", Title: "Hold the server to its document", Lesson: "api-documentation",
		Description: "Call one of the API's reads and check the answer against the schema /api/v1/openapi.json promises for it. Then pretend the code drifted, and see what a contract test catches.",
		Button:      "Call and check",
		Wide:        true,
		Params: []param{
			{Name: "endpoint", Label: "Endpoint", Kind: "select", Default: explorerEndpoint, Options: keys,
				Hint: "Every GET operation in the document, called with the document's own example."},
			{Name: "change", Label: "Change to the code", Kind: "select", Default: changeNone, Options: contractChanges,
				Hint: "Simulated: applied to the answer after it arrives, before it is checked. The server is not changed."},
		},
		Run: func(ctx context.Context, in demoInput) (demoOutput, error) {
			return s.runAPIContract(ctx, in, doc, gets)
		},
	}
}

func (s *Server) runAPIContract(ctx context.Context, in demoInput, d *apiDoc, gets []apiEndpoint) (demoOutput, error) {
	i := slices.IndexFunc(gets, func(e apiEndpoint) bool { return e.key() == in.Params["endpoint"] })
	if i < 0 || d == nil {
		return demoOutput{}, &paramError{"endpoint: not a GET operation of the API"}
	}
	ep, change := gets[i], in.Params["change"]
	if err := s.sandboxForNewVisitor(ctx, in); err != nil {
		return demoOutput{}, err
	}
	req := selfRequest{Method: ep.Method, Target: ep.Example, Header: http.Header{"Accept": {echo.MIMEApplicationJSON}}}
	x, err := s.sendSelf(ctx, in.Request, ep.Method+" "+pathOf(ep.Example), req)
	if err != nil {
		return demoOutput{}, err
	}

	run := contractRun{Endpoint: ep.key(), Change: change, Status: x.Status}
	c := &contractCheck{doc: d, findings: []contractFinding{}}
	schema, name, why := responseSchema(d, d.Paths[ep.Path]["get"], &x)
	run.Schema = name
	switch {
	case why != "":
		c.add("", why, describeBody(&x))
	case schema != nil:
		v, err := decodeOrdered(x.Body)
		if err != nil {
			c.add("", "JSON", "not JSON: "+err.Error())
			break
		}
		run.Changed = applyChange(v, change)
		c.value("", schema, v, 0)
	}
	run.Checked, run.Findings, run.Truncated = c.checked, c.findings, c.truncated
	run.Matches = len(c.findings) == 0
	xs := []*selfExchange{&x}
	run.Calls, run.Curl = callsJSON(xs), curlCalls(s.baseURL(in.Request), xs)

	o := view.ContractOutput{
		Endpoint: ep.key(), Status: fmt.Sprintf("%d %s", x.Status, http.StatusText(x.Status)),
		Schema: name, Checked: run.Checked, Change: change, Changed: run.Changed,
		Simulated: change != changeNone, Truncated: run.Truncated,
		Exchange: s.apiCallsView(xs, []string{"The request"}, run.Curl, "demo-api-contract-request-curl"),
	}
	o.Exchange.Lead = answerLine(&x)
	switch {
	case o.Simulated && run.Changed == "":
		o.Changed = "Nothing to change: this answer has no field that fits, so it was checked as it came."
	case o.Simulated && run.Matches:
		o.Changed += ". Not caught: the document does not describe that field, so no check can notice the change."
	case o.Simulated:
		o.Changed += "."
	}
	for _, f := range run.Findings {
		o.Findings = append(o.Findings, view.ContractFinding{Path: f.Path, Want: f.Want, Got: f.Got})
	}
	return demoOutput{Data: run, View: view.Contract(o)}, nil
}

// responseSchema is the schema the document gives an answer: the
// response for its status (or the default one), in its content type.
// why, when set, says why the answer cannot match.
func responseSchema(d *apiDoc, op *apiOperation, x *selfExchange) (schema *apiSchema, name, why string) {
	if op == nil {
		return nil, "", "an operation of the document"
	}
	r := op.Responses[strconv.Itoa(x.Status)]
	if r == nil {
		r = op.Responses["default"]
	}
	if r == nil {
		return nil, "", fmt.Sprintf("no %d answer is documented", x.Status)
	}
	r = d.response(r)
	if len(r.Content) == 0 {
		if len(bytes.TrimSpace(x.Body)) > 0 {
			return nil, "", fmt.Sprintf("no body for %d", x.Status)
		}
		return nil, "", ""
	}
	mt, _, _ := mime.ParseMediaType(x.Header.Get(echo.HeaderContentType))
	m := r.Content[mt]
	if m == nil {
		kinds := make([]string, 0, len(r.Content))
		for k := range r.Content {
			kinds = append(kinds, k)
		}
		slices.Sort(kinds)
		return nil, "", fmt.Sprintf("Content-Type %v", kinds)
	}
	schema, name = d.schema(m.Schema)
	return schema, name, ""
}

// describeBody is what came back, in a few words.
func describeBody(x *selfExchange) string {
	ct := x.Header.Get(echo.HeaderContentType)
	if len(x.Body) == 0 {
		return "no body"
	}
	if ct == "" {
		ct = "no Content-Type"
	}
	return fmt.Sprintf("%d bytes of %s", len(x.Body), ct)
}

// applyChange makes one drift the document does not know about: in the
// first object that holds a number, its last number is renamed, dropped,
// or sent as a string. Renaming and dropping fall back to the last
// member of the first non-empty object. It says what it did.
func applyChange(v any, change string) string {
	if change == changeNone {
		return ""
	}
	obj, path, k := findMember(v, "", true)
	if obj == nil && change != changeString {
		obj, path, k = findMember(v, "", false)
	}
	if obj == nil {
		return ""
	}
	m := &(*obj)[k]
	at := joinPath(path, m.Name)
	switch change {
	case changeRenamed:
		old := m.Name
		m.Name = camelCase(old)
		if m.Name == old {
			m.Name = old + "_v2"
		}
		return fmt.Sprintf("%s renamed to %s", at, m.Name)
	case changeDropped:
		*obj = slices.Delete(*obj, k, k+1)
		return at + " dropped"
	case changeString:
		n := m.Value.(json.Number)
		m.Value = n.String()
		return fmt.Sprintf("%s sent as the string %q", at, n.String())
	}
	return ""
}

// findMember walks v depth first for the first object with a number
// member (or, when numbers is false, any member) and names its last one.
func findMember(v any, path string, numbers bool) (*jsonObject, string, int) {
	switch v := v.(type) {
	case *jsonObject:
		for k := len(*v) - 1; k >= 0; k-- {
			if _, isNum := (*v)[k].Value.(json.Number); isNum || !numbers {
				return v, path, k
			}
		}
		for _, m := range *v {
			if o, p, k := findMember(m.Value, joinPath(path, m.Name), numbers); o != nil {
				return o, p, k
			}
		}
	case []any:
		for i, e := range v {
			if o, p, k := findMember(e, fmt.Sprintf("%s[%d]", path, i), numbers); o != nil {
				return o, p, k
			}
		}
	}
	return nil, "", 0
}

// camelCase is how a renamed field often comes back: miles_price as
// milesPrice.
func camelCase(s string) string {
	b := []byte(s)
	out := make([]byte, 0, len(b))
	up := false
	for _, c := range b {
		switch {
		case c == '_':
			up = true
		case up && 'a' <= c && c <= 'z':
			out, up = append(out, c-'a'+'A'), false
		default:
			out, up = append(out, c), false
		}
	}
	return string(out)
}

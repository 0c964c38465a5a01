package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/engineroom/engineroom/web/view"
)

// apiCallsRun is what the API panels did, for the JSON twin.
type apiCallsRun struct {
	Endpoint string        `json:"endpoint,omitempty"`
	Mistake  string        `json:"mistake,omitempty"`
	Why      string        `json:"why,omitempty"`
	Calls    []apiCallJSON `json:"calls"`
	Curl     string        `json:"curl"`
}

// apiCallJSON is one request a panel sent and the answer, as travelled;
// the visitor cookie is masked.
type apiCallJSON struct {
	Method          string      `json:"method"`
	Target          string      `json:"target"`
	RequestHeaders  http.Header `json:"request_headers"`
	RequestBody     string      `json:"request_body,omitempty"`
	Status          int         `json:"status"`
	ResponseHeaders http.Header `json:"response_headers"`
	// ResponseBody is the body as JSON when it is JSON, as a string
	// otherwise, null when there is none.
	ResponseBody any     `json:"response_body"`
	BodyBytes    int     `json:"body_bytes"`
	TookMS       float64 `json:"took_ms"`
}

// apiCallHeaders are the response headers an API client reads; the rest
// (security and tracing headers, the same on every answer) are counted,
// not listed.
var apiCallHeaders = [...]string{"Allow", "Cache-Control", "Content-Length", "Content-Type", "ETag", "Idempotent-Replayed", "Link", "Location", "Retry-After", "Set-Cookie"}

// How much of a response body the panel shows.
const (
	maxShownBody  = 8 << 10
	maxShownLines = 160
)

// callsJSON describes exchanges for the JSON twin.
func callsJSON(xs []*selfExchange) []apiCallJSON {
	out := make([]apiCallJSON, len(xs))
	for i, x := range xs {
		sent := x.Sent.Clone()
		if v := sent.Get("Cookie"); v != "" {
			sent.Set("Cookie", maskCookies(v))
		}
		c := apiCallJSON{
			Method: x.Method, Target: x.Target, RequestHeaders: sent, RequestBody: string(x.SentBody),
			Status: x.Status, ResponseHeaders: shownHeaders(x.Header), BodyBytes: len(x.Body),
			TookMS: float64(x.Took.Microseconds()) / 1000,
		}
		switch {
		case len(x.Body) == 0:
		case json.Valid(x.Body):
			c.ResponseBody = json.RawMessage(x.Body)
		default:
			c.ResponseBody = string(x.Body)
		}
		out[i] = c
	}
	return out
}

// shownHeaders picks the response headers an API client reads.
func shownHeaders(h http.Header) http.Header {
	shown := http.Header{}
	for _, name := range apiCallHeaders {
		if v := h.Values(name); len(v) > 0 {
			shown[http.CanonicalHeaderKey(name)] = v
		}
	}
	if v := shown.Get("Set-Cookie"); v != "" {
		shown.Set("Set-Cookie", maskSetCookie(v))
	}
	return shown
}

// apiCallsView shapes exchanges for the front end pane: the last one's
// status in the headline, each exchange as it travelled, and the last
// answer's problem document when it is one.
func (s *Server) apiCallsView(xs []*selfExchange, titles []string, curl, curlID string) view.APICallsOutput {
	last := xs[len(xs)-1]
	o := view.APICallsOutput{
		Headline:     strconv.Itoa(last.Status),
		HeadlineNote: http.StatusText(last.Status) + " · " + sizeAndTime(last),
		Curl:         curl, CurlID: curlID,
	}
	for i, x := range xs {
		call := view.APICall{
			Title: titles[i], Status: fmt.Sprintf("%d %s", x.Status, http.StatusText(x.Status)),
			StatusClass: fmt.Sprintf("status-%dxx", x.Status/100), Meta: sizeAndTime(x),
		}
		call.Request.StartLine = x.Method + " " + x.Target + " HTTP/1.1"
		call.Request.Headers = append([]view.Header{{Name: "Host", Value: x.Host}}, headerLines(x.Sent, true)...)
		if len(x.SentBody) > 0 {
			call.RequestBody = s.code.HTML("json", string(x.SentBody))
		}
		shown := shownHeaders(x.Header)
		call.Response.StartLine = fmt.Sprintf("HTTP/1.1 %d %s", x.Status, http.StatusText(x.Status))
		call.Response.Headers = headerLines(shown, false)
		if n := len(x.Header) - len(shown); n > 0 {
			call.More = fmt.Sprintf("+ %d more response headers (security, tracing), the same on every answer", n)
		}
		if len(x.Body) > 0 {
			text, note := bodyText(x.Body)
			call.ResponseBody, call.BodyNote = s.code.HTML("json", text), note
		}
		o.Calls = append(o.Calls, call)
	}
	o.Problem = problemDoc(last)
	return o
}

// sizeAndTime is an answer's body size and how long it took.
func sizeAndTime(x *selfExchange) string {
	took := formatDuration(x.Took)
	if len(x.Body) == 0 {
		return "no body · " + took
	}
	kind := ""
	if isJSONType(x.Header.Get(echo.HeaderContentType)) {
		kind = " of JSON"
	}
	return fmt.Sprintf("%s bytes%s · %s", miles(int64(len(x.Body))), kind, took)
}

// bodyText is a response body as the panel shows it: JSON indented, cut
// at a line once it is long, and a note on what was done to it.
func bodyText(body []byte) (text, note string) {
	var pretty bytes.Buffer
	indented := json.Indent(&pretty, body, "", "  ") == nil && !bytes.Equal(pretty.Bytes(), body)
	text = string(body)
	if indented {
		text = pretty.String()
		note = fmt.Sprintf("The body: %s bytes as sent, shown indented.", miles(int64(len(body))))
	}
	lines := strings.SplitAfter(text, "\n")
	if len(text) <= maxShownBody && len(lines) <= maxShownLines {
		return text, note
	}
	cut, n := 0, 0
	for n < len(lines) && n < maxShownLines && cut+len(lines[n]) <= maxShownBody {
		cut += len(lines[n])
		n++
	}
	if n == 0 {
		cut = maxShownBody
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
	}
	return text[:cut] + "…", fmt.Sprintf("The body is %s bytes as sent; the first %d of %d lines are shown. curl shows it all.",
		miles(int64(len(body))), max(n, 1), len(lines))
}

// isJSONType reports whether a Content-Type is JSON, problem details
// included.
func isJSONType(contentType string) bool {
	mt, _, _ := mime.ParseMediaType(contentType)
	return mt == echo.MIMEApplicationJSON || mt == problemJSON
}

// problemDoc reads an answer's problem document, member by member, or
// nil when the answer is not one.
func problemDoc(x *selfExchange) *view.ProblemDoc {
	if mt, _, _ := mime.ParseMediaType(x.Header.Get(echo.HeaderContentType)); mt != problemJSON {
		return nil
	}
	var p problem
	if json.Unmarshal(x.Body, &p) != nil {
		return nil
	}
	doc := &view.ProblemDoc{Members: []view.ProblemMember{
		{Name: "type", Value: p.Type, About: "A URI naming the kind of problem, for code to branch on. Ours open the API reference at the type; about:blank means the status says it all."},
		{Name: "title", Value: p.Title, About: "A short summary, the same for every problem of this type."},
		{Name: "status", Value: fmt.Sprint(p.Status), About: "The HTTP status again, for code that only keeps the body."},
		{Name: "detail", Value: p.Detail, About: "This occurrence, in a sentence for a person."},
	}}
	if strings.HasPrefix(p.Type, "/api#") {
		doc.Members[0].Href = p.Type
	}
	if p.Instance != "" {
		m := view.ProblemMember{Name: "instance", Value: p.Instance, About: "This occurrence: here, the trace of the request, which a GET shows."}
		if strings.HasPrefix(p.Instance, "/api/v1/traces/") {
			m.Href = p.Instance
		}
		doc.Members = append(doc.Members, m)
	}
	for _, e := range p.Errors {
		field := e.Field
		if field == "" {
			field = "(the body)"
		}
		doc.Errors = append(doc.Errors, view.ProblemError{Field: field, Message: e.Message})
	}
	return doc
}

// answerLine says in one line what an answer means.
func answerLine(x *selfExchange) string {
	mt, _, _ := mime.ParseMediaType(x.Header.Get(echo.HeaderContentType))
	switch {
	case mt == problemJSON:
		var p problem
		if json.Unmarshal(x.Body, &p) == nil {
			return p.Title + ": " + p.Detail
		}
	case x.Status == http.StatusCreated && x.Header.Get(echo.HeaderLocation) != "":
		return "Created. The new resource's address is in the Location header: " + x.Header.Get(echo.HeaderLocation) + "."
	case x.Status == http.StatusNotModified:
		return "Not Modified: no body, the client keeps using the copy it has."
	case mt == echo.MIMEApplicationJSON && x.Status < 300:
		return jsonSummary(x.Body, x.Header.Get("Link") != "")
	}
	return ""
}

// jsonSummary describes a JSON object by its members, in order: a page
// of a list by how many items it holds.
func jsonSummary(body []byte, linked bool) string {
	dec := json.NewDecoder(bytes.NewReader(body))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return ""
	}
	var names []string
	list, items := "", 0
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return ""
		}
		name, _ := t.(string)
		var v json.RawMessage
		if dec.Decode(&v) != nil {
			return ""
		}
		names = append(names, name)
		var arr []json.RawMessage
		if list == "" && json.Unmarshal(v, &arr) == nil {
			list, items = name, len(arr)
		}
	}
	switch {
	case list != "" && linked:
		return fmt.Sprintf("%d %s on this page. There are more: the Link header (and next_cursor) is the next page's address.", items, list)
	case list != "":
		return fmt.Sprintf("%d %s, the last page: no Link header, next_cursor is null.", items, list)
	}
	return fmt.Sprintf("One JSON object, %d members: %s.", len(names), strings.Join(names, ", "))
}

// curlCalls is the command line that sends the same requests from a
// terminal, keeping the visitor cookie in a jar.
func curlCalls(base string, xs []*selfExchange) string {
	cmds := make([]string, len(xs))
	for i, x := range xs {
		cmds[i] = curlCall(base, x)
	}
	return strings.Join(cmds, "\n\n")
}

// curlCall is one request as a curl command: valid JSON on one line,
// anything else exactly as it was sent.
func curlCall(base string, x *selfExchange) string {
	var b strings.Builder
	b.WriteString("curl -s -i -c jar.txt -b jar.txt")
	if x.Method != http.MethodGet {
		b.WriteString(" -X " + x.Method)
	}
	for _, name := range []string{echo.HeaderContentType, idempotencyHeader} {
		if v := x.Sent.Get(name); v != "" {
			b.WriteString(" \\\n  -H " + shellQuote(name+": "+v))
		}
	}
	if body := x.SentBody; len(body) > 0 {
		if x.Sent.Get(echo.HeaderContentType) == "" {
			// curl -d would otherwise say it is a form.
			b.WriteString(" \\\n  -H 'Content-Type:'")
		}
		var compact bytes.Buffer
		if json.Compact(&compact, body) == nil {
			body = compact.Bytes()
		}
		flag := "-d"
		if body[0] == '@' {
			flag = "--data-raw" // -d @name reads a file
		}
		b.WriteString(" \\\n  " + flag + " " + shellQuote(string(body)))
	}
	b.WriteString(" \\\n  " + shellQuote(base+x.Target))
	return b.String()
}

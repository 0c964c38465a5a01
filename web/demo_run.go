package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	ertrace "github.com/engineroom/engineroom/playground/trace"
	"github.com/engineroom/engineroom/web/view"
)

// demoRun is one finished run of a demo.
type demoRun struct {
	demo   *demo
	params map[string]string
	out    demoOutput
	err    error // a paramError, or what the demo returned
}

// status is the HTTP status the run answers with.
func (r *demoRun) status() int {
	var pe *paramError
	switch {
	case r.err == nil:
		return http.StatusOK
	case errors.As(r.err, &pe):
		return http.StatusBadRequest
	default:
		return statusOf(r.err)
	}
}

// execDemo validates raw parameters and runs the demo inside a handler span.
func (s *Server) execDemo(c echo.Context, d *demo, raw map[string]string) *demoRun {
	run := &demoRun{demo: d, params: raw}
	ctx, span := s.tracer.Start(c.Request().Context(), "handler "+d.ID, trace.WithAttributes(kindAttr(ertrace.KindHandler)))
	defer span.End()
	params, err := d.validate(raw)
	if err != nil {
		run.err = err
		span.SetStatus(codes.Error, err.Error())
		return run
	}
	run.params = params
	run.out, run.err = d.Run(ctx, demoInput{Params: params, Visitor: visitorID(c), Request: c})
	if run.err != nil {
		run.err = sandboxError(run.err)
		span.SetStatus(codes.Error, run.err.Error())
	}
	return run
}

// runDemoForm runs a demo from its panel's form: the result region for a
// partial update, or the whole lesson page with the result in place.
func (s *Server) runDemoForm(c echo.Context) error {
	d, ok := s.demos.get(c.Param("id"))
	if !ok {
		return echo.NewHTTPError(http.StatusNotFound, "There is no demo called "+strconv.Quote(c.Param("id"))+".")
	}
	form, err := readForm(c)
	if err != nil {
		return err
	}
	raw := make(map[string]string, len(form))
	for k, v := range form {
		if k != "_csrf" && len(v) > 0 {
			raw[k] = v[0]
		}
	}
	// A browser leaves an unticked checkbox out of the form: missing from
	// a form post, a checkbox is off, whatever its default (the JSON API
	// gives a missing one its default).
	for _, p := range d.Params {
		if _, ok := raw[p.Name]; !ok && p.Kind == "checkbox" {
			raw[p.Name] = "off"
		}
	}
	run := s.execDemo(c, d, raw)
	status := run.status()
	result := s.resultView(c, run, status)
	if d.Permalink != nil && run.err == nil {
		// Long inputs make URLs that proxies refuse: only short ones are
		// kept in the address bar.
		link := d.Permalink(run.params)
		if cur, err := url.Parse(c.Request().Header.Get("HX-Current-URL")); err == nil && len(link) <= maxPermalink && strings.HasPrefix(link, cur.Path+"?") {
			c.Response().Header().Set("HX-Push-Url", link)
		}
	}
	setRetryAfter(c, status, run.err)
	if !isFragment(c) && status == http.StatusOK {
		return s.redirectToRun(c, d, view.DemoResult(result), run.params)
	}
	// A refusal or failure answers at once, with its status: reloading the
	// page is then the natural way to try again.
	return s.render(c, status, view.DemoResult(result), func() templ.Component {
		return s.demoPage(csrfToken(c), d, view.DemoResult(result), run.params)
	})
}

// redirectToRun keeps a successful run whose form was posted without the
// partial-update script and sends the browser to the page that shows it
// (303 See Other), so reloading that page shows the result again rather
// than running the demo again.
func (s *Server) redirectToRun(c echo.Context, d *demo, result templ.Component, values map[string]string) error {
	var b strings.Builder
	if err := result.Render(context.WithoutCancel(c.Request().Context()), &b); err != nil {
		return err
	}
	id, ok := s.runs.put(visitorID(c), d.ID, values, b.String())
	if !ok {
		// Too large to keep: show it right away instead.
		return s.page(c, s.demoPage(csrfToken(c), d, templ.Raw(b.String()), values))
	}
	return c.Redirect(http.StatusSeeOther, d.page()+"?run="+id+"#demo-"+d.ID)
}

// ranHere finds the run a form post redirected to (?run=) when it belongs
// to the visitor and to the page being shown.
func (s *Server) ranHere(c echo.Context) (*storedRun, *demo, bool) {
	id := c.QueryParam("run")
	if id == "" {
		return nil, nil, false
	}
	r, ok := s.runs.get(id, visitorID(c))
	if !ok {
		return nil, nil, false
	}
	d, ok := s.demos.get(r.demo)
	if !ok || d.page() != c.Request().URL.Path {
		return nil, nil, false
	}
	return r, d, true
}

// runDemoJSON is the JSON twin of a demo panel.
func (s *Server) runDemoJSON(c echo.Context) error {
	d, ok := s.demos.get(c.Param("id"))
	if !ok {
		return echo.NewHTTPError(http.StatusNotFound, "unknown demo "+strconv.Quote(c.Param("id"))+"; GET /api/v1/demos lists them")
	}
	raw, err := decodeParams(c.Request().Body)
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, err.Error())
	}
	run := s.execDemo(c, d, raw)
	if run.err != nil {
		var he *echo.HTTPError
		if errors.As(run.err, &he) {
			return he
		}
		return echo.NewHTTPError(run.status(), run.err.Error())
	}
	t, _ := s.currentTrace(c)
	return c.JSON(http.StatusOK, map[string]any{
		"id":     d.ID,
		"output": run.out.Data,
		"trace":  ertrace.ToJSON(t, time.Now()),
	})
}

// decodeParams reads a JSON object of parameters. Strings, numbers and
// booleans are accepted; anything else is named in the error.
func decodeParams(body io.Reader) (map[string]string, error) {
	dec := json.NewDecoder(body)
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		if errors.Is(err, io.EOF) {
			return map[string]string{}, nil
		}
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("malformed JSON at byte %d: %v", se.Offset, err)
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, fmt.Errorf("the body must be a JSON object of parameters, not %s", te.Value)
		}
		return nil, fmt.Errorf("malformed JSON: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("malformed JSON: unexpected data after the object")
	}
	out := make(map[string]string, len(obj))
	for k, v := range obj {
		switch v := v.(type) {
		case string:
			out[k] = v
		case json.Number:
			out[k] = v.String()
		case bool:
			out[k] = strconv.FormatBool(v)
		default:
			return nil, fmt.Errorf("parameter %q must be a string, number or boolean", k)
		}
	}
	return out, nil
}

// listDemos describes every demo for scripted use.
func (s *Server) listDemos(c echo.Context) error {
	type paramJSON struct {
		Name    string   `json:"name"`
		Kind    string   `json:"kind"`
		Default string   `json:"default"`
		Hint    string   `json:"hint,omitempty"`
		Options []string `json:"options,omitempty"`
		Min     *int     `json:"min,omitempty"`
		Max     *int     `json:"max,omitempty"`
	}
	type demoJSON struct {
		ID     string      `json:"id"`
		Title  string      `json:"title"`
		Lesson string      `json:"lesson"`
		Run    string      `json:"run"`
		Params []paramJSON `json:"params"`
	}
	out := make([]demoJSON, 0, len(s.demos.order))
	for _, d := range s.demos.order {
		dj := demoJSON{ID: d.ID, Title: d.Title, Lesson: d.page(), Run: "POST /api/v1/demos/" + d.ID, Params: []paramJSON{}}
		for _, p := range d.Params {
			pj := paramJSON{Name: p.Name, Kind: p.Kind, Default: p.Default, Hint: p.Hint, Options: p.Options}
			if p.Kind == "number" {
				pj.Min, pj.Max = &p.Min, &p.Max
			}
			dj.Params = append(dj.Params, pj)
		}
		out = append(out, dj)
	}
	return c.JSON(http.StatusOK, map[string]any{"demos": out})
}

// showTraceJSON returns a stored trace.
func (s *Server) showTraceJSON(c echo.Context) error {
	t, ok := s.traces.Store().Get(c.Param("id"))
	if !ok {
		return echo.NewHTTPError(http.StatusNotFound, "no stored trace with that id (traces are kept in memory for a while, then dropped)")
	}
	return c.JSON(http.StatusOK, ertrace.ToJSON(t, time.Now()))
}

// curlFor is the command that runs a demo's JSON twin with the same
// parameters, keeping the visitor cookie in a jar.
func (s *Server) curlFor(c echo.Context, d *demo, params map[string]string) string {
	typed := make(map[string]any, len(params))
	for _, p := range d.Params {
		v, ok := params[p.Name]
		if !ok {
			continue
		}
		typed[p.Name] = v
		if n, err := strconv.Atoi(v); err == nil && p.Kind == "number" {
			typed[p.Name] = n
		}
	}
	body, _ := json.Marshal(typed)
	q := strings.ReplaceAll(string(body), "'", `'\''`)
	return fmt.Sprintf("curl -s -c jar.txt -b jar.txt \\\n  -H 'Content-Type: application/json' \\\n  -d '%s' \\\n  %s/api/v1/demos/%s", q, s.baseURL(c), d.ID)
}

// baseURL is the configured public origin, or the request's own.
func (s *Server) baseURL(c echo.Context) string {
	if s.cfg.BaseURL != "" {
		return strings.TrimSuffix(s.cfg.BaseURL, "/")
	}
	return c.Scheme() + "://" + c.Request().Host
}

// maxPermalink is the longest address a run puts in the address bar.
const maxPermalink = 2048

// page is where a demo's panel lives: its lesson, or its own page.
func (d *demo) page() string {
	if d.Lesson == "" {
		return "/" + d.ID
	}
	return "/lessons/" + d.Lesson
}

// demoPage is the page a demo's panel lives on, with a result in place:
// its lesson, or its own page.
func (s *Server) demoPage(csrf string, d *demo, result templ.Component, values map[string]string) templ.Component {
	if d.Lesson == "" {
		panel := s.demoView(csrf, d, values)
		panel.Result = result
		return view.ConsolePage(view.Console{Page: s.pageMeta(csrf, d.Title), Panel: panel})
	}
	return s.lessonView(csrf, d.Lesson, map[string]templ.Component{d.ID: result}, map[string]map[string]string{d.ID: values})
}

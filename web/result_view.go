package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/trace"

	ertrace "github.com/engineroom/engineroom/playground/trace"
	"github.com/engineroom/engineroom/web/view"
)

// statusOf maps an error from a demo to an HTTP status.
func statusOf(err error) int {
	var he *echo.HTTPError
	switch {
	case errors.As(err, &he):
		return he.Code
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// currentTrace is a snapshot of the trace of the request being served.
func (s *Server) currentTrace(c echo.Context) (ertrace.Trace, bool) {
	sc := trace.SpanContextFromContext(c.Request().Context())
	return s.traces.Store().Get(sc.TraceID().String())
}

// resultView builds both panes of a finished run.
func (s *Server) resultView(c echo.Context, run *demoRun, status int) view.Result {
	r := view.Result{
		DemoID: run.demo.ID,
		Output: run.out.View,
		Curl:   s.curlFor(c, run.demo, run.params),
	}
	if run.err != nil {
		msg := run.err.Error()
		var he *echo.HTTPError
		if errors.As(run.err, &he) {
			msg = fmt.Sprint(he.Message)
		}
		r.Notice = &view.Notice{Level: "error", Title: http.StatusText(status) + ".", Text: msg}
	}
	t, _ := s.currentTrace(c)
	r.Trace = s.waterfallView(t)
	r.Exchange = exchangeView(c, status)
	return r
}

var kindLabels = map[string]string{
	ertrace.KindServer:     "Server",
	ertrace.KindMiddleware: "Middleware",
	ertrace.KindHandler:    "Handler",
	ertrace.KindSQL:        "SQL",
	ertrace.KindCache:      "Cache",
	ertrace.KindHTTP:       "HTTP out",
	ertrace.KindRender:     "Render",
	ertrace.KindInternal:   "Step",
}

// waterfallView turns a trace into the back end pane's rows, with each
// span's detail highlighted.
func (s *Server) waterfallView(t ertrace.Trace) view.Waterfall {
	now := time.Now()
	w := ertrace.BuildWaterfall(t, now)
	out := view.Waterfall{TraceID: w.TraceID, Spans: len(w.Rows), Total: formatDuration(w.Total)}
	if w.Dropped > 0 {
		out.Note = fmt.Sprintf("%d more spans were not kept (a trace keeps at most a few hundred).", w.Dropped)
	}
	out.Rows = make([]view.SpanRow, len(w.Rows))
	for i, r := range w.Rows {
		row := view.SpanRow{
			Depth: r.Depth, Kind: r.Kind, KindLabel: kindLabels[r.Kind], Name: r.Name,
			X: fmt.Sprintf("%.1f", r.OffsetPct), W: fmt.Sprintf("%.1f", r.WidthPct),
			Dur: formatDuration(r.Duration), Open: r.Open, Error: r.Error, StatusMsg: r.StatusMsg,
			Attrs: make([]view.Attr, len(r.Attrs)), Narration: r.Narration(),
		}
		if row.KindLabel == "" {
			row.KindLabel = r.Kind
		}
		if link, ok := s.conceptLink(r.Concept); ok {
			row.Concept = &link
		}
		for j, a := range r.Attrs {
			row.Attrs[j] = view.Attr{Key: a.Key, Value: a.Value}
		}
		if r.Detail.Code != "" {
			row.Detail = s.code.HTML(r.Detail.Lang, r.Detail.Code)
		}
		out.Rows[i] = row
	}
	return out
}

// formatDuration shows a duration with sensible precision for a waterfall.
func formatDuration(d time.Duration) string {
	switch {
	case d < 100*time.Microsecond:
		return fmt.Sprintf("%d µs", d.Microseconds())
	case d < time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/1e6)
	case d < time.Second:
		return fmt.Sprintf("%.1f ms", float64(d)/1e6)
	default:
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
}

// maskedCookies and maskedHeaders hold values that identify the visitor;
// the exchange shows that they were sent, not what they were.
var (
	maskedCookies = []string{visitorCookie, visitorCookieSecure, "er_csrf", sessionCookie, sessionCookieSecure, shopCookie, shopCookieSecure}
	maskedHeaders = []string{"X-Csrf-Token"}
)

const mask = "••••••••"

// exchangeView is the request as the server received it and the response
// as it stands when the panel is drawn.
func exchangeView(c echo.Context, status int) view.Exchange {
	req, res := c.Request(), c.Response()
	x := view.Exchange{
		StatusClass: fmt.Sprintf("status-%dxx", status/100),
		Status:      fmt.Sprintf("%d %s", status, http.StatusText(status)),
		Time:        formatDuration(time.Since(requestStart(c))),
	}
	x.Request.StartLine = fmt.Sprintf("%s %s %s", req.Method, req.URL.RequestURI(), req.Proto)
	x.Request.Headers = append(x.Request.Headers, view.Header{Name: "Host", Value: req.Host})
	x.Request.Headers = append(x.Request.Headers, headerLines(req.Header, true)...)
	if form, err := c.FormParams(); err == nil && req.Method == http.MethodPost && len(form) > 0 {
		if _, ok := form["_csrf"]; ok {
			form.Set("_csrf", "(hidden)")
		}
		x.Request.Body = form.Encode()
	}
	x.Response.StartLine = fmt.Sprintf("%s %s", req.Proto, x.Status)
	h := res.Header().Clone()
	h.Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	x.Response.Headers = headerLines(h, false)
	x.Size = "HTML: this panel"
	return x
}

// headerLines lists headers sorted by name, masking identifying values.
func headerLines(h http.Header, request bool) []view.Header {
	names := make([]string, 0, len(h))
	for n := range h {
		names = append(names, n)
	}
	slices.Sort(names)
	var out []view.Header
	for _, n := range names {
		for _, v := range h[n] {
			line := view.Header{Name: n, Value: v}
			switch {
			case request && n == "Cookie":
				line.Value = maskCookies(v)
			case !request && n == "Set-Cookie":
				line.Value = maskSetCookie(v)
			case slices.Contains(maskedHeaders, n):
				line.Value, line.Masked = mask, true
			}
			out = append(out, line)
		}
	}
	return out
}

func maskCookies(header string) string {
	parts := strings.Split(header, ";")
	for i, p := range parts {
		name, _, _ := strings.Cut(strings.TrimSpace(p), "=")
		if slices.Contains(maskedCookies, name) {
			parts[i] = " " + name + "=" + mask
		}
	}
	return strings.TrimSpace(strings.Join(parts, ";"))
}

func maskSetCookie(v string) string {
	nv, rest, _ := strings.Cut(v, ";")
	name, _, _ := strings.Cut(nv, "=")
	if !slices.Contains(maskedCookies, name) {
		return v
	}
	if rest != "" {
		rest = ";" + rest
	}
	return name + "=" + mask + rest
}

// requestStart is when the server span of this request began.
func requestStart(c echo.Context) time.Time {
	if t, ok := c.Get(startKey).(time.Time); ok {
		return t
	}
	return time.Now()
}

const startKey = "er.start"

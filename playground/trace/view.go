package trace

import (
	"math"
	"slices"
	"time"
)

// Waterfall is the back end pane's view of one trace.
type Waterfall struct {
	TraceID string
	Total   time.Duration
	Rows    []Row
	Dropped int
}

// Row is one span drawn as a bar: indented by depth, placed by offset and
// width as percentages of the whole trace.
type Row struct {
	Depth int
	Kind  string
	// Concept is the id of what the span shows (see Classify); empty for
	// a kind this package does not know.
	Concept   string
	Name      string
	Offset    time.Duration
	Duration  time.Duration
	OffsetPct float64
	WidthPct  float64
	Open      bool
	Error     bool
	StatusMsg string
	Attrs     []Attr
	Detail    Detail
}

// Detail is the part of a span worth reading in full (a SQL statement, a
// JSON body, a cache command) with the language to highlight it in.
type Detail struct {
	Lang string
	Code string
}

// detailKeys lists, in order of preference, the attributes shown as a
// highlighted detail, with their language.
var detailKeys = [...]Detail{
	{Lang: "sql", Code: "db.query.text"},
	{Lang: "json", Code: "http.request.body"},
	{Lang: "json", Code: "http.response.body"},
	{Lang: "text", Code: "db.operation.command"},
}

// MaxDepth is the deepest indentation a row is given.
const MaxDepth = 8

// BuildWaterfall lays a trace out as rows in tree order (each span under
// its parent, siblings by start time). Open spans are measured up to now.
func BuildWaterfall(t Trace, now time.Time) Waterfall {
	w := Waterfall{TraceID: t.ID, Dropped: t.Dropped}
	if len(t.Spans) == 0 {
		return w
	}
	start, end := t.Spans[0].Start, time.Time{}
	byID := make(map[string]bool, len(t.Spans))
	for _, s := range t.Spans {
		if s.Start.Before(start) {
			start = s.Start
		}
		if e := s.Start.Add(s.Duration(now)); e.After(end) {
			end = e
		}
		byID[s.SpanID] = true
	}
	w.Total = end.Sub(start)
	children := make(map[string][]Span, len(t.Spans))
	for _, s := range t.Spans {
		parent := s.ParentID
		if !byID[parent] {
			parent = ""
		}
		children[parent] = append(children[parent], s)
	}
	w.Rows = make([]Row, 0, len(t.Spans))
	var walk func(parent string, depth int)
	walk = func(parent string, depth int) {
		kids := children[parent]
		slices.SortStableFunc(kids, func(a, b Span) int { return a.Start.Compare(b.Start) })
		for _, s := range kids {
			w.Rows = append(w.Rows, newRow(s, depth, start, w.Total, now))
			walk(s.SpanID, depth+1)
		}
	}
	walk("", 0)
	return w
}

func newRow(s Span, depth int, start time.Time, total time.Duration, now time.Time) Row {
	c, _ := Classify(s)
	r := Row{
		Depth:     min(depth, MaxDepth),
		Kind:      s.Kind,
		Concept:   c.ID,
		Name:      s.Name,
		Offset:    s.Start.Sub(start),
		Duration:  s.Duration(now),
		Open:      s.End.IsZero(),
		Error:     s.Error,
		StatusMsg: s.StatusMsg,
		Attrs:     s.Attrs,
	}
	if total > 0 {
		r.OffsetPct = pct(r.Offset, total)
		r.WidthPct = max(pct(r.Duration, total), 0.5)
		r.WidthPct = min(r.WidthPct, 100-r.OffsetPct)
	} else {
		r.WidthPct = 100
	}
	for _, d := range detailKeys {
		if v, ok := s.Attr(d.Code); ok && v != "" {
			r.Detail = Detail{Lang: d.Lang, Code: v}
			if r.Kind == KindCache {
				// A Redis command is not SQL, and its text changes
				// with every call (timestamps, sizes): shown plain.
				r.Detail.Lang = ""
			}
			break
		}
	}
	return r
}

func pct(d, total time.Duration) float64 {
	return math.Round(float64(d)/float64(total)*1000) / 10
}

// JSON is a trace as the JSON API answers it.
type JSON struct {
	TraceID string     `json:"trace_id"`
	Spans   []JSONSpan `json:"spans"`
}

// JSONSpan is one span in a JSON answer; times are milliseconds from the
// start of the trace.
type JSONSpan struct {
	SpanID     string            `json:"span_id"`
	ParentID   string            `json:"parent_id,omitempty"`
	Name       string            `json:"name"`
	Kind       string            `json:"kind"`
	Concept    string            `json:"concept,omitempty"`
	StartMS    float64           `json:"start_ms"`
	DurationMS float64           `json:"duration_ms"`
	Attributes map[string]string `json:"attributes"`
	Status     string            `json:"status"`
	Open       bool              `json:"open,omitempty"`
}

// ToJSON converts a trace for the JSON API.
func ToJSON(t Trace, now time.Time) JSON {
	j := JSON{TraceID: t.ID, Spans: make([]JSONSpan, 0, len(t.Spans))}
	var start time.Time
	for i, s := range t.Spans {
		if i == 0 || s.Start.Before(start) {
			start = s.Start
		}
	}
	for _, s := range t.Spans {
		c, _ := Classify(s)
		js := JSONSpan{
			SpanID:     s.SpanID,
			ParentID:   s.ParentID,
			Name:       s.Name,
			Kind:       s.Kind,
			Concept:    c.ID,
			StartMS:    ms(s.Start.Sub(start)),
			DurationMS: ms(s.Duration(now)),
			Attributes: make(map[string]string, len(s.Attrs)),
			Status:     "ok",
			Open:       s.End.IsZero(),
		}
		for _, a := range s.Attrs {
			js.Attributes[a.Key] = a.Value
		}
		if s.Error {
			js.Status = "error"
		}
		j.Spans = append(j.Spans, js)
	}
	return j
}

// ms converts a duration to milliseconds rounded to microseconds.
func ms(d time.Duration) float64 {
	return math.Round(float64(d)/1e3) / 1e3
}

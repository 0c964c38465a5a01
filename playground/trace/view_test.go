package trace

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func ms64(n float64) time.Duration { return time.Duration(n * float64(time.Millisecond)) }

// sp is a span from start to start+dur (ms after t0); dur < 0 means open.
func sp(id, parent, name string, start, dur float64) Span {
	s := Span{SpanID: id, ParentID: parent, Name: name, Kind: KindInternal, Start: t0.Add(ms64(start))}
	if dur >= 0 {
		s.End = s.Start.Add(ms64(dur))
	}
	return s
}

func with[T any](v T, f func(*T)) T { f(&v); return v }

func TestBuildWaterfall(t *testing.T) {
	chain := make([]Span, 12)
	for i := range chain {
		parent := ""
		if i > 0 {
			parent = fmt.Sprintf("s%02d", i-1)
		}
		chain[i] = sp(fmt.Sprintf("s%02d", i), parent, fmt.Sprintf("level %d", i), float64(i), 100-2*float64(i))
	}
	row := func(depth int, name string, off, dur, offPct, widthPct float64) Row {
		return Row{Depth: depth, Kind: KindInternal, Concept: "app-step", Name: name, Offset: ms64(off), Duration: ms64(dur), OffsetPct: offPct, WidthPct: widthPct}
	}
	tests := []struct {
		name      string
		trace     Trace
		now       time.Time
		wantTotal time.Duration
		wantRows  []Row
	}{
		{
			name:      "empty trace",
			trace:     Trace{ID: "t-empty"},
			now:       t0,
			wantTotal: 0,
			wantRows:  nil,
		},
		{
			name: "children under parents, siblings by start, orphans at the top",
			trace: Trace{ID: "t-tree", Dropped: 3, Spans: []Span{
				sp("a", "root", "A", 30, 20),
				sp("orphan", "gone", "orphan", 50, 10),
				sp("a1", "a", "A1", 35, 5),
				sp("root", "", "root", 0, 100),
				sp("b", "root", "B", 10, 10),
			}},
			now:       t0.Add(time.Hour),
			wantTotal: ms64(100),
			wantRows: []Row{
				row(0, "root", 0, 100, 0, 100),
				row(1, "B", 10, 10, 10, 10),
				row(1, "A", 30, 20, 30, 20),
				row(2, "A1", 35, 5, 35, 5),
				row(0, "orphan", 50, 10, 50, 10),
			},
		},
		{
			name:      "depth is capped",
			trace:     Trace{ID: "t-deep", Spans: chain},
			now:       t0,
			wantTotal: ms64(100),
			wantRows: func() []Row {
				var rows []Row
				for i := range chain {
					rows = append(rows, row(min(i, MaxDepth), fmt.Sprintf("level %d", i), float64(i), 100-2*float64(i), float64(i), 100-2*float64(i)))
				}
				return rows
			}(),
		},
		{
			name: "open spans are measured to now",
			trace: Trace{ID: "t-open", Spans: []Span{
				sp("root", "", "root", 0, -1),
				sp("c", "root", "child", 10, 20),
				sp("o", "root", "still running", 150, -1),
			}},
			now:       t0.Add(ms64(200)),
			wantTotal: ms64(200),
			wantRows: []Row{
				with(row(0, "root", 0, 200, 0, 100), func(r *Row) { r.Open = true }),
				row(1, "child", 10, 20, 5, 10),
				with(row(1, "still running", 150, 50, 75, 25), func(r *Row) { r.Open = true }),
			},
		},
		{
			name: "tiny spans stay visible without running past the end",
			trace: Trace{ID: "t-tiny", Spans: []Span{
				sp("root", "", "root", 0, 1000),
				sp("tiny", "root", "tiny", 500, 0.001),
				sp("last", "root", "at the end", 1000, 0),
			}},
			now:       t0,
			wantTotal: ms64(1000),
			wantRows: []Row{
				row(0, "root", 0, 1000, 0, 100),
				row(1, "tiny", 500, 0.001, 50, 0.5),
				row(1, "at the end", 1000, 0, 100, 0),
			},
		},
		{
			name:      "a trace with no length fills the bar",
			trace:     Trace{ID: "t-zero", Spans: []Span{sp("only", "", "instant", 0, 0)}},
			now:       t0,
			wantTotal: 0,
			wantRows:  []Row{row(0, "instant", 0, 0, 0, 100)},
		},
		{
			name: "kind, errors, attributes and detail",
			trace: Trace{ID: "t-detail", Spans: []Span{
				with(sp("root", "", "POST /x", 0, 10), func(s *Span) { s.Kind = KindServer }),
				with(sp("q", "root", "SELECT", 1, 2), func(s *Span) {
					s.Kind = KindSQL
					s.Attrs = []Attr{{"db.query.text", "SELECT 1"}, {"http.response.body", "{}"}}
				}),
				with(sp("h", "root", "pay", 3, 2), func(s *Span) {
					s.Kind, s.Error, s.StatusMsg = KindHTTP, true, "502 from the gateway"
					s.Attrs = []Attr{{"db.query.text", ""}, {"http.request.body", `{"a":1}`}}
				}),
				with(sp("c", "root", "GET", 5, 1), func(s *Span) {
					s.Kind = KindCache
					s.Attrs = []Attr{{"db.operation.command", "GET user:1"}}
				}),
			}},
			now:       t0,
			wantTotal: ms64(10),
			wantRows: []Row{
				with(row(0, "POST /x", 0, 10, 0, 100), func(r *Row) { r.Kind, r.Concept = KindServer, "server-request" }),
				with(row(1, "SELECT", 1, 2, 10, 20), func(r *Row) {
					r.Kind, r.Concept = KindSQL, "sql-read"
					r.Attrs = []Attr{{"db.query.text", "SELECT 1"}, {"http.response.body", "{}"}}
					r.Detail = Detail{Lang: "sql", Code: "SELECT 1"}
				}),
				with(row(1, "pay", 3, 2, 30, 20), func(r *Row) {
					r.Kind, r.Concept, r.Error, r.StatusMsg = KindHTTP, "http-api", true, "502 from the gateway"
					r.Attrs = []Attr{{"db.query.text", ""}, {"http.request.body", `{"a":1}`}}
					r.Detail = Detail{Lang: "json", Code: `{"a":1}`}
				}),
				with(row(1, "GET", 5, 1, 50, 10), func(r *Row) {
					r.Kind, r.Concept = KindCache, "cache-command"
					r.Attrs = []Attr{{"db.operation.command", "GET user:1"}}
					r.Detail = Detail{Lang: "", Code: "GET user:1"} // cache commands are shown plain
				}),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := BuildWaterfall(tt.trace, tt.now)
			if w.TraceID != tt.trace.ID || w.Dropped != tt.trace.Dropped {
				t.Errorf("TraceID, Dropped = %q, %d; want %q, %d", w.TraceID, w.Dropped, tt.trace.ID, tt.trace.Dropped)
			}
			if w.Total != tt.wantTotal {
				t.Errorf("Total = %v, want %v", w.Total, tt.wantTotal)
			}
			if len(w.Rows) != len(tt.wantRows) {
				t.Fatalf("%d rows, want %d: %+v", len(w.Rows), len(tt.wantRows), w.Rows)
			}
			for i, got := range w.Rows {
				if want := tt.wantRows[i]; !reflect.DeepEqual(got, want) {
					t.Errorf("row %d:\n got %+v\nwant %+v", i, got, want)
				}
				if got.OffsetPct < 0 || got.OffsetPct > 100 || got.WidthPct < 0 || got.WidthPct > 100 || got.OffsetPct+got.WidthPct > 100.0001 {
					t.Errorf("row %d (%s): offset %v%% width %v%% leaves [0,100]", i, got.Name, got.OffsetPct, got.WidthPct)
				}
				if got.Depth > MaxDepth {
					t.Errorf("row %d: depth %d over MaxDepth", i, got.Depth)
				}
			}
		})
	}
}

func TestBuildWaterfallKeepsEverySpanOnce(t *testing.T) {
	// A parent cycle cannot come from the SDK, but spans whose parent is
	// missing must still appear exactly once.
	spans := []Span{
		sp("r", "", "root", 0, 10),
		sp("x", "missing-1", "lost child", 1, 1),
		sp("y", "x", "grandchild of lost", 2, 1),
		sp("z", "missing-2", "another lost", 3, 1),
	}
	w := BuildWaterfall(Trace{ID: "t", Spans: spans}, t0)
	var names []string
	for _, r := range w.Rows {
		names = append(names, r.Name)
	}
	want := []string{"root", "lost child", "grandchild of lost", "another lost"}
	if !slices.Equal(names, want) {
		t.Errorf("rows = %q, want %q", names, want)
	}
}

func TestToJSON(t *testing.T) {
	tests := []struct {
		name     string
		trace    Trace
		now      time.Time
		wantJSON string
	}{
		{
			name:     "empty trace has an empty list",
			trace:    Trace{ID: "abc"},
			now:      t0,
			wantJSON: `{"trace_id":"abc","spans":[]}`,
		},
		{
			name: "times are milliseconds from the earliest span",
			trace: Trace{ID: "def", Spans: []Span{
				with(sp("bbbb", "aaaa", "child", 1.5, 2.25), func(s *Span) {
					s.Kind = KindSQL
					s.Attrs = []Attr{{"db.query.text", "SELECT 1"}, {"db.system", "sqlite"}}
				}),
				with(sp("aaaa", "", "root", 0, -1), func(s *Span) { s.Kind = KindServer }),
				with(sp("cccc", "aaaa", "failed", 4, 0.0004), func(s *Span) { s.Error, s.StatusMsg = true, "boom" }),
			}},
			now: t0.Add(ms64(10)),
			wantJSON: `{"trace_id":"def","spans":[` +
				`{"span_id":"bbbb","parent_id":"aaaa","name":"child","kind":"sql","concept":"sql-read","start_ms":1.5,"duration_ms":2.25,"attributes":{"db.query.text":"SELECT 1","db.system":"sqlite"},"status":"ok"},` +
				`{"span_id":"aaaa","name":"root","kind":"server","concept":"server-request","start_ms":0,"duration_ms":10,"attributes":{},"status":"ok","open":true},` +
				`{"span_id":"cccc","parent_id":"aaaa","name":"failed","kind":"internal","concept":"app-step","start_ms":4,"duration_ms":0,"attributes":{},"status":"error"}]}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(ToJSON(tt.trace, tt.now))
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.wantJSON {
				t.Errorf("ToJSON =\n%s\nwant\n%s", b, tt.wantJSON)
			}
		})
	}
}

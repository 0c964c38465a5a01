package web

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/engineroom/engineroom/playground/ops"
	"github.com/engineroom/engineroom/web/view"
)

// opsObserveLesson is the lesson on logs, metrics and traces.
const opsObserveLesson = "logs-metrics-and-traces"

// logsRun is what the server-logs demo read, for the JSON twin.
type logsRun struct {
	Kept     int         `json:"kept"`
	Capacity int         `json:"capacity"`
	Level    string      `json:"level"`
	Format   string      `json:"format"`
	Mine     uint64      `json:"mine_seq"`
	Records  []logRecord `json:"records"`
	Text     string      `json:"text"`
	JSON     string      `json:"json"`
}

// logRecord is one kept record in the JSON twin.
type logRecord struct {
	Seq     uint64      `json:"seq"`
	Time    string      `json:"time"`
	Level   string      `json:"level"`
	Message string      `json:"message"`
	Fields  []ops.Field `json:"fields"`
	Written bool        `json:"written"`
	Mine    bool        `json:"mine"`
}

// logLevels are the levels the demo can filter by, least first.
var logLevels = []string{"debug", "info", "warn", "error"}

func (s *Server) demoServerLogs() *demo {
	return &demo{
		ID: "server-logs", Title: "This server's own logs", Lesson: opsObserveLesson,
		Description: "Your request writes a log line, then reads the newest lines this server wrote for everyone.",
		Button:      "Write and read the log",
		Wide:        true,
		Params: []param{
			{Name: "note", Label: "A note for your log line", Kind: "text", Default: "looking for my request", MaxLen: 120,
				Hint: "It becomes the note field of your line."},
			{Name: "level", Label: "Show lines at or above", Kind: "select", Options: logLevels, Default: "info"},
			{Name: "lines", Label: "How many lines", Kind: "number", Default: "12", Min: 1, Max: 50},
		},
		Run: s.runServerLogs,
	}
}

func (s *Server) runServerLogs(ctx context.Context, in demoInput) (demoOutput, error) {
	c := in.Request
	var level slog.Level
	if err := level.UnmarshalText([]byte(in.Params["level"])); err != nil {
		return demoOutput{}, &paramError{"level: must be one of " + strings.Join(logLevels, ", ")}
	}
	traceID := trace.SpanContextFromContext(ctx).TraceID().String()
	reqID := c.Response().Header().Get(echo.HeaderXRequestID)

	_, span := s.tracer.Start(ctx, "write a log line", trace.WithAttributes(attribute.String("log.record.level", "INFO")))
	s.log.LogAttrs(ctx, slog.LevelInfo, "reading the server's logs",
		slog.String("id", reqID), slog.String("trace", traceID), slog.String("note", in.Params["note"]))
	span.End()

	ring := s.ops.ring
	_, span = s.tracer.Start(ctx, "read the log ring", trace.WithAttributes(
		attribute.Int("engineroom.ring.capacity", ring.Cap()), attribute.String("engineroom.ring.level", level.String())))
	shown := ring.Last(in.Int("lines"), level)
	// Your own line, whatever the filter: the newest record of this trace.
	var mine ops.Entry
	for _, e := range ring.Last(ring.Cap(), slog.LevelDebug) {
		if e.Field("trace") == traceID {
			mine = e
		}
	}
	kept := ring.Len()
	span.SetAttributes(attribute.Int("engineroom.ring.kept", kept), attribute.Int("engineroom.ring.shown", len(shown)))
	span.End()

	_, span = s.tracer.Start(ctx, "format your line as text and JSON")
	run := logsRun{Kept: kept, Capacity: ring.Cap(), Level: in.Params["level"], Format: s.ops.format, Mine: mine.Seq, Records: []logRecord{}}
	if mine.Seq != 0 {
		run.Text, run.JSON = mine.Text(), mine.JSON()
	}
	span.End()

	o := view.OpsLogsOutput{
		Headline:     fmt.Sprintf("%d records", kept),
		HeadlineNote: fmt.Sprintf("kept in memory (at most %d) · the newest %d at %s and above", ring.Cap(), len(shown), strings.ToUpper(in.Params["level"])),
		Yours:        yourLogLine(mine, reqID, traceID, level),
		Sample:       view.OpsLogSample{Text: run.Text, JSON: run.JSON, Format: s.ops.format, Note: formatNote(s.ops.format)},
	}
	for _, e := range shown {
		r := logRecord{
			Seq: e.Seq, Time: e.Record.Time.UTC().Format("15:04:05.000"), Level: e.Record.Level.String(),
			Message: e.Record.Message, Written: e.Written, Mine: e.Field("trace") == traceID,
		}
		r.Fields = shownFields(e.Fields(), r.Mine)
		run.Records = append(run.Records, r)
		vr := view.OpsLogRecord{Seq: strconv.FormatUint(r.Seq, 10), Time: r.Time, Level: r.Level, Message: r.Message, Written: r.Written, Mine: r.Mine}
		for _, f := range r.Fields {
			vr.Fields = append(vr.Fields, view.OpsLogField{Key: f.Key, Value: f.Value})
		}
		o.Records = append(o.Records, vr)
	}
	return demoOutput{Data: run, View: view.OpsLogs(o)}, nil
}

// publicLogFields are the fields of other visitors' records shown as
// written: what any access log holds.
var publicLogFields = []string{"id", "method", "path", "status", "latency", "bytes", "check"}

// shownFields is what a visitor may see of a record's fields. Their own
// records are shown whole. Of anyone else's, the trace id is cut short —
// it is the key that opens a trace, with what was sent in it — and any
// field but the public ones is hidden: a note is another visitor's words,
// an error may name an internal address.
func shownFields(fields []ops.Field, mine bool) []ops.Field {
	if mine {
		return fields
	}
	out := make([]ops.Field, len(fields))
	for i, f := range fields {
		switch {
		case f.Key == "trace" && len(f.Value) > 8:
			f.Value = f.Value[:8] + "…"
		case !slices.Contains(publicLogFields, f.Key):
			f.Value = "(hidden: not your request)"
		}
		out[i] = f
	}
	return out
}

// yourLogLine says which line is the visitor's and how to find it.
func yourLogLine(mine ops.Entry, reqID, traceID string, level slog.Level) string {
	if mine.Seq == 0 {
		return "Your line was already pushed out of memory by newer ones: the server is busy. Run it again."
	}
	s := fmt.Sprintf("Your request wrote line #%d, marked “yours”. Find it anywhere by its request id (id=%s) or its trace id (trace=%s…).", mine.Seq, reqID, traceID[:8])
	if mine.Record.Level < level {
		s += fmt.Sprintf(" It is at %s, below the %s you chose, so the list leaves it out.", mine.Record.Level, level)
	}
	return s
}

// formatNote says which form this server writes and where.
func formatNote(format string) string {
	switch format {
	case "text":
		return "This server runs with LOG_FORMAT=text: one line per record, key=value pairs, on standard output. Easy to read in a terminal."
	case "json":
		return "This server runs with LOG_FORMAT=json: one JSON object per line on standard output, for a log service to parse and search by field."
	default:
		return "This server writes its logs nowhere (it runs inside a test). The engineroom command writes one of these two forms to standard output."
	}
}

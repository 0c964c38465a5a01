package trace

import (
	"slices"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// KindKey is the attribute our own instrumentation sets to say what a span
// is (middleware, handler, render, …) when the semantic conventions do not.
const KindKey = attribute.Key("engineroom.kind")

// Span kinds as the back end pane names them.
const (
	KindServer     = "server"
	KindMiddleware = "middleware"
	KindHandler    = "handler"
	KindSQL        = "sql"
	KindCache      = "cache"
	KindHTTP       = "http"
	KindRender     = "render"
	KindInternal   = "internal"
	KindJob        = "job"
)

func convert(s sdktrace.ReadOnlySpan) Span {
	attrs := s.Attributes()
	sp := Span{
		SpanID: s.SpanContext().SpanID().String(),
		Name:   s.Name(),
		Start:  s.StartTime(),
		End:    s.EndTime(),
		Attrs:  make([]Attr, 0, len(attrs)),
	}
	if p := s.Parent(); p.IsValid() {
		sp.ParentID = p.SpanID().String()
	}
	for _, kv := range attrs {
		if kv.Key != KindKey {
			sp.Attrs = append(sp.Attrs, Attr{Key: string(kv.Key), Value: kv.Value.Emit()})
		}
	}
	slices.SortFunc(sp.Attrs, func(a, b Attr) int { return strings.Compare(a.Key, b.Key) })
	sp.Kind = kindOf(s.SpanKind(), attrs)
	if st := s.Status(); st.Code == codes.Error {
		sp.Error = true
		sp.StatusMsg = st.Description
	}
	return sp
}

// kindOf names a span's kind: our explicit attribute first, then what the
// OpenTelemetry semantic conventions say about it.
func kindOf(k trace.SpanKind, attrs []attribute.KeyValue) string {
	for _, a := range attrs {
		if a.Key == KindKey {
			return a.Value.AsString()
		}
	}
	for _, a := range attrs {
		switch a.Key {
		case "db.system", "db.system.name":
			if a.Value.AsString() == "redis" {
				return KindCache
			}
			return KindSQL
		case "http.request.method":
			if k == trace.SpanKindClient {
				return KindHTTP
			}
		}
	}
	if k == trace.SpanKindServer {
		return KindServer
	}
	return KindInternal
}

// sizeOf estimates the memory a recorded span holds, without converting it.
func sizeOf(s sdktrace.ReadOnlySpan) int {
	n := 256 + len(s.Name()) + len(s.Status().Description)
	for _, kv := range s.Attributes() {
		n += 48 + len(kv.Key)
		if kv.Value.Type() == attribute.STRING {
			n += len(kv.Value.AsString())
		}
	}
	return n
}

func sortSpans(spans []Span) {
	slices.SortStableFunc(spans, func(a, b Span) int { return a.Start.Compare(b.Start) })
}

// Attr returns the value of the attribute with the given key, if present.
func (s Span) Attr(key string) (string, bool) {
	for _, a := range s.Attrs {
		if a.Key == key {
			return a.Value, true
		}
	}
	return "", false
}

package trace

import (
	"context"
	"reflect"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	oteltrace "go.opentelemetry.io/otel/trace"
)

func TestKindOf(t *testing.T) {
	tests := []struct {
		name     string
		explicit string
		kind     oteltrace.SpanKind
		attrs    []Attr
		want     string
	}{
		{name: "db.system", kind: oteltrace.SpanKindClient, attrs: []Attr{{"db.system", "sqlite"}}, want: KindSQL},
		{name: "db.system.name", kind: oteltrace.SpanKindInternal, attrs: []Attr{{"db.system.name", "postgresql"}}, want: KindSQL},
		{name: "redis is a cache", kind: oteltrace.SpanKindClient, attrs: []Attr{{"db.system", "redis"}}, want: KindCache},
		{name: "redis by db.system.name", kind: oteltrace.SpanKindClient, attrs: []Attr{{"db.system.name", "redis"}}, want: KindCache},
		{name: "outgoing HTTP", kind: oteltrace.SpanKindClient, attrs: []Attr{{"http.request.method", "POST"}}, want: KindHTTP},
		{name: "incoming HTTP is the server", kind: oteltrace.SpanKindServer, attrs: []Attr{{"http.request.method", "GET"}}, want: KindServer},
		{name: "HTTP method on an internal span", kind: oteltrace.SpanKindInternal, attrs: []Attr{{"http.request.method", "GET"}}, want: KindInternal},
		{name: "server span", kind: oteltrace.SpanKindServer, want: KindServer},
		{name: "client span without conventions", kind: oteltrace.SpanKindClient, want: KindInternal},
		{name: "plain span", kind: oteltrace.SpanKindInternal, want: KindInternal},
		{name: "explicit wins over db.system", explicit: KindMiddleware, kind: oteltrace.SpanKindClient, attrs: []Attr{{"db.system", "sqlite"}}, want: KindMiddleware},
		{name: "explicit wins over server", explicit: KindHandler, kind: oteltrace.SpanKindServer, want: KindHandler},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var kvs []attribute.KeyValue
			for _, a := range tt.attrs {
				kvs = append(kvs, attribute.String(a.Key, a.Value))
			}
			if tt.explicit != "" {
				kvs = append(kvs, KindKey.String(tt.explicit))
			}
			if got := kindOf(tt.kind, kvs); got != tt.want {
				t.Errorf("kindOf(%q, %v, %v) = %q, want %q", tt.explicit, tt.kind, tt.attrs, got, tt.want)
			}
		})
	}
}

// TestConvert records real SDK spans and checks what the store keeps.
func TestConvert(t *testing.T) {
	tests := []struct {
		name      string
		kind      oteltrace.SpanKind
		attrs     []attribute.KeyValue
		errMsg    string
		wantKind  string
		wantAttrs []Attr
	}{
		{name: "sql", kind: oteltrace.SpanKindClient,
			attrs:    []attribute.KeyValue{attribute.String("db.system", "sqlite"), attribute.String("db.query.text", "SELECT 1"), attribute.Int("db.response.returned_rows", 3)},
			wantKind: KindSQL, wantAttrs: []Attr{{"db.query.text", "SELECT 1"}, {"db.response.returned_rows", "3"}, {"db.system", "sqlite"}}},
		{name: "cache", kind: oteltrace.SpanKindClient,
			attrs:    []attribute.KeyValue{attribute.String("db.system", "redis"), attribute.String("db.operation.command", "GET k")},
			wantKind: KindCache, wantAttrs: []Attr{{"db.operation.command", "GET k"}, {"db.system", "redis"}}},
		{name: "outgoing http", kind: oteltrace.SpanKindClient,
			attrs:    []attribute.KeyValue{attribute.String("http.request.method", "POST"), attribute.Bool("retry", true)},
			wantKind: KindHTTP, wantAttrs: []Attr{{"http.request.method", "POST"}, {"retry", "true"}}},
		{name: "server", kind: oteltrace.SpanKindServer,
			attrs:    []attribute.KeyValue{attribute.String("http.request.method", "GET")},
			wantKind: KindServer, wantAttrs: []Attr{{"http.request.method", "GET"}}},
		{name: "explicit kind wins and is not shown", kind: oteltrace.SpanKindClient,
			attrs:    []attribute.KeyValue{KindKey.String(KindMiddleware), attribute.String("db.system", "sqlite")},
			wantKind: KindMiddleware, wantAttrs: []Attr{{"db.system", "sqlite"}}},
		{name: "failed", kind: oteltrace.SpanKindInternal, errMsg: "it broke",
			wantKind: KindInternal, wantAttrs: []Attr{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := NewStore(StoreOptions{})
			tr := newTracer(t, store)
			ctx, parent := tr.Start(context.Background(), "parent")
			_, s := tr.Start(ctx, tt.name, oteltrace.WithSpanKind(tt.kind), oteltrace.WithAttributes(tt.attrs...))
			if tt.errMsg != "" {
				s.SetStatus(codes.Error, tt.errMsg)
			}
			s.End()
			parent.End()
			got, ok := store.Get(s.SpanContext().TraceID().String())
			if !ok || len(got.Spans) != 2 {
				t.Fatalf("stored %v, %d spans", ok, len(got.Spans))
			}
			var span Span
			for _, x := range got.Spans {
				if x.Name == tt.name {
					span = x
				}
			}
			if span.Kind != tt.wantKind {
				t.Errorf("Kind = %q, want %q", span.Kind, tt.wantKind)
			}
			if !reflect.DeepEqual(span.Attrs, tt.wantAttrs) {
				t.Errorf("Attrs = %v, want %v", span.Attrs, tt.wantAttrs)
			}
			if span.Error != (tt.errMsg != "") || span.StatusMsg != tt.errMsg {
				t.Errorf("Error, StatusMsg = %v, %q; want %v, %q", span.Error, span.StatusMsg, tt.errMsg != "", tt.errMsg)
			}
			if span.SpanID != s.SpanContext().SpanID().String() || span.ParentID != parent.SpanContext().SpanID().String() {
				t.Errorf("SpanID, ParentID = %q, %q", span.SpanID, span.ParentID)
			}
			if span.End.Before(span.Start) || span.End.IsZero() {
				t.Errorf("Start %v, End %v", span.Start, span.End)
			}
			for _, a := range tt.wantAttrs {
				if v, ok := span.Attr(a.Key); !ok || v != a.Value {
					t.Errorf("Attr(%q) = %q, %v", a.Key, v, ok)
				}
			}
			if _, ok := span.Attr(string(KindKey)); ok {
				t.Errorf("the %s attribute is shown", KindKey)
			}
		})
	}
}

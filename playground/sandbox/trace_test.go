package sandbox

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

func TestSpans(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	tracer := tp.Tracer("test")
	m := newTestManager(t, Options{Tracer: tracer})
	ctx, parent := tracer.Start(context.Background(), "request")
	mustRun(t, m, "v", "SELECT id FROM users LIMIT 2; UPDATE users SET role = 'admin' WHERE id = 1; ATTACH 'x' AS y")
	if _, err := m.Run(ctx, "v", "-- who\nselect username from users where id = 1", RunOptions{}); err != nil {
		t.Fatal(err)
	}
	err := m.With(ctx, "v", func(ctx context.Context, db *DB) error {
		_, err := db.Query(ctx, "SELECT id FROM users WHERE username = ?", "alice' OR 1=1 --")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	parent.End()

	type want struct {
		name   string
		attrs  map[string]attribute.Value
		status codes.Code
		child  bool // of the request span
	}
	str, num := attribute.StringValue, attribute.IntValue
	wants := []want{
		{name: "sandbox create"},
		{name: "SELECT", attrs: map[string]attribute.Value{"db.system.name": str("sqlite"), "db.system": str("sqlite"),
			"db.operation.name": str("SELECT"), "db.query.text": str("SELECT id FROM users LIMIT 2"),
			"db.response.returned_rows": num(2), "db.response.rows_affected": num(0)}},
		{name: "UPDATE", attrs: map[string]attribute.Value{"db.response.returned_rows": num(0), "db.response.rows_affected": num(1)}},
		{name: "ATTACH", attrs: map[string]attribute.Value{"error.type": str("SQLITE_AUTH")}, status: codes.Error},
		{name: "SELECT", attrs: map[string]attribute.Value{"db.query.text": str("-- who\nselect username from users where id = 1")}, child: true},
		{name: "SELECT", attrs: map[string]attribute.Value{"db.query.parameter.0": str("alice' OR 1=1 --"), "db.response.returned_rows": num(0)}, child: true},
	}
	var spans []sdktrace.ReadOnlySpan
	for _, s := range rec.Ended() {
		if s.Name() != "request" {
			spans = append(spans, s)
		}
	}
	if len(spans) != len(wants) {
		t.Fatalf("got %d spans, want %d", len(spans), len(wants))
	}
	for i, w := range wants {
		s := spans[i]
		t.Run(w.name, func(t *testing.T) {
			if s.Name() != w.name {
				t.Errorf("span %d name = %q, want %q", i, s.Name(), w.name)
			}
			if w.name != "sandbox create" && s.SpanKind() != trace.SpanKindClient {
				t.Errorf("kind = %v, want client", s.SpanKind())
			}
			got := map[string]attribute.Value{}
			for _, kv := range s.Attributes() {
				got[string(kv.Key)] = kv.Value
			}
			for k, v := range w.attrs {
				if got[k] != v {
					t.Errorf("%s = %v, want %v", k, got[k].Emit(), v.Emit())
				}
			}
			if s.Status().Code != w.status {
				t.Errorf("status = %v, want %v", s.Status().Code, w.status)
			}
			if w.status == codes.Error && len(s.Events()) == 0 {
				t.Errorf("error not recorded as an event")
			}
			if isChild := s.Parent().SpanID() == parent.SpanContext().SpanID(); isChild != w.child {
				t.Errorf("child of the request span = %v, want %v", isChild, w.child)
			}
		})
	}
}

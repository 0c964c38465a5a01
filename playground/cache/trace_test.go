package cache

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// tracedCache is a Cache whose spans land in the returned recorder.
func tracedCache(t *testing.T, opts Options) (*Cache, *tracetest.SpanRecorder) {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { tp.Shutdown(context.Background()) })
	opts.Tracer = tp.Tracer("cache-test")
	return newCache(t, opts), rec
}

// spanAttrs returns a span's attributes by key, as emitted strings.
func spanAttrs(s sdktrace.ReadOnlySpan) map[string]string {
	m := make(map[string]string)
	for _, kv := range s.Attributes() {
		m[string(kv.Key)] = kv.Value.Emit()
	}
	return m
}

// findSpan returns the last ended span with the name whose attribute key
// has the value (any, when key is empty).
func findSpan(t *testing.T, rec *tracetest.SpanRecorder, name, key, value string) sdktrace.ReadOnlySpan {
	t.Helper()
	spans := rec.Ended()
	for i := len(spans) - 1; i >= 0; i-- {
		if spans[i].Name() == name && (key == "" || spanAttrs(spans[i])[key] == value) {
			return spans[i]
		}
	}
	t.Fatalf("no %s span with %s=%s among %d", name, key, value, len(spans))
	return nil
}

func TestSpans(t *testing.T) {
	c, rec := tracedCache(t, Options{MaxKeys: 2})
	s := newVisitor(t, c)
	host, port := hostPort(c.rdb.Options().Addr)
	db := strconv.Itoa(c.rdb.Options().DB)
	ctx, parent := sdktrace.NewTracerProvider().Tracer("t").Start(context.Background(), "handler")
	defer parent.End()

	value := strings.Repeat("m", 312)
	if err := s.Set(ctx, "flight:LHR-JFK", []byte(value), 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, hit, err := s.Get(ctx, "flight:LHR-JFK"); err != nil || !hit {
		t.Fatalf("Get: %v, %v", hit, err)
	}
	if _, hit, err := s.Get(ctx, "nope"); err != nil || hit {
		t.Fatalf("Get of a missing key: %v, %v", hit, err)
	}

	common := map[string]string{
		"db.system": "redis", "db.system.name": "redis", "db.namespace": db,
		"server.address": host, "server.port": strconv.Itoa(port),
	}
	tests := []struct {
		name, key, value string
		want             map[string]string
	}{
		{name: "SET", want: map[string]string{
			"db.operation.name": "SET", "db.query.text": "SET v:…:flight:LHR-JFK <312 bytes> PX 30000",
			"cache.key": "flight:LHR-JFK", "cache.ttl_ms": "30000", "cache.value_bytes": "312",
			"db.operation.batch.size": "6",
		}},
		{name: "GET", key: "cache.hit", value: "true", want: map[string]string{
			"db.operation.name": "GET", "db.query.text": "GET v:…:flight:LHR-JFK",
			"cache.key": "flight:LHR-JFK", "cache.value_bytes": "312", "db.operation.batch.size": "2",
		}},
		{name: "GET", key: "cache.hit", value: "false", want: map[string]string{
			"db.query.text": "GET v:…:nope", "cache.key": "nope",
		}},
		{name: "ZADD", key: "db.query.text", value: "ZADD lru:… XX", want: map[string]string{"cache.index": "true"}},
		{name: "HGETALL", want: map[string]string{"db.query.text": "HGETALL meta:…", "db.response.returned_rows": "0"}},
	}
	for _, tt := range tests {
		key, value := tt.key, tt.value
		if tt.name == "ZADD" {
			key = ""
		}
		sp := findSpan(t, rec, tt.name, key, value)
		if sp.SpanKind() != trace.SpanKindClient {
			t.Errorf("%s span kind = %v, want client", tt.name, sp.SpanKind())
		}
		if sp.Parent().SpanID() != parent.SpanContext().SpanID() {
			t.Errorf("%s span is not a child of the caller's span", tt.name)
		}
		if sp.Status().Code == codes.Error {
			t.Errorf("%s span has an error status: %s", tt.name, sp.Status().Description)
		}
		got := spanAttrs(sp)
		for k, v := range common {
			if got[k] != v {
				t.Errorf("%s span: %s = %q, want %q", tt.name, k, got[k], v)
			}
		}
		for k, v := range tt.want {
			if k == "db.query.text" && tt.name == "ZADD" {
				if !strings.HasPrefix(got[k], v) {
					t.Errorf("ZADD span: %s = %q, want it to start with %q", k, got[k], v)
				}
				continue
			}
			if got[k] != v {
				t.Errorf("%s span %s: %s = %q, want %q", tt.name, tt.key+"="+tt.value, k, got[k], v)
			}
		}
	}
	for _, sp := range rec.Ended() {
		if strings.Contains(spanAttrs(sp)["db.query.text"], s.Visitor()) {
			t.Errorf("%s span shows the visitor id: %q", sp.Name(), spanAttrs(sp)["db.query.text"])
		}
		switch sp.Name() {
		case "MULTI", "EXEC", "HELLO", "AUTH", "CLIENT", "SELECT", "PING":
			t.Errorf("a %s span was recorded", sp.Name())
		}
	}
}

func TestEvictionSpan(t *testing.T) {
	c, rec := tracedCache(t, Options{MaxKeys: 2})
	s := newVisitor(t, c)
	for _, k := range []string{"a", "b", "c"} {
		mustSet(t, s, k, k, time.Minute)
	}
	sp := findSpan(t, rec, "DEL", "cache.evicted", `["a"]`)
	got := spanAttrs(sp)
	if got["db.query.text"] != "DEL v:…:a" || got["cache.key"] != "a" || got["cache.deleted"] != "1" {
		t.Errorf("eviction DEL span attributes = %v", got)
	}
	ev := sp.Events()
	if len(ev) != 1 || ev[0].Name != "cache.evicted" ||
		len(ev[0].Attributes) != 1 || ev[0].Attributes[0] != attribute.String("cache.key", "a") {
		t.Errorf("eviction DEL span events = %+v, want one cache.evicted with cache.key=a", ev)
	}
}

func TestErrorSpan(t *testing.T) {
	ctx := context.Background()
	c, rec := tracedCache(t, Options{})
	s := newVisitor(t, c)
	// A hash where the engine expects a string: the server answers
	// WRONGTYPE. (Index it so that Flush cleans it up.)
	mustSet(t, s, "k", "v", time.Minute)
	if err := c.rdb.Del(ctx, valueKey(s.Visitor(), "k")).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.rdb.HSet(ctx, valueKey(s.Visitor(), "k"), "f", "v").Err(); err != nil {
		t.Fatal(err)
	}
	_, _, err := s.Get(ctx, "k")
	if err == nil || !strings.HasPrefix(err.Error(), "cache: getting a key: WRONGTYPE") {
		t.Fatalf("Get of a hash: %v, want cache: getting a key: WRONGTYPE…", err)
	}
	sp := findSpan(t, rec, "GET", "cache.hit", "false")
	if sp.Status().Code != codes.Error || !strings.HasPrefix(sp.Status().Description, "WRONGTYPE") {
		t.Errorf("GET span status = %+v, want an error", sp.Status())
	}
	if len(sp.Events()) == 0 || sp.Events()[0].Name != "exception" {
		t.Errorf("GET span events = %+v, want the error recorded", sp.Events())
	}
}

func TestQueryText(t *testing.T) {
	tests := []struct {
		args []any
		want string
	}{
		{[]any{"set", "v:abc:flight:LHR-JFK", []byte("{}"), "PX", int64(30000)}, "SET v:…:flight:LHR-JFK <2 bytes> PX 30000"},
		{[]any{"get", "v:abc:key with space"}, `GET "v:…:key with space"`},
		{[]any{"zadd", "lru:abc", "XX", 1.5, "k"}, "ZADD lru:… XX 1.5 k"},
		{[]any{"hset", "meta:abc", `say "hi"`, "1 2"}, `HSET meta:… "say \"hi\"" "1 2"`},
		{[]any{"del", "v:abc:a", "v:abc:b", "lru:abc"}, "DEL v:…:a v:…:b lru:…"},
		{[]any{"hdel", "meta:abc", ""}, `HDEL meta:… ""`},
		{[]any{"get", "v:abc:" + strings.Repeat("é", 60)}, "GET v:…:" + strings.Repeat("é", 47) + "…"},
		{[]any{"echo", "\xff\x00"}, "ECHO <2 bytes>"},
		{[]any{"get", "not-ours"}, "GET not-ours"},
	}
	for _, tt := range tests {
		name := strings.ToUpper(tt.args[0].(string))
		if got := queryText(name, tt.args); got != tt.want {
			t.Errorf("queryText(%q) =\n\t%s\nwant\n\t%s", tt.args, got, tt.want)
		}
	}
	many := []any{"del"}
	for i := range 500 {
		many = append(many, "v:abc:key"+strconv.Itoa(i))
	}
	if got := queryText("DEL", many); len(got) > maxQueryText+120 || !strings.HasSuffix(got, " more)") {
		t.Errorf("queryText of a DEL of 500 keys = %d bytes ending %q", len(got), got[len(got)-20:])
	}
}

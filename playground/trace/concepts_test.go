package trace

import (
	"slices"
	"testing"
)

func TestClassify(t *testing.T) {
	span := func(kind, name string, kv ...string) Span {
		s := Span{Kind: kind, Name: name}
		for i := 0; i+1 < len(kv); i += 2 {
			s.Attrs = append(s.Attrs, Attr{Key: kv[i], Value: kv[i+1]})
		}
		return s
	}
	// The spans are shaped like the ones the engines record: the sandbox
	// runner, the cache's tracing hook, the outbound client, the job queue,
	// the auth app and the web middleware.
	tests := []struct {
		name string
		span Span
		want string
	}{
		{"request", span(KindServer, "POST /demos/sql-select", "http.request.method", "POST"), "server-request"},
		{"csrf middleware", span(KindMiddleware, "csrf"), "csrf-check"},
		{"security headers", span(KindMiddleware, "security headers"), "security-headers"},
		{"idempotency middleware", span(KindMiddleware, "idempotency key"), "idempotency-key"},
		{"load balancer hop", span(KindHTTP, "proxy GET /work → app-2", "engineroom.instance", "app-2", "http.request.resend_count", "1"), "lb-hop"},
		{"a poll", span(KindHTTP, "poll GET /status", "engineroom.realtime.transport", "polling", "http.response.status_code", "200"), "polling"},
		{"a long poll", span(KindHTTP, "long poll GET /status?after=3", "engineroom.realtime.transport", "long-polling"), "long-poll"},
		{"an event stream", span(KindHTTP, "GET /events", "engineroom.realtime.transport", "sse"), "realtime-stream"},
		{"a WebSocket", span(KindHTTP, "GET /ws", "engineroom.realtime.transport", "websocket"), "realtime-stream"},
		{"a message on a stream", span(KindHTTP, "message 3", "engineroom.realtime.transport", "sse", "engineroom.realtime.seq", "3"), "realtime-message"},
		{"a dead letter", span(KindJob, "job event.analytics (attempt 3)", "engineroom.job.outcome", "discarded"), "dead-letter"},
		{"a job that worked", span(KindJob, "job event.miles (attempt 1)", "engineroom.job.outcome", "completed"), "job-run"},
		{"an event published", span(KindInternal, "publish booking.confirmed", "engineroom.event.subscribers", "3"), "event-publish"},
		{"a duplicate skipped", span(KindInternal, "skip duplicate event"), "duplicate-skipped"},
		{"recover middleware", span(KindMiddleware, "recover", "exception.message", "assignment to entry in nil map"), "panic-recover"},
		{"work under a deadline", span(KindInternal, "build the report", "engineroom.watches_context", "true"), "context-deadline"},
		{"other middleware", span(KindMiddleware, "body limit"), "middleware"},
		{"webhook receiver", span(KindHandler, "verify webhook"), "webhook-verify"},
		{"handler", span(KindHandler, "handler sql-select"), "handler"},
		{"select", span(KindSQL, "SELECT", "db.operation.name", "SELECT", "db.query.text", "SELECT 1"), "sql-read"},
		{"with is a read", span(KindSQL, "WITH", "db.operation.name", "WITH"), "sql-read"},
		{"no keyword", span(KindSQL, "SQL", "db.operation.name", ""), "sql-read"},
		{"update", span(KindSQL, "UPDATE", "db.operation.name", "UPDATE"), "sql-write"},
		{"insert", span(KindSQL, "INSERT", "db.operation.name", "INSERT"), "sql-write"},
		{"begin", span(KindSQL, "BEGIN", "db.operation.name", "BEGIN"), "sql-transaction"},
		{"commit", span(KindSQL, "COMMIT", "db.operation.name", "COMMIT"), "sql-transaction"},
		{"rollback", span(KindSQL, "ROLLBACK", "db.operation.name", "ROLLBACK"), "sql-transaction"},
		{"explain", span(KindSQL, "EXPLAIN", "db.operation.name", "EXPLAIN"), "sql-plan"},
		{"create index", span(KindSQL, "CREATE", "db.operation.name", "CREATE"), "sql-schema"},
		{"cache hit", span(KindCache, "GET", "db.operation.name", "GET", "cache.hit", "true"), "cache-hit"},
		{"cache miss", span(KindCache, "GET", "db.operation.name", "GET", "cache.hit", "false"), "cache-miss"},
		{"cache set", span(KindCache, "SET", "db.operation.name", "SET", "cache.ttl_ms", "30000"), "cache-write"},
		{"eviction", span(KindCache, "DEL", "db.operation.name", "DEL", "cache.evicted", "[product:1]"), "cache-eviction"},
		{"lru index", span(KindCache, "ZADD", "db.operation.name", "ZADD", "cache.index", "true"), "cache-lru"},
		{"ttl", span(KindCache, "PTTL", "db.operation.name", "PTTL"), "cache-ttl"},
		{"delete", span(KindCache, "DEL", "db.operation.name", "DEL", "cache.deleted", "1"), "cache-delete"},
		{"other cache command", span(KindCache, "SCAN", "db.operation.name", "SCAN"), "cache-command"},
		{"first attempt", span(KindHTTP, "POST /v1/charges (attempt 1 of 3)", "peer.service", "payment gateway"), "http-service"},
		{"retry", span(KindHTTP, "POST /v1/charges (attempt 2 of 3)", "peer.service", "payment gateway", "http.request.resend_count", "1"), "http-retry"},
		{"webhook post", span(KindHTTP, "POST the webhook", "http.request.header.gateway-signature", "t=1,v1=ab"), "webhook-send"},
		{"request to our own API", span(KindHTTP, "GET /api/v1/flights", "server.address", "this server"), "http-api"},
		{"render", span(KindRender, "render PanelSQL"), "render"},
		{"enqueue", span(KindJob, "enqueue job email", "engineroom.job.kind", "email"), "job-enqueue"},
		{"job attempt", span(KindJob, "job email (attempt 1)"), "job-run"},
		{"breaker refused", span(KindInternal, "charge", "outbound.service", "payment gateway", "outbound.outcome", "breaker_open"), "breaker-open"},
		{"backoff", span(KindInternal, "backoff 120 ms before attempt 2", "outbound.backoff_ms", "120"), "backoff"},
		{"call", span(KindInternal, "charge", "outbound.service", "payment gateway", "outbound.outcome", "ok"), "outbound-call"},
		{"hash", span(KindInternal, "hash the password (argon2id)"), "password-hash"},
		{"check password", span(KindInternal, "check the password (argon2id)"), "password-hash"},
		{"session", span(KindInternal, "load the session", "auth.session.token_sent", "true"), "session"},
		{"token", span(KindInternal, "verify the token"), "token"},
		{"authorize", span(KindInternal, "authorize: is booking 5435 member 1's?"), "authorization"},
		{"login limits", span(KindInternal, "check login limits"), "rate-limit"},
		{"validate", span(KindInternal, "validate the checkout"), "validation"},
		{"seal", span(KindInternal, "seal (AES-256-GCM)", "engineroom.vault.key_id", "k1"), "encryption"},
		{"etag", span(KindInternal, "compare ETag with If-None-Match"), "etag-check"},
		{"undo", span(KindInternal, "put the stock back and cancel the order"), "compensation"},
		{"sandbox", span(KindInternal, "sandbox create"), "sandbox"},
		{"readiness", span(KindInternal, "check database", "engineroom.check.ok", "true"), "health-check"},
		{"any other step", span(KindInternal, "load flight"), "app-step"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Classify(tt.span)
			if !ok || got.ID != tt.want {
				t.Fatalf("Classify = %+v, %v; want %q", got, ok, tt.want)
			}
			if got.Kind != tt.span.Kind || got.Label == "" {
				t.Errorf("concept %+v: want kind %q and a label", got, tt.span.Kind)
			}
		})
	}
	if c, ok := Classify(span("custom", "x")); ok {
		t.Errorf("an unknown kind classified as %+v", c)
	}
}

// TestConcepts checks the table: ids are unique, every kind has a rule
// that catches the rest of its spans, and ConceptByID finds each one.
func TestConcepts(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range Concepts() {
		if seen[c.ID] {
			t.Errorf("concept %q is listed twice", c.ID)
		}
		seen[c.ID] = true
		if c.ID == "" || c.Label == "" || c.Kind == "" {
			t.Errorf("concept %+v: want an id, a kind and a label", c)
		}
		if got, ok := ConceptByID(c.ID); !ok || got != c {
			t.Errorf("ConceptByID(%q) = %+v, %v", c.ID, got, ok)
		}
	}
	kinds := []string{KindServer, KindMiddleware, KindHandler, KindSQL, KindCache, KindHTTP, KindRender, KindInternal, KindJob}
	for _, k := range kinds {
		if c, ok := Classify(Span{Kind: k, Name: "anything at all"}); !ok || c.Kind != k {
			t.Errorf("a plain %s span: %+v, %v; want a concept of that kind", k, c, ok)
		}
	}
	for _, r := range conceptRules {
		if !slices.Contains(kinds, r.Kind) {
			t.Errorf("concept %q has kind %q, which is not a span kind", r.ID, r.Kind)
		}
	}
	if _, ok := ConceptByID("no-such-concept"); ok {
		t.Error("ConceptByID found an unknown id")
	}
}

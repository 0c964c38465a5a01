package trace

import "strings"

// Concept is what a span shows a learner, finer than its kind: a SQL span
// is a read, a write or part of a transaction; a cache span a hit, a miss
// or an eviction. Each concept is explained by one lesson, so the back end
// pane can link every span to the place that teaches it.
type Concept struct {
	// ID is stable: lessons name it in their front matter.
	ID string
	// Kind is the span kind the concept belongs to (its colour).
	Kind string
	// Label is a few words for people: "Cache miss".
	Label string
}

// conceptRule recognises one concept. A span matches when it is of the
// rule's kind and every condition the rule sets holds: its name starts
// with one of Names, it has the attribute Attr, and that attribute's value
// is one of Values. The first matching rule wins, so the last rule of each
// kind, with no conditions, catches the rest of that kind.
type conceptRule struct {
	Concept
	Names  []string
	Attr   string
	Values []string
}

// conceptRules is every concept, most specific first within a kind. Adding
// a concept is one line here and one id in a lesson's front matter.
var conceptRules = [...]conceptRule{
	{Concept: Concept{"server-request", KindServer, "Server request"}},

	{Concept: Concept{"csrf-check", KindMiddleware, "CSRF check"}, Names: []string{"csrf"}},
	{Concept: Concept{"security-headers", KindMiddleware, "Security headers"}, Names: []string{"security headers"}},
	{Concept: Concept{"idempotency-key", KindMiddleware, "Idempotency key"}, Names: []string{"idempotency key"}},
	{Concept: Concept{"panic-recover", KindMiddleware, "Panic recovery"}, Names: []string{"recover"}},
	{Concept: Concept{"middleware", KindMiddleware, "Middleware"}},

	{Concept: Concept{"webhook-verify", KindHandler, "Webhook signature check"}, Names: []string{"verify webhook"}},
	{Concept: Concept{"handler", KindHandler, "Handler"}},

	{Concept: Concept{"replica-read", KindSQL, "Read from a replica"}, Attr: "engineroom.db.node", Values: []string{"replica"}},
	{Concept: Concept{"sql-transaction", KindSQL, "SQL transaction"}, Attr: "db.operation.name", Values: []string{"BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE"}},
	{Concept: Concept{"sql-plan", KindSQL, "SQL query plan"}, Attr: "db.operation.name", Values: []string{"EXPLAIN"}},
	{Concept: Concept{"sql-schema", KindSQL, "SQL schema change"}, Attr: "db.operation.name", Values: []string{"CREATE", "DROP", "ALTER", "REINDEX", "ANALYZE"}},
	{Concept: Concept{"sql-write", KindSQL, "SQL write"}, Attr: "db.operation.name", Values: []string{"INSERT", "UPDATE", "DELETE", "REPLACE"}},
	{Concept: Concept{"sql-read", KindSQL, "SQL read"}},

	{Concept: Concept{"cache-hit", KindCache, "Cache hit"}, Attr: "cache.hit", Values: []string{"true"}},
	{Concept: Concept{"cache-miss", KindCache, "Cache miss"}, Attr: "cache.hit", Values: []string{"false"}},
	{Concept: Concept{"cache-eviction", KindCache, "Cache eviction"}, Attr: "cache.evicted"},
	{Concept: Concept{"cache-lru", KindCache, "Cache LRU bookkeeping"}, Attr: "cache.index"},
	{Concept: Concept{"cache-ttl", KindCache, "Cache time to live"}, Attr: "db.operation.name", Values: []string{"PTTL", "TTL", "EXPIRE", "PEXPIRE"}},
	{Concept: Concept{"cache-delete", KindCache, "Cache delete"}, Attr: "db.operation.name", Values: []string{"DEL", "UNLINK"}},
	{Concept: Concept{"cache-write", KindCache, "Cache write"}, Attr: "db.operation.name", Values: []string{"SET", "SETNX", "SETEX", "MSET"}},
	{Concept: Concept{"cache-command", KindCache, "Cache command"}},

	{Concept: Concept{"realtime-message", KindHTTP, "Message on an open stream"}, Attr: "engineroom.realtime.seq"},
	{Concept: Concept{"realtime-stream", KindHTTP, "Event stream or WebSocket"}, Attr: "engineroom.realtime.transport", Values: []string{"sse", "websocket"}},
	{Concept: Concept{"long-poll", KindHTTP, "Long poll"}, Attr: "engineroom.realtime.transport", Values: []string{"long-polling"}},
	{Concept: Concept{"polling", KindHTTP, "Poll"}, Attr: "engineroom.realtime.transport", Values: []string{"polling"}},
	{Concept: Concept{"lb-hop", KindHTTP, "Through the load balancer"}, Attr: "engineroom.instance"},
	{Concept: Concept{"http-retry", KindHTTP, "Retry attempt"}, Attr: "http.request.resend_count"},
	{Concept: Concept{"http-service", KindHTTP, "Call to another service"}, Attr: "peer.service"},
	{Concept: Concept{"webhook-send", KindHTTP, "Signed webhook"}, Attr: "http.request.header.gateway-signature"},
	{Concept: Concept{"http-api", KindHTTP, "Request to an API"}},

	{Concept: Concept{"render", KindRender, "Render"}},

	{Concept: Concept{"dead-letter", KindJob, "Dead-lettered job"}, Attr: "engineroom.job.outcome", Values: []string{"discarded"}},
	{Concept: Concept{"job-enqueue", KindJob, "Job enqueued"}, Names: []string{"enqueue job"}},
	{Concept: Concept{"job-run", KindJob, "Job run"}},

	{Concept: Concept{"breaker-open", KindInternal, "Circuit breaker open"}, Attr: "outbound.outcome", Values: []string{"breaker_open"}},
	{Concept: Concept{"backoff", KindInternal, "Backoff wait"}, Attr: "outbound.backoff_ms"},
	{Concept: Concept{"outbound-call", KindInternal, "Call with timeout and retries"}, Attr: "outbound.service"},
	{Concept: Concept{"password-hash", KindInternal, "Password hash"}, Names: []string{"hash the password", "check the password"}},
	{Concept: Concept{"session", KindInternal, "Session"}, Names: []string{"load the session", "save the session", "renew the session", "destroy the session"}},
	{Concept: Concept{"token", KindInternal, "Signed token"}, Names: []string{"issue a token", "verify the token", "read the header (not trusted", "check the algorithm", "check the claims", "forge a token"}},
	{Concept: Concept{"authorization", KindInternal, "Authorization check"}, Names: []string{"authorize"}},
	{Concept: Concept{"rate-limit", KindInternal, "Rate limit check"}, Names: []string{"check login limits"}},
	{Concept: Concept{"validation", KindInternal, "Validation"}, Names: []string{"validate"}},
	{Concept: Concept{"encryption", KindInternal, "Encryption"}, Attr: "engineroom.vault.key_id"},
	{Concept: Concept{"etag-check", KindInternal, "ETag check"}, Names: []string{"compare ETag"}},
	{Concept: Concept{"compensation", KindInternal, "Undo step"}, Names: []string{"put the stock back", "undo the booking", "release the seat hold"}},
	{Concept: Concept{"sandbox", KindInternal, "Your private database"}, Names: []string{"sandbox create"}},
	{Concept: Concept{"health-check", KindInternal, "Health check"}, Attr: "engineroom.check.ok"},
	{Concept: Concept{"context-deadline", KindInternal, "Work under a deadline"}, Attr: "engineroom.watches_context"},
	{Concept: Concept{"event-publish", KindInternal, "Event published to subscribers"}, Attr: "engineroom.event.subscribers"},
	{Concept: Concept{"duplicate-skipped", KindInternal, "Duplicate event skipped"}, Names: []string{"skip duplicate event"}},
	{Concept: Concept{"replica-wait", KindInternal, "Wait for the replica"}, Names: []string{"wait for the replica"}},
	{Concept: Concept{"shard-routing", KindInternal, "Shard routing"}, Attr: "engineroom.shard.key"},
	{Concept: Concept{"scatter-gather", KindInternal, "Scatter and gather"}, Names: []string{"scatter the query", "gather:"}},
	{Concept: Concept{"load-shedding", KindInternal, "Refused under load"}, Attr: "engineroom.gate.outcome", Values: []string{"refused"}},
	{Concept: Concept{"query-queue", KindInternal, "Query slot and queue"}, Attr: "engineroom.gate.outcome"},
	{Concept: Concept{"app-step", KindInternal, "App step"}},
}

// Classify names the concept a span shows. It reports false only for a
// span of a kind this package does not know.
func Classify(s Span) (Concept, bool) {
	for _, r := range conceptRules {
		if r.Kind == s.Kind && r.matches(s) {
			return r.Concept, true
		}
	}
	return Concept{}, false
}

func (r conceptRule) matches(s Span) bool {
	if len(r.Names) > 0 && !hasAnyPrefix(s.Name, r.Names) {
		return false
	}
	if r.Attr == "" {
		return true
	}
	v, ok := s.Attr(r.Attr)
	if !ok {
		return false
	}
	return len(r.Values) == 0 || hasAny(v, r.Values)
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if len(s) >= len(p) && strings.EqualFold(s[:len(p)], p) {
			return true
		}
	}
	return false
}

func hasAny(s string, values []string) bool {
	for _, v := range values {
		if strings.EqualFold(s, v) {
			return true
		}
	}
	return false
}

// Concepts lists every concept, in the order of the rules.
func Concepts() []Concept {
	out := make([]Concept, len(conceptRules))
	for i, r := range conceptRules {
		out[i] = r.Concept
	}
	return out
}

// ConceptByID returns the concept with the given id.
func ConceptByID(id string) (Concept, bool) {
	for _, r := range conceptRules {
		if r.ID == id {
			return r.Concept, true
		}
	}
	return Concept{}, false
}

package trace

import (
	"testing"
	"time"
)

func TestNarrate(t *testing.T) {
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	span := func(kind, name string, d time.Duration, attrs ...string) Span {
		s := Span{Kind: kind, Name: name, Start: t0}
		if d >= 0 {
			s.End = t0.Add(d)
		}
		for i := 0; i+1 < len(attrs); i += 2 {
			s.Attrs = append(s.Attrs, Attr{Key: attrs[i], Value: attrs[i+1]})
		}
		return s
	}
	failed := func(s Span, msg string) Span {
		s.Error, s.StatusMsg = true, msg
		return s
	}
	const open = -1
	tests := []struct {
		name string
		span Span
		want string
	}{
		{"server still open", span(KindServer, "POST /demos/:id", open, "http.request.method", "POST", "url.path", "/demos/request-echo"),
			"The server receives POST /demos/request-echo; everything below happens before it answers."},
		{"server finished", span(KindServer, "GET /", 4100*time.Microsecond, "http.request.method", "GET", "http.route", "/", "http.response.status_code", "200"),
			"The server receives GET / and answers 200 in 4.1 ms."},
		{"middleware", span(KindMiddleware, "csrf", 30*time.Microsecond),
			"The csrf middleware handles the request in 30 µs, before the handler sees it."},
		{"middleware refuses", failed(span(KindMiddleware, "csrf", 20*time.Microsecond), "code=403, message=invalid csrf token"),
			"The csrf middleware stops the request: code=403, message=invalid csrf token."},
		{"handler", span(KindHandler, "handler request-echo", 1200*time.Microsecond),
			"The handler (request-echo) takes over and does its work in 1.2 ms."},
		{"handler fails", failed(span(KindHandler, "handler pay", time.Millisecond), "card declined"),
			"The handler (pay) fails: card declined."},
		{"sql select", span(KindSQL, "SELECT", 400*time.Microsecond, "db.operation.name", "SELECT", "db.query.text", "SELECT * FROM flights WHERE origin = ?", "db.response.returned_rows", "8", "db.response.rows_affected", "0"),
			"The database runs SELECT … FROM flights and returns 8 rows in 0.4 ms."},
		{"sql one row", span(KindSQL, "SELECT", 400*time.Microsecond, "db.operation.name", "SELECT", "db.response.returned_rows", "1"),
			"The database runs SELECT … and returns 1 row in 0.4 ms."},
		{"sql no rows", span(KindSQL, "SELECT", 2*time.Millisecond, "db.operation.name", "SELECT", "db.query.text", "select 1 from \"seats\"", "db.response.returned_rows", "0", "db.response.rows_affected", "0"),
			"The database runs SELECT … FROM seats and finds no rows in 2 ms."},
		{"sql update", span(KindSQL, "UPDATE", 3*time.Millisecond, "db.operation.name", "UPDATE", "db.query.text", "UPDATE accounts SET miles = miles - 10", "db.response.returned_rows", "0", "db.response.rows_affected", "2"),
			"The database runs UPDATE … UPDATE accounts and changes 2 rows in 3 ms."},
		{"sql error", failed(span(KindSQL, "INSERT", time.Millisecond, "db.operation.name", "INSERT", "db.query.text", "INSERT INTO bookings VALUES (1)"), "UNIQUE constraint failed"),
			"The database refuses INSERT … INTO bookings: UNIQUE constraint failed."},
		{"cache miss", span(KindCache, "GET", 150*time.Microsecond, "db.operation.name", "GET", "cache.key", "flight:LHR-JFK", "cache.hit", "false"),
			"The server asks the cache for flight:LHR-JFK… it isn't there in 0.2 ms."},
		{"cache hit", span(KindCache, "GET", 90*time.Microsecond, "db.operation.name", "GET", "cache.key", "flight:LHR-JFK", "cache.hit", "true", "cache.value_bytes", "512"),
			"The server asks the cache for flight:LHR-JFK… it is there (512 bytes) in 90 µs."},
		{"cache set", span(KindCache, "SET", 200*time.Microsecond, "db.operation.name", "SET", "cache.key", "flight:LHR-JFK", "cache.ttl_ms", "60000"),
			"The server stores flight:LHR-JFK in the cache for 60 s in 0.2 ms."},
		{"cache del", span(KindCache, "DEL", 100*time.Microsecond, "db.operation.name", "DEL", "cache.key", "flight:LHR-JFK"),
			"The server deletes flight:LHR-JFK from the cache in 0.1 ms."},
		{"cache other", span(KindCache, "SMEMBERS", 100*time.Microsecond, "db.operation.name", "SMEMBERS", "cache.key", "idx:flights", "db.response.returned_rows", "3"),
			"The server sends the cache SMEMBERS idx:flights and gets 3 items back in 0.1 ms."},
		{"cache key from the command", span(KindCache, "GET", time.Millisecond, "db.operation.command", "GET user:1"),
			"The server asks the cache for user:1 in 1 ms."},
		{"cache error", failed(span(KindCache, "GET", time.Millisecond, "db.operation.name", "GET", "cache.key", "k"), "connection refused"),
			"The cache fails on GET k: connection refused."},
		{"http ok", span(KindHTTP, "POST /v1/payments (attempt 1 of 3)", 3*time.Millisecond, "http.request.method", "POST", "url.full", "http://127.0.0.1:4010/v1/payments", "server.address", "127.0.0.1", "http.response.status_code", "201"),
			"The server calls another service: POST /v1/payments → 201 in 3 ms."},
		{"http to a named service", span(KindHTTP, "POST /v1/holds (attempt 1 of 3)", 4*time.Millisecond, "http.request.method", "POST", "url.full", "http://127.0.0.1:4012/v1/holds", "server.address", "127.0.0.1", "peer.service", "reservations", "http.response.status_code", "201"),
			"The server calls the reservations service: POST /v1/holds → 201 in 4 ms."},
		{"http named", span(KindHTTP, "GET flights", 12*time.Millisecond, "http.request.method", "GET", "url.path", "/api/v1/flights", "server.address", "this server, through its own router", "http.response.status_code", "200"),
			"The server calls this server, through its own router: GET /api/v1/flights → 200 in 12 ms."},
		{"http failure status", failed(span(KindHTTP, "POST /v1/payments (attempt 2 of 3)", 5*time.Millisecond, "http.request.method", "POST", "url.full", "http://127.0.0.1:4010/v1/payments", "http.response.status_code", "503"), "HTTP 503 Service Unavailable"),
			"The server calls another service: POST /v1/payments → 503, a failure in 5 ms."},
		{"http no answer", failed(span(KindHTTP, "POST /v1/payments (attempt 3 of 3)", 2*time.Second, "http.request.method", "POST", "url.full", "http://localhost:4010/v1/payments"), "timed out after 2 s"),
			"The server calls another service: POST /v1/payments → no answer: timed out after 2 s."},
		{"render", span(KindRender, "render fragment", 800*time.Microsecond),
			"The server renders the fragment in 0.8 ms."},
		{"render bare", span(KindRender, "render", 800*time.Microsecond),
			"The server renders the response in 0.8 ms."},
		{"render fails", failed(span(KindRender, "render page", time.Millisecond), "write: broken pipe"),
			"The server fails to render the page: write: broken pipe."},
		{"job queued", span(KindJob, "enqueue job send-confirmation-email", time.Millisecond, "engineroom.job.kind", "send-confirmation-email"),
			"A job is queued: send-confirmation-email. A worker runs it after the response is sent."},
		{"job queue fails", failed(span(KindJob, "enqueue job send-confirmation-email", time.Millisecond), "queue full"),
			"The server fails to queue the job send-confirmation-email: queue full."},
		{"job runs", span(KindJob, "job send-confirmation-email (attempt 1)", 1500*time.Millisecond, "engineroom.job.kind", "send-confirmation-email"),
			"A worker runs the job send-confirmation-email in 1.5 s."},
		{"job fails", failed(span(KindJob, "job send-confirmation-email (attempt 2)", time.Second, "engineroom.job.kind", "send-confirmation-email"), "mailer down"),
			"A worker runs the job send-confirmation-email, and it fails: mailer down."},
		{"internal", span(KindInternal, "read the request", 12*time.Microsecond),
			"A step of the server's own: read the request in 12 µs."},
		{"internal open", span(KindInternal, "wait for the gateway's webhook", open),
			"A step of the server's own: wait for the gateway's webhook."},
		{"internal fails", failed(span(KindInternal, "check cache", time.Millisecond), "no PONG"),
			"A step of the server's own, \"check cache\", fails: no PONG."},
		{"unknown kind", span("queue", "poll", 2*time.Hour),
			"A step of the server's own: poll in 2h0m0s."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Narrate(tt.span); got != tt.want {
				t.Errorf("Narrate:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestRowNarration(t *testing.T) {
	attrs := []Attr{{Key: "db.operation.name", Value: "SELECT"}, {Key: "db.response.returned_rows", Value: "8"}}
	tests := []struct {
		name string
		row  Row
		want string
	}{
		{"finished", Row{Kind: KindSQL, Name: "SELECT", Duration: 400 * time.Microsecond, Attrs: attrs},
			"The database runs SELECT … and returns 8 rows in 0.4 ms."},
		{"still open", Row{Kind: KindSQL, Name: "SELECT", Duration: 400 * time.Microsecond, Open: true, Attrs: attrs},
			"The database runs SELECT … and returns 8 rows."},
		{"failed", Row{Kind: KindHandler, Name: "handler pay", Duration: time.Millisecond, Error: true, StatusMsg: "declined"},
			"The handler (pay) fails: declined."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.row.Narration(); got != tt.want {
				t.Errorf("Narration:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

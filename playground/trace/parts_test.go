package trace

import (
	"slices"
	"testing"
	"time"
)

func TestParts(t *testing.T) {
	root := kinded(sp("root", "", "POST /demos/:id", 0, -1), KindServer,
		Attr{"http.request.method", "POST"}, Attr{"url.path", "/demos/backend-tour"})
	handler := kinded(sp("h", "root", "handler backend-tour", 1, -1), KindHandler)
	mw := kinded(sp("mw", "root", "security headers", 0.5, 0.1), KindMiddleware)
	get := func(id string, start float64, hit string) Span {
		return kinded(sp(id, "h", "GET", start, 0.5), KindCache, Attr{"cache.hit", hit}, Attr{"db.query.text", "GET tour:flight:307"})
	}
	index := kinded(sp("zadd", "h", "ZADD", 2, 0.5), KindCache, Attr{"cache.index", "true"}, Attr{"db.query.text", "ZADD lru:… 1 tour:flight:307"})
	set := kinded(sp("set", "h", "SET", 6, 0.25), KindCache, Attr{"db.query.text", "SET tour:flight:307 <300 bytes> PX 60000"})
	query := kinded(sp("q", "h", "SELECT", 3, 1.5), KindSQL,
		Attr{"db.query.text", "SELECT f.id FROM flights f WHERE f.id = ?"}, Attr{"db.response.returned_rows", "1"})
	call := kinded(sp("call", "h", "reservation system: seats available", 7, 4), KindInternal, Attr{"outbound.service", "reservations"})
	attempt := kinded(sp("a1", "call", "GET /v1/flights/307/availability (attempt 1 of 3)", 7.5, 3), KindHTTP,
		Attr{"http.response.status_code", "200"}, Attr{"server.address", "127.0.0.1"})
	job := kinded(sp("j", "h", "enqueue job send-confirmation-email", 12, 2), KindJob)

	type want struct {
		part          string
		calls         []string // labels
		answers       []string
		hits, misses  int
		time          time.Duration
		errors        int
		firstCallKind string
	}
	tests := []struct {
		name  string
		spans []Span
		want  []want
	}{
		{name: "no spans", spans: nil, want: nil},
		{
			name:  "every part, the cache missing",
			spans: []Span{root, mw, handler, get("g", 2, "false"), index, query, set, call, attempt, job},
			want: []want{
				{part: PartBrowser},
				{part: PartServer, calls: []string{"POST /demos/backend-tour"}, firstCallKind: MsgRequest},
				{part: PartJobs, calls: []string{"enqueue job send-confirmation-email"}, time: ms64(2), firstCallKind: MsgJob},
				{part: PartDatabase, calls: []string{"SELECT … FROM flights WHERE …"}, answers: []string{"1 row"},
					time: ms64(1.5), firstCallKind: MsgSQL},
				{part: PartCache, calls: []string{"GET tour:flight:307 miss", "ZADD lru:… 1 tour:flight:307", "SET tour:flight:307 <300 bytes> PX 60000"},
					misses: 1, time: ms64(1.25), firstCallKind: MsgCache},
				{part: PartReservations, calls: []string{"GET /v1/flights/307/availability (attem…"}, answers: []string{"200 OK"},
					time: ms64(3), firstCallKind: MsgHTTP},
			},
		},
		{
			name:  "a cache hit, no database, a failed call",
			spans: []Span{root, handler, get("g", 2, "true"), call, failed(attempt, "HTTP 500")},
			want: []want{
				{part: PartBrowser},
				{part: PartServer, calls: []string{"POST /demos/backend-tour"}, firstCallKind: MsgRequest},
				{part: PartCache, calls: []string{"GET tour:flight:307 hit"}, hits: 1, time: ms64(0.5), firstCallKind: MsgCache},
				{part: PartReservations, calls: []string{"GET /v1/flights/307/availability (attem…"}, answers: []string{"200 OK"},
					time: ms64(3), errors: 1, firstCallKind: MsgHTTP},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Parts(tt.spans)
			if len(got) != len(tt.want) {
				t.Fatalf("%d parts %+v, want %d", len(got), got, len(tt.want))
			}
			for i, w := range tt.want {
				g := got[i]
				if g.Part != w.part {
					t.Errorf("part %d = %q, want %q", i, g.Part, w.part)
					continue
				}
				if labels := labelsOf(g.Calls); !slices.Equal(labels, w.calls) {
					t.Errorf("%s calls = %q, want %q", w.part, labels, w.calls)
				}
				if labels := labelsOf(g.Answers); !slices.Equal(labels, w.answers) {
					t.Errorf("%s answers = %q, want %q", w.part, labels, w.answers)
				}
				if g.Hits != w.hits || g.Misses != w.misses {
					t.Errorf("%s hits %d, misses %d; want %d, %d", w.part, g.Hits, g.Misses, w.hits, w.misses)
				}
				if g.Time() != w.time {
					t.Errorf("%s time = %v, want %v", w.part, g.Time(), w.time)
				}
				if g.Errors() != w.errors {
					t.Errorf("%s errors = %d, want %d", w.part, g.Errors(), w.errors)
				}
				if len(g.Calls) > 0 && g.Calls[0].Kind != w.firstCallKind {
					t.Errorf("%s first call kind = %q, want %q", w.part, g.Calls[0].Kind, w.firstCallKind)
				}
			}
		})
	}
}

func labelsOf(msgs []Message) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.Label)
	}
	return out
}

package trace

import (
	"fmt"
	"reflect"
	"testing"
)

// kinded is sp with a kind and attributes.
func kinded(s Span, kind string, attrs ...Attr) Span {
	s.Kind = kind
	s.Attrs = attrs
	return s
}

func failed(s Span, msg string) Span {
	s.Error, s.StatusMsg = true, msg
	return s
}

func TestSequence(t *testing.T) {
	root := kinded(sp("root", "", "POST /api/v1/demos/:id", 0, 100), KindServer,
		Attr{"http.request.method", "POST"}, Attr{"http.response.status_code", "200"}, Attr{"url.path", "/api/v1/demos/cache-aside"})
	handler := kinded(sp("h", "root", "handler cache-aside", 1, 98), KindHandler)
	request := Message{From: PartBrowser, To: PartServer, Kind: MsgRequest, Label: "POST /api/v1/demos/cache-aside", Duration: ms64(100)}
	response := Message{From: PartServer, To: PartBrowser, Kind: MsgRequest, Label: "200 OK", Duration: ms64(100), Return: true}

	tests := []struct {
		name  string
		spans []Span
		want  SequenceDiagram
	}{
		{
			name:  "no spans",
			spans: nil,
			want:  SequenceDiagram{},
		},
		{
			name: "cache miss, SQL, cache set, hit",
			spans: []Span{
				root, handler,
				kinded(sp("c1", "h", "GET", 2, 1), KindCache, Attr{"cache.hit", "false"}, Attr{"db.query.text", "GET flights:LHR-ORD"}),
				kinded(sp("q1", "h", "SELECT", 4, 10), KindSQL,
					Attr{"db.query.text", "SELECT flight_no, departs_at, arrives_at FROM flights WHERE origin = ? AND destination = ?"},
					Attr{"db.response.returned_rows", "3"}),
				kinded(sp("c2", "h", "SET", 15, 1), KindCache, Attr{"db.query.text", "SET flights:LHR-ORD <939 bytes> PX 30000"}),
				kinded(sp("c3", "h", "GET", 20, 0.5), KindCache, Attr{"cache.hit", "true"}, Attr{"db.query.text", "GET flights:LHR-ORD"}),
				kinded(sp("q2", "h", "UPDATE", 30, 2), KindSQL,
					Attr{"db.query.text", "UPDATE members SET miles = miles - 12400 WHERE id = 7"}, Attr{"db.response.returned_rows", "0"}, Attr{"db.response.rows_affected", "1"}),
				kinded(sp("r", "root", "render JSON", 90, 1), KindRender),
			},
			want: SequenceDiagram{
				Participants: []string{PartBrowser, PartServer, PartDatabase, PartCache},
				Messages: []Message{
					request,
					{From: PartServer, To: PartCache, Kind: MsgCache, Label: "GET flights:LHR-ORD miss", Duration: ms64(1)},
					{From: PartServer, To: PartDatabase, Kind: MsgSQL, Label: "SELECT … FROM flights WHERE …", Duration: ms64(10)},
					{From: PartDatabase, To: PartServer, Kind: MsgSQL, Label: "3 rows", Duration: ms64(10), Return: true},
					{From: PartServer, To: PartCache, Kind: MsgCache, Label: "SET flights:LHR-ORD <939 bytes> PX 30000", Duration: ms64(1)},
					{From: PartServer, To: PartCache, Kind: MsgCache, Label: "GET flights:LHR-ORD hit", Duration: ms64(0.5)},
					{From: PartServer, To: PartDatabase, Kind: MsgSQL, Label: "UPDATE members SET … WHERE …", Duration: ms64(2)},
					{From: PartDatabase, To: PartServer, Kind: MsgSQL, Label: "1 changed", Duration: ms64(2), Return: true},
					response,
				},
			},
		},
		{
			name: "payment with a retry after a 503, then an email job",
			spans: []Span{
				root, handler,
				kinded(sp("call", "h", "payment gateway: authorize", 5, 60), KindInternal, Attr{"outbound.service", "payments"}),
				failed(kinded(sp("a1", "call", "POST /v1/payments (attempt 1 of 3)", 6, 10), KindHTTP,
					Attr{"http.response.status_code", "503"}, Attr{"server.address", "127.0.0.1"}), "HTTP 503 Service Unavailable"),
				kinded(sp("w", "call", "backoff 100 ms before attempt 2", 16, 30), KindInternal, Attr{"outbound.backoff_ms", "100"}),
				kinded(sp("a2", "call", "POST /v1/payments (attempt 2 of 3)", 46, 12), KindHTTP,
					Attr{"http.response.status_code", "201"}, Attr{"server.address", "127.0.0.1"}),
				kinded(sp("list", "h", "payment gateway: list payments", 60, 5), KindInternal, Attr{"outbound.service", "payments list"}),
				failed(kinded(sp("a3", "list", "GET /v1/payments (attempt 1 of 1)", 60, 4), KindHTTP), "no answer within the attempt's 300 ms"),
				kinded(sp("j", "h", "enqueue job send-confirmation-email", 70, 3), KindJob),
				kinded(sp("m", "h", "email service: send", 74, 3), KindInternal, Attr{"peer.service", "email"}),
				kinded(sp("a4", "m", "POST /v1/messages (attempt 1 of 2)", 74, 2), KindHTTP, Attr{"http.response.status_code", "202"}),
				kinded(sp("x", "h", "tell the partner", 80, 3), KindHTTP, Attr{"server.address", "partner.example"}),
			},
			want: SequenceDiagram{
				Participants: []string{PartBrowser, PartServer, PartPayments, PartEmail, "partner.example"},
				Messages: []Message{
					request,
					{From: PartServer, To: PartPayments, Kind: MsgHTTP, Label: "POST /v1/payments (attempt 1 of 3)", Duration: ms64(10), Error: true},
					{From: PartPayments, To: PartServer, Kind: MsgHTTP, Label: "503 Service Unavailable", Duration: ms64(10), Error: true, Return: true},
					{From: PartServer, To: PartServer, Kind: MsgWait, Label: "backoff 100 ms before attempt 2", Duration: ms64(30), Note: true},
					{From: PartServer, To: PartPayments, Kind: MsgHTTP, Label: "POST /v1/payments (attempt 2 of 3)", Duration: ms64(12)},
					{From: PartPayments, To: PartServer, Kind: MsgHTTP, Label: "201 Created", Duration: ms64(12), Return: true},
					{From: PartServer, To: PartPayments, Kind: MsgHTTP, Label: "GET /v1/payments (attempt 1 of 1)", Duration: ms64(4), Error: true},
					{From: PartPayments, To: PartServer, Kind: MsgHTTP, Label: "no answer within the attempt's 300 ms", Duration: ms64(4), Error: true, Return: true},
					{From: PartServer, To: PartServer, Kind: MsgJob, Label: "enqueue job send-confirmation-email", Duration: ms64(3), Note: true},
					{From: PartServer, To: PartEmail, Kind: MsgHTTP, Label: "POST /v1/messages (attempt 1 of 2)", Duration: ms64(2)},
					{From: PartEmail, To: PartServer, Kind: MsgHTTP, Label: "202 Accepted", Duration: ms64(2), Return: true},
					{From: PartServer, To: "partner.example", Kind: MsgHTTP, Label: "tell the partner", Duration: ms64(3)},
					{From: "partner.example", To: PartServer, Kind: MsgHTTP, Label: "no answer", Duration: ms64(3), Return: true},
					response,
				},
			},
		},
		{
			name: "a failed statement, a request to itself, and a 500",
			spans: []Span{
				failed(kinded(sp("root", "", "POST /api/v1/demos/:id", 0, 50), KindServer, Attr{"http.response.status_code", "500"}), "Internal Server Error"),
				kinded(sp("self", "root", "GET /api/v1/flights", 2, 20), KindHTTP,
					Attr{"http.response.status_code", "200"}, Attr{"server.address", "this server, through its own router"}),
				kinded(sp("inner", "self", "GET /api/v1/flights", 3, 18), KindServer, Attr{"http.response.status_code", "200"}),
				kinded(sp("q", "inner", "SELECT", 4, 5), KindSQL, Attr{"db.query.text", "SELECT 1"}, Attr{"db.response.returned_rows", "1"}),
				failed(kinded(sp("bad", "root", "INSERT", 30, 1), KindSQL,
					Attr{"db.query.text", "INSERT INTO bookings (member_id, flight_id, seat) VALUES (?, ?, ?)"}, Attr{"error.type", "SQLITE_CONSTRAINT_UNIQUE"}),
					"UNIQUE constraint failed"),
				sp("open", "root", "still going", 40, -1),
			},
			want: SequenceDiagram{
				Participants: []string{PartBrowser, PartServer, PartDatabase},
				Messages: []Message{
					{From: PartBrowser, To: PartServer, Kind: MsgRequest, Label: "POST /api/v1/demos/:id", Duration: ms64(50)},
					{From: PartServer, To: PartServer, Kind: MsgSelf, Label: "GET /api/v1/flights", Duration: ms64(20)},
					{From: PartServer, To: PartDatabase, Kind: MsgSQL, Label: "SELECT 1", Duration: ms64(5)},
					{From: PartDatabase, To: PartServer, Kind: MsgSQL, Label: "1 row", Duration: ms64(5), Return: true},
					{From: PartServer, To: PartServer, Kind: MsgSelf, Label: "200 OK", Duration: ms64(20), Return: true},
					{From: PartServer, To: PartDatabase, Kind: MsgSQL, Label: "INSERT INTO bookings …", Duration: ms64(1), Error: true},
					{From: PartDatabase, To: PartServer, Kind: MsgSQL, Label: "error: SQLITE_CONSTRAINT_UNIQUE", Duration: ms64(1), Error: true, Return: true},
					{From: PartServer, To: PartBrowser, Kind: MsgRequest, Label: "500 Internal Server Error", Duration: ms64(50), Error: true, Return: true},
				},
			},
		},
		{
			name: "an open request and an open statement get no answer",
			spans: []Span{
				kinded(sp("root", "", "GET /sql", 0, -1), KindServer),
				kinded(sp("q", "root", "SELECT", 1, -1), KindSQL, Attr{"db.query.text", "SELECT * FROM members"}),
			},
			want: SequenceDiagram{
				Participants: []string{PartBrowser, PartServer, PartDatabase},
				Messages: []Message{
					{From: PartBrowser, To: PartServer, Kind: MsgRequest, Label: "GET /sql"},
					{From: PartServer, To: PartDatabase, Kind: MsgSQL, Label: "SELECT * FROM members"},
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Sequence(tt.spans)
			if !reflect.DeepEqual(got.Participants, tt.want.Participants) {
				t.Errorf("Participants = %q, want %q", got.Participants, tt.want.Participants)
			}
			if len(got.Messages) != len(tt.want.Messages) {
				t.Errorf("%d messages, want %d", len(got.Messages), len(tt.want.Messages))
			}
			for i := range min(len(got.Messages), len(tt.want.Messages)) {
				if got.Messages[i] != tt.want.Messages[i] {
					t.Errorf("message %d = %+v,\n want %+v", i, got.Messages[i], tt.want.Messages[i])
				}
			}
		})
	}
}

// TestSequenceCap checks a long trace is cut to MaxMessages, one note
// saying how many more there were, and the response.
func TestSequenceCap(t *testing.T) {
	for _, n := range []int{MaxMessages - 2, MaxMessages - 1, MaxMessages, MaxMessages + 5, 200} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			spans := []Span{kinded(sp("root", "", "GET /", 0, 1000), KindServer, Attr{"http.response.status_code", "200"})}
			for i := range n {
				spans = append(spans, kinded(sp(fmt.Sprintf("c%03d", i), "root", "GET", float64(i+1), 0.5), KindCache, Attr{"db.query.text", "GET k"}))
			}
			got := Sequence(spans).Messages
			total := n + 2 // the request, the cache commands, the response
			// One message over the cap is the response, which is kept.
			if total <= MaxMessages+1 {
				if len(got) != total {
					t.Fatalf("%d messages, want all %d", len(got), total)
				}
				return
			}
			if len(got) != MaxMessages+2 {
				t.Fatalf("%d messages, want %d", len(got), MaxMessages+2)
			}
			note := got[MaxMessages]
			want := Message{From: PartServer, To: PartServer, Kind: MsgMore, Label: fmt.Sprintf("… %d more", total-MaxMessages-1), Note: true}
			if note != want {
				t.Errorf("note = %+v, want %+v", note, want)
			}
			if last := got[len(got)-1]; last.To != PartBrowser || !last.Return || last.Label != "200 OK" {
				t.Errorf("last message = %+v, want the response", last)
			}
			for i, m := range got[1:MaxMessages] {
				if m.Kind != MsgCache {
					t.Errorf("message %d = %+v, want a cache command", i+1, m)
				}
			}
		})
	}
}

func TestShortSQL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"  SELECT *\n  FROM members  ", "SELECT * FROM members"},
		{"SELECT flight_no, departs_at, arrives_at FROM flights WHERE origin = ?", "SELECT … FROM flights WHERE …"},
		{"select f.id, f.flight_no, f.origin, o.city from flights f join airports o on o.code = f.origin", "SELECT … FROM flights …"},
		{"SELECT id, name, price_cents, stock FROM products ORDER BY id", "SELECT … FROM products …"},
		{"INSERT INTO bookings (member_id, flight_id, seat) VALUES (?, ?, ?)", "INSERT INTO bookings …"},
		{"UPDATE members SET miles = miles - 12400 WHERE id = 7", "UPDATE members SET … WHERE …"},
		{"DELETE FROM cart_items WHERE cart_id = ? AND product_id = ?", "DELETE FROM cart_items WHERE …"},
		{"WITH recent AS (SELECT * FROM bookings) SELECT count(*) FROM recent", "WITH recent AS (SELECT * FROM bookings)…"},
		{"SELECT aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa FROM t", "SELECT … FROM t"},
		{"SELECT ééééééééééééééééééééééééééééééééééééééééééééé", "SELECT éééééééééééééééééééééééééééééééé…"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := shortSQL(tt.in); got != tt.want {
				t.Errorf("shortSQL(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/engineroom/engineroom/playground/sandbox"
	"github.com/engineroom/engineroom/web"
)

// sqlAPIReply is the body of POST /api/v1/sql.
type sqlAPIReply struct {
	Statements []sqlAPIStatement `json:"statements"`
	Recycled   bool              `json:"recycled"`
	RolledBack bool              `json:"rolled_back"`
	Truncated  bool              `json:"truncated"`
	Trace      apiTrace          `json:"trace"`
}

type sqlAPIStatement struct {
	SQL          string         `json:"sql"`
	Columns      []string       `json:"columns"`
	Rows         [][]*string    `json:"rows"`
	RowsAffected int64          `json:"rows_affected"`
	Truncated    bool           `json:"truncated"`
	ElapsedMS    *float64       `json:"elapsed_ms"`
	Plan         []sqlAPIPlan   `json:"plan"`
	Error        *sqlAPIStmtErr `json:"error"`
	NotRun       bool           `json:"not_run"`
}

type sqlAPIPlan struct {
	ID       int          `json:"id"`
	Detail   string       `json:"detail"`
	Children []sqlAPIPlan `json:"children"`
}

type sqlAPIStmtErr struct {
	Code    int    `json:"code"`
	Name    string `json:"name"`
	Message string `json:"message"`
}

// sqlStatementKeys are the fields every statement carries, whatever it did.
var sqlStatementKeys = []string{"sql", "columns", "rows", "rows_affected", "truncated", "elapsed_ms", "plan", "error"}

// sqlReplyKeys are the top-level fields of every SQL reply.
var sqlReplyKeys = []string{"statements", "recycled", "rolled_back", "truncated", "trace"}

// sqlBody is the JSON body that submits src.
func sqlBody(src string, plan bool) string {
	b, err := json.Marshal(map[string]any{"sql": src, "plan": plan})
	if err != nil {
		panic(err)
	}
	return string(b)
}

// sqlPost runs src through the JSON API, requires a 200 and checks the
// reply carries every field.
func sqlPost(t *testing.T, c *client, src string, plan bool) sqlAPIReply {
	t.Helper()
	got, _ := sqlPostReply(t, c, src, plan)
	return got
}

// sqlPostReply is sqlPost that also returns the response.
func sqlPostReply(t *testing.T, c *client, src string, plan bool) (sqlAPIReply, reply) {
	t.Helper()
	r := c.postJSON("/api/v1/sql", sqlBody(src, plan), nil)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("POST /api/v1/sql %.200q: status %d; body:\n%.2000s", src, r.StatusCode, r.text)
	}
	var raw struct {
		Statements []map[string]json.RawMessage `json:"statements"`
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal([]byte(r.text), &top); err != nil {
		t.Fatalf("decoding %.2000s: %v", r.text, err)
	}
	for _, k := range sqlReplyKeys {
		if _, ok := top[k]; !ok {
			t.Errorf("the reply has no %q field: %.500s", k, r.text)
		}
	}
	if err := json.Unmarshal([]byte(r.text), &raw); err != nil {
		t.Fatalf("decoding %.2000s: %v", r.text, err)
	}
	for i, st := range raw.Statements {
		for _, k := range sqlStatementKeys {
			if _, ok := st[k]; !ok {
				t.Errorf("statement %d has no %q field", i+1, k)
			}
		}
	}
	var got sqlAPIReply
	decodeJSON(t, r, &got)
	return got, r
}

// sqlScalar runs one query and returns its first cell ("NULL" for null).
func sqlScalar(t *testing.T, c *client, src string) string {
	t.Helper()
	res := sqlPost(t, c, src, false)
	if len(res.Statements) != 1 {
		t.Fatalf("%q: %d statements", src, len(res.Statements))
	}
	st := res.Statements[0]
	if st.Error != nil {
		t.Fatalf("%q failed: %+v", src, *st.Error)
	}
	if len(st.Rows) == 0 || len(st.Rows[0]) == 0 {
		t.Fatalf("%q returned no rows", src)
	}
	return sqlCellText(st.Rows[0][0])
}

func sqlCellText(c *string) string {
	if c == nil {
		return "NULL"
	}
	return *c
}

// sqlSpansOf are the SQL spans of a trace, in order.
func sqlSpansOf(tr apiTrace) []apiSpan {
	var out []apiSpan
	for _, s := range tr.Spans {
		if s.Kind == "sql" {
			out = append(out, s)
		}
	}
	return out
}

// sqlAsync sends a JSON submission from another goroutine, with the
// cookies of c, and delivers the recorded response. It does not touch t.
func sqlAsync(h http.Handler, c *client, body string) <-chan *httptest.ResponseRecorder {
	var cookies []*http.Cookie
	for _, ck := range c.jar {
		cookies = append(cookies, &http.Cookie{Name: ck.Name, Value: ck.Value})
	}
	remote := c.remote
	done := make(chan *httptest.ResponseRecorder, 1)
	go func() {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/sql", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if remote != "" {
			req.RemoteAddr = remote
		}
		for _, ck := range cookies {
			req.AddCookie(ck)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		done <- rec
	}()
	return done
}

// sqlRunaway counts forever; the time limit stops it.
const sqlRunaway = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"

func sqlStr(s string) *string { return &s }

// sqlClientFor is c, the same visitor with the same cookie jar, reporting
// to t: for a visitor made by a parent test and used in a subtest.
func sqlClientFor(t *testing.T, c *client) *client {
	cc := *c
	cc.t = t
	return &cc
}

// sqlReady waits until srv has built the demo data every sandbox is
// cloned from, which it does in the background after it starts.
func sqlReady(t *testing.T, srv *web.Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	if err := srv.Ready(ctx); err != nil {
		t.Fatalf("Ready: %v", err)
	}
}

// TestSQL covers the SQL console and its JSON API on one server with the
// default sandbox limits.
func TestSQL(t *testing.T) {
	srv := newServer(t, web.Config{})
	sqlReady(t, srv)
	tests := []struct {
		name string
		run  func(t *testing.T, srv *web.Server)
	}{
		{name: "APIStatements", run: testSQLAPIStatements},
		{name: "APIStatus", run: testSQLAPIStatus},
		{name: "APIBusy", run: testSQLAPIBusy},
		{name: "APIResetAndSchema", run: testSQLAPIResetAndSchema},
		{name: "Isolation", run: testSQLIsolation},
		{name: "HostileInput", run: testSQLHostileInput},
		{name: "MarkupEscapedInPanel", run: testSQLMarkupEscapedInPanel},
		{name: "ConsolePage", run: testSQLConsolePage},
		{name: "SchemaPage", run: testSQLSchemaPage},
		{name: "ResetForm", run: testSQLResetForm},
		{name: "Download", run: testSQLDownload},
		{name: "PushURL", run: testSQLPushURL},
		{name: "ResultFragment", run: testSQLResultFragment},
		{name: "PanelRefusals", run: testSQLPanelRefusals},
		{name: "FullPageRun", run: testSQLFullPageRun},
		{name: "CurlTwin", run: testSQLCurlTwin},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, srv) })
	}
}

// sqlLimits is a server with a single query slot and one new sandbox per
// client address a minute, whose sandboxes run on a clock the test moves.
type sqlLimits struct {
	srv *web.Server
	// visitor is a new visitor from an address of its own.
	visitor func(t *testing.T) *client
	// advance moves the sandboxes' clock forward.
	advance func(d time.Duration)
}

// TestSQLLimits covers what a visitor is told when the server or their
// network is over its limits, or their sandbox was dropped.
func TestSQLLimits(t *testing.T) {
	var offset atomic.Int64
	srv := newServer(t, web.Config{Sandbox: sandbox.Options{
		MaxConcurrent: 1, QueueWait: time.Millisecond, QueryTimeout: 500 * time.Millisecond,
		CreationBurst: 1, CreationsPerMinute: 1,
		Now: func() time.Time { return time.Now().Add(time.Duration(offset.Load())) },
	}})
	sqlReady(t, srv)
	n := 0
	env := sqlLimits{
		srv: srv,
		visitor: func(t *testing.T) *client {
			n++
			c := primed(t, srv)
			c.remote = fmt.Sprintf("203.0.113.%d:40000", n)
			return c
		},
		advance: func(d time.Duration) { offset.Add(int64(d)) },
	}
	tests := []struct {
		name string
		run  func(t *testing.T, env sqlLimits)
	}{
		{name: "Saturated", run: testSQLSaturated},
		{name: "CreationRateLimited", run: testSQLCreationRateLimited},
		{name: "Recycled", run: testSQLRecycled}, // last: it moves the clock
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, env) })
	}
}

func testSQLAPIStatements(t *testing.T, srv *web.Server) {
	type wantStmt struct {
		sql          string
		columns      []string
		rows         [][]*string
		rowsAffected int64
		plan         []sqlAPIPlan // nil: no plan
		errCode      int
		errName      string
		errMsg       string
		notRun       bool
	}
	tests := []struct {
		name           string
		sql            string
		plan           bool
		want           []wantStmt
		wantRolledBack bool
	}{
		{
			name: "select with NULL",
			sql:  "SELECT code, city, NULL AS gate FROM airports ORDER BY code LIMIT 2",
			want: []wantStmt{{
				sql:     "SELECT code, city, NULL AS gate FROM airports ORDER BY code LIMIT 2",
				columns: []string{"code", "city", "gate"},
				rows:    [][]*string{{sqlStr("AKL"), sqlStr("Auckland"), nil}, {sqlStr("AMS"), sqlStr("Amsterdam"), nil}},
			}},
		},
		{
			name: "numbers, text 'NULL' and blobs are strings",
			sql:  "SELECT 42 AS i, 2.0 AS r, 'NULL' AS t, x'00ff' AS b",
			want: []wantStmt{{
				sql:     "SELECT 42 AS i, 2.0 AS r, 'NULL' AS t, x'00ff' AS b",
				columns: []string{"i", "r", "t", "b"},
				rows:    [][]*string{{sqlStr("42"), sqlStr("2.0"), sqlStr("NULL"), sqlStr("x'00ff'")}},
			}},
		},
		{
			name: "insert",
			sql:  "INSERT INTO members (name, email, tier, miles, joined_on) VALUES ('Grace', 'grace@example.com', 'gold', 10, '2026-01-01')",
			want: []wantStmt{{
				sql:          "INSERT INTO members (name, email, tier, miles, joined_on) VALUES ('Grace', 'grace@example.com', 'gold', 10, '2026-01-01')",
				columns:      []string{},
				rows:         [][]*string{},
				rowsAffected: 1,
			}},
		},
		{
			name: "update many, then read",
			sql:  "UPDATE members SET tier = 'platinum' WHERE id <= 10;\nSELECT count(*) FROM members WHERE id <= 10 AND tier = 'platinum'",
			want: []wantStmt{
				{sql: "UPDATE members SET tier = 'platinum' WHERE id <= 10", columns: []string{}, rows: [][]*string{}, rowsAffected: 10},
				{sql: "SELECT count(*) FROM members WHERE id <= 10 AND tier = 'platinum'", columns: []string{"count(*)"}, rows: [][]*string{{sqlStr("10")}}},
			},
		},
		{
			name: "a failing statement stops the rest",
			sql:  "SELECT 1 AS one; UPDATE members SET miles = -5 WHERE id = 1; SELECT 2",
			want: []wantStmt{
				{sql: "SELECT 1 AS one", columns: []string{"one"}, rows: [][]*string{{sqlStr("1")}}},
				{sql: "UPDATE members SET miles = -5 WHERE id = 1", columns: []string{}, rows: [][]*string{},
					errCode: 275, errName: "SQLITE_CONSTRAINT_CHECK", errMsg: "CHECK constraint failed: miles >= 0"},
				{sql: "SELECT 2", columns: []string{}, rows: [][]*string{}, notRun: true},
			},
		},
		{
			name: "unknown column",
			sql:  "SELECT nope FROM flights",
			want: []wantStmt{{sql: "SELECT nope FROM flights", columns: []string{}, rows: [][]*string{},
				errCode: 1, errName: "SQLITE_ERROR", errMsg: "no such column: nope"}},
		},
		{
			name: "plan",
			sql:  "SELECT (SELECT count(*) FROM flights WHERE origin = a.code) AS n FROM airports a ORDER BY a.code LIMIT 1",
			plan: true,
			want: []wantStmt{{
				sql:     "SELECT (SELECT count(*) FROM flights WHERE origin = a.code) AS n FROM airports a ORDER BY a.code LIMIT 1",
				columns: []string{"n"},
				rows:    [][]*string{{sqlStr("16")}},
				plan: []sqlAPIPlan{
					{Detail: "SCAN a"},
					{Detail: "CORRELATED SCALAR SUBQUERY 1", Children: []sqlAPIPlan{{Detail: "SCAN flights"}}},
				},
			}},
		},
		{
			name: "no plan unless asked",
			sql:  "SELECT count(*) FROM bookings WHERE member_id = 42",
			want: []wantStmt{{sql: "SELECT count(*) FROM bookings WHERE member_id = 42", columns: []string{"count(*)"}, rows: [][]*string{{sqlStr("26")}}}},
		},
		{
			name: "transaction left open is rolled back",
			sql:  "BEGIN; DELETE FROM bookings WHERE id > 19000",
			want: []wantStmt{
				{sql: "BEGIN", columns: []string{}, rows: [][]*string{}},
				{sql: "DELETE FROM bookings WHERE id > 19000", columns: []string{}, rows: [][]*string{}, rowsAffected: 1000},
			},
			wantRolledBack: true,
		},
		{
			name: "comments only",
			sql:  "-- nothing to run\n;;",
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, srv)
			got, r := sqlPostReply(t, c, tt.sql, tt.plan)
			if got.Recycled || got.Truncated || got.RolledBack != tt.wantRolledBack {
				t.Errorf("recycled = %v, truncated = %v, rolled_back = %v; want false, false, %v", got.Recycled, got.Truncated, got.RolledBack, tt.wantRolledBack)
			}
			if len(got.Statements) != len(tt.want) {
				t.Fatalf("%d statements, want %d: %+v", len(got.Statements), len(tt.want), got.Statements)
			}
			var ran []wantStmt
			for i, w := range tt.want {
				st := got.Statements[i]
				if st.SQL != w.sql {
					t.Errorf("#%d sql = %q, want %q", i+1, st.SQL, w.sql)
				}
				if !slices.Equal(st.Columns, w.columns) {
					t.Errorf("#%d columns = %q, want %q", i+1, st.Columns, w.columns)
				}
				if fmt.Sprint(sqlRowsText(st.Rows)) != fmt.Sprint(sqlRowsText(w.rows)) || (st.Rows == nil) {
					t.Errorf("#%d rows = %v, want %v", i+1, sqlRowsText(st.Rows), sqlRowsText(w.rows))
				}
				for r, row := range w.rows {
					for k, cell := range row {
						if r < len(st.Rows) && k < len(st.Rows[r]) && (cell == nil) != (st.Rows[r][k] == nil) {
							t.Errorf("#%d row %d cell %d: null = %v, want %v", i+1, r, k, st.Rows[r][k] == nil, cell == nil)
						}
					}
				}
				if st.RowsAffected != w.rowsAffected {
					t.Errorf("#%d rows_affected = %d, want %d", i+1, st.RowsAffected, w.rowsAffected)
				}
				if st.Truncated {
					t.Errorf("#%d truncated", i+1)
				}
				switch {
				case st.ElapsedMS == nil || *st.ElapsedMS < 0:
					t.Errorf("#%d elapsed_ms = %v", i+1, st.ElapsedMS)
				case w.notRun && *st.ElapsedMS != 0:
					t.Errorf("#%d did not run but took %v ms", i+1, *st.ElapsedMS)
				}
				if st.Plan == nil {
					t.Errorf("#%d plan is null, want a list", i+1)
				}
				if g, w := sqlPlanString(st.Plan), sqlPlanString(w.plan); g != w {
					t.Errorf("#%d plan = %s, want %s", i+1, g, w)
				}
				sqlCheckPlanIDs(t, st.Plan, map[int]bool{})
				switch {
				case w.errName == "" && st.Error != nil:
					t.Errorf("#%d error = %+v, want none", i+1, *st.Error)
				case w.errName != "" && st.Error == nil:
					t.Errorf("#%d error = null, want %s", i+1, w.errName)
				case w.errName != "" && (st.Error.Code != w.errCode || st.Error.Name != w.errName || st.Error.Message != w.errMsg):
					t.Errorf("#%d error = %+v, want {%d %s %q}", i+1, *st.Error, w.errCode, w.errName, w.errMsg)
				}
				if st.NotRun != w.notRun {
					t.Errorf("#%d not_run = %v, want %v", i+1, st.NotRun, w.notRun)
				}
				if !w.notRun {
					ran = append(ran, w)
				}
			}

			// One SQL span per statement that ran, in order, each a child
			// of the server span.
			if traceID := traceIDOf(t, r); got.Trace.TraceID != traceID {
				t.Errorf("trace_id = %q, want the traceresponse one %q", got.Trace.TraceID, traceID)
			}
			byKind := assertSpans(t, got.Trace)
			if len(byKind["server"]) != 1 || byKind["server"][0].Name != "POST /api/v1/sql" {
				t.Fatalf("server spans = %+v, want one named POST /api/v1/sql", byKind["server"])
			}
			spans := sqlSpansOf(got.Trace)
			if len(spans) != len(ran) {
				t.Fatalf("%d SQL spans, want one per statement that ran (%d)", len(spans), len(ran))
			}
			for i, s := range spans {
				w := ran[i]
				a := s.Attributes
				if a["db.system"] != "sqlite" || a["db.query.text"] != w.sql {
					t.Errorf("SQL span %d: db.system = %q, db.query.text = %q; want sqlite, %q", i+1, a["db.system"], a["db.query.text"], w.sql)
				}
				if op, _, _ := strings.Cut(w.sql, " "); s.Name != op || a["db.operation.name"] != op {
					t.Errorf("SQL span %d: name %q, db.operation.name %q; want %q", i+1, s.Name, a["db.operation.name"], op)
				}
				if a["db.response.returned_rows"] != fmt.Sprint(len(w.rows)) || a["db.response.rows_affected"] != fmt.Sprint(w.rowsAffected) {
					t.Errorf("SQL span %d: returned_rows %q, rows_affected %q; want %d, %d", i+1,
						a["db.response.returned_rows"], a["db.response.rows_affected"], len(w.rows), w.rowsAffected)
				}
				wantStatus := map[bool]string{true: "error", false: "ok"}[w.errName != ""]
				if s.Status != wantStatus || a["error.type"] != w.errName {
					t.Errorf("SQL span %d: status %q, error.type %q; want %q, %q", i+1, s.Status, a["error.type"], wantStatus, w.errName)
				}
				if s.Open || s.ParentID != byKind["server"][0].SpanID {
					t.Errorf("SQL span %d: open = %v, parent %q; want finished, under the server span", i+1, s.Open, s.ParentID)
				}
			}
		})
	}
}

func sqlRowsText(rows [][]*string) [][]string {
	out := make([][]string, len(rows))
	for i, row := range rows {
		for _, c := range row {
			out[i] = append(out[i], sqlCellText(c))
		}
	}
	return out
}

// sqlPlanString writes a plan tree as nested details, ignoring ids.
func sqlPlanString(nodes []sqlAPIPlan) string {
	var b strings.Builder
	for _, n := range nodes {
		b.WriteString("[" + n.Detail)
		if len(n.Children) > 0 {
			b.WriteString(" " + sqlPlanString(n.Children))
		}
		b.WriteString("]")
	}
	return b.String()
}

// sqlCheckPlanIDs checks every plan node has a positive id of its own and a
// list (never null) of children.
func sqlCheckPlanIDs(t *testing.T, nodes []sqlAPIPlan, seen map[int]bool) {
	t.Helper()
	for _, n := range nodes {
		if n.ID <= 0 || seen[n.ID] {
			t.Errorf("plan node %q: id %d, want a positive id of its own", n.Detail, n.ID)
		}
		seen[n.ID] = true
		if n.Children == nil {
			t.Errorf("plan node %q: children is null, want a list", n.Detail)
		}
		sqlCheckPlanIDs(t, n.Children, seen)
	}
}

func testSQLAPIStatus(t *testing.T, srv *web.Server) {
	exactly := "SELECT '" + strings.Repeat("x", 100_000-len("SELECT ''")) + "'"
	tests := []struct {
		name        string
		contentType string
		body        string
		header      http.Header
		wantStatus  int
		wantError   string // substring of the API error; for a 200, the first statement's error ("" for none)
		wantStmts   int    // statements in a 200 reply
	}{
		{name: "select", body: `{"sql":"SELECT 1"}`, wantStatus: 200, wantStmts: 1},
		{name: "SQL error still ran", body: `{"sql":"SELECT * FROM nowhere"}`, wantStatus: 200, wantStmts: 1, wantError: "no such table: nowhere"},
		{name: "same-origin browser", body: `{"sql":"SELECT 1"}`, header: hdr("Sec-Fetch-Site", "same-origin"), wantStatus: 200, wantStmts: 1},
		{name: "charset parameter", contentType: "application/json; charset=utf-8", body: `{"sql":"SELECT 1"}`, wantStatus: 200, wantStmts: 1},
		{name: "plan false", body: `{"sql":"SELECT 1","plan":false}`, wantStatus: 200, wantStmts: 1},
		{name: "empty sql", body: `{"sql":""}`, wantStatus: 200, wantStmts: 0},
		{name: "20 statements", body: sqlBody(strings.Repeat("SELECT 1;", 20), false), wantStatus: 200, wantStmts: 20},
		{name: "exactly 100,000 bytes", body: sqlBody(exactly, false), wantStatus: 200, wantStmts: 1},
		{name: "malformed JSON", body: `{"sql":`, wantStatus: 400, wantError: "malformed JSON"},
		{name: "empty body", body: ``, wantStatus: 400, wantError: "malformed JSON"},
		{name: "array", body: `["SELECT 1"]`, wantStatus: 400, wantError: "malformed JSON"},
		{name: "unknown field", body: `{"sql":"SELECT 1","plans":true}`, wantStatus: 400, wantError: `unknown field "plans"`},
		{name: "sql not a string", body: `{"sql":1}`, wantStatus: 400, wantError: "malformed JSON"},
		{name: "plan not a boolean", body: `{"sql":"SELECT 1","plan":"yes"}`, wantStatus: 400, wantError: "malformed JSON"},
		{name: "trailing data", body: `{"sql":"SELECT 1"} {}`, wantStatus: 400, wantError: "unexpected data after the object"},
		{name: "missing sql", body: `{}`, wantStatus: 400, wantError: `missing "sql"`},
		{name: "null sql", body: `{"sql":null}`, wantStatus: 400, wantError: `missing "sql"`},
		{name: "NUL byte", body: `{"sql":"SELECT 1;\u0000 ATTACH 'x' AS y"}`, wantStatus: 400, wantError: "NUL byte"},
		{name: "invalid UTF-8 in the body", body: "{\"sql\":\"SELECT '\xff\xfe'\"}", wantStatus: 400, wantError: "not valid UTF-8"},
		{name: "21 statements", body: sqlBody(strings.Repeat("SELECT 1;", 21), false), wantStatus: 400, wantError: "Too many statements: a submission may have at most 20."},
		{name: "SQL over 100,000 bytes", body: sqlBody(exactly+" ", false), wantStatus: 413, wantError: "That SQL is too long: a submission may be at most 100,000 bytes."},
		{name: "body over 1 MB", body: sqlBody(strings.Repeat("x", 2<<20), false), wantStatus: 413, wantError: "too large"},
		{name: "text/plain", contentType: "text/plain", body: `{"sql":"SELECT 1"}`, wantStatus: 415, wantError: "Content-Type: application/json"},
		{name: "form encoded", contentType: "application/x-www-form-urlencoded", body: `sql=SELECT+1`, wantStatus: 415, wantError: "Content-Type: application/json"},
		{name: "no content type", contentType: "-", body: `{"sql":"SELECT 1"}`, wantStatus: 415, wantError: "Content-Type: application/json"},
		{name: "cross-site", body: `{"sql":"SELECT 1"}`, header: hdr("Sec-Fetch-Site", "cross-site"), wantStatus: 403, wantError: "cross-site requests to the API are refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.header.Clone()
			if h == nil {
				h = http.Header{}
			}
			switch tt.contentType {
			case "":
				h.Set("Content-Type", "application/json")
			case "-":
			default:
				h.Set("Content-Type", tt.contentType)
			}
			r := newClient(t, srv).send(http.MethodPost, "/api/v1/sql", tt.body, h)
			if r.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body:\n%.1000s", r.StatusCode, tt.wantStatus, r.text)
			}
			assertSecurityHeaders(t, r, false)
			if tt.wantStatus == http.StatusOK {
				var got sqlAPIReply
				decodeJSON(t, r, &got)
				if len(got.Statements) != tt.wantStmts {
					t.Errorf("%d statements, want %d", len(got.Statements), tt.wantStmts)
				}
				for i, st := range got.Statements {
					want := ""
					if i == 0 {
						want = tt.wantError
					}
					switch {
					case want == "" && st.Error != nil:
						t.Errorf("#%d failed: %+v", i+1, *st.Error)
					case want != "" && (st.Error == nil || st.Error.Message != want):
						t.Errorf("#%d error = %+v, want %q", i+1, st.Error, want)
					}
				}
				return
			}
			got := decodeProblem(t, r)
			if got.Status != tt.wantStatus || !strings.Contains(got.Detail, tt.wantError) {
				t.Errorf("error = %+v, want status %d and %q in the message", got, tt.wantStatus, tt.wantError)
			}
		})
	}
}

func testSQLAPIBusy(t *testing.T, srv *web.Server) {
	tests := []struct {
		name       string
		probe      func(c *client) reply
		wantStatus int
		wantText   string
	}{
		{name: "json", wantStatus: http.StatusTooManyRequests,
			probe: func(c *client) reply {
				return c.postJSON("/api/v1/sql", `{"sql":"SELECT 1"}`, nil)
			},
			wantText: "Your previous query is still running. Wait for it to finish, then run this one."},
		{name: "panel", wantStatus: http.StatusTooManyRequests,
			probe: func(c *client) reply {
				return c.postForm("/demos/sql", url.Values{"sql": {"SELECT 1"}, "_csrf": {c.cookie(csrfCookie)}}, hdr("HX-Request", "true"))
			},
			wantText: "Your previous query is still running. Wait for it to finish, then run this one."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, c := sqlProbeWhileRunning(t, srv, func() *client { return primed(t, srv) }, func(c *client) *client { return c }, tt.probe, tt.wantStatus)
			sqlCheckRefusal(t, got, tt.wantStatus, tt.wantText)
			// The visitor can run again once the query ended.
			if v := sqlScalar(t, c, "SELECT 1"); v != "1" {
				t.Errorf("SELECT 1 afterwards = %q", v)
			}
		})
	}
}

func testSQLSaturated(t *testing.T, env sqlLimits) {
	tests := []struct {
		name       string
		probe      func(c *client) reply
		wantStatus int
		wantText   string
	}{
		{name: "json", wantStatus: http.StatusServiceUnavailable,
			probe: func(c *client) reply {
				return c.postJSON("/api/v1/sql", `{"sql":"SELECT 1"}`, nil)
			},
			wantText: "The server is busy running the whole class's queries. Try again in a few seconds."},
		{name: "panel", wantStatus: http.StatusServiceUnavailable,
			probe: func(c *client) reply {
				return c.postForm("/demos/sql", url.Values{"sql": {"SELECT 1"}, "_csrf": {c.cookie(csrfCookie)}}, hdr("HX-Request", "true"))
			},
			wantText: "The server is busy running the whole class's queries. Try again in a few seconds."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			other := env.visitor(t)
			got, _ := sqlProbeWhileRunning(t, env.srv, func() *client { return env.visitor(t) }, func(*client) *client { return other }, tt.probe, tt.wantStatus)
			sqlCheckRefusal(t, got, tt.wantStatus, tt.wantText)
			if ra := got.Header.Get("Retry-After"); ra != "2" {
				t.Errorf("Retry-After = %q, want 2", ra)
			}
			if v := sqlScalar(t, other, "SELECT 1"); v != "1" {
				t.Errorf("the refused visitor's SELECT 1 afterwards = %q", v)
			}
		})
	}
}

// sqlProbeWhileRunning starts a runaway query for a new visitor and sends
// probe (as the visitor prober picks) until it answers wantStatus or the
// runaway query ends. A probe that wins the race for the sandbox or the
// slot makes the runaway query itself refused; then it tries again.
func sqlProbeWhileRunning(t *testing.T, srv http.Handler, newVisitor func() *client, prober func(runner *client) *client,
	probe func(c *client) reply, wantStatus int) (reply, *client) {
	t.Helper()
	for attempt := 1; attempt <= 5; attempt++ {
		runner := newVisitor()
		sqlScalar(t, runner, "SELECT 1") // the sandbox exists before the race
		p := prober(runner)
		done := sqlAsync(srv, runner, sqlBody(sqlRunaway, false))
		var (
			got   reply
			seen  bool
			first *httptest.ResponseRecorder
		)
		for !seen && first == nil {
			select {
			case first = <-done:
				continue
			default:
			}
			r := probe(p)
			switch r.StatusCode {
			case wantStatus:
				got, seen = r, true
			case http.StatusOK:
				time.Sleep(2 * time.Millisecond)
			default:
				t.Fatalf("probe: status %d, want 200 or %d; body:\n%.1000s", r.StatusCode, wantStatus, r.text)
			}
		}
		if first == nil {
			first = <-done
		}
		if !seen {
			if first.Code == wantStatus {
				continue // the probe held the sandbox or the slot when the runaway query came
			}
			t.Fatalf("the runaway query ended (status %d) and no probe was refused", first.Code)
		}
		if first.Code != http.StatusOK || !strings.Contains(first.Body.String(), "(time limit)") {
			t.Errorf("the runaway query: status %d, body %.500s; want 200 and a time-limit error", first.Code, first.Body.String())
		}
		return got, runner
	}
	t.Fatalf("5 attempts and the probe always got in first")
	return reply{}, nil
}

// sqlCheckRefusal checks a refusal reads clearly: problem details from
// the API, a notice in the panel otherwise.
func sqlCheckRefusal(t *testing.T, r reply, wantStatus int, wantText string) {
	t.Helper()
	if r.StatusCode != wantStatus {
		t.Fatalf("status = %d, want %d", r.StatusCode, wantStatus)
	}
	if mt, _ := mediaType(t, r); mt == "application/problem+json" {
		got := decodeProblem(t, r)
		if got.Status != wantStatus || got.Detail != wantText {
			t.Errorf("error = %+v, want {%q %d}", got, wantText, wantStatus)
		}
		return
	}
	doc := parseHTML(t, r.text)
	n := doc.Find(".pane-front .notice-error")
	if got := strings.Join(strings.Fields(n.Text()), " "); !strings.Contains(got, wantText) {
		t.Errorf(".pane-front .notice-error = %q, want %q in it", got, wantText)
	}
	if doc.Find(".pane-back li.span").Length() == 0 {
		t.Error("the refusal's panel has no waterfall")
	}
}

// testSQLRecycled lets a visitor's sandbox sit idle past the idle timeout
// and checks the visitor is told, once, that their changes are gone.
func testSQLRecycled(t *testing.T, env sqlLimits) {
	const mine = "SELECT count(*) FROM sqlite_schema WHERE name = 'mine'"
	tests := []struct {
		name     string
		fragment bool
	}{
		{name: "api"},
		{name: "panel", fragment: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := env.visitor(t)
			sqlPost(t, c, "CREATE TABLE mine (x)", false)
			env.advance(31 * time.Minute) // the default idle timeout is 30 minutes
			if tt.fragment {
				r := c.postForm("/demos/sql", url.Values{"sql": {mine}, "_csrf": {c.cookie(csrfCookie)}}, hdr("HX-Request", "true"))
				if r.StatusCode != http.StatusOK {
					t.Fatalf("status = %d; body:\n%.500s", r.StatusCode, r.text)
				}
				doc := parseHTML(t, r.text)
				if got := strings.Join(strings.Fields(doc.Find(".pane-front .notice-warn").Text()), " "); !strings.Contains(got, "Your database was recycled.") {
					t.Errorf(".notice-warn = %q, want the recycled notice", got)
				}
				if got := doc.Find(".pane-front table.data tbody td").Text(); got != "0" {
					t.Errorf("tables named mine: %q, want 0 in a fresh copy", got)
				}
			} else {
				res := sqlPost(t, c, mine, false)
				if !res.Recycled || sqlCellText(res.Statements[0].Rows[0][0]) != "0" {
					t.Errorf("recycled = %v, tables named mine %v; want true and 0", res.Recycled, sqlRowsText(res.Statements[0].Rows))
				}
			}
			if res := sqlPost(t, c, "SELECT 1", false); res.Recycled {
				t.Error("the next run is flagged recycled too")
			}
		})
	}
}

func testSQLCreationRateLimited(t *testing.T, env sqlLimits) {
	srv := env.srv
	first := env.visitor(t)
	if v := sqlScalar(t, first, "SELECT 1"); v != "1" {
		t.Fatalf("the first visitor's SELECT 1 = %q", v)
	}
	sameAddress := func(c *client) *client {
		c.remote = first.remote
		return c
	}
	const msg = "Too many new databases from your network just now. Wait a little and try again."
	tests := []struct {
		name       string
		visitor    func(t *testing.T) *client
		path       string // /api/v1/sql, /demos/sql, /api/v1/sql/schema or /sql/schema
		wantStatus int
		wantText   string
	}{
		{name: "second visitor, same address, API", visitor: func(t *testing.T) *client { return sameAddress(newClient(t, srv)) },
			path: "/api/v1/sql", wantStatus: 429, wantText: msg},
		{name: "second visitor, same address, panel", visitor: func(t *testing.T) *client { return sameAddress(primed(t, srv)) },
			path: "/demos/sql", wantStatus: 429, wantText: msg},
		{name: "second visitor, same address, schema API", visitor: func(t *testing.T) *client { return sameAddress(newClient(t, srv)) },
			path: "/api/v1/sql/schema", wantStatus: 429, wantText: msg},
		{name: "second visitor, same address, schema page", visitor: func(t *testing.T) *client { return sameAddress(newClient(t, srv)) },
			path: "/sql/schema", wantStatus: 429, wantText: msg},
		{name: "first visitor again", visitor: func(t *testing.T) *client { return sqlClientFor(t, first) }, path: "/api/v1/sql", wantStatus: 200},
		{name: "visitor from another address", visitor: env.visitor, path: "/api/v1/sql", wantStatus: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.visitor(t)
			var r reply
			switch tt.path {
			case "/demos/sql":
				r = c.postForm(tt.path, url.Values{"sql": {"SELECT 1"}, "_csrf": {c.cookie(csrfCookie)}}, hdr("HX-Request", "true"))
			case "/api/v1/sql/schema", "/sql/schema":
				r = c.get(tt.path, nil)
			default:
				r = c.postJSON(tt.path, `{"sql":"SELECT 1"}`, nil)
			}
			if tt.wantStatus == http.StatusOK {
				if r.StatusCode != http.StatusOK {
					t.Fatalf("status = %d, want 200; body:\n%.500s", r.StatusCode, r.text)
				}
				return
			}
			if tt.path == "/sql/schema" {
				if r.StatusCode != tt.wantStatus {
					t.Fatalf("status = %d, want %d", r.StatusCode, tt.wantStatus)
				}
				if got := strings.Join(strings.Fields(parseHTML(t, r.text).Find(".error-page").Text()), " "); !strings.Contains(got, tt.wantText) {
					t.Errorf(".error-page = %q, want %q in it", got, tt.wantText)
				}
			} else {
				sqlCheckRefusal(t, r, tt.wantStatus, tt.wantText)
			}
			// One sandbox a minute: the next token is (almost) a minute away.
			if ra, _ := strconv.Atoi(r.Header.Get("Retry-After")); ra < 30 || ra > 60 {
				t.Errorf("Retry-After = %q, want about 60", r.Header.Get("Retry-After"))
			}
		})
	}
}

func testSQLAPIResetAndSchema(t *testing.T, _ *web.Server) {
	// Emptying the tables is not about the time limit, and under the
	// race detector on a busy machine it can take longer than 2 s.
	srv := newServer(t, web.Config{Sandbox: sandbox.Options{QueryTimeout: 30 * time.Second}})
	c := newClient(t, srv)
	const counts = "SELECT (SELECT count(*) FROM members) || '/' || (SELECT count(*) FROM bookings) || '/' || (SELECT count(*) FROM sqlite_schema WHERE name = 'scratch')"
	before := sqlScalar(t, c, counts)
	if before != "2000/20000/0" {
		t.Fatalf("members/bookings/scratch = %s, want 2000/20000/0", before)
	}
	res := sqlPost(t, c, "DELETE FROM bookings; DELETE FROM miles_transactions; DELETE FROM users; DELETE FROM members; CREATE TABLE scratch (x)", false)
	for _, st := range res.Statements {
		if st.Error != nil {
			t.Fatalf("%q failed: %+v", st.SQL, *st.Error)
		}
	}
	if got := sqlScalar(t, c, counts); got != "0/0/1" {
		t.Fatalf("after the deletes members/bookings/scratch = %s, want 0/0/1", got)
	}
	r := c.postJSON("/api/v1/sql/reset", "", nil)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("reset: status %d; body:\n%s", r.StatusCode, r.text)
	}
	var reset struct {
		Reset bool `json:"reset"`
	}
	decodeJSON(t, r, &reset)
	if !reset.Reset {
		t.Errorf("reset reply = %s", r.text)
	}
	if got := sqlScalar(t, c, counts); got != before {
		t.Errorf("after the reset members/bookings/scratch = %s, want %s", got, before)
	}
	if r := c.send(http.MethodPost, "/api/v1/sql/reset", "", nil); r.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("reset without the JSON content type: status %d, want 415", r.StatusCode)
	}

	// The schema of the fresh copy.
	sr := c.get("/api/v1/sql/schema", nil)
	if sr.StatusCode != http.StatusOK {
		t.Fatalf("schema: status %d; body:\n%.500s", sr.StatusCode, sr.text)
	}
	type column struct {
		Name    string `json:"name"`
		Type    string `json:"type"`
		NotNull bool   `json:"not_null"`
		PK      int    `json:"pk"`
		Default string `json:"default"`
	}
	type index struct {
		Name    string   `json:"name"`
		Unique  bool     `json:"unique"`
		Columns []string `json:"columns"`
	}
	type table struct {
		Name    string   `json:"name"`
		Kind    string   `json:"kind"`
		Rows    int64    `json:"rows"`
		Columns []column `json:"columns"`
		Indexes []index  `json:"indexes"`
	}
	var sch struct {
		Tables   []table `json:"tables"`
		Recycled bool    `json:"recycled"`
	}
	decodeJSON(t, sr, &sch)
	if sch.Recycled {
		t.Error("recycled = true for a live sandbox")
	}
	names := make([]string, len(sch.Tables))
	for i, tb := range sch.Tables {
		names[i] = tb.Name
	}
	if !slices.IsSorted(names) {
		t.Errorf("tables are not sorted by name: %v", names)
	}
	if slices.Contains(names, "scratch") {
		t.Error("the schema still lists the table made before the reset")
	}
	tests := []struct {
		table       string
		exactRows   int64 // 0: at least minRows
		minRows     int64
		wantColumn  column
		wantIndex   *index // nil: no index at all
		wantColumns int
	}{
		{table: "bookings", exactRows: 20000, wantColumns: 6,
			wantColumn: column{Name: "paid_miles", Type: "INTEGER", NotNull: true, Default: "0"}},
		{table: "flights", minRows: 5000, wantColumns: 8,
			wantColumn: column{Name: "id", Type: "INTEGER", PK: 1}},
		{table: "members", exactRows: 2000, wantColumns: 6,
			wantColumn: column{Name: "tier", Type: "TEXT", NotNull: true, Default: "'blue'"},
			wantIndex:  &index{Name: "sqlite_autoindex_members_1", Unique: true, Columns: []string{"email"}}},
		{table: "miles_transactions", minRows: 1, wantColumns: 5,
			wantColumn: column{Name: "member_id", Type: "INTEGER", NotNull: true},
			wantIndex:  &index{Name: "miles_transactions_member_id", Unique: false, Columns: []string{"member_id"}}},
		{table: "products", minRows: 300, wantColumns: 6,
			wantColumn: column{Name: "sku", Type: "TEXT", NotNull: true},
			wantIndex:  &index{Name: "sqlite_autoindex_products_1", Unique: true, Columns: []string{"sku"}}},
		{table: "orders", minRows: 5000,
			wantColumn: column{Name: "customer_id", Type: "INTEGER", NotNull: true}},
		{table: "airports", exactRows: 52, wantColumns: 3,
			wantColumn: column{Name: "code", Type: "TEXT", NotNull: true, PK: 1},
			wantIndex:  &index{Name: "sqlite_autoindex_airports_1", Unique: true, Columns: []string{"code"}}},
	}
	for _, tt := range tests {
		t.Run(tt.table, func(t *testing.T) {
			i := slices.IndexFunc(sch.Tables, func(tb table) bool { return tb.Name == tt.table })
			if i < 0 {
				t.Fatalf("no table %q in %v", tt.table, names)
			}
			tb := sch.Tables[i]
			if tb.Kind != "table" {
				t.Errorf("kind = %q, want table", tb.Kind)
			}
			switch {
			case tt.exactRows > 0 && tb.Rows != tt.exactRows:
				t.Errorf("rows = %d, want %d", tb.Rows, tt.exactRows)
			case tt.exactRows == 0 && tb.Rows < tt.minRows:
				t.Errorf("rows = %d, want at least %d", tb.Rows, tt.minRows)
			}
			if tt.wantColumns > 0 && len(tb.Columns) != tt.wantColumns {
				t.Errorf("%d columns, want %d: %+v", len(tb.Columns), tt.wantColumns, tb.Columns)
			}
			if !slices.Contains(tb.Columns, tt.wantColumn) {
				t.Errorf("columns = %+v, want %+v among them", tb.Columns, tt.wantColumn)
			}
			if tb.Columns == nil || tb.Indexes == nil {
				t.Errorf("columns or indexes are null: %+v", tb)
			}
			if tt.wantIndex != nil && !slices.ContainsFunc(tb.Indexes, func(ix index) bool {
				return ix.Name == tt.wantIndex.Name && ix.Unique == tt.wantIndex.Unique && slices.Equal(ix.Columns, tt.wantIndex.Columns)
			}) {
				t.Errorf("indexes = %+v, want %+v among them", tb.Indexes, *tt.wantIndex)
			}
			if tt.table == "bookings" && len(tb.Indexes) != 0 {
				t.Errorf("bookings has indexes %+v; it has none on purpose", tb.Indexes)
			}
		})
	}
}

func testSQLIsolation(t *testing.T, srv *web.Server) {
	a, b := newClient(t, srv), newClient(t, srv)
	tests := []struct {
		name  string
		sql   string // what A runs
		check string // a query both then run
		wantA string
		wantB string
	}{
		{name: "delete", sql: "DELETE FROM bookings WHERE member_id = 1", check: "SELECT count(*) > 0 FROM bookings WHERE member_id = 1", wantA: "0", wantB: "1"},
		{name: "update", sql: "UPDATE members SET miles = 0", check: "SELECT sum(miles) > 0 FROM members", wantA: "0", wantB: "1"},
		{name: "create", sql: "CREATE TABLE only_a (x)", check: "SELECT count(*) FROM sqlite_schema WHERE name = 'only_a'", wantA: "1", wantB: "0"},
		{name: "drop", sql: "DROP TABLE bookings", check: "SELECT count(*) FROM sqlite_schema WHERE name = 'bookings'", wantA: "0", wantB: "1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := sqlClientFor(t, a), sqlClientFor(t, b)
			res := sqlPost(t, a, tt.sql, false)
			if res.Statements[0].Error != nil {
				t.Fatalf("%q: %+v", tt.sql, *res.Statements[0].Error)
			}
			if got := sqlScalar(t, a, tt.check); got != tt.wantA {
				t.Errorf("A: %s = %s, want %s", tt.check, got, tt.wantA)
			}
			if got := sqlScalar(t, b, tt.check); got != tt.wantB {
				t.Errorf("B: %s = %s, want %s (untouched)", tt.check, got, tt.wantB)
			}
		})
	}
}

func testSQLHostileInput(t *testing.T, srv *web.Server) {
	nested := func(n int, open, close string) string {
		return "SELECT " + strings.Repeat(open, n) + "1" + strings.Repeat(close, n)
	}
	const (
		notAllowed = "not allowed in the sandbox"
		tooBig     = "string or blob too big (the sandbox allows 1,000,000 bytes per value)"
		timeLimit  = "query stopped after 2s (time limit)"
		runaway    = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
	)
	tests := []struct {
		name          string
		sql           string
		wantStatus    int
		wantCode      string // error name of the last statement that ran; "" for none
		wantMsg       string // substring of that error, or of the API error for a 4xx
		wantTruncated bool
		wantCut       bool // the whole reply reached its 2 MB cap
		wantRolled    bool
	}{
		{name: "runaway recursive CTE counted", sql: runaway + "SELECT count(*) FROM c", wantStatus: 200, wantCode: "SQLITE_INTERRUPT", wantMsg: timeLimit},
		{name: "runaway recursive CTE listed", sql: runaway + "SELECT x FROM c", wantStatus: 200, wantTruncated: true},
		{name: "output flood", sql: "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 500) " +
			"SELECT printf('%.2000c', 'x') AS a, printf('%.2000c', 'y') AS b, printf('%.2000c', 'z') AS c FROM c; SELECT 2",
			wantStatus: 200, wantTruncated: true, wantCut: true},
		{name: "randomblob(2e9)", sql: "SELECT randomblob(2e9)", wantStatus: 200, wantCode: "SQLITE_TOOBIG", wantMsg: tooBig},
		{name: "zeroblob huge", sql: "SELECT zeroblob(2000000000)", wantStatus: 200, wantCode: "SQLITE_TOOBIG", wantMsg: tooBig},
		{name: "printf width", sql: "SELECT printf('%.*c', 2000000000, 'x')", wantStatus: 200, wantCode: "SQLITE_TOOBIG", wantMsg: tooBig},
		{name: "printf precision of a float", sql: "SELECT length(printf('%.2000000000f', 1.0))", wantStatus: 200, wantCode: "SQLITE_TOOBIG", wantMsg: tooBig},
		{name: "deep function nesting", sql: nested(60, "abs(", ")"), wantStatus: 200, wantCode: "SQLITE_ERROR", wantMsg: "too large"},
		{name: "deep subquery nesting", sql: nested(60, "(SELECT ", ")"), wantStatus: 200, wantCode: "SQLITE_ERROR", wantMsg: "too large"},
		{name: "giant compound select", sql: strings.TrimSuffix(strings.Repeat("SELECT 1 UNION ALL ", 25), " UNION ALL "), wantStatus: 200, wantCode: "SQLITE_ERROR", wantMsg: "too many terms in compound SELECT"},
		{name: "ATTACH", sql: "ATTACH ':memory:' AS x", wantStatus: 200, wantCode: "SQLITE_AUTH", wantMsg: "ATTACH is " + notAllowed},
		{name: "ATTACH a file behind a comment", sql: "/* hi */ attach 'file:/tmp/engineroom-attack.db?mode=rwc' AS y", wantStatus: 200, wantCode: "SQLITE_AUTH", wantMsg: notAllowed},
		{name: "load_extension", sql: "SELECT load_extension('/usr/lib/x86_64-linux-gnu/libm.so.6')", wantStatus: 200, wantCode: "SQLITE_AUTH", wantMsg: "load_extension() is " + notAllowed},
		{name: "PRAGMA writable_schema=1", sql: "PRAGMA writable_schema=1", wantStatus: 200, wantCode: "SQLITE_AUTH", wantMsg: notAllowed},
		{name: "write sqlite_schema", sql: "UPDATE sqlite_schema SET sql = 'x'", wantStatus: 200, wantCode: "SQLITE_ERROR", wantMsg: "may not be modified"},
		{name: "PRAGMA journal_mode=OFF", sql: "PRAGMA journal_mode = OFF", wantStatus: 200, wantCode: "SQLITE_AUTH", wantMsg: "can be read but not set"},
		{name: "VACUUM INTO", sql: "VACUUM INTO '/tmp/engineroom-vacuum.db'", wantStatus: 200, wantCode: "SQLITE_AUTH", wantMsg: "VACUUM is " + notAllowed},
		{name: "sqlite_dbpage", sql: "SELECT * FROM sqlite_dbpage", wantStatus: 200, wantCode: "SQLITE_AUTH", wantMsg: "sqlite_dbpage is " + notAllowed},
		{name: "CREATE VIRTUAL TABLE", sql: "CREATE VIRTUAL TABLE docs USING fts5(body)", wantStatus: 200, wantCode: "SQLITE_AUTH", wantMsg: "virtual tables are " + notAllowed},
		{name: "trigger loop", sql: "CREATE TABLE t (x);\nCREATE TRIGGER grow AFTER INSERT ON t BEGIN INSERT INTO t VALUES (new.x + 1); END;\nINSERT INTO t VALUES (1);\nSELECT count(*) FROM t", wantStatus: 200},
		{name: "filling the database", sql: "CREATE TABLE big (b);\n" + runaway + "INSERT INTO big SELECT zeroblob(900000) FROM c", wantStatus: 200, wantCode: "SQLITE_FULL", wantMsg: "database is full (16 MiB sandbox limit) — reset it"},
		{name: "transaction left open", sql: "BEGIN; DELETE FROM bookings WHERE id > 19000", wantStatus: 200, wantRolled: true},
		{name: "markup in results and column names", sql: `SELECT '<script>alert(1)</script>' AS "<img src=x onerror=alert(1)>"`, wantStatus: 200},
		{name: "21 statements", sql: strings.Repeat("SELECT 1;", 21), wantStatus: 400, wantMsg: "Too many statements"},
		{name: "NUL byte", sql: "SELECT 1;\x00 ATTACH 'x' AS y", wantStatus: 400, wantMsg: "the SQL contains a NUL byte"},
		{name: "over 100,000 bytes", sql: "SELECT '" + strings.Repeat("x", 100_000) + "'", wantStatus: 413, wantMsg: "That SQL is too long: a submission may be at most 100,000 bytes."},
	}
	bystander := newClient(t, srv)
	const fingerprint = "SELECT (SELECT count(*) FROM bookings) || '/' || (SELECT sum(miles) FROM members) || '/' || (SELECT count(*) FROM sqlite_schema)"
	want := sqlScalar(t, bystander, fingerprint)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, srv)
			r := c.postJSON("/api/v1/sql", sqlBody(tt.sql, true), nil)
			if r.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body:\n%.1000s", r.StatusCode, tt.wantStatus, r.text)
			}
			if tt.wantStatus != http.StatusOK {
				e := decodeProblem(t, r)
				if e.Status != tt.wantStatus || !strings.Contains(e.Detail, tt.wantMsg) {
					t.Errorf("error = %+v, want %q in it", e, tt.wantMsg)
				}
			} else {
				var res sqlAPIReply
				decodeJSON(t, r, &res)
				var last *sqlAPIStatement
				for i := range res.Statements {
					if !res.Statements[i].NotRun {
						last = &res.Statements[i]
					}
				}
				if last == nil {
					t.Fatal("no statement ran")
				}
				switch {
				case tt.wantCode == "" && last.Error != nil:
					t.Errorf("%q failed: %+v", last.SQL, *last.Error)
				case tt.wantCode != "" && last.Error == nil:
					t.Errorf("%q succeeded, want %s", last.SQL, tt.wantCode)
				case tt.wantCode != "" && (last.Error.Name != tt.wantCode || !strings.Contains(last.Error.Message, tt.wantMsg)):
					t.Errorf("error = %+v, want %s with %q", *last.Error, tt.wantCode, tt.wantMsg)
				}
				if last.Truncated != tt.wantTruncated || res.Truncated != tt.wantCut {
					t.Errorf("truncated = %v (whole reply %v), want %v (%v)", last.Truncated, res.Truncated, tt.wantTruncated, tt.wantCut)
				}
				switch {
				case tt.wantCut && (len(r.text) > 2<<20+64<<10 || !res.Statements[len(res.Statements)-1].NotRun):
					t.Errorf("a cut reply of %d bytes, last statement not run = %v; want about 2 MB and the rest not run",
						len(r.text), res.Statements[len(res.Statements)-1].NotRun)
				case tt.wantTruncated && !tt.wantCut && len(last.Rows) != 500:
					t.Errorf("%d rows, want the 500-row cap", len(last.Rows))
				}
				if res.RolledBack != tt.wantRolled {
					t.Errorf("rolled_back = %v, want %v", res.RolledBack, tt.wantRolled)
				}
			}
			if got := sqlScalar(t, c, "SELECT 1"); got != "1" {
				t.Errorf("SELECT 1 afterwards = %q", got)
			}
			switch tt.name {
			case "trigger loop":
				if got := sqlScalar(t, c, "SELECT count(*) FROM t"); got != "2" {
					t.Errorf("the trigger inserted %s rows, want it not to recurse (2)", got)
				}
			case "transaction left open":
				if got := sqlScalar(t, c, "SELECT count(*) FROM bookings"); got != "20000" {
					t.Errorf("bookings = %s after the rollback, want 20000", got)
				}
			case "markup in results and column names":
				res := sqlPost(t, c, tt.sql, false)
				st := res.Statements[0]
				if len(st.Columns) != 1 || st.Columns[0] != "<img src=x onerror=alert(1)>" ||
					len(st.Rows) != 1 || sqlCellText(st.Rows[0][0]) != "<script>alert(1)</script>" {
					t.Errorf("column %q, rows %v; want both verbatim", st.Columns, sqlRowsText(st.Rows))
				}
			}
		})
	}
	if got := sqlScalar(t, bystander, fingerprint); got != want {
		t.Errorf("a bystander's data changed: %s, was %s", got, want)
	}
}

func testSQLMarkupEscapedInPanel(t *testing.T, srv *web.Server) {
	tests := []struct {
		name       string
		sql        string
		wantHeader []string
		wantCells  []string
		forbidden  string // selector that must match nothing in the fragment
	}{
		{name: "script in a cell", sql: `SELECT '<script>alert(1)</script>' AS c`,
			wantHeader: []string{"c"}, wantCells: []string{"<script>alert(1)</script>"}, forbidden: "script"},
		{name: "image in a column name", sql: `SELECT 1 AS "<img src=x onerror=alert(1)>"`,
			wantHeader: []string{"<img src=x onerror=alert(1)>"}, wantCells: []string{"1"}, forbidden: "img, [onerror]"},
		{name: "closing the table", sql: `SELECT '</td></tr></table><b id=pwn>x</b>' AS "</th><i>h</i>"`,
			wantHeader: []string{"</th><i>h</i>"}, wantCells: []string{"</td></tr></table><b id=pwn>x</b>"}, forbidden: "#pwn, .output i"},
		{name: "entities stay text", sql: `SELECT '&lt;b&gt; &amp;' AS "&quot;"`,
			wantHeader: []string{"&quot;"}, wantCells: []string{"&lt;b&gt; &amp;"}, forbidden: ".output b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := primed(t, srv)
			res := sqlPost(t, c, tt.sql, false)
			st := res.Statements[0]
			if !slices.Equal(st.Columns, tt.wantHeader) || len(st.Rows) != 1 || !slices.Equal(sqlRowsText(st.Rows)[0], tt.wantCells) {
				t.Errorf("JSON columns %q rows %q, want %q and %q verbatim", st.Columns, sqlRowsText(st.Rows), tt.wantHeader, tt.wantCells)
			}
			r := c.postForm("/demos/sql", url.Values{"sql": {tt.sql}, "_csrf": {c.cookie(csrfCookie)}}, hdr("HX-Request", "true"))
			if r.StatusCode != http.StatusOK {
				t.Fatalf("status = %d; body:\n%.1000s", r.StatusCode, r.text)
			}
			doc := parseHTML(t, r.text)
			if n := doc.Find(tt.forbidden).Length(); n != 0 {
				t.Errorf("%d elements match %q: the markup was not escaped", n, tt.forbidden)
			}
			table := doc.Find(".pane-front .output table.data")
			var head, cells []string
			table.Find("thead th").Each(func(_ int, s *goquery.Selection) { head = append(head, s.Text()) })
			table.Find("tbody td").Each(func(_ int, s *goquery.Selection) { cells = append(cells, s.Text()) })
			if !slices.Equal(head, tt.wantHeader) || !slices.Equal(cells, tt.wantCells) {
				t.Errorf("table head %q cells %q, want %q and %q as text", head, cells, tt.wantHeader, tt.wantCells)
			}
			if got := doc.Find(".pane-front code.sql-text").Text(); got != tt.sql {
				t.Errorf("statement shown as %q, want %q as text", got, tt.sql)
			}
			for _, v := range append(slices.Clone(tt.wantHeader), tt.wantCells...) {
				if strings.Contains(v, "<") && strings.Contains(r.text, v) {
					t.Errorf("the raw markup %q appears unescaped in the body", v)
				}
			}
		})
	}
}

func testSQLConsolePage(t *testing.T, srv *web.Server) {
	const defaultSQL = "SELECT flight_no, origin, destination, departs_at, miles_price\nFROM flights\nWHERE origin = 'LHR'\nORDER BY departs_at\nLIMIT 10;"
	tests := []struct {
		name     string
		path     string
		wantText string // the textarea's content
	}{
		{name: "default", path: "/sql", wantText: defaultSQL},
		{name: "query in the address", path: "/sql?q=SELECT%2042", wantText: "SELECT 42"},
		{name: "multi-line query", path: "/sql?q=" + url.QueryEscape("SELECT 1;\nSELECT '<b>';"), wantText: "SELECT 1;\nSELECT '<b>';"},
		{name: "empty q", path: "/sql?q=", wantText: defaultSQL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, srv)
			r := c.get(tt.path, nil)
			if r.StatusCode != http.StatusOK {
				t.Fatalf("status = %d; body:\n%.500s", r.StatusCode, r.text)
			}
			if got := r.Header.Get("Content-Type"); got != htmlType {
				t.Errorf("Content-Type = %q", got)
			}
			assertSecurityHeaders(t, r, false)
			doc := parseHTML(t, r.text)
			assertNoInlineCode(t, doc)
			token := c.cookie(csrfCookie)
			if got := doc.Find("head title").Text(); got != "SQL console · Engine Room" {
				t.Errorf("title = %q", got)
			}
			if got := doc.Find("main h1").First().Text(); got != "SQL console" {
				t.Errorf("h1 = %q", got)
			}
			panel := doc.Find("section.demo#demo-sql")
			if panel.Length() != 1 {
				t.Fatal("no section.demo#demo-sql")
			}
			form := panel.Find("form.demo-form")
			if a, _ := form.Attr("hx-post"); a != "/demos/sql" {
				t.Errorf("hx-post = %q", a)
			}
			if a, _ := form.Attr("action"); a != "/demos/sql#demo-sql" {
				t.Errorf("action = %q", a)
			}
			if v, _ := form.Find(`input[name="_csrf"]`).Attr("value"); v != token {
				t.Errorf("panel _csrf = %q, want the cookie's %q", v, token)
			}
			ta := form.Find(`textarea[name="sql"]`)
			if ta.Length() != 1 {
				t.Fatal(`no textarea[name="sql"]`)
			}
			if got := ta.Text(); got != tt.wantText {
				t.Errorf("textarea = %q, want %q", got, tt.wantText)
			}
			if id, _ := ta.Attr("id"); id == "" || form.Find(`label[for="`+id+`"]`).Length() != 1 {
				t.Errorf("the textarea (id %q) has no label", id)
			}
			if cb := form.Find(`input[type="checkbox"][name="plan"]`); cb.Length() != 1 || cb.AttrOr("value", "") != "on" {
				t.Error(`no plan checkbox with value "on"`)
			} else if _, checked := cb.Attr("checked"); checked {
				t.Error("the plan checkbox starts checked")
			}
			if got := strings.TrimSpace(form.Find("button.btn-run[type=submit]").Text()); got != "Run SQL" {
				t.Errorf("run button = %q, want Run SQL", got)
			}
			reset := panel.Find(`.sql-tools form[action="/sql/reset"]`)
			if reset.Length() != 1 || reset.AttrOr("method", "") != "post" || reset.AttrOr("hx-post", "") != "/sql/reset" ||
				reset.AttrOr("hx-target", "") != "#demo-sql-result" {
				t.Errorf("reset form: %d found, method %q, hx-post %q, hx-target %q", reset.Length(),
					reset.AttrOr("method", ""), reset.AttrOr("hx-post", ""), reset.AttrOr("hx-target", ""))
			}
			if v, _ := reset.Find(`input[type="hidden"][name="_csrf"]`).Attr("value"); v != token {
				t.Errorf("reset _csrf = %q, want %q", v, token)
			}
			if got := strings.TrimSpace(reset.Find("button[type=submit]").Text()); got != "Reset my database" {
				t.Errorf("reset button = %q", got)
			}
			dl := panel.Find(`.sql-tools a[href="/sql/download"]`)
			if dl.Length() != 1 || dl.AttrOr("download", "") != "engineroom.sqlite" || strings.TrimSpace(dl.Text()) != "Download my database" {
				t.Errorf("download link: %d found, download=%q, text %q", dl.Length(), dl.AttrOr("download", ""), dl.Text())
			}
			if doc.Find(`#schema a[href="/sql/schema"][hx-get="/sql/schema"][hx-target="#schema-body"]`).Length() != 1 {
				t.Error("no schema browser link")
			}
			if panel.Find("#demo-sql-result .empty").Length() != 1 {
				t.Error("the console shows a result before any run")
			}
		})
	}
}

func testSQLSchemaPage(t *testing.T, srv *web.Server) {
	tests := []struct {
		name     string
		fragment bool
	}{
		{name: "page"},
		{name: "fragment", fragment: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, srv)
			sqlPost(t, c, "CREATE VIEW gold_members AS SELECT id, name FROM members WHERE tier = 'gold'", false)
			h := http.Header{}
			if tt.fragment {
				h.Set("HX-Request", "true")
			}
			r := c.get("/sql/schema", h)
			if r.StatusCode != http.StatusOK {
				t.Fatalf("status = %d; body:\n%.500s", r.StatusCode, r.text)
			}
			if isPage := strings.Contains(strings.ToLower(r.text), "<html"); isPage == tt.fragment {
				t.Errorf("whole page = %v, want %v", isPage, !tt.fragment)
			}
			doc := parseHTML(t, r.text)
			if !tt.fragment {
				if got := doc.Find("main h1").First().Text(); got != "Your database" {
					t.Errorf("h1 = %q", got)
				}
				if doc.Find(`a[href="/sql"]`).Length() == 0 {
					t.Error("no link back to the console")
				}
			}
			tables := map[string]*goquery.Selection{}
			doc.Find(".schema details.schema-table").Each(func(_ int, s *goquery.Selection) {
				tables[s.Find("summary code").Text()] = s
			})
			want := []struct {
				table, rows, column, notes, index string
			}{
				{table: "bookings", rows: "20000 rows", column: "paid_miles", notes: "not null, default 0"},
				{table: "members", rows: "2000 rows", column: "tier", notes: "not null, default 'blue'", index: "sqlite_autoindex_members_1 (email) unique"},
				{table: "airports", rows: "52 rows", column: "code", notes: "primary key, not null"},
				{table: "miles_transactions", rows: "3290 rows", column: "member_id", notes: "not null", index: "miles_transactions_member_id (member_id)"},
				{table: "gold_members", rows: "view", column: "name", notes: ""},
			}
			for _, w := range want {
				s, ok := tables[w.table]
				if !ok {
					t.Errorf("no table %s among %d", w.table, len(tables))
					continue
				}
				if got := s.Find("summary .meta").Text(); got != w.rows {
					t.Errorf("%s: %q, want %q", w.table, got, w.rows)
				}
				found := false
				s.Find("table.schema-cols tbody tr").Each(func(_ int, tr *goquery.Selection) {
					if tr.Find("td").Eq(0).Text() == w.column {
						found = true
						if got := tr.Find("td").Eq(2).Text(); got != w.notes {
							t.Errorf("%s.%s notes = %q, want %q", w.table, w.column, got, w.notes)
						}
					}
				})
				if !found {
					t.Errorf("%s: no column %s", w.table, w.column)
				}
				var idx []string
				s.Find("ul.schema-indexes li code").Each(func(_ int, li *goquery.Selection) { idx = append(idx, li.Text()) })
				switch {
				case w.index == "" && len(idx) != 0:
					t.Errorf("%s: indexes %q, want none", w.table, idx)
				case w.index != "" && !slices.Contains(idx, w.index):
					t.Errorf("%s: indexes %q, want %q", w.table, idx, w.index)
				}
			}
		})
	}
}

func testSQLResetForm(t *testing.T, srv *web.Server) {
	tests := []struct {
		name       string
		csrf       bool
		fragment   bool
		wantStatus int
		wantSel    string
		wantText   string
		wantReset  bool
	}{
		{name: "partial", csrf: true, fragment: true, wantStatus: 200, wantSel: "p.notice.notice-ok",
			wantText: "Done. Your database is a fresh copy of the demo data again.", wantReset: true},
		{name: "whole page", csrf: true, wantStatus: 200, wantSel: "main .notice-ok",
			wantText: "Done. Your database is a fresh copy of the demo data again.", wantReset: true},
		{name: "without CSRF token", fragment: true, wantStatus: 403, wantSel: ".notice-error", wantText: "security token"},
		{name: "without CSRF token, whole page", wantStatus: 403, wantSel: ".error-page", wantText: "security token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := primed(t, srv)
			sqlPost(t, c, "CREATE TABLE scratch (x)", false)
			form := url.Values{}
			if tt.csrf {
				form.Set("_csrf", c.cookie(csrfCookie))
			}
			h := http.Header{}
			if tt.fragment {
				h.Set("HX-Request", "true")
			}
			r := c.postForm("/sql/reset", form, h)
			if r.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body:\n%.1000s", r.StatusCode, tt.wantStatus, r.text)
			}
			if isPage := strings.Contains(strings.ToLower(r.text), "<html"); isPage == tt.fragment {
				t.Errorf("whole page = %v, want %v", isPage, !tt.fragment)
			}
			doc := parseHTML(t, r.text)
			if got := strings.Join(strings.Fields(doc.Find(tt.wantSel).Text()), " "); !strings.Contains(got, tt.wantText) {
				t.Errorf("%s = %q, want %q in it", tt.wantSel, got, tt.wantText)
			}
			want := map[bool]string{true: "0", false: "1"}[tt.wantReset]
			if got := sqlScalar(t, c, "SELECT count(*) FROM sqlite_schema WHERE name = 'scratch'"); got != want {
				t.Errorf("tables named scratch afterwards: %s, want %s", got, want)
			}
		})
	}
}

func testSQLDownload(t *testing.T, srv *web.Server) {
	const marker = "download_marker_7c1e"
	tests := []struct {
		name       string
		change     string
		wantMarker bool
	}{
		{name: "fresh visitor"},
		{name: "after changes", change: "CREATE TABLE " + marker + " (note TEXT); INSERT INTO " + marker + " VALUES ('kept-in-the-file')", wantMarker: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, srv)
			if tt.change != "" {
				for _, st := range sqlPost(t, c, tt.change, false).Statements {
					if st.Error != nil {
						t.Fatalf("%q: %+v", st.SQL, *st.Error)
					}
				}
			}
			r := c.get("/sql/download", nil)
			if r.StatusCode != http.StatusOK {
				t.Fatalf("status = %d; body:\n%.500s", r.StatusCode, r.text)
			}
			if got := r.Header.Get("Content-Type"); got != "application/vnd.sqlite3" {
				t.Errorf("Content-Type = %q, want application/vnd.sqlite3", got)
			}
			if got := r.Header.Get("Content-Disposition"); got != `attachment; filename="engineroom.sqlite"` {
				t.Errorf("Content-Disposition = %q", got)
			}
			if got := r.Header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", got)
			}
			body := []byte(r.text)
			if !bytes.HasPrefix(body, []byte("SQLite format 3\x00")) {
				t.Fatalf("the file starts with %q, not the SQLite header", body[:min(len(body), 16)])
			}
			// The page size (bytes 16-17, big-endian; 1 means 65536) divides the file.
			ps := int(body[16])<<8 | int(body[17])
			if ps == 1 {
				ps = 65536
			}
			if ps < 512 || len(body)%ps != 0 {
				t.Errorf("page size %d, file %d bytes: not whole pages", ps, len(body))
			}
			for _, s := range []string{marker, "kept-in-the-file"} {
				if got := bytes.Contains(body, []byte(s)); got != tt.wantMarker {
					t.Errorf("the file contains %q: %v, want %v", s, got, tt.wantMarker)
				}
			}
			if !bytes.Contains(body, []byte("CREATE TABLE bookings")) {
				t.Error("the file does not hold the demo schema")
			}
		})
	}
}

func testSQLPushURL(t *testing.T, srv *web.Server) {
	tests := []struct {
		name       string
		demo       string
		sql        string
		currentURL string // "" sends no HX-Current-URL
		wantStatus int
		wantPush   string
	}{
		{name: "console", demo: "sql", sql: "SELECT 42", currentURL: "http://example.com/sql", wantStatus: 200, wantPush: "/sql?q=SELECT+42"},
		{name: "console with a query", demo: "sql", sql: "SELECT code FROM airports WHERE code = 'LHR';", currentURL: "http://example.com/sql?q=SELECT+1",
			wantStatus: 200, wantPush: "/sql?q=" + url.QueryEscape("SELECT code FROM airports WHERE code = 'LHR';")},
		{name: "an SQL error still ran", demo: "sql", sql: "SELECT nope", currentURL: "http://example.com/sql", wantStatus: 200, wantPush: "/sql?q=SELECT+nope"},
		{name: "no current URL", demo: "sql", sql: "SELECT 42", wantStatus: 200},
		{name: "lesson page", demo: "sql-select", sql: "SELECT 42", currentURL: "http://example.com/lessons/sql-basics", wantStatus: 200},
		{name: "another page ending in sql", demo: "sql", sql: "SELECT 42", currentURL: "http://example.com/mysql", wantStatus: 200},
		{name: "refused input", demo: "sql", sql: "SELECT 1\x00", currentURL: "http://example.com/sql", wantStatus: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := primed(t, srv)
			h := hdr("HX-Request", "true")
			if tt.currentURL != "" {
				h.Set("HX-Current-URL", tt.currentURL)
			}
			r := c.postForm("/demos/"+tt.demo, url.Values{"sql": {tt.sql}, "_csrf": {c.cookie(csrfCookie)}}, h)
			if r.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body:\n%.500s", r.StatusCode, tt.wantStatus, r.text)
			}
			if got := r.Header.Get("HX-Push-Url"); got != tt.wantPush {
				t.Errorf("HX-Push-Url = %q, want %q", got, tt.wantPush)
			}
			if tt.wantStatus != http.StatusOK {
				return
			}
			link := parseHTML(t, r.text).Find(".pane-front p.permalink a")
			if want := "/sql?q=" + url.QueryEscape(tt.sql); link.AttrOr("href", "") != want {
				t.Errorf("permalink = %q, want %q", link.AttrOr("href", ""), want)
			}
		})
	}
}

func testSQLResultFragment(t *testing.T, srv *web.Server) {
	const null = "\x00NULL" // a td.null cell
	type stmt struct {
		columns []string
		rows    [][]string
		count   string // .sql-count text
		errCode string
		errText string
		plan    []string
		notRun  bool
	}
	tests := []struct {
		name       string
		sql        string
		plan       bool
		want       []stmt
		wantNotice string // a .notice-warn after the statements
	}{
		{name: "rows and NULL", sql: "SELECT code, city, NULL AS gate FROM airports ORDER BY code LIMIT 3",
			want: []stmt{{columns: []string{"code", "city", "gate"},
				rows:  [][]string{{"AKL", "Auckland", null}, {"AMS", "Amsterdam", null}, {"ARN", "Stockholm", null}},
				count: "3 rows"}}},
		{name: "the text NULL is not null", sql: "SELECT 'NULL' AS t, NULL AS n",
			want: []stmt{{columns: []string{"t", "n"}, rows: [][]string{{"NULL", null}}, count: "1 row"}}},
		{name: "no rows", sql: "SELECT code FROM airports WHERE code = 'XXX'",
			want: []stmt{{columns: []string{"code"}, count: "0 rows"}}},
		{name: "writes", sql: "UPDATE members SET tier = 'gold' WHERE id <= 3; DELETE FROM bookings WHERE id = 1",
			want: []stmt{{count: "3 rows changed"}, {count: "1 row changed"}}},
		{name: "CHECK constraint", sql: "UPDATE members SET miles = -5 WHERE id = 1; SELECT 1",
			want: []stmt{{errCode: "SQLITE_CONSTRAINT_CHECK", errText: "CHECK constraint failed: miles >= 0"}, {notRun: true}}},
		{name: "UNIQUE constraint", sql: "INSERT INTO members (name, email, joined_on) SELECT name, email, joined_on FROM members WHERE id = 1",
			want: []stmt{{errCode: "SQLITE_CONSTRAINT_UNIQUE", errText: "UNIQUE constraint failed: members.email"}}},
		{name: "refused by the sandbox", sql: "ATTACH ':memory:' AS x",
			want: []stmt{{errCode: "SQLITE_AUTH", errText: "ATTACH is not allowed in the sandbox"}}},
		{name: "plan on", sql: "SELECT count(*) FROM bookings WHERE member_id = 42", plan: true,
			want: []stmt{{columns: []string{"count(*)"}, rows: [][]string{{"26"}}, count: "1 row", plan: []string{"SCAN bookings"}}}},
		{name: "plan off", sql: "SELECT count(*) FROM bookings WHERE member_id = 42",
			want: []stmt{{columns: []string{"count(*)"}, rows: [][]string{{"26"}}, count: "1 row"}}},
		{name: "transaction left open", sql: "BEGIN; DELETE FROM bookings WHERE id = 1",
			want: []stmt{{count: "0 rows changed"}, {count: "1 row changed"}}, wantNotice: "rolled back"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := primed(t, srv)
			form := url.Values{"sql": {tt.sql}, "_csrf": {c.cookie(csrfCookie)}}
			if tt.plan {
				form.Set("plan", "on")
			}
			r := c.postForm("/demos/sql", form, hdr("HX-Request", "true"))
			if r.StatusCode != http.StatusOK {
				t.Fatalf("status = %d; body:\n%.1000s", r.StatusCode, r.text)
			}
			doc := parseHTML(t, r.text)
			out := doc.Find(".pane-front .output")
			sts := out.Find(".sql-statement")
			if sts.Length() != len(tt.want) {
				t.Fatalf("%d statements shown, want %d", sts.Length(), len(tt.want))
			}
			for i, w := range tt.want {
				s := sts.Eq(i)
				if got := s.Find(".sql-n").Text(); got != fmt.Sprintf("#%d", i+1) {
					t.Errorf("#%d numbered %q", i+1, got)
				}
				var cols []string
				s.Find("table.data thead th").Each(func(_ int, th *goquery.Selection) { cols = append(cols, th.Text()) })
				if !slices.Equal(cols, w.columns) {
					t.Errorf("#%d columns %q, want %q", i+1, cols, w.columns)
				}
				var rows [][]string
				s.Find("table.data tbody tr").Each(func(_ int, tr *goquery.Selection) {
					var row []string
					tr.Find("td").Each(func(_ int, td *goquery.Selection) {
						v := td.Text()
						if td.HasClass("null") {
							v = null + map[bool]string{true: "", false: "(text " + v + ")"}[v == "NULL"]
						}
						row = append(row, v)
					})
					rows = append(rows, row)
				})
				if fmt.Sprintf("%q", rows) != fmt.Sprintf("%q", w.rows) {
					t.Errorf("#%d rows %q, want %q", i+1, rows, w.rows)
				}
				if got := strings.TrimSpace(s.Find(".sql-count").Text()); got != w.count {
					t.Errorf("#%d count %q, want %q", i+1, got, w.count)
				}
				e := s.Find(".notice-error")
				switch {
				case w.errCode == "" && e.Length() != 0:
					t.Errorf("#%d shows an error: %q", i+1, e.Text())
				case w.errCode != "":
					if got := e.Find("strong").Text(); got != w.errCode {
						t.Errorf("#%d error code %q, want %q", i+1, got, w.errCode)
					}
					if !strings.Contains(e.Text(), w.errText) {
						t.Errorf("#%d error %q, want %q in it", i+1, e.Text(), w.errText)
					}
				}
				if s.HasClass("has-error") != (w.errCode != "") {
					t.Errorf("#%d has-error class = %v", i+1, s.HasClass("has-error"))
				}
				var plan []string
				s.Find("ul.plan-tree li").Each(func(_ int, li *goquery.Selection) {
					plan = append(plan, li.Text())
					if li.HasClass("is-scan") != strings.HasPrefix(li.Text(), "SCAN") {
						t.Errorf("#%d plan step %q: is-scan = %v", i+1, li.Text(), li.HasClass("is-scan"))
					}
				})
				if !slices.Equal(plan, w.plan) {
					t.Errorf("#%d plan %q, want %q", i+1, plan, w.plan)
				}
				if s.HasClass("not-run") != w.notRun || (s.Find(".note").Text() == "Not run: an earlier statement failed.") != w.notRun {
					t.Errorf("#%d not-run = %v (note %q), want %v", i+1, s.HasClass("not-run"), s.Find(".note").Text(), w.notRun)
				}
			}
			warn := out.Find(".notice-warn")
			switch {
			case tt.wantNotice == "" && warn.Length() != 0:
				t.Errorf("a warning: %q", warn.Text())
			case tt.wantNotice != "" && !strings.Contains(warn.Text(), tt.wantNotice):
				t.Errorf("warning %q, want %q in it", warn.Text(), tt.wantNotice)
			}
			// The back end pane shows the statements that ran as SQL spans.
			ran := 0
			for _, w := range tt.want {
				if !w.notRun {
					ran++
				}
			}
			if n := doc.Find(".pane-back li.span.kind-sql").Length(); n != ran {
				t.Errorf("%d SQL spans in the waterfall, want %d", n, ran)
			}
		})
	}
}

func testSQLPanelRefusals(t *testing.T, srv *web.Server) {
	tests := []struct {
		name       string
		sql        string
		wantStatus int
		wantText   string
	}{
		{name: "21 statements", sql: strings.Repeat("SELECT 1;", 21), wantStatus: 400,
			wantText: "Too many statements: a submission may have at most 20."},
		{name: "over 100,000 bytes", sql: "SELECT '" + strings.Repeat("x", 100_000) + "'", wantStatus: 413,
			wantText: "That SQL is too long: a submission may be at most 100,000 bytes."},
		{name: "NUL byte", sql: "SELECT 1\x00", wantStatus: 400, wantText: "sql: must be valid UTF-8 text without NUL bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := primed(t, srv)
			r := c.postForm("/demos/sql", url.Values{"sql": {tt.sql}, "_csrf": {c.cookie(csrfCookie)}}, hdr("HX-Request", "true"))
			sqlCheckRefusal(t, r, tt.wantStatus, tt.wantText)
			if r.Header.Get("HX-Push-Url") != "" {
				t.Errorf("a refused run pushes %q", r.Header.Get("HX-Push-Url"))
			}
		})
	}
}

// testSQLFullPageRun posts the console's form without the partial-update
// script: the whole console comes back with the query kept and the result
// in place.
func testSQLFullPageRun(t *testing.T, srv *web.Server) {
	tests := []struct {
		name      string
		sql       string
		plan      bool
		wantCells []string
		wantPlan  int // plan steps shown
	}{
		{name: "query", sql: "SELECT code FROM airports WHERE code IN ('LHR', 'JFK') ORDER BY code;", wantCells: []string{"JFK", "LHR"}},
		{name: "query with plan", sql: "SELECT count(*) FROM flights WHERE origin = 'LHR'", plan: true, wantCells: []string{"84"}, wantPlan: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := primed(t, srv)
			form := url.Values{"sql": {tt.sql}, "_csrf": {c.cookie(csrfCookie)}}
			if tt.plan {
				form.Set("plan", "on")
			}
			r := c.postFormFollow("/demos/sql", form, nil, "/sql", "sql")
			if r.StatusCode != http.StatusOK {
				t.Fatalf("status = %d; body:\n%.500s", r.StatusCode, r.text)
			}
			doc := parseHTML(t, r.text)
			if got := doc.Find("main h1").First().Text(); got != "SQL console" {
				t.Errorf("h1 = %q, want the console", got)
			}
			if got := doc.Find(`#demo-sql textarea[name="sql"]`).Text(); got != tt.sql {
				t.Errorf("textarea = %q, want the submitted %q", got, tt.sql)
			}
			if _, checked := doc.Find(`#demo-sql input[name="plan"]`).Attr("checked"); checked != tt.plan {
				t.Errorf("plan checkbox checked = %v, want %v", checked, tt.plan)
			}
			var cells []string
			doc.Find("#demo-sql-result .pane-front table.data tbody td").Each(func(_ int, s *goquery.Selection) { cells = append(cells, s.Text()) })
			if !slices.Equal(cells, tt.wantCells) {
				t.Errorf("cells = %q, want %q", cells, tt.wantCells)
			}
			if n := doc.Find("#demo-sql-result ul.plan-tree li").Length(); n != tt.wantPlan {
				t.Errorf("%d plan steps, want %d", n, tt.wantPlan)
			}
			if doc.Find("#demo-sql-result .pane-back li.span.kind-sql").Length() != 1 {
				t.Error("the waterfall has no SQL span")
			}
		})
	}
}

// testSQLCurlTwin runs the panel's "copy as curl" command the way a shell
// would and checks it gives the same result as the panel.
func testSQLCurlTwin(t *testing.T, srv *web.Server) {
	tests := []struct {
		name string
		sql  string
		plan bool
	}{
		{name: "quotes", sql: "SELECT city FROM airports WHERE code = 'LHR'"},
		{name: "quote doubled, newline, plan", sql: "SELECT 'it''s' AS s,\n  \"a\\b\" AS \"c\"", plan: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := primed(t, srv)
			form := url.Values{"sql": {tt.sql}, "_csrf": {c.cookie(csrfCookie)}}
			if tt.plan {
				form.Set("plan", "on")
			}
			r := c.postForm("/demos/sql", form, hdr("HX-Request", "true"))
			if r.StatusCode != http.StatusOK {
				t.Fatalf("status = %d", r.StatusCode)
			}
			doc := parseHTML(t, r.text)
			curl := doc.Find("code#demo-sql-curl").Text()
			_, rest, ok := strings.Cut(curl, "-d '")
			if !ok {
				t.Fatalf("no -d '…' in %q", curl)
			}
			// Undo the shell quoting: the body ends at the first ' that is
			// not part of the '\'' sequence.
			var body strings.Builder
			for {
				i := strings.IndexByte(rest, '\'')
				if i < 0 {
					t.Fatalf("unterminated quote in %q", curl)
				}
				body.WriteString(rest[:i])
				if !strings.HasPrefix(rest[i:], `'\''`) {
					rest = rest[i+1:]
					break
				}
				body.WriteString("'")
				rest = rest[i+4:]
			}
			target := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(strings.ReplaceAll(rest, "\\\n", "")), "http://example.com"))
			if target != "/api/v1/demos/sql" {
				t.Fatalf("curl posts to %q, want /api/v1/demos/sql", target)
			}
			var params map[string]any
			if err := json.Unmarshal([]byte(body.String()), &params); err != nil {
				t.Fatalf("curl body %q: %v", body.String(), err)
			}
			if params["sql"] != tt.sql || params["plan"] != map[bool]string{true: "on", false: "off"}[tt.plan] {
				t.Errorf("curl parameters = %v, want sql %q and plan %v", params, tt.sql, tt.plan)
			}
			jr := newClient(t, srv).postJSON(target, body.String(), nil)
			if jr.StatusCode != http.StatusOK {
				t.Fatalf("the curl twin answered %d: %.300s", jr.StatusCode, jr.text)
			}
			var got struct {
				ID     string      `json:"id"`
				Output sqlAPIReply `json:"output"`
				Trace  apiTrace    `json:"trace"`
			}
			decodeJSON(t, jr, &got)
			var cells []string
			doc.Find(".pane-front table.data tbody td").Each(func(_ int, s *goquery.Selection) { cells = append(cells, s.Text()) })
			var twin []string
			for _, st := range got.Output.Statements {
				for _, row := range sqlRowsText(st.Rows) {
					twin = append(twin, row...)
				}
			}
			if len(cells) == 0 || !slices.Equal(cells, twin) {
				t.Errorf("the panel shows %q, the curl twin %q", cells, twin)
			}
			if hasPlan := len(got.Output.Statements) > 0 && len(got.Output.Statements[0].Plan) > 0; hasPlan != tt.plan {
				t.Errorf("the twin has a plan = %v, want %v", hasPlan, tt.plan)
			}
		})
	}
}

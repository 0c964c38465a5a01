package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/engineroom/engineroom/playground/airline"
	"github.com/engineroom/engineroom/playground/sandbox"
	"github.com/engineroom/engineroom/web"
)

const docsPage = "/lessons/relational-versus-document-data"

// TestDocumentDemos covers the relational-versus-document lesson's three
// panels and their JSON twins on one server.
func TestDocumentDemos(t *testing.T) {
	srv := newDemoServer(t)
	sqlReady(t, srv)
	tests := []struct {
		name string
		run  func(t *testing.T, srv *web.Server)
	}{
		{name: "Read", run: testDocsRead},
		{name: "Filter", run: testDocsFilter},
		{name: "HostileDestination", run: testDocsHostile},
		{name: "Update", run: testDocsUpdate},
		{name: "NoBookings", run: testDocsNoBookings},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, srv) })
	}
}

func testDocsRead(t *testing.T, srv *web.Server) {
	c := newClient(t, srv)
	_, got := demoAPIRunAs(t, c, "docs-read", `{"booking": 19987}`)
	var out struct {
		Rows    [][]string `json:"rows"`
		Columns []string   `json:"columns"`
		Doc     string     `json:"doc"`
		Message string     `json:"message"`
		Table   struct {
			Documents int  `json:"documents"`
			Built     bool `json:"built_now"`
		} `json:"booking_docs"`
	}
	if err := json.Unmarshal(got.Output, &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Rows) != 2 || len(out.Columns) != 13 || out.Table.Documents != airline.DocsLimit || !out.Table.Built || out.Message != "" {
		t.Errorf("rows %d, columns %d, table %+v, message %q; want 2 rows of 13 columns from a table built now", len(out.Rows), len(out.Columns), out.Table, out.Message)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(out.Doc), &doc); err != nil || doc["id"] != float64(19987) {
		t.Fatalf("doc = %q (%v), want booking 19987", out.Doc, err)
	}
	_, page := panelAs(t, c, docsPage, "docs-read", map[string]string{"booking": "19987"})
	sides := page.Find(".pane-front .docs-compare .compare-side")
	if sides.Length() != 2 {
		t.Fatalf("%d sides, want 2", sides.Length())
	}
	if n := sides.Eq(0).Find("table.data tbody tr").Length(); n != 2 {
		t.Errorf("%d rows in the table, want 2", n)
	}
	if n := sides.Eq(0).Find("table.data thead th").Length(); n != 13 {
		t.Errorf("%d column headers, want 13", n)
	}
	pre := sides.Eq(1).Find(".docs-json pre.chroma")
	var shown map[string]any
	if err := json.Unmarshal([]byte(pre.Text()), &shown); err != nil || !reflect.DeepEqual(shown, doc) {
		t.Errorf("the document shown (%v) is not the one stored:\n%s", err, pre.Text())
	}
	if pre.Find("span").Length() == 0 || !strings.Contains(pre.Text(), "\n  \"member\": {") {
		t.Error("the document is not pretty-printed and highlighted")
	}
	if note := page.Find(".pane-front p.note").Last().Text(); !strings.Contains(note, "built by your first run") {
		t.Errorf("note = %q: the second run should not build the table again", note)
	}
	// The form's hint names the first and last booking with a document:
	// both have one, the one before the first has none.
	lesson := parseHTML(t, c.get(docsPage, nil).text)
	hint := lesson.Find("section.demo#demo-docs-read form p.hint").Text()
	first, last := strconv.Itoa(sandbox.SeededBookings-airline.DocsLimit+1), strconv.Itoa(sandbox.SeededBookings)
	if !strings.HasSuffix(hint, ": "+first+" to "+last+".") {
		t.Errorf("hint %q, want the range %s to %s", hint, first, last)
	}
	before := strconv.Itoa(sandbox.SeededBookings - airline.DocsLimit)
	for _, tt := range []struct {
		booking string
		has     bool
	}{{"42", false}, {before, false}, {first, true}, {last, true}} {
		_, page = panelAs(t, c, docsPage, "docs-read", map[string]string{"booking": tt.booking})
		got := page.Find(".pane-front .notice-warn").Text()
		if has := !strings.Contains(got, "in the tables but has no document"); has != tt.has {
			t.Errorf("booking %s: notice %q, want a document: %v", tt.booking, got, tt.has)
		}
	}
}

func testDocsFilter(t *testing.T, srv *web.Server) {
	for _, tt := range []struct {
		method    string
		wantAfter string
		wantSQL   string // a statement the trace must show
	}{
		{method: "an index on the expression", wantAfter: "SEARCH booking_docs USING COVERING INDEX booking_docs_dest (<expr>=?)",
			wantSQL: "CREATE INDEX booking_docs_dest ON booking_docs(json_extract(doc, '$.flight.destination'))"},
		{method: "a generated column and its index", wantAfter: "SEARCH booking_docs USING INDEX booking_docs_dest (dest=?)",
			wantSQL: "ALTER TABLE booking_docs ADD COLUMN dest TEXT GENERATED ALWAYS AS (json_extract(doc, '$.flight.destination')) VIRTUAL"},
	} {
		t.Run(tt.method, func(t *testing.T) {
			c := newClient(t, srv)
			body, _ := json.Marshal(map[string]string{"destination": "CPH", "method": tt.method})
			_, got := demoAPIRunAs(t, c, "docs-filter", string(body))
			var out struct {
				Before  struct{ Plan, Answer []string } `json:"before"`
				After   struct{ Plan, Answer []string } `json:"after"`
				Matches int                             `json:"matches"`
				Sample  []struct {
					ID int `json:"id"`
				} `json:"sample"`
			}
			if err := json.Unmarshal(got.Output, &out); err != nil {
				t.Fatal(err)
			}
			if strings.Join(out.Before.Plan, "|") != "SCAN booking_docs" || strings.Join(out.After.Plan, "|") != tt.wantAfter {
				t.Errorf("plans %v then %v, want SCAN then %q", out.Before.Plan, out.After.Plan, tt.wantAfter)
			}
			if out.Matches < 10 || len(out.Sample) != 5 || out.Before.Answer[0] != out.After.Answer[0] {
				t.Errorf("%d matches, %d in the sample, answers %v and %v", out.Matches, len(out.Sample), out.Before.Answer, out.After.Answer)
			}
			found := false
			for _, s := range sqlSpansOf(got.Trace) {
				found = found || s.Attributes["db.query.text"] == tt.wantSQL
			}
			if !found {
				t.Errorf("no SQL span runs %q", tt.wantSQL)
			}
			_, page := panelAs(t, c, docsPage, "docs-filter", map[string]string{"destination": "CPH", "method": tt.method})
			front := page.Find(".pane-front")
			if n := front.Find(".plan-tree li.is-scan").Length(); n != 1 {
				t.Errorf("%d scans marked, want the one before the index", n)
			}
			if got := strings.Join(strings.Fields(front.Find(".big-number").Text()), " "); !strings.HasSuffix(got, "faster with "+tt.method) {
				t.Errorf("big number = %q", got)
			}
			if n := front.Find("table.data tbody tr").Length(); n != 5 {
				t.Errorf("%d sample rows, want 5", n)
			}
			if n := sqlScalar(t, c, "SELECT count(*) FROM sqlite_schema WHERE name = 'booking_docs_dest'"); n != "0" {
				t.Error("the index was left behind")
			}
		})
	}
}

// testDocsHostile sends destinations that would break a query built by
// gluing text in: each is bound, so each simply matches nothing.
func testDocsHostile(t *testing.T, srv *web.Server) {
	c := newClient(t, srv)
	for _, dest := range []string{
		"' OR 1=1 --",
		"CPH'; DROP TABLE booking_docs; --",
		`") OR json_extract(doc, '$.id') > 0 --`,
		"København ✈ 東京 <b>&amp;</b>",
		strings.Repeat("%_'\"", 10),
	} {
		t.Run(dest[:min(len(dest), 12)], func(t *testing.T) {
			r, page := panelAs(t, c, docsPage, "docs-filter", map[string]string{"destination": dest})
			if r.StatusCode != http.StatusOK {
				t.Fatalf("status %d", r.StatusCode)
			}
			front := page.Find(".pane-front")
			if got := front.Find("code.docs-value").Text(); got != dest {
				t.Errorf("shown as %q, want the text as typed", got)
			}
			if got := front.Find(".notice-warn").Text(); !strings.Contains(got, "No document") {
				t.Errorf("notice %q, want no match", got)
			}
			bound := 0
			page.Find(".pane-back li.span.kind-sql").Each(func(_ int, s *goquery.Selection) {
				if strings.Contains(s.Text(), "json_extract(doc, '$.flight.destination') = ?") {
					bound++
				}
			})
			if bound == 0 {
				t.Error("no SQL span shows the filter with a placeholder")
			}
		})
	}
	if n := sqlScalar(t, c, "SELECT count(*) FROM booking_docs"); n != strconv.Itoa(airline.DocsLimit) {
		t.Errorf("booking_docs holds %s documents afterwards, want %d", n, airline.DocsLimit)
	}
	tooLong := c.postJSON("/api/v1/demos/docs-filter", `{"destination": "`+strings.Repeat("x", 41)+`"}`, nil)
	if tooLong.StatusCode != http.StatusBadRequest || !strings.Contains(tooLong.text, "at most 40 characters") {
		t.Errorf("41 characters: status %d, %.200s", tooLong.StatusCode, tooLong.text)
	}
}

func testDocsUpdate(t *testing.T, srv *web.Server) {
	for _, tt := range []struct {
		change   string
		minDocs  int
		wantDocs int // document statements
	}{
		{change: "a flight's departure time", minDocs: 1, wantDocs: 1},
		{change: "a member's tier", minDocs: 3, wantDocs: 1},
		{change: "an airport's city name", minDocs: 50, wantDocs: 2},
	} {
		t.Run(tt.change, func(t *testing.T) {
			c := newClient(t, srv)
			body, _ := json.Marshal(map[string]string{"change": tt.change})
			_, got := demoAPIRunAs(t, c, "docs-update", string(body))
			var out struct {
				Target     string            `json:"target"`
				Relational []json.RawMessage `json:"relational"`
				Document   []json.RawMessage `json:"document"`
				Rows       int               `json:"rows_changed"`
				Docs       int               `json:"documents_changed"`
				RolledBack bool              `json:"rolled_back"`
			}
			if err := json.Unmarshal(got.Output, &out); err != nil {
				t.Fatal(err)
			}
			if out.Rows != 1 || out.Docs < tt.minDocs || len(out.Relational) != 1 || len(out.Document) != tt.wantDocs || !out.RolledBack || out.Target == "" {
				t.Errorf("%+v; want 1 row, at least %d documents in %d statements, rolled back", out, tt.minDocs, tt.wantDocs)
			}
			_, page := panelAs(t, c, docsPage, "docs-update", map[string]string{"change": tt.change})
			big := page.Find(".pane-front .compare-side .big-number")
			if big.Length() != 2 || strings.Join(strings.Fields(big.Eq(0).Text()), " ") != "1 row changed" ||
				!strings.HasSuffix(strings.Join(strings.Fields(big.Eq(1).Text()), " "), "changed") {
				t.Errorf("big numbers = %q", big.Text())
			}
			if n := page.Find(".pane-back li.span.kind-sql").FilterFunction(func(_ int, s *goquery.Selection) bool {
				return strings.Contains(s.Find(".span-name").Text(), "ROLLBACK")
			}).Length(); n != 1 {
				t.Errorf("%d ROLLBACK spans, want 1", n)
			}
		})
	}
}

// testDocsNoBookings runs every panel for a visitor who deleted all their
// bookings: each still answers, with a message that says what to do.
func testDocsNoBookings(t *testing.T, srv *web.Server) {
	c := newClient(t, srv)
	c.get(docsPage, nil)
	if st := sqlPost(t, c, "DELETE FROM bookings", false).Statements[0]; st.Error != nil {
		t.Fatalf("DELETE: %+v", *st.Error)
	}
	for _, id := range []string{"docs-read", "docs-filter", "docs-update"} {
		r, page := panelAs(t, c, docsPage, id, nil)
		if r.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d", id, r.StatusCode)
		}
		if got := page.Find(".pane-front .notice-warn").Text(); !strings.Contains(got, "Reset my database") {
			t.Errorf("%s: notice %q, want the way out", id, got)
		}
	}
	if st := sqlPost(t, c, "DROP TABLE booking_docs; DROP TABLE miles_transactions", false).Statements[1]; st.Error != nil {
		t.Fatalf("DROP: %+v", *st.Error)
	}
	r := c.postForm("/demos/docs-read", url.Values{"_csrf": {c.cookie(csrfCookie)}}, hdr("HX-Request", "true"))
	if got := parseHTML(t, r.text).Find(".pane-front .notice-error").Text(); r.StatusCode != http.StatusConflict || !strings.Contains(got, "no such table: miles_transactions") {
		t.Errorf("without the ledger table: status %d, notice %q", r.StatusCode, got)
	}
}

package web_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/engineroom/engineroom/web"
)

// contractOut is the JSON twin's output of the contract demo.
type contractOut struct {
	Endpoint    string `json:"endpoint"`
	Change      string `json:"change"`
	Changed     string `json:"changed"`
	Status      int    `json:"status"`
	Schema      string `json:"schema"`
	Checked     int    `json:"checked"`
	Matches     bool   `json:"matches"`
	Differences []struct {
		Path     string `json:"path"`
		Document string `json:"document"`
		Answer   string `json:"answer"`
	} `json:"differences"`
	Truncated bool            `json:"truncated"`
	Calls     json.RawMessage `json:"calls"`
	Curl      string          `json:"curl"`
}

// runContract runs the contract demo's JSON twin and reads its output,
// refusing members it does not know.
func runContract(t *testing.T, srv *web.Server, endpoint, change string) contractOut {
	t.Helper()
	r, got := demoAPIRun(t, srv, "api-contract", map[string]any{"endpoint": endpoint, "change": change})
	if r.StatusCode != http.StatusOK {
		t.Fatalf("status = %d; body:\n%.1000s", r.StatusCode, r.text)
	}
	var out contractOut
	dec := json.NewDecoder(bytes.NewReader(got.Output))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("decoding the output: %v\n%s", err, got.Output)
	}
	return out
}

const contractPage = "/lessons/api-documentation"

// TestAPIContractDemo runs the contract demo through the real router:
// every read of the API matches its document, and each simulated change
// is caught where it was made.
func TestAPIContractDemo(t *testing.T) {
	srv := newServer(t, web.Config{})
	sqlReady(t, srv)
	t.Run("every GET matches", func(t *testing.T) { testContractEveryGet(t, srv) })
	t.Run("changes", func(t *testing.T) { testContractChanges(t, srv) })
	t.Run("panel", func(t *testing.T) { testContractPanel(t, srv) })
	t.Run("refuses", func(t *testing.T) {
		r, _ := demoAPIRun(t, srv, "api-contract", map[string]any{"endpoint": "POST /api/v1/bookings"})
		if r.StatusCode != http.StatusBadRequest {
			t.Errorf("a POST endpoint: status = %d, want 400", r.StatusCode)
		}
	})
}

// testContractEveryGet is a contract test of its own: every GET
// operation of the document, called with its example, answers what the
// document says.
func testContractEveryGet(t *testing.T, srv *web.Server) {
	var doc struct {
		Paths map[string]map[string]struct {
			Responses map[string]json.RawMessage `json:"responses"`
		} `json:"paths"`
	}
	if err := json.Unmarshal([]byte(newClient(t, srv).get("/api/v1/openapi.json", nil).text), &doc); err != nil {
		t.Fatal(err)
	}
	var gets []string
	for path, item := range doc.Paths {
		if _, ok := item["get"]; ok {
			gets = append(gets, path)
		}
	}
	slices.Sort(gets)
	if len(gets) < 10 {
		t.Fatalf("%d GET operations in the document, want at least 10", len(gets))
	}
	for _, path := range gets {
		t.Run(path, func(t *testing.T) {
			out := runContract(t, srv, "GET "+path, "none: the server as it is")
			if !out.Matches || len(out.Differences) != 0 || out.Truncated {
				t.Errorf("matches = %v, differences %+v; want none", out.Matches, out.Differences)
			}
			if _, ok := doc.Paths[path]["get"].Responses[strconv.Itoa(out.Status)]; !ok {
				t.Errorf("status %d is not documented for GET %s", out.Status, path)
			}
			if out.Checked < 2 || out.Endpoint != "GET "+path || out.Changed != "" || !strings.Contains(out.Curl, "curl ") || len(out.Calls) == 0 {
				t.Errorf("checked %d, endpoint %q, changed %q, curl %q; want values checked, the endpoint, no change and a curl", out.Checked, out.Endpoint, out.Changed, out.Curl)
			}
		})
	}
}

// testContractChanges: each simulated change to GET /api/v1/flights is
// caught at flights[0].miles_price, and nowhere else.
func testContractChanges(t *testing.T, srv *web.Server) {
	base := runContract(t, srv, "GET /api/v1/flights", "none: the server as it is")
	var page struct {
		Calls []struct {
			ResponseBody struct {
				Flights []struct {
					MilesPrice int `json:"miles_price"`
				} `json:"flights"`
			} `json:"response_body"`
		}
	}
	if err := json.Unmarshal([]byte(`{"calls":`+string(base.Calls)+`}`), &page); err != nil || len(page.Calls) != 1 || len(page.Calls[0].ResponseBody.Flights) == 0 {
		t.Fatalf("reading the flights answer: %v, %s", err, base.Calls)
	}
	price := strconv.Itoa(page.Calls[0].ResponseBody.Flights[0].MilesPrice)
	type diff struct{ path, document, answer string }
	tests := []struct {
		change  string
		changed string
		checked int // values checked, against the unchanged answer
		want    []diff
	}{
		{"a field renamed", "flights[0].miles_price renamed to milesPrice", 0, []diff{
			{"flights[0].miles_price", "required, integer", "missing"},
			{"flights[0].milesPrice", "no such field (additionalProperties: false)", "integer " + price},
		}},
		{"a field dropped", "flights[0].miles_price dropped", -1, []diff{
			{"flights[0].miles_price", "required, integer", "missing"},
		}},
		{"a number sent as a string", `flights[0].miles_price sent as the string "` + price + `"`, 0, []diff{
			{"flights[0].miles_price", "integer", `string "` + price + `"`},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.change, func(t *testing.T) {
			out := runContract(t, srv, "GET /api/v1/flights", tt.change)
			var got []diff
			for _, d := range out.Differences {
				got = append(got, diff{d.Path, d.Document, d.Answer})
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("differences = %q, want %q", got, tt.want)
			}
			if out.Matches || out.Changed != tt.changed || out.Change != tt.change || out.Status != http.StatusOK || out.Schema != "FlightList" || out.Checked != base.Checked+tt.checked {
				t.Errorf("matches %v, changed %q, change %q, status %d, schema %q, checked %d (unchanged %d)", out.Matches, out.Changed, out.Change, out.Status, out.Schema, out.Checked, base.Checked)
			}
		})
	}
}

// testContractPanel: the panel says plainly that the change is simulated,
// and lists the differences in a table.
func testContractPanel(t *testing.T, srv *web.Server) {
	r, doc := demoPanelRun(t, srv, contractPage, "api-contract", map[string]string{"change": "a field renamed"})
	if r.StatusCode != http.StatusOK {
		t.Fatalf("status = %d; body:\n%.1000s", r.StatusCode, r.text)
	}
	out := doc.Find(".pane-front .output")
	text := func(s *goquery.Selection) string { return strings.Join(strings.Fields(s.Text()), " ") }
	if got := text(out.Find(".notice-error")); !strings.HasPrefix(got, "Breaks the contract: 2 differences.") {
		t.Errorf(".notice-error = %q, want Breaks the contract: 2 differences.", got)
	}
	if got := text(out.Find(".contract-change")); !strings.Contains(strings.ToLower(got), "simulated change, applied to the answer before checking") || !strings.Contains(got, "milesPrice") {
		t.Errorf("change notice = %q", got)
	}
	var rows [][]string
	out.Find("table.contract-findings tbody tr").Each(func(_ int, tr *goquery.Selection) {
		var row []string
		tr.Find("td").Each(func(_ int, td *goquery.Selection) { row = append(row, text(td)) })
		rows = append(rows, row)
	})
	if len(rows) != 2 || rows[0][0] != "flights[0].miles_price" || rows[0][2] != "missing" || rows[1][0] != "flights[0].milesPrice" {
		t.Errorf("rows = %q", rows)
	}
	if got := text(out.Find(".contract-checked")); !strings.Contains(got, "values checked · GET /api/v1/flights answered 200 OK") {
		t.Errorf("headline = %q", got)
	}
	if out.Find(".api-call").Length() != 1 || out.Find(".notice-ok").Length() != 0 {
		t.Errorf("%d exchanges, %d ok notices; want 1 and 0", out.Find(".api-call").Length(), out.Find(".notice-ok").Length())
	}

	// A change the document does not describe passes, and the panel says why.
	_, doc = demoPanelRun(t, srv, contractPage, "api-contract", map[string]string{"endpoint": "GET /api/v1/openapi.json", "change": "a field renamed"})
	out = doc.Find(".pane-front .output")
	if got := text(out.Find(".contract-change")); !strings.Contains(got, "Not caught: the document does not describe that field") {
		t.Errorf("change notice = %q, want Not caught", got)
	}
	if got := text(out.Find(".notice-ok")); !strings.HasPrefix(got, "Matches the document.") || out.Find(".notice-error").Length() != 0 {
		t.Errorf(".notice-ok = %q, want Matches the document and no error", got)
	}
}

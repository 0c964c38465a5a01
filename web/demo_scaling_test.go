package web_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

const scalingPage = "/lessons/scaling"

// scaleText is a selection's text with its white space folded.
func scaleText(s *goquery.Selection) string { return strings.Join(strings.Fields(s.Text()), " ") }

func TestScalingPanels(t *testing.T) {
	srv := newDemoServer(t)
	sqlReady(t, srv)
	tests := []struct {
		name, id string
		set      map[string]string
		// wantNotice is in the summary, of class wantClass.
		wantNotice, wantClass string
		// wantNodes are the databases the statements went to, in order.
		wantNodes []string
		// wantCells are texts each in some cell of the output, by selector.
		wantCells map[string]string
	}{
		{name: "the replica at once is stale", id: "read-replica", set: map[string]string{"lag": "400"},
			wantNotice: "Stale! You earned 500 miles", wantClass: "notice-error",
			wantNodes: []string{"primary", "primary", "replica"},
			wantCells: map[string]string{"dd.scale-pos": "0 of 1", "dd.scale-read.scale-stale": "miles"}},
		{name: "the primary reads your own write", id: "read-replica", set: map[string]string{"read": "the primary (read your own write)"},
			wantNotice: "Fresh. The primary has your write", wantClass: "notice-ok",
			wantNodes: []string{"primary", "primary", "primary"}},
		{name: "waiting for the replica", id: "read-replica", set: map[string]string{"read": "the replica, once it has your write", "lag": "100"},
			wantNotice: "Fresh, after waiting", wantClass: "notice-ok",
			wantNodes: []string{"primary", "primary", "replica"},
			wantCells: map[string]string{"dd.scale-pos": "1 of 1"}},
		{name: "a lookup goes to one shard", id: "sharding", set: map[string]string{"member": "10"},
			wantNotice: "lives on shard-0 (10 % 2 = 0)", wantClass: "notice-ok",
			wantNodes: []string{"shard-0"},
			wantCells: map[string]string{"table.scale-members td": "shard-0"}},
		{name: "top members scatter to both shards", id: "sharding", set: map[string]string{"action": "top members by miles"},
			wantNotice: "each sent its own top 5 (5 + 5 rows)", wantClass: "notice-ok",
			wantNodes: []string{"shard-0", "shard-1"}},
		{name: "a transfer across shards is two transactions", id: "sharding", set: map[string]string{"action": "transfer miles", "member": "1", "to": "2", "miles": "100"},
			wantNotice: "Two transactions: the debit committed on shard-1, then the credit on shard-0.", wantClass: "notice-ok",
			wantNodes: []string{"shard-1", "shard-1", "shard-1", "shard-0", "shard-0", "shard-0"}},
		{name: "a stop between the commits loses the miles", id: "sharding", set: map[string]string{"action": "transfer miles", "member": "1", "to": "2", "miles": "100", "stop": "on"},
			wantNotice: "100 miles are gone from both shards", wantClass: "notice-error",
			wantNodes: []string{"shard-1", "shard-1", "shard-1"}},
		{name: "a burst beyond the queue is refused", id: "back-pressure", set: map[string]string{"queries": "10"},
			wantNotice: "10 queries at once, 2 slots and a queue of 4: 2 ran at once, 4 waited", wantClass: "notice-warn",
			wantCells: map[string]string{".scale-counts .scale-refused": "4 refused", "tr.scale-refused td.scale-status": "503, Retry-After: 1 (queue full)"}},
		{name: "a burst within the slots", id: "back-pressure", set: map[string]string{"queries": "2"},
			wantNotice: "2 queries at once, 2 slots and a queue of 4: 2 ran at once, 0 waited.", wantClass: "notice-ok",
			wantCells: map[string]string{".scale-counts .scale-ran": "2 ran at once"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, doc := demoPanelRun(t, srv, scalingPage, tt.id, tt.set)
			if r.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %.500s", r.StatusCode, r.text)
			}
			out := doc.Find(".pane-front .output")
			notice := out.Find(".notice").First()
			if got := scaleText(notice); !strings.Contains(got, tt.wantNotice) || !notice.HasClass(tt.wantClass) {
				t.Errorf("notice %q (class %q), want %q of class %s", got, notice.AttrOr("class", ""), tt.wantNotice, tt.wantClass)
			}
			if tt.wantNodes != nil {
				var nodes []string
				out.Find("table.scale-statements tbody tr td:first-child .scale-node").Each(func(_ int, s *goquery.Selection) {
					nodes = append(nodes, scaleText(s))
				})
				if strings.Join(nodes, " ") != strings.Join(tt.wantNodes, " ") {
					t.Errorf("statements went to %v, want %v", nodes, tt.wantNodes)
				}
			}
			for sel, want := range tt.wantCells {
				found := false
				out.Find(sel).Each(func(_ int, s *goquery.Selection) { found = found || strings.Contains(scaleText(s), want) })
				if !found {
					t.Errorf("no %s with %q in it; got %q", sel, want, scaleText(out.Find(sel)))
				}
			}
			if tt.id == "back-pressure" {
				rows := out.Find("table.scale-burst tbody tr").Length()
				if want := tt.set["queries"]; want != "" && strconv.Itoa(rows) != want {
					t.Errorf("%d rows in the burst table, want %s", rows, want)
				}
			}
		})
	}
}

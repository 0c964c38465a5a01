package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/engineroom/engineroom/web"
)

// TestDemoCacheInvalidation runs the invalidation panel with each strategy
// and its JSON twin: after the price change, ttl-only shows the old price
// (stale) and the other two the new one; a deleted product is the
// visitor's own doing (409).
func TestDemoCacheInvalidation(t *testing.T) {
	srv := newServer(t, web.Config{})
	sqlReady(t, srv)
	t.Run("Panel", func(t *testing.T) { testInvalidationPanel(t, srv) })
	t.Run("JSON", func(t *testing.T) { testInvalidationJSON(t, srv) })
	t.Run("ReadAgain", func(t *testing.T) { testInvalidationReadAgain(t, srv) })
	t.Run("MissingProduct", func(t *testing.T) { testInvalidationMissingProduct(t, srv) })
}

const invalidationPage = "/lessons/ttl-and-invalidation"

func testInvalidationPanel(t *testing.T, srv *web.Server) {
	tests := []struct {
		strategy     string
		wantVerdicts []string
		wantSources  []string
		wantCommands []string // in the waterfall, besides GET and SET
		wantSQLSpans int
	}{
		{"ttl-only", []string{"Fresh.", "Stale!"}, []string{"cache miss", "cache hit"}, nil, 2},
		{"delete-on-write", []string{"Fresh.", "Fresh."}, []string{"cache miss", "cache miss"}, []string{"DEL"}, 3},
		{"write-through", []string{"Fresh.", "Fresh."}, []string{"cache miss", "cache hit"}, nil, 2},
	}
	for _, tt := range tests {
		t.Run(tt.strategy, func(t *testing.T) {
			r, doc := demoPanelRun(t, srv, invalidationPage, "cache-invalidation", map[string]string{"strategy": tt.strategy, "ttl": "60"})
			if r.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %.1000s", r.StatusCode, r.text)
			}
			front := doc.Find(".pane-front")
			var verdicts, sources, shown, db []string
			front.Find(".inv-read").Each(func(_ int, s *goquery.Selection) {
				verdicts = append(verdicts, s.Find(".notice strong").Text())
				sources = append(sources, strings.TrimSpace(s.Find(".inv-source").Text()))
				shown = append(shown, strings.TrimSpace(s.Find(".inv-price").Text()))
				db = append(db, s.Find(".inv-db strong").Text())
			})
			if strings.Join(verdicts, " ") != strings.Join(tt.wantVerdicts, " ") {
				t.Errorf("verdicts = %q, want %q", verdicts, tt.wantVerdicts)
			}
			if strings.Join(sources, " ") != strings.Join(tt.wantSources, " ") {
				t.Errorf("sources = %q, want %q", sources, tt.wantSources)
			}
			if len(shown) != 2 || shown[0] != "$49.99" || db[0] != "$49.99" || db[1] != "$39.99" {
				t.Fatalf("prices shown %q, in the database %q", shown, db)
			}
			wantShown := "$39.99"
			if tt.strategy == "ttl-only" {
				wantShown = "$49.99"
			}
			if shown[1] != wantShown || (front.Find(".inv-price-stale").Length() == 1) != (tt.strategy == "ttl-only") {
				t.Errorf("after the change the page shows %q (stale marked: %d), want %q", shown[1], front.Find(".inv-price-stale").Length(), wantShown)
			}
			change := front.Find(".inv-change").Text()
			if !strings.Contains(change, "$49.99") || !strings.Contains(change, "$39.99") || !strings.Contains(change, tt.strategy) {
				t.Errorf("the change reads %q", change)
			}
			cd := front.Find(".inv-ttl .countdown[data-countdown-ms]")
			ms := cd.AttrOr("data-countdown-ms", "")
			if cd.Length() != 1 || ms == "" || ms == "0" || len(ms) > 5 || cd.AttrOr("aria-live", "") != "off" || !strings.HasSuffix(cd.Text(), "s") {
				t.Errorf("countdown %q (%d of them, data-countdown-ms %q, aria-live %q)", cd.Text(), cd.Length(), ms, cd.AttrOr("aria-live", ""))
			}
			spans := doc.Find(".pane-back ol.waterfall li.span")
			if n := spans.Filter(".kind-sql").Length(); n != tt.wantSQLSpans {
				t.Errorf("%d SQL spans, want %d", n, tt.wantSQLSpans)
			}
			names := spans.Filter(".kind-cache").Text()
			for _, cmd := range append([]string{"GET", "SET", "PTTL"}, tt.wantCommands...) {
				if !strings.Contains(names, cmd) {
					t.Errorf("no %s among the cache spans: %q", cmd, names)
				}
			}
		})
	}
}

// invalidationJSON is the output of the JSON twin.
type invalidationJSON struct {
	Strategy   string `json:"strategy"`
	TTLSeconds int64  `json:"ttl_seconds"`
	TTLLeftMS  int64  `json:"ttl_left_ms"`
	Change     *struct {
		OldCents    int64  `json:"old_price_cents"`
		NewCents    int64  `json:"new_price_cents"`
		CacheAction string `json:"cache_action"`
	} `json:"change"`
	Reads []struct {
		Label string `json:"label"`
		Page  struct {
			Product struct {
				PriceCents int64  `json:"price_cents"`
				Name       string `json:"name"`
			} `json:"product"`
			Source   string `json:"source"`
			CacheKey string `json:"cache_key"`
		} `json:"page"`
		DatabasePriceCents int64 `json:"database_price_cents"`
		Stale              bool  `json:"stale"`
	} `json:"reads"`
}

func testInvalidationJSON(t *testing.T, srv *web.Server) {
	tests := []struct {
		strategy   string
		change     string
		wantNew    int64
		wantStale  bool
		wantAction string
	}{
		{"ttl-only", "+10%", 5499, true, "none"},
		{"delete-on-write", "-50%", 2500, false, "DEL"},
		{"write-through", "-20%", 3999, false, "SET"},
	}
	for _, tt := range tests {
		t.Run(tt.strategy, func(t *testing.T) {
			r, got := demoAPIRun(t, srv, "cache-invalidation", map[string]any{"strategy": tt.strategy, "ttl": 30, "change": tt.change})
			if r.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %.500s", r.StatusCode, r.text)
			}
			var out invalidationJSON
			if err := json.Unmarshal(got.Output, &out); err != nil {
				t.Fatal(err)
			}
			if out.Strategy != tt.strategy || out.TTLSeconds != 30 || out.TTLLeftMS <= 0 || out.TTLLeftMS > 30000 {
				t.Errorf("strategy %q, ttl %d s, %d ms left", out.Strategy, out.TTLSeconds, out.TTLLeftMS)
			}
			if out.Change == nil || out.Change.OldCents != 4999 || out.Change.NewCents != tt.wantNew || out.Change.CacheAction != tt.wantAction {
				t.Fatalf("change %+v", out.Change)
			}
			if len(out.Reads) != 2 || out.Reads[0].Stale || out.Reads[1].Stale != tt.wantStale || out.Reads[1].DatabasePriceCents != tt.wantNew ||
				out.Reads[1].Page.CacheKey != "product:1" || out.Reads[1].Page.Product.Name == "" {
				t.Errorf("reads %+v", out.Reads)
			}
			if len(got.Trace.Spans) == 0 {
				t.Error("no trace in the JSON twin")
			}
		})
	}
	if r, _ := demoAPIRun(t, srv, "cache-invalidation", map[string]any{"strategy": "sometimes"}); r.StatusCode != http.StatusBadRequest {
		t.Errorf("an unknown strategy: status %d, want 400", r.StatusCode)
	}
}

// testInvalidationReadAgain: reading again while the stale key lives is a
// hit that is still stale, checked against the database.
func testInvalidationReadAgain(t *testing.T, srv *web.Server) {
	c := primed(t, srv)
	post := func(mode string) *goquery.Document {
		form := url.Values{"strategy": {"ttl-only"}, "ttl": {"120"}, "change": {"-20%"}, "mode": {mode}, "_csrf": {c.cookie(csrfCookie)}}
		r := c.postForm("/demos/cache-invalidation", form, hdr("HX-Request", "true", "HX-Current-URL", "http://example.com"+invalidationPage))
		if r.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d: %.500s", mode, r.StatusCode, r.text)
		}
		return parseHTML(t, r.text)
	}
	post("read, change, read")
	doc := post("read again")
	reads := doc.Find(".pane-front .inv-read")
	if reads.Length() != 1 || reads.Find(".notice strong").Text() != "Stale!" || strings.TrimSpace(reads.Find(".inv-source").Text()) != "cache hit" {
		t.Errorf("read again: %d reads, %q", reads.Length(), reads.Text())
	}
	if doc.Find(".pane-front .inv-change").Length() != 0 {
		t.Error("read again shows a price change")
	}
	if names := doc.Find(".pane-back ol.waterfall li.span").Text(); !strings.Contains(names, "check the price in the database") {
		t.Errorf("no database check in the waterfall: %q", names)
	}
}

func testInvalidationMissingProduct(t *testing.T, srv *web.Server) {
	c := newClient(t, srv)
	c.get(invalidationPage, nil)
	if st := sqlPost(t, c, "DELETE FROM order_items WHERE product_id = 1; DELETE FROM products WHERE id = 1;", false).Statements; st[len(st)-1].Error != nil {
		t.Fatalf("deleting the product: %+v", *st[len(st)-1].Error)
	}
	r := c.postJSON("/api/v1/demos/cache-invalidation", "{}", nil)
	if r.StatusCode != http.StatusConflict || !strings.Contains(r.text, "Reset my database") {
		t.Errorf("status %d: %.300s", r.StatusCode, r.text)
	}
}

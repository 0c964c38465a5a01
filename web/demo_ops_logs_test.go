package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/engineroom/engineroom/web"
)

const opsObservePage = "/lessons/logs-metrics-and-traces"

// logBuffer collects what a server's logger writes, from any goroutine.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestServerLogsDemo(t *testing.T) {
	tests := []struct {
		name string
		// format and level configure the server's own handler ("" for none).
		format   string
		outLevel slog.Level
		params   map[string]string
		// wantLevels are the levels the list may show.
		wantLevels []string
		wantMine   bool // the visitor's line is in the list
		wantBelow  bool // the visitor's line is below the chosen level
	}{
		{name: "text at info", format: "text", outLevel: slog.LevelInfo, params: map[string]string{"note": `say "hi"`},
			wantLevels: []string{"INFO", "WARN", "ERROR"}, wantMine: true},
		{name: "json at info", format: "json", outLevel: slog.LevelInfo, params: map[string]string{"note": "looking", "lines": "3"},
			wantLevels: []string{"INFO", "WARN", "ERROR"}, wantMine: true},
		{name: "json at warn: info is kept but not written", format: "json", outLevel: slog.LevelWarn, params: map[string]string{"note": "quiet"},
			wantLevels: []string{"INFO", "WARN", "ERROR"}, wantMine: true},
		{name: "only warnings shown", format: "text", outLevel: slog.LevelInfo, params: map[string]string{"level": "warn", "note": "x"},
			wantLevels: []string{"WARN", "ERROR"}, wantBelow: true},
		{name: "no log output", params: map[string]string{"note": "nowhere"}, wantLevels: []string{"INFO", "WARN", "ERROR"}, wantMine: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out logBuffer
			cfg := web.Config{}
			opts := &slog.HandlerOptions{Level: tt.outLevel}
			switch tt.format {
			case "text":
				cfg.Logger = slog.New(slog.NewTextHandler(&out, opts))
			case "json":
				cfg.Logger = slog.New(slog.NewJSONHandler(&out, opts))
			}
			srv := newServer(t, cfg)
			c := newClient(t, srv)
			// Some traffic first: page views and an earlier run.
			c.get(opsObservePage, nil)
			panelAs(t, c, opsObservePage, "server-logs", nil)
			panelAs(t, newClient(t, srv), opsObservePage, "server-logs", map[string]string{"note": "words of another visitor"})
			r, doc := panelAs(t, c, opsObservePage, "server-logs", tt.params)
			if r.StatusCode != http.StatusOK {
				t.Fatalf("status %d\n%.2000s", r.StatusCode, r.text)
			}
			traceID := traceIDOf(t, r)
			reqID := r.Header.Get("X-Request-Id")
			o := doc.Find(".pane-front .output")
			lines := 12
			if n, ok := tt.params["lines"]; ok {
				fmt.Sscan(n, &lines)
			}
			level := "INFO"
			if l, ok := tt.params["level"]; ok {
				level = strings.ToUpper(l)
			}
			records := o.Find("ol.ops-logs li.ops-log")
			head := words(o.Find(".big-number").Text())
			if want := regexp.MustCompile(fmt.Sprintf(`^[0-9]+ records kept in memory \(at most 200\) · the newest %d at %s and above$`, records.Length(), level)); !want.MatchString(head) {
				t.Errorf("headline %q, want %s", head, want)
			}
			if records.Length() == 0 && !tt.wantBelow || records.Length() > lines {
				t.Errorf("%d records shown, want 1 to %d", records.Length(), lines)
			}
			yours := o.Find(".ops-yours").Text()
			if !strings.Contains(yours, "(id="+reqID+")") || !strings.Contains(yours, "(trace="+traceID[:8]+"…)") {
				t.Errorf("yours = %q, want the request id %s and trace %s", yours, reqID, traceID)
			}
			if strings.Contains(yours, "below the WARN you chose") != tt.wantBelow {
				t.Errorf("yours = %q, want it to say it is below the level: %v", yours, tt.wantBelow)
			}
			mine := 0
			prevSeq := 0
			records.Each(func(i int, rec *goquery.Selection) {
				lvl := rec.Find(".ops-level").Text()
				if !strings.Contains(strings.Join(tt.wantLevels, " "), lvl) || !rec.HasClass("ops-level-"+lvl) {
					t.Errorf("record %d at %q (class %q), want one of %v", i, lvl, rec.AttrOr("class", ""), tt.wantLevels)
				}
				var seq int
				fmt.Sscanf(rec.Find(".ops-log-seq").Text(), "#%d", &seq)
				if seq <= prevSeq {
					t.Errorf("record %d is #%d after #%d: want oldest first", i, seq, prevSeq)
				}
				prevSeq = seq
				if !regexp.MustCompile(`^\d\d:\d\d:\d\d\.\d{3}$`).MatchString(rec.Find(".ops-log-time").Text()) || rec.Find(".ops-log-msg").Text() == "" {
					t.Errorf("record %d: time %q, message %q", i, rec.Find(".ops-log-time").Text(), rec.Find(".ops-log-msg").Text())
				}
				fields := map[string]string{}
				rec.Find(".ops-log-field").Each(func(_ int, f *goquery.Selection) {
					k := f.Find(".ops-k").Text()
					fields[k] = strings.TrimPrefix(f.Text(), k+"=")
				})
				isMine := fields["trace"] == traceID
				if !isMine {
					// Someone else's trace id opens their trace: cut short.
					if tr, ok := fields["trace"]; ok && (len(tr) != len("12345678…") || !strings.HasSuffix(tr, "…")) {
						t.Errorf("record %d shows another request's trace id %q", i, tr)
					}
					if n, ok := fields["note"]; ok && n != "(hidden: not your request)" {
						t.Errorf("record %d shows another visitor's note %q", i, n)
					}
				}
				if rec.HasClass("is-mine") != isMine || (rec.Find(".ops-log-mine").Text() == "yours") != isMine {
					t.Errorf("record %d marked mine %v, its trace %q is mine: %v", i, rec.HasClass("is-mine"), fields["trace"], isMine)
				}
				if isMine {
					mine++
					if rec.Find(".ops-log-msg").Text() != "reading the server's logs" || fields["note"] != tt.params["note"] || fields["id"] != reqID {
						t.Errorf("your record: %q %v", rec.Find(".ops-log-msg").Text(), fields)
					}
				}
				written := tt.format != "" && lvl != "INFO" || tt.format != "" && tt.outLevel <= slog.LevelInfo
				if rec.HasClass("is-unwritten") == written || (rec.Find(".ops-log-unwritten").Length() == 1) == written {
					t.Errorf("record %d at %s: unwritten %v, want written %v", i, lvl, rec.HasClass("is-unwritten"), written)
				}
			})
			if (mine == 1) != tt.wantMine || mine > 1 {
				t.Errorf("%d records marked yours, want one = %v", mine, tt.wantMine)
			}
			// The earlier run's request line is there, with its id and trace.
			if !tt.wantBelow && !strings.Contains(words(o.Find("ol.ops-logs").Text()), "request id=") {
				t.Error("no request line among the records")
			}

			if strings.Contains(r.text, "words of another visitor") {
				t.Error("the panel shows another visitor's note")
			}
			if lines >= 12 && !tt.wantBelow && !strings.Contains(words(o.Find("ol.ops-logs").Text()), "note=(hidden: not your request)") {
				t.Error("the other visitor's line is not among the records, its note hidden")
			}

			text, js := o.Find("pre.ops-log-text").Text(), o.Find("pre.ops-log-json").Text()
			if !strings.Contains(text, `msg="reading the server's logs" id=`+reqID+" trace="+traceID+" note=") {
				t.Errorf("text form %q", text)
			}
			var rec map[string]any
			if err := json.Unmarshal([]byte(js), &rec); err != nil || rec["msg"] != "reading the server's logs" || rec["note"] != tt.params["note"] || rec["trace"] != traceID || rec["level"] != "INFO" {
				t.Errorf("JSON form %q (%v)", js, err)
			}
			labels := o.Find(".ops-format-label")
			if labels.Length() != 2 || labels.Eq(0).Find("strong").Text() != "LOG_FORMAT=text" || labels.Eq(1).Find("strong").Text() != "LOG_FORMAT=json" {
				t.Errorf("format labels %q", words(labels.Text()))
			}
			for i, f := range []string{"text", "json"} {
				written := labels.Eq(i).HasClass("is-written")
				if written != (f == tt.format) || (labels.Eq(i).Find(".ops-written").Text() == "this server writes this") != (f == tt.format) {
					t.Errorf("%s marked written %v, want %v", f, written, f == tt.format)
				}
			}
			note := o.Find(".ops-format-note").Text()
			if wantNote := map[string]string{"text": "LOG_FORMAT=text", "json": "LOG_FORMAT=json", "": "writes its logs nowhere"}[tt.format]; !strings.Contains(note, wantNote) {
				t.Errorf("format note %q, want %q in it", note, wantNote)
			}
			// What the page shows is what the server wrote, byte for byte.
			logged := out.String()
			switch {
			case tt.format == "text" && tt.outLevel <= slog.LevelInfo:
				if !strings.Contains(logged, text+"\n") {
					t.Errorf("the log lacks the text line %q:\n%s", text, logged)
				}
			case tt.format == "json" && tt.outLevel <= slog.LevelInfo:
				if !strings.Contains(logged, js+"\n") {
					t.Errorf("the log lacks the JSON line %q:\n%s", js, logged)
				}
			default:
				if strings.Contains(logged, traceID) {
					t.Errorf("a record below LOG_LEVEL was written:\n%s", logged)
				}
			}
		})
	}
}

func TestServerLogsDemoJSON(t *testing.T) {
	srv := newServer(t, web.Config{})
	r, run := demoAPIRun(t, srv, "server-logs", map[string]any{"note": "from a script", "lines": 5})
	if r.StatusCode != http.StatusOK {
		t.Fatalf("status %d\n%s", r.StatusCode, r.text)
	}
	var got struct {
		Kept     int    `json:"kept"`
		Capacity int    `json:"capacity"`
		Level    string `json:"level"`
		Format   string `json:"format"`
		Mine     uint64 `json:"mine_seq"`
		Records  []struct {
			Seq     uint64 `json:"seq"`
			Level   string `json:"level"`
			Message string `json:"message"`
			Fields  []struct {
				Key   string `json:"key"`
				Value string `json:"value"`
			} `json:"fields"`
			Written bool `json:"written"`
			Mine    bool `json:"mine"`
		} `json:"records"`
		Text string `json:"text"`
		JSON string `json:"json"`
	}
	if err := json.Unmarshal(run.Output, &got); err != nil {
		t.Fatal(err)
	}
	if got.Kept < 1 || got.Capacity != 200 || got.Level != "info" || got.Format != "" || got.Mine == 0 || len(got.Records) == 0 || len(got.Records) > 5 {
		t.Fatalf("output %+v", got)
	}
	last := got.Records[len(got.Records)-1]
	if !last.Mine || last.Seq != got.Mine || last.Message != "reading the server's logs" || last.Written {
		t.Errorf("the newest record %+v, want yours, not written (no log output)", last)
	}
	if !strings.Contains(got.Text, `note="from a script"`) || !strings.Contains(got.JSON, `"note":"from a script"`) {
		t.Errorf("text %q, json %q", got.Text, got.JSON)
	}
	if r, _ := demoAPIRun(t, srv, "server-logs", map[string]any{"level": "trace"}); r.StatusCode != http.StatusBadRequest {
		t.Errorf("level trace: status %d, want 400", r.StatusCode)
	}
}

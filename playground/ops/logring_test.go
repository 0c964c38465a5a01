package ops

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// at is a fixed time, so formatted records can be compared.
var at = time.Date(2026, 11, 21, 9, 30, 15, 123_000_000, time.UTC)

// logAt writes a record with a fixed time through h.
func logAt(t *testing.T, h slog.Handler, level slog.Level, msg string, attrs ...slog.Attr) {
	t.Helper()
	if !h.Enabled(context.Background(), level) {
		return
	}
	rec := slog.NewRecord(at, level, msg, 0)
	rec.AddAttrs(attrs...)
	if err := h.Handle(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
}

func TestRingKeepsAndWrites(t *testing.T) {
	tests := []struct {
		name        string
		outLevel    slog.Level
		logged      []slog.Level
		wantKept    []string
		wantWritten []string
	}{
		{
			name: "at info the ring keeps what is written", outLevel: slog.LevelInfo,
			logged:   []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError},
			wantKept: []string{"INFO", "WARN", "ERROR"}, wantWritten: []string{"INFO", "WARN", "ERROR"},
		},
		{
			name: "at warn the ring still keeps info", outLevel: slog.LevelWarn,
			logged:   []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn},
			wantKept: []string{"INFO", "WARN"}, wantWritten: []string{"WARN"},
		},
		{
			name: "at debug the ring keeps debug too", outLevel: slog.LevelDebug,
			logged:   []slog.Level{slog.LevelDebug, slog.LevelInfo},
			wantKept: []string{"DEBUG", "INFO"}, wantWritten: []string{"DEBUG", "INFO"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			r := NewRing(10, slog.LevelInfo)
			h := r.Handler(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: tt.outLevel}))
			for _, l := range tt.logged {
				logAt(t, h, l, "m")
			}
			var kept, writtenHere []string
			for _, e := range r.Last(10, slog.LevelDebug) {
				kept = append(kept, e.Record.Level.String())
				if e.Written {
					writtenHere = append(writtenHere, e.Record.Level.String())
				}
			}
			if !slices.Equal(kept, tt.wantKept) || !slices.Equal(writtenHere, tt.wantWritten) {
				t.Errorf("kept %v (written %v), want %v (written %v)", kept, writtenHere, tt.wantKept, tt.wantWritten)
			}
			var written []string
			for line := range strings.Lines(out.String()) {
				_, rest, _ := strings.Cut(line, "level=")
				lvl, _, _ := strings.Cut(rest, " ")
				written = append(written, lvl)
			}
			if !slices.Equal(written, tt.wantWritten) {
				t.Errorf("the wrapped handler wrote %v, want %v", written, tt.wantWritten)
			}
		})
	}
}

func TestRingLastAndWrapAround(t *testing.T) {
	r := NewRing(3, slog.LevelInfo)
	h := r.Handler(slog.DiscardHandler)
	for i := 1; i <= 5; i++ {
		level := slog.LevelInfo
		if i%2 == 0 {
			level = slog.LevelWarn
		}
		logAt(t, h, level, fmt.Sprint("m", i))
	}
	tests := []struct {
		n     int
		level slog.Level
		want  []string
	}{
		{n: 10, level: slog.LevelInfo, want: []string{"m3", "m4", "m5"}},
		{n: 2, level: slog.LevelInfo, want: []string{"m4", "m5"}},
		{n: 10, level: slog.LevelWarn, want: []string{"m4"}},
		{n: 10, level: slog.LevelError, want: nil},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.n, tt.level), func(t *testing.T) {
			var got []string
			var seqs []uint64
			for _, e := range r.Last(tt.n, tt.level) {
				got = append(got, e.Record.Message)
				seqs = append(seqs, e.Seq)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Last(%d, %v) = %v, want %v", tt.n, tt.level, got, tt.want)
			}
			if !slices.IsSorted(seqs) {
				t.Errorf("sequence numbers %v are not oldest first", seqs)
			}
		})
	}
	if r.Len() != 3 || r.Cap() != 3 || r.Level() != slog.LevelInfo {
		t.Errorf("Len %d, Cap %d, Level %v; want 3, 3, INFO", r.Len(), r.Cap(), r.Level())
	}
	if e := r.Last(1, slog.LevelDebug)[0]; e.Seq != 5 {
		t.Errorf("newest Seq = %d, want 5", e.Seq)
	}
}

// TestEntryFormatsAsTheHandlerWrote checks that a kept record, formatted
// again, is byte for byte the line the real handler wrote, with the
// logger's own attributes and groups.
func TestEntryFormatsAsTheHandlerWrote(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			var out bytes.Buffer
			var inner slog.Handler = slog.NewTextHandler(&out, nil)
			if format == "json" {
				inner = slog.NewJSONHandler(&out, nil)
			}
			r := NewRing(4, slog.LevelInfo)
			h := r.Handler(inner).WithAttrs([]slog.Attr{slog.String("service", "engineroom")}).WithGroup("db")
			logAt(t, h, slog.LevelInfo, "query done", slog.Int("rows", 3), slog.String("note", `say "hi" now`),
				slog.Duration("took", 1500*time.Microsecond), slog.Group("conn", slog.Int("id", 7)))
			e := r.Last(1, slog.LevelDebug)[0]
			got := e.Text()
			if format == "json" {
				got = e.JSON()
			}
			if want := strings.TrimSuffix(out.String(), "\n"); got != want {
				t.Errorf("formatted again:\n%s\nthe handler wrote:\n%s", got, want)
			}
			wantFields := []Field{{"service", "engineroom"}, {"db.rows", "3"}, {"db.note", `say "hi" now`}, {"db.took", "1.5ms"}, {"db.conn.id", "7"}}
			if f := e.Fields(); !slices.Equal(f, wantFields) {
				t.Errorf("Fields = %v, want %v", f, wantFields)
			}
			if v := e.Field("db.rows"); v != "3" {
				t.Errorf(`Field("db.rows") = %q, want "3"`, v)
			}
			if v := e.Field("rows"); v != "" {
				t.Errorf(`Field("rows") = %q, want ""`, v)
			}
		})
	}
	// The two forms of one record.
	r := NewRing(1, slog.LevelInfo)
	logAt(t, r.Handler(slog.DiscardHandler), slog.LevelWarn, "slow query", slog.String("trace", "4bf92f"), slog.Int("ms", 870))
	e := r.Last(1, slog.LevelInfo)[0]
	if want := `time=2026-11-21T09:30:15.123Z level=WARN msg="slow query" trace=4bf92f ms=870`; e.Text() != want {
		t.Errorf("Text = %s, want %s", e.Text(), want)
	}
	if want := `{"time":"2026-11-21T09:30:15.123Z","level":"WARN","msg":"slow query","trace":"4bf92f","ms":870}`; e.JSON() != want {
		t.Errorf("JSON = %s, want %s", e.JSON(), want)
	}
	if e.Written {
		t.Error("a record the discard handler dropped is marked written")
	}
}

func TestRingConcurrent(t *testing.T) {
	r := NewRing(50, slog.LevelInfo)
	log := slog.New(r.Handler(slog.DiscardHandler))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 100 {
				log.Info("request", "g", g, "i", i)
				_ = r.Last(5, slog.LevelInfo)
			}
		})
	}
	wg.Wait()
	got := r.Last(100, slog.LevelInfo)
	if len(got) != 50 || got[len(got)-1].Seq != 800 {
		t.Errorf("%d records, the newest #%d; want 50, the newest #800", len(got), got[len(got)-1].Seq)
	}
}

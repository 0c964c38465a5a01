package web

import (
	"reflect"
	"testing"
	"time"

	ertrace "github.com/engineroom/engineroom/playground/trace"
	"github.com/engineroom/engineroom/web/view"
)

// TestCompareVerdict says how b's total compares with a's.
func TestCompareVerdict(t *testing.T) {
	ms := func(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }
	tests := []struct {
		a, b time.Duration
		want view.CompareVerdict
	}{
		{a: ms(41.5), b: ms(3.3), want: view.CompareVerdict{Text: "b was 38.2 ms faster (−92%)", Change: "faster", Diff: "−38.2 ms", Pct: "−92%"}},
		{a: ms(10), b: ms(12.5), want: view.CompareVerdict{Text: "b was 2.5 ms slower (+25%)", Change: "slower", Diff: "+2.5 ms", Pct: "+25%"}},
		{a: ms(2000), b: ms(1999), want: view.CompareVerdict{Text: "b was 1.0 ms faster (−0%)", Change: "faster", Diff: "−1.0 ms", Pct: "−0%"}},
		{a: ms(5), b: ms(5), want: view.CompareVerdict{Text: "a and b took the same time (5.0 ms)", Change: "same"}},
		{a: 0, b: ms(1.5), want: view.CompareVerdict{Text: "b was 1.5 ms slower", Change: "slower", Diff: "+1.5 ms"}},
	}
	for _, tt := range tests {
		t.Run(tt.want.Text, func(t *testing.T) {
			if got := compareVerdict(tt.a, tt.b); got != tt.want {
				t.Errorf("compareVerdict(%v, %v) =\n%+v, want\n%+v", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

// TestCompareSpans matches spans by name: one row per name, in a's order
// and then b's, with several spans of a name added up.
func TestCompareSpans(t *testing.T) {
	row := func(kind, name string, d time.Duration) ertrace.Row {
		return ertrace.Row{Kind: kind, Name: name, Duration: d}
	}
	a := []ertrace.Row{
		row(ertrace.KindServer, "POST /demos/cache-aside", 40*time.Millisecond),
		row(ertrace.KindCache, "cache GET", time.Millisecond),
		row(ertrace.KindMiddleware, "timeout", 9*time.Microsecond),
		row(ertrace.KindSQL, "SELECT flights", 30*time.Millisecond),
		row(ertrace.KindCache, "cache SET", 2*time.Millisecond),
	}
	b := []ertrace.Row{
		row(ertrace.KindServer, "POST /demos/cache-aside", 4*time.Millisecond),
		row(ertrace.KindCache, "cache GET", 1500*time.Microsecond),
		row(ertrace.KindCache, "cache GET", 1500*time.Microsecond),
		row("custom", "note", 50*time.Microsecond),
		row(ertrace.KindMiddleware, "timeout", 60*time.Microsecond),
	}
	want := []view.CompareRow{
		{Name: "POST /demos/cache-aside", Kind: "server", KindLabel: "Server", A: "40.0 ms", B: "4.0 ms", Diff: "−36.0 ms", Change: "faster"},
		{Name: "cache GET", Kind: "cache", KindLabel: "Cache", A: "1.0 ms", B: "3.0 ms (2×)", Diff: "+2.0 ms", Change: "slower"},
		{Name: "timeout", Kind: "middleware", KindLabel: "Middleware", A: "9 µs", B: "60 µs", Diff: "+51 µs", Change: "same"},
		{Name: "SELECT flights", Kind: "sql", KindLabel: "SQL", A: "30.0 ms", Diff: "not in b", Change: "only-a"},
		{Name: "cache SET", Kind: "cache", KindLabel: "Cache", A: "2.0 ms", Diff: "not in b", Change: "only-a"},
		{Name: "note", Kind: "custom", KindLabel: "custom", B: "50 µs", Diff: "not in a", Change: "only-b"},
	}
	if got := compareSpans(a, b); !reflect.DeepEqual(got, want) {
		t.Errorf("compareSpans =\n%+v\nwant\n%+v", got, want)
	}
	same := compareSpans(a[:1], a[:1])
	if len(same) != 1 || same[0].Change != "same" || same[0].Diff != "±0" {
		t.Errorf("a trace against itself: %+v", same)
	}
}

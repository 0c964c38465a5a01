package ops

import (
	"io/fs"
	"math"
	"os"
	"runtime/metrics"
	"strconv"
	"strings"
)

// Runtime is the Go runtime's own numbers, read with runtime/metrics
// (which, unlike runtime.ReadMemStats, does not stop the world).
type Runtime struct {
	Goroutines int64 `json:"goroutines"`
	// HeapInUse is the heap's spans in use: live objects, garbage not
	// yet swept, and free room in those spans (MemStats.HeapInuse).
	HeapInUse uint64 `json:"heap_in_use_bytes"`
	// GoTotal is all the memory the Go runtime has mapped (MemStats.Sys).
	GoTotal    uint64 `json:"go_total_bytes"`
	GCCycles   uint64 `json:"gc_cycles"`
	GOMAXPROCS int64  `json:"gomaxprocs"`
	// RSS is the memory the process holds in RAM, from /proc/self/statm;
	// -1 where there is no such file. It includes what SQLite and the
	// runtime keep outside the Go heap.
	RSS int64 `json:"rss_bytes"`
}

// runtimeSamples are the runtime/metrics names ReadRuntime reads.
var runtimeSamples = [...]string{
	"/sched/goroutines:goroutines",
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/heap/unused:bytes",
	"/memory/classes/total:bytes",
	"/gc/cycles/total:gc-cycles",
	"/sched/gomaxprocs:threads",
}

// ReadRuntime reads the runtime's numbers, and the resident set size
// from root's proc/self/statm.
func ReadRuntime(root fs.FS) Runtime {
	s := make([]metrics.Sample, len(runtimeSamples))
	for i, name := range runtimeSamples {
		s[i].Name = name
	}
	metrics.Read(s)
	u := func(i int) uint64 {
		if s[i].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return s[i].Value.Uint64()
	}
	return Runtime{
		Goroutines: int64(u(0)),
		HeapInUse:  u(1) + u(2),
		GoTotal:    u(3),
		GCCycles:   u(4),
		GOMAXPROCS: int64(u(5)),
		RSS:        readRSS(root),
	}
}

// readRSS reads the resident pages (the second field) of statm.
func readRSS(root fs.FS) int64 {
	b, err := fs.ReadFile(root, "proc/self/statm")
	if err != nil {
		return -1
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return -1
	}
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return -1
	}
	return pages * int64(os.Getpagesize())
}

// Family is one metric in Prometheus's text exposition format: its name,
// help text, type (counter or gauge) and samples.
type Family struct {
	Name    string
	Help    string
	Type    string
	Samples []Sample
}

// Sample is one value of a family, told apart from the others by its
// labels.
type Sample struct {
	Labels []Label
	Value  float64
}

// Label is a name and value that qualify a sample (code="2xx").
type Label struct {
	Name, Value string
}

// Exposition writes families in Prometheus's text exposition format
// (version 0.0.4), as a /metrics endpoint answers: a # HELP and a # TYPE
// line per family, then a line per sample.
func Exposition(families []Family) string {
	var b strings.Builder
	for _, f := range families {
		b.WriteString("# HELP " + f.Name + " " + escapeHelp(f.Help) + "\n")
		b.WriteString("# TYPE " + f.Name + " " + f.Type + "\n")
		for _, s := range f.Samples {
			b.WriteString(f.Name)
			if len(s.Labels) > 0 {
				b.WriteByte('{')
				for i, l := range s.Labels {
					if i > 0 {
						b.WriteByte(',')
					}
					b.WriteString(l.Name + `="` + escapeLabel(l.Value) + `"`)
				}
				b.WriteByte('}')
			}
			b.WriteString(" " + FormatValue(s.Value) + "\n")
		}
	}
	return b.String()
}

// FormatValue writes a sample's value: whole numbers without an exponent,
// others in Go's shortest form, and NaN and infinities as Prometheus
// spells them.
func FormatValue(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case v == math.Trunc(v) && math.Abs(v) < 1e15:
		return strconv.FormatFloat(v, 'f', 0, 64)
	default:
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
}

var (
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
	labelEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)
)

func escapeHelp(s string) string  { return helpEscaper.Replace(s) }
func escapeLabel(s string) string { return labelEscaper.Replace(s) }

package web

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/engineroom/engineroom/playground/ops"
	"github.com/engineroom/engineroom/web/view"
)

// metricsRun is what the server-metrics demo read, for the JSON twin.
type metricsRun struct {
	Requests   requestCounts `json:"requests"`
	Runtime    ops.Runtime   `json:"runtime"`
	Sandboxes  int           `json:"sandboxes"`
	Created    uint64        `json:"sandboxes_created"`
	SQLiteMem  int64         `json:"sqlite_memory_bytes"`
	Traces     int           `json:"traces_stored"`
	TraceBytes int           `json:"trace_store_bytes"`
	LogRecords int           `json:"log_records_kept"`
	// JobsWaiting is null while the job queue has not created its
	// database.
	JobsWaiting *int    `json:"jobs_waiting"`
	UptimeS     float64 `json:"uptime_s"`
	Exposition  string  `json:"exposition"`
}

// requestCounts are the request counters.
type requestCounts struct {
	Total    uint64           `json:"total"`
	InFlight int64            `json:"in_flight"`
	ByClass  []ops.ClassCount `json:"by_class"`
}

// opsMetric is one number: its row in the table and its family in the
// exposition.
type opsMetric struct {
	label, value, note string
	fam                ops.Family
}

func (s *Server) demoServerMetrics() *demo {
	return &demo{
		ID: "server-metrics", Title: "This server's numbers", Lesson: opsObserveLesson,
		Description: "Requests, memory, goroutines, databases: the counters this process keeps about itself, read now.",
		Button:      "Read the numbers",
		Wide:        true,
		Run:         s.runServerMetrics,
	}
}

func (s *Server) runServerMetrics(ctx context.Context, _ demoInput) (demoOutput, error) {
	_, span := s.tracer.Start(ctx, "read the Go runtime", trace.WithAttributes(attribute.String("engineroom.source", "runtime/metrics, /proc/self/statm")))
	rt := ops.ReadRuntime(s.ops.root)
	span.End()

	_, span = s.tracer.Start(ctx, "read the server's counters")
	req := requestCounts{InFlight: s.ops.requests.InFlight(), ByClass: s.ops.requests.Served()}
	for _, c := range req.ByClass {
		req.Total += c.Count // the same moment as the classes, under load too
	}
	sb := s.sql.Stats()
	traces, traceBytes := s.traces.Store().Len()
	run := metricsRun{
		Requests: req, Runtime: rt, Sandboxes: sb.Sandboxes, Created: sb.Created, SQLiteMem: sb.SQLiteMemory,
		Traces: traces, TraceBytes: traceBytes, LogRecords: s.ops.ring.Len(), UptimeS: time.Since(s.ops.started).Seconds(),
	}
	span.End()

	if n, created, err := s.jobsWaiting(ctx); err == nil && created {
		run.JobsWaiting = &n
	}

	_, span = s.tracer.Start(ctx, "write the exposition text")
	ms := opsMetrics(run, s.ops.started)
	fams := make([]ops.Family, 0, len(ms))
	o := view.OpsMetricsOutput{
		Headline: miles(int64(req.Total)) + " requests",
		HeadlineNote: fmt.Sprintf("answered in %s since the start · %d in flight, yours among them",
			uptime(time.Since(s.ops.started)), req.InFlight),
		Note: "A Prometheus server fetches text like this every 15 s from a /metrics endpoint and keeps the history. " +
			"Grafana draws it; an alert fires when, say, 5xx answers pass 1% for 5 minutes. " +
			"This server's /metrics also counts requests and their latency by route, cache hits and misses, and failed third-party calls.",
	}
	for _, m := range ms {
		if m.fam.Name != "" {
			fams = append(fams, m.fam)
		}
		o.Rows = append(o.Rows, view.OpsMetricRow{Label: m.label, Value: m.value, Name: m.fam.Name, Note: m.note})
	}
	run.Exposition = ops.Exposition(fams)
	o.Exposition = run.Exposition
	span.SetAttributes(attribute.Int("engineroom.metrics", len(fams)), attribute.Int("http.response.body.size", len(run.Exposition)))
	span.End()
	return demoOutput{Data: run, View: view.OpsMetrics(o)}, nil
}

// opsMetrics lists the numbers in the order the table shows them.
func opsMetrics(r metricsRun, started time.Time) []opsMetric {
	gauge := func(name, help string, v float64) ops.Family {
		return ops.Family{Name: name, Help: help, Type: "gauge", Samples: []ops.Sample{{Value: v}}}
	}
	counter := func(name, help string, v float64) ops.Family {
		return ops.Family{Name: name, Help: help, Type: "counter", Samples: []ops.Sample{{Value: v}}}
	}
	byClass := ops.Family{Name: "engineroom_http_requests_total", Help: "Requests answered, by status class.", Type: "counter"}
	note := ""
	for _, c := range r.Requests.ByClass {
		byClass.Samples = append(byClass.Samples, ops.Sample{Labels: []ops.Label{{Name: "code", Value: c.Class}}, Value: float64(c.Count)})
		if c.Count > 0 {
			if note != "" {
				note += " · "
			}
			note += c.Class + " " + miles(int64(c.Count))
		}
	}
	ms := []opsMetric{
		{label: "Requests answered", value: miles(int64(r.Requests.Total)), note: note, fam: byClass},
		{label: "Requests in flight", value: fmt.Sprint(r.Requests.InFlight), note: "Being answered right now.",
			fam: gauge(seriesInFlight.name, seriesInFlight.help, float64(r.Requests.InFlight))},
		{label: "Goroutines", value: fmt.Sprint(r.Runtime.Goroutines), note: "A steady climb means something is never let go.",
			fam: gauge("go_goroutines", "Goroutines that exist now.", float64(r.Runtime.Goroutines))},
		{label: "Go heap in use", value: formatBytes(int64(r.Runtime.HeapInUse)),
			fam: gauge("go_memstats_heap_inuse_bytes", "Bytes in in-use heap spans.", float64(r.Runtime.HeapInUse))},
		{label: "Memory the Go runtime holds", value: formatBytes(int64(r.Runtime.GoTotal)),
			fam: gauge("go_memstats_sys_bytes", "Bytes of memory the Go runtime has mapped.", float64(r.Runtime.GoTotal))},
	}
	if r.Runtime.RSS >= 0 {
		ms = append(ms, opsMetric{label: "Resident memory (RSS)", value: formatBytes(r.Runtime.RSS), note: "What the kernel counts against a memory limit: Go, SQLite and all.",
			fam: gauge("process_resident_memory_bytes", "Resident memory size in bytes.", float64(r.Runtime.RSS))})
	} else {
		ms = append(ms, opsMetric{label: "Resident memory (RSS)", value: "—", note: "Not readable here: /proc/self/statm exists on Linux only."})
	}
	ms = append(ms,
		opsMetric{label: "Garbage collections", value: miles(int64(r.Runtime.GCCycles)),
			fam: counter("go_gc_cycles_total", "Completed garbage collection cycles.", float64(r.Runtime.GCCycles))},
		opsMetric{label: "GOMAXPROCS", value: fmt.Sprint(r.Runtime.GOMAXPROCS),
			fam: gauge("go_sched_gomaxprocs_threads", "Threads that may run Go code at once.", float64(r.Runtime.GOMAXPROCS))},
		opsMetric{label: "Visitor databases open", value: fmt.Sprint(r.Sandboxes), note: "One per visitor who ran SQL lately.",
			fam: gauge(seriesSandboxes.name, seriesSandboxes.help, float64(r.Sandboxes))},
		opsMetric{label: "Visitor databases created", value: miles(int64(r.Created)),
			fam: counter(seriesCreated.name, seriesCreated.help, float64(r.Created))},
		opsMetric{label: "SQLite memory", value: formatBytes(r.SQLiteMem),
			fam: gauge(seriesSQLiteMem.name, seriesSQLiteMem.help, float64(r.SQLiteMem))},
		opsMetric{label: "Traces kept", value: miles(int64(r.Traces)), note: formatBytes(int64(r.TraceBytes)) + " for the back end panes.",
			fam: gauge("engineroom_traces_stored", "Traces kept in memory.", float64(r.Traces))},
		opsMetric{label: "Log records kept", value: fmt.Sprint(r.LogRecords),
			fam: gauge("engineroom_log_records_kept", "Log records kept in memory for the logs lesson.", float64(r.LogRecords))},
	)
	if r.JobsWaiting != nil {
		ms = append(ms, opsMetric{label: "Jobs waiting", value: fmt.Sprint(*r.JobsWaiting), note: "Queue depth: growing means the workers cannot keep up.",
			fam: gauge(seriesJobs.name, seriesJobs.help, float64(*r.JobsWaiting))})
	} else {
		ms = append(ms, opsMetric{label: "Jobs waiting", value: "—", note: "The job queue has not opened its database yet: nothing was ever queued."})
	}
	return append(ms, opsMetric{label: "Started", value: started.UTC().Format("15:04:05 UTC"),
		fam: gauge("process_start_time_seconds", "Start time of the process since the Unix epoch, in seconds.", float64(started.Unix()))})
}

package web

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/engineroom/engineroom/playground/jobs"
)

// metricSeries names a series /metrics exposes that the lesson panel
// shows too: one name and one help text for both.
type metricSeries struct{ name, help string }

func (m metricSeries) desc() *prometheus.Desc { return prometheus.NewDesc(m.name, m.help, nil, nil) }

// The series read from the engines when /metrics is scraped.
var (
	seriesInFlight    = metricSeries{"engineroom_http_requests_in_flight", "Requests being answered now."}
	seriesSandboxes   = metricSeries{"engineroom_sandboxes", "SQL sandboxes open now."}
	seriesCreated     = metricSeries{"engineroom_sandboxes_created_total", "SQL sandboxes created, resets included."}
	seriesWarm        = metricSeries{"engineroom_sandboxes_warm", "SQL sandboxes cloned for visitors who opened a lesson page and have not run anything yet."}
	seriesSQLiteMem   = metricSeries{"engineroom_sqlite_memory_bytes", "Bytes SQLite has allocated, all databases together."}
	seriesJobs        = metricSeries{"engineroom_jobs_waiting", "Jobs waiting in the queue."}
	seriesRunning     = metricSeries{"engineroom_queries_running", "Sandbox operations running now, in the query slots or the long lane."}
	seriesWaiting     = metricSeries{"engineroom_queries_waiting", "Sandbox operations waiting for a query slot or a place in the long lane."}
	seriesSaturated   = metricSeries{"engineroom_queries_saturated_total", "Sandbox operations refused (503) after waiting for a slot the whole queue wait (shorter for a few seconds after a refusal)."}
	seriesLongLane    = metricSeries{"engineroom_queries_long_lane_total", "Sandbox operations that held a slot for 250 ms and moved into the long lane."}
	seriesCrowded     = metricSeries{"engineroom_queries_crowded_total", "Sandbox operations stopped to make way: held a slot for 250 ms (50 ms when eight or more waited) while others waited and the long lane was full."}
	seriesHeavy       = metricSeries{"engineroom_queries_heavy_total", "Operations of heavy visitors (recent statements ran into their limit or were stopped to make way), run in the long lane only."}
	seriesCacheHits   = metricSeries{"engineroom_cache_hits_total", "Cache lookups that found their key. Hit ratio: rate(engineroom_cache_hits_total[5m]) / (rate(engineroom_cache_hits_total[5m]) + rate(engineroom_cache_misses_total[5m]))."}
	seriesCacheMisses = metricSeries{"engineroom_cache_misses_total", "Cache lookups that did not find their key; engineroom_cache_hits_total says how to compute the hit ratio."}
)

// jobsScrapeTimeout bounds the count of waiting jobs, so a locked state
// database cannot hold a scrape for longer than Prometheus waits.
const jobsScrapeTimeout = time.Second

// scraped reads the engines' own counters and gauges when /metrics is
// scraped, so a request pays nothing for them. It never starts the job
// queue: it counts the waiting jobs in the state database, which does
// not exist (0 jobs, one stat call) until the queue is first used.
type scraped struct {
	s                                                   *Server
	inFlight, sandboxes, created, sqliteMem, hits, miss *prometheus.Desc
	jobs, warm                                          *prometheus.Desc
	running, waiting, saturated, long, crowded, heavy   *prometheus.Desc
}

func newScraped(s *Server) *scraped {
	return &scraped{
		s: s, inFlight: seriesInFlight.desc(), sandboxes: seriesSandboxes.desc(), created: seriesCreated.desc(),
		sqliteMem: seriesSQLiteMem.desc(), hits: seriesCacheHits.desc(), miss: seriesCacheMisses.desc(), jobs: seriesJobs.desc(),
		warm:    seriesWarm.desc(),
		running: seriesRunning.desc(), waiting: seriesWaiting.desc(), saturated: seriesSaturated.desc(),
		long: seriesLongLane.desc(), crowded: seriesCrowded.desc(), heavy: seriesHeavy.desc(),
	}
}

// Describe sends the description of every series Collect may send.
func (sc *scraped) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		sc.inFlight, sc.sandboxes, sc.warm, sc.created, sc.sqliteMem, sc.hits, sc.miss, sc.jobs,
		sc.running, sc.waiting, sc.saturated, sc.long, sc.crowded, sc.heavy,
	} {
		ch <- d
	}
}

// Collect reads the numbers now.
func (sc *scraped) Collect(ch chan<- prometheus.Metric) {
	s := sc.s
	send := func(d *prometheus.Desc, t prometheus.ValueType, v float64) {
		ch <- prometheus.MustNewConstMetric(d, t, v)
	}
	send(sc.inFlight, prometheus.GaugeValue, float64(s.ops.requests.InFlight()))
	sb := s.sql.Stats()
	send(sc.sandboxes, prometheus.GaugeValue, float64(sb.Sandboxes))
	send(sc.warm, prometheus.GaugeValue, float64(sb.Warm))
	send(sc.created, prometheus.CounterValue, float64(sb.Created))
	send(sc.sqliteMem, prometheus.GaugeValue, float64(sb.SQLiteMemory))
	send(sc.running, prometheus.GaugeValue, float64(sb.Running))
	send(sc.waiting, prometheus.GaugeValue, float64(sb.Waiting))
	send(sc.saturated, prometheus.CounterValue, float64(sb.Saturated))
	send(sc.long, prometheus.CounterValue, float64(sb.Long))
	send(sc.crowded, prometheus.CounterValue, float64(sb.Crowded))
	send(sc.heavy, prometheus.CounterValue, float64(sb.Heavy))
	l := s.cache.Lookups()
	send(sc.hits, prometheus.CounterValue, float64(l.Hits))
	send(sc.miss, prometheus.CounterValue, float64(l.Misses))

	ctx, cancel := context.WithTimeout(context.Background(), jobsScrapeTimeout)
	defer cancel()
	n, err := jobs.Pending(ctx, s.stateDBPath())
	if err != nil {
		// Left out rather than sent as 0: an alert on the queue's depth
		// must not take an unreadable queue for an empty one.
		s.log.LogAttrs(ctx, slog.LevelWarn, "metrics: counting the waiting jobs", slog.String("err", err.Error()))
		return
	}
	send(sc.jobs, prometheus.GaugeValue, float64(n))
}

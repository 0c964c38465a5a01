package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/engineroom/engineroom/playground/sandbox"
)

// BenchmarkClassPressesRun is a class of 300 behind one address pressing
// Run on the SQL basics panel in the same moment, each with the GROUP BY
// over every flight, through the whole stack and the server's production
// limits. Each iteration is a new server and a new class:
//
//   - read-first: every student has opened the lesson, and the class
//     presses Run once the sandboxes are cloned (a class listening to the
//     teacher first);
//   - run-at-once: the students press Run without having opened a page, so
//     every first query clones its sandbox.
//
// It reports the queries refused with 503 and the slowest answered (p99),
// per class. Run it alone: go test -run '^$' -bench ClassPressesRun
// -benchtime 3x ./web/
func BenchmarkClassPressesRun(b *testing.B) {
	const students = 300
	const query = `{"sql": "SELECT origin, count(*) AS flights FROM flights GROUP BY origin ORDER BY flights DESC LIMIT 5"}`
	image, err := browserImage()
	if err != nil {
		b.Fatal(err)
	}
	for _, readFirst := range []bool{true, false} {
		name := map[bool]string{true: "read-first", false: "run-at-once"}[readFirst]
		b.Run(name, func(b *testing.B) {
			var refused int
			var slowest []time.Duration
			for b.Loop() {
				b.StopTimer()
				s, err := New(context.Background(), Config{Sandbox: sandbox.Options{Template: image}})
				if err != nil {
					b.Fatal(err)
				}
				cookies := make([]*http.Cookie, students)
				for i := range cookies {
					cookies[i] = visitorCookieFor(s)
					if readFirst {
						req := httptest.NewRequest(http.MethodGet, "/lessons/sql-basics", nil)
						req.AddCookie(cookies[i])
						rec := httptest.NewRecorder()
						s.ServeHTTP(rec, req)
						if rec.Code != http.StatusOK {
							b.Fatalf("lesson page: %d", rec.Code)
						}
					}
				}
				if readFirst {
					deadline := time.Now().Add(30 * time.Second)
					for s.sql.Stats().Warm < students && time.Now().Before(deadline) {
						time.Sleep(10 * time.Millisecond)
					}
				}
				b.StartTimer()
				var wg sync.WaitGroup
				var mu sync.Mutex
				var took []time.Duration
				start := make(chan struct{})
				for _, ck := range cookies {
					wg.Go(func() {
						req := httptest.NewRequest(http.MethodPost, "/api/v1/sql", strings.NewReader(query))
						req.Header.Set("Content-Type", "application/json")
						req.AddCookie(ck)
						rec := httptest.NewRecorder()
						<-start
						t0 := time.Now()
						s.ServeHTTP(rec, req)
						d := time.Since(t0)
						mu.Lock()
						defer mu.Unlock()
						switch rec.Code {
						case http.StatusOK:
							took = append(took, d)
						case http.StatusServiceUnavailable:
							refused++
						default:
							b.Errorf("status %d: %.200s", rec.Code, rec.Body.String())
						}
					})
				}
				close(start)
				wg.Wait()
				b.StopTimer()
				slices.Sort(took)
				if len(took) > 0 {
					slowest = append(slowest, took[len(took)*99/100])
				}
				_ = s.Close(context.Background())
				b.StartTimer()
			}
			var p99 time.Duration
			for _, d := range slowest {
				p99 += d
			}
			if len(slowest) > 0 {
				p99 /= time.Duration(len(slowest))
			}
			b.ReportMetric(float64(refused)/float64(b.N), "refused/class")
			b.ReportMetric(float64(p99.Milliseconds()), "p99-ms")
		})
	}
}

package web

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/engineroom/engineroom/playground/sandbox"
)

// TestLoadLessonPage compares the lesson page with a bare Echo handler
// serving the same bytes, using wrk on loopback: same machine, same tool,
// same run. It only reports figures (the budget is a ratio of at least
// 60%); it never fails on speed. Run it with LOAD=1.
func TestLoadLessonPage(t *testing.T) {
	if os.Getenv("LOAD") == "" {
		t.Skip("set LOAD=1 to run the wrk comparison")
	}
	wrk, err := exec.LookPath("wrk")
	if err != nil {
		t.Fatal("LOAD=1 needs wrk (apt-get install wrk)")
	}
	s, err := New(context.Background(), Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	page := lessonBytes(t, s)
	ck := visitorCookieFor(s)

	ours := serveLoopback(t, s)
	bare := serveLoopback(t, bareEcho(page))
	dur := envDuration("LOAD_DURATION", 10*time.Second)
	run := func(name, url string) float64 {
		cpu := cpuTime()
		// The headers a browser sends when a visitor opens a lesson from
		// the home page.
		out, err := exec.Command(wrk, "-t1", "-c32", "-d"+dur.String(), "--latency",
			"-H", "Cookie: "+ck.Name+"="+ck.Value+"; er_csrf=loadtesttokenloadtesttoken12345",
			"-H", "Sec-Fetch-Site: same-origin", "-H", "Sec-Fetch-Mode: navigate", "-H", "Sec-Fetch-Dest: document",
			url).CombinedOutput()
		if err != nil {
			t.Fatalf("wrk: %v\n%s", err, out)
		}
		rps := parseWrk(t, out)
		perReq := (cpuTime() - cpu) / time.Duration(rps*dur.Seconds())
		t.Logf("%s: %.0f req/s, server CPU %s per request", name, rps, perReq)
		return rps
	}
	// Alternate the two, so drift in the machine's speed hits both alike.
	var bareSum, oursSum float64
	for round := range 3 {
		bareSum += run(fmt.Sprintf("bare Echo handler, round %d", round+1), bare+"/lessons/what-happens-when-you-click")
		oursSum += run(fmt.Sprintf("lesson page, round %d", round+1), ours+"/lessons/what-happens-when-you-click")
	}
	t.Logf("lesson page throughput = %.0f%% of the bare handler over 3 alternating rounds (budget >= 60%%)", 100*oursSum/bareSum)
}

var wrkRPS = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)

func parseWrk(t *testing.T, out []byte) float64 {
	t.Helper()
	m := wrkRPS.FindSubmatch(out)
	if m == nil {
		t.Fatalf("no Requests/sec in wrk output:\n%s", out)
	}
	v, _ := strconv.ParseFloat(string(m[1]), 64)
	return v
}

// serveLoopback serves h on 127.0.0.1 until the test ends.
func serveLoopback(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
	return "http://" + ln.Addr().String()
}

func envDuration(key string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(key)); err == nil && d > 0 {
		return d
	}
	return def
}

// TestLoadSQL measures the SQL panel's JSON twin through HTTP on loopback:
// 50 visitors, each with their own sandbox, sending queries back to back
// for a bounded time. It reports throughput and latency percentiles, then
// the process's memory with 300 visitors' sandboxes alive. It never fails
// on speed. Run it with LOAD=1.
func TestLoadSQL(t *testing.T) {
	if os.Getenv("LOAD") == "" {
		t.Skip("set LOAD=1 to run the SQL load test")
	}
	s, err := New(context.Background(), Config{Sandbox: sandbox.Options{CreationBurst: 1000}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	base := serveLoopback(t, s)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 400, MaxConnsPerHost: 400}}
	post := func(cookie string) (time.Duration, int, string) { return postLoadQuery(t, client, base, cookie) }
	visitors := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			_, code, ck := post("")
			if code != http.StatusOK || ck == "" {
				t.Fatalf("new visitor: status %d", code)
			}
			out[i] = ck
		}
		return out
	}

	const concurrent = 50
	wrk, err := exec.LookPath("wrk")
	if err != nil {
		t.Fatal("LOAD=1 needs wrk (apt-get install wrk)")
	}
	script := filepath.Join(t.TempDir(), "sql.lua")
	if err := os.WriteFile(script, []byte(wrkSQLScript), 0o644); err != nil {
		t.Fatal(err)
	}
	dur := envDuration("LOAD_DURATION", 10*time.Second)
	// One wrk thread and connection per visitor: each keeps its own cookie,
	// so each has its own sandbox, as 50 people in a class would.
	n := strconv.Itoa(concurrent)
	out, err := exec.Command(wrk, "-t"+n, "-c"+n, "-d"+dur.String(), "--latency", "-s", script, base+"/api/v1/sql").CombinedOutput()
	if err != nil {
		t.Fatalf("wrk: %v\n%s", err, out)
	}
	t.Logf("SQL round trip, wrk, %d visitors (one thread each): %.0f req/s\n%s", concurrent, parseWrk(t, out), out)

	// wrk's 50 threads crowd the 2 cores and stretch its own tail; a
	// client in a process of its own, on one core, measures the latency.
	gen := exec.Command(os.Args[0], "-test.run=^TestLoadSQLClient$", "-test.v", "-test.count=1")
	gen.Env = append(os.Environ(), "LOAD_CLIENT_URL="+base, "GOMAXPROCS=1")
	out, err = gen.CombinedOutput()
	if err != nil {
		t.Fatalf("load client: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "RESULT") {
			t.Logf("SQL round trip, Go client on one core, %d visitors: %s (budget >= 5000 req/s, p99 <= 25 ms)", concurrent, strings.TrimSpace(line))
		}
	}
	if st := s.sql.Stats(); st.Busy+st.Saturated > 0 {
		t.Logf("refused: %d busy, %d saturated", st.Busy, st.Saturated)
	}

	before, sandboxesBefore := rssMiB(t), s.sql.Stats().Sandboxes
	visitors(300 - sandboxesBefore)
	st := s.sql.Stats()
	t.Logf("with %d sandboxes alive: RSS %.0f MiB (was %.0f MiB with %d), SQLite heap %.0f MiB (budget: 300 active visitors <= 1 GiB)",
		st.Sandboxes, rssMiB(t), before, sandboxesBefore, float64(st.SQLiteMemory)/(1<<20))
}

// rssMiB is this process's resident memory.
func rssMiB(t *testing.T) float64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status here")
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return float64(kb) / 1024
		}
	}
	return 0
}

// wrkSQLScript makes each wrk thread one visitor: it posts a query and
// keeps the visitor cookie its first response set.
const wrkSQLScript = `
local cookie = nil
wrk.method = "POST"
wrk.body = '{"sql": "SELECT name, tier, miles FROM members WHERE id = 42"}'
wrk.headers["Content-Type"] = "application/json"
request = function()
  if cookie then wrk.headers["Cookie"] = cookie end
  return wrk.format()
end
response = function(status, headers, body)
  if not cookie and headers["Set-Cookie"] then
    for c in string.gmatch(headers["Set-Cookie"], "er_visitor=[^;]+") do cookie = c end
  end
end
`

// cpuTime is the CPU time this process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestLoadSQLClient is the load client TestLoadSQL starts in a process of
// its own: 50 visitors, each with its own cookie and sandbox, sending
// queries back to back for LOAD_DURATION. It prints one RESULT line.
func TestLoadSQLClient(t *testing.T) {
	base := os.Getenv("LOAD_CLIENT_URL")
	if base == "" {
		t.Skip("started by TestLoadSQL")
	}
	const visitors = 50
	dur := envDuration("LOAD_DURATION", 10*time.Second)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: visitors}}
	post := func(cookie string) (time.Duration, int, string) { return postLoadQuery(t, client, base, cookie) }
	cookies := make([]string, visitors)
	for i := range cookies {
		_, _, cookies[i] = post("")
	}
	var (
		mu        sync.Mutex
		latencies []time.Duration
		failed    int
		wg        sync.WaitGroup
	)
	deadline := time.Now().Add(dur)
	for _, ck := range cookies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			bad := 0
			for time.Now().Before(deadline) {
				d, code, _ := post(ck)
				mine = append(mine, d)
				if code != http.StatusOK {
					bad++
				}
			}
			mu.Lock()
			latencies, failed = append(latencies, mine...), failed+bad
			mu.Unlock()
		}()
	}
	wg.Wait()
	if len(latencies) == 0 {
		t.Fatal("no requests")
	}
	slices.Sort(latencies)
	pct := func(p float64) time.Duration {
		return latencies[int(float64(len(latencies)-1)*p)].Round(10 * time.Microsecond)
	}
	fmt.Printf("RESULT %.0f req/s, p50 %s, p90 %s, p99 %s, max %s, %d of %d not 200\n",
		float64(len(latencies))/dur.Seconds(), pct(0.5), pct(0.9), pct(0.99), pct(1), failed, len(latencies))
}

// postLoadQuery sends the load tests' query as the visitor whose cookie is
// given (a new one when empty) and returns the time it took, the status and
// the visitor cookie the response set, if any.
func postLoadQuery(t *testing.T, client *http.Client, base, cookie string) (time.Duration, int, string) {
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/sql",
		strings.NewReader(`{"sql": "SELECT name, tier, miles FROM members WHERE id = 42"}`))
	req.Header.Set("Content-Type", "application/json")
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	start := time.Now()
	res, err := client.Do(req)
	if err != nil {
		t.Error(err)
		return 0, 0, ""
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	var set string
	for _, c := range res.Cookies() {
		if c.Name == visitorCookie {
			set = c.Name + "=" + c.Value
		}
	}
	return time.Since(start), res.StatusCode, set
}

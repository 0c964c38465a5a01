package web

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"testing"
	"time"
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
		out, err := exec.Command(wrk, "-t1", "-c32", "-d"+dur.String(), "--latency",
			"-H", "Cookie: "+ck.Name+"="+ck.Value+"; er_csrf=loadtesttokenloadtesttoken12345", url).CombinedOutput()
		if err != nil {
			t.Fatalf("wrk: %v\n%s", err, out)
		}
		rps := parseWrk(t, out)
		t.Logf("%s: %.0f req/s\n%s", name, rps, out)
		return rps
	}
	bareRPS := run("bare Echo handler", bare+"/lessons/what-happens-when-you-click")
	oursRPS := run("lesson page", ours+"/lessons/what-happens-when-you-click")
	bareRPS2 := run("bare Echo handler (again)", bare+"/lessons/what-happens-when-you-click")
	base := (bareRPS + bareRPS2) / 2
	t.Logf("lesson page throughput = %.0f%% of the bare handler (budget >= 60%%)", 100*oursRPS/base)
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

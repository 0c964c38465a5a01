package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer collects log lines written from many goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// freeAddr returns a loopback address nothing listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	return addr
}

// testClient opens a fresh connection per request, so a server's idle
// connections never hide whether it still accepts new ones.
func testClient() *http.Client {
	return &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil},
	}
}

// exit is a server's end: done is closed once err is set.
type exit struct {
	done chan struct{}
	err  error
}

func newExit() *exit { return &exit{done: make(chan struct{})} }

// set records how the server ended; call it once.
func (e *exit) set(err error) {
	e.err = err
	close(e.done)
}

// waitHealthy polls url until it answers 200 and returns how long that
// took. It gives up after timeout, or as soon as the server exits before
// becoming healthy; logs explains a failure.
func waitHealthy(t *testing.T, url string, timeout time.Duration, exited *exit, logs func() string) time.Duration {
	t.Helper()
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil}}
	start := time.Now()
	deadline := start.Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		select {
		case <-exited.done:
			t.Fatalf("server exited before it was healthy: %v\n%s", exited.err, logs())
		default:
		}
		res, err := client.Get(url)
		if err == nil {
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return time.Since(start)
			}
			last = res.Status
		} else {
			last = err.Error()
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("%s not healthy after %v (last: %s)\n%s", url, timeout, last, logs())
	return 0
}

// TestRunServesAndShutsDownGracefully runs the whole program: it serves,
// the healthcheck command finds it, and cancelling its context lets an
// in-flight request finish before run returns nil.
func TestRunServesAndShutsDownGracefully(t *testing.T) {
	addr := freeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	base := "http://" + addr

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := &syncBuffer{}
	exited := newExit()
	stateDB := filepath.Join(t.TempDir(), "state.db")
	go func() {
		exited.set(run(ctx, nil, env{"ADDR": addr, "STATE_DB": stateDB}.get, logs, logs))
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-exited.done:
		case <-time.After(10 * time.Second):
			t.Errorf("run did not return 10s after the test")
		}
	})

	// Generous: with -race on a busy machine, building the SQL sandbox's
	// template at start alone takes seconds.
	took := waitHealthy(t, base+"/healthz", time.Minute, exited, logs.String)
	t.Logf("run to first healthy response: %v", took)

	t.Run("healthcheck", func(t *testing.T) {
		closed := freeAddr(t)
		tests := []struct {
			name string
			env  env
			ok   bool
		}{
			{name: "ADDR", env: env{"ADDR": addr}, ok: true},
			{name: "PORT when ADDR is unset", env: env{"PORT": port}, ok: true},
			{name: "wildcard host means this machine", env: env{"ADDR": "0.0.0.0:" + port}, ok: true},
			{name: "empty host means this machine", env: env{"ADDR": ":" + port}, ok: true},
			{name: "closed port", env: env{"ADDR": closed}, ok: false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var stdout, stderr strings.Builder
				err := run(ctx, []string{"healthcheck"}, tt.env.get, &stdout, &stderr)
				if tt.ok {
					if err != nil {
						t.Fatalf("healthcheck: %v", err)
					}
					if got := stdout.String(); got != "healthy: ok\n" {
						t.Errorf("stdout = %q, want %q", got, "healthy: ok\n")
					}
					return
				}
				if err == nil || !strings.HasPrefix(err.Error(), "healthcheck: ") {
					t.Fatalf("healthcheck error = %v, want a healthcheck error", err)
				}
				if stdout.Len() != 0 {
					t.Errorf("stdout = %q, want nothing", stdout.String())
				}
			})
		}
	})

	t.Run("operations lessons", func(t *testing.T) { testRunOperations(t, base, addr, stateDB, logs) })

	t.Run("graceful shutdown", func(t *testing.T) {
		type result struct {
			status int
			body   []byte
			took   time.Duration
			err    error
		}
		results := make(chan result, 1)
		written := make(chan struct{})
		var once sync.Once
		trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { once.Do(func() { close(written) }) }}
		req, err := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace),
			http.MethodPost, base+"/api/v1/demos/slow-step", strings.NewReader(`{"delay_ms": 800}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		go func() {
			start := time.Now()
			res, err := testClient().Do(req)
			if err != nil {
				results <- result{err: err}
				return
			}
			defer res.Body.Close()
			body, err := io.ReadAll(res.Body)
			results <- result{status: res.StatusCode, body: body, took: time.Since(start), err: err}
		}()
		select {
		case <-written:
		case r := <-results:
			t.Fatalf("slow request ended before it was sent: %+v", r)
		case <-time.After(5 * time.Second):
			t.Fatal("slow request not sent after 5s")
		}
		// Let the server read the request and start the handler.
		time.Sleep(150 * time.Millisecond)

		cancelled := time.Now()
		cancel()

		select {
		case r := <-results:
			if r.err != nil {
				t.Fatalf("in-flight request: %v", r.err)
			}
			if r.status != http.StatusOK {
				t.Fatalf("in-flight request: status %d, want 200\n%s", r.status, r.body)
			}
			if r.took < 800*time.Millisecond {
				t.Errorf("in-flight request took %v, want at least the 800ms delay", r.took)
			}
			var got struct {
				ID     string `json:"id"`
				Output struct {
					DelayMS int `json:"delay_ms"`
				} `json:"output"`
			}
			if err := json.Unmarshal(r.body, &got); err != nil {
				t.Fatalf("in-flight response is not JSON: %v\n%s", err, r.body)
			}
			if got.ID != "slow-step" || got.Output.DelayMS != 800 {
				t.Errorf("in-flight response id %q delay_ms %d, want slow-step and 800", got.ID, got.Output.DelayMS)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("in-flight request did not finish within 5s of shutdown")
		}

		select {
		case <-exited.done:
			if exited.err != nil {
				t.Fatalf("run returned %v after cancel, want nil\n%s", exited.err, logs.String())
			}
			t.Logf("run returned %v after cancel", time.Since(cancelled).Round(time.Millisecond))
		case <-time.After(time.Until(cancelled.Add(5 * time.Second))):
			t.Fatalf("run did not return within 5s of cancel\n%s", logs.String())
		}

		if _, err := testClient().Get(base + "/healthz"); err == nil {
			t.Error("server still accepts connections after run returned")
		}
		for _, want := range []string{"msg=serving", "msg=\"shutting down\""} {
			if !strings.Contains(logs.String(), want) {
				t.Errorf("logs lack %s:\n%s", want, logs.String())
			}
		}
	})
}

// TestRunReportsBusyAddress checks that a taken port is an error from run,
// not a silent exit.
func TestRunReportsBusyAddress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().String()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err = run(ctx, nil, env{"ADDR": addr, "STATE_DB": filepath.Join(t.TempDir(), "state.db")}.get, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "listening on "+addr) {
		t.Fatalf("run error = %v, want one about listening on %s", err, addr)
	}
}

// TestRunReportsUnreachableRedis: a REDIS_URL nobody answers at stops the
// start with an error naming it, and frees the port again.
func TestRunReportsUnreachableRedis(t *testing.T) {
	redisAddr := freeAddr(t) // nothing listens there
	addr := freeAddr(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := run(ctx, nil, env{"ADDR": addr, "REDIS_URL": "redis://" + redisAddr + "/0", "STATE_DB": filepath.Join(t.TempDir(), "state.db")}.get, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "connecting to redis at "+redisAddr) {
		t.Fatalf("run error = %v, want one about connecting to redis at %s", err, redisAddr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("the server's port is still taken after the failed start: %v", err)
	}
	ln.Close()
}

// TestRunServesMetricsApart: with METRICS_ADDR, /metrics is served there
// and only there; the app's own address answers 404 for it. A busy
// metrics address stops the start and frees the app's port again.
func TestRunServesMetricsApart(t *testing.T) {
	addr, metricsAddr := freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := &syncBuffer{}
	exited := newExit()
	go func() {
		exited.set(run(ctx, nil, env{"ADDR": addr, "METRICS_ADDR": metricsAddr, "STATE_DB": filepath.Join(t.TempDir(), "state.db")}.get, logs, logs))
	}()
	waitHealthy(t, "http://"+addr+"/healthz", time.Minute, exited, logs.String)
	get := func(url string) (int, string) {
		t.Helper()
		res, err := testClient().Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(body)
	}
	tests := []struct {
		url        string
		wantStatus int
		wantBody   string
	}{
		{"http://" + metricsAddr + "/metrics", http.StatusOK, "\nengineroom_sandboxes "},
		{"http://" + addr + "/metrics", http.StatusNotFound, ""},
		{"http://" + metricsAddr + "/healthz", http.StatusNotFound, ""},
		{"http://" + metricsAddr + "/lessons/sql-basics", http.StatusNotFound, ""},
	}
	for _, tt := range tests {
		if status, body := get(tt.url); status != tt.wantStatus || !strings.Contains(body, tt.wantBody) {
			t.Errorf("GET %s: %d, want %d with %q; body:\n%.300s", tt.url, status, tt.wantStatus, tt.wantBody, body)
		}
	}
	if !strings.Contains(logs.String(), "msg=\"serving metrics\" addr="+metricsAddr) {
		t.Errorf("no log line for the metrics address:\n%s", logs.String())
	}
	cancel()
	select {
	case <-exited.done:
		if exited.err != nil {
			t.Errorf("run = %v after cancel", exited.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return 10s after cancel")
	}

	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	err = run(context.Background(), nil, env{"ADDR": addr, "METRICS_ADDR": busy.Addr().String(), "STATE_DB": filepath.Join(t.TempDir(), "state.db")}.get, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "listening on "+busy.Addr().String()+" for metrics") {
		t.Fatalf("run error = %v, want one about listening for metrics", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("the app's port is still taken after the failed start: %v", err)
	}
	ln.Close()
}

// TestRunMakesStateFolder: the state database's folder is made at start,
// so the job queue and the events lesson can write there; one that cannot
// be made stops the start with an error that says what to set.
func TestRunMakesStateFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "engineroom")
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := &syncBuffer{}
	exited := newExit()
	go func() {
		exited.set(run(ctx, nil, env{"ADDR": addr, "STATE_DB": filepath.Join(dir, "state.db")}.get, logs, logs))
	}()
	waitHealthy(t, "http://"+addr+"/healthz", time.Minute, exited, logs.String)
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		t.Errorf("state folder %s: %v", dir, err)
	}
	cancel()
	<-exited.done

	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	err := run(context.Background(), nil, env{"ADDR": freeAddr(t), "STATE_DB": filepath.Join(file, "state.db")}.get, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "making a folder for the state database (set STATE_DB)") {
		t.Errorf("run with STATE_DB under a file = %v, want an error about its folder", err)
	}
}

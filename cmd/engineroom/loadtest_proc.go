package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTicks is USER_HZ, the unit of CPU times in /proc/<pid>/stat; it is
// 100 on every Linux the binary runs on.
const clockTicks = 100

// procSample is what /proc says about a process at one moment.
type procSample struct {
	cpu time.Duration // user + system
	rss int64         // VmRSS, bytes
	hwm int64         // VmHWM, the peak RSS since the process started, bytes
}

// readProc reads a process's CPU time and memory from /proc (Linux only).
func readProc(pid int) (procSample, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procSample{}, fmt.Errorf("loadtest: reading process %d: %w", pid, err)
	}
	// The command name, in parentheses, may hold spaces: count the fields
	// after it, starting at field 3 (state). utime and stime are 14 and 15.
	i := strings.LastIndexByte(string(stat), ')')
	f := strings.Fields(string(stat[i+1:]))
	if i < 0 || len(f) < 13 {
		return procSample{}, fmt.Errorf("loadtest: reading process %d: unexpected /proc/%d/stat", pid, pid)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return procSample{}, fmt.Errorf("loadtest: reading process %d: unexpected /proc/%d/stat", pid, pid)
	}
	s := procSample{cpu: time.Duration(utime+stime) * time.Second / clockTicks}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return procSample{}, fmt.Errorf("loadtest: reading process %d: %w", pid, err)
	}
	for line := range strings.Lines(string(status)) {
		key, val, _ := strings.Cut(line, ":")
		kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(val), " kB"), 10, 64)
		switch key {
		case "VmRSS":
			s.rss = kb << 10
		case "VmHWM":
			s.hwm = kb << 10
		}
	}
	return s, nil
}

// usage is what a process used during the class.
type usage struct {
	why                       string // why it was not measured; empty when it was
	wall, cpu                 time.Duration
	rssStart, rssPeak, rssEnd int64 // bytes; the peak is sampled
	hwm                       int64 // peak RSS since the process started
}

// meter samples a process's memory while the class runs.
type meter struct {
	stopc chan struct{}
	done  chan usage
}

// meterInterval is how often a meter samples RSS.
const meterInterval = 200 * time.Millisecond

// startMeter starts sampling process pid; a pid of 0, or a system without
// /proc, gives a usage that says why it was not measured.
func startMeter(pid int) *meter {
	m := &meter{stopc: make(chan struct{}), done: make(chan usage, 1)}
	first, err := readProc(pid)
	if pid == 0 || err != nil {
		why := "no process id"
		if pid != 0 {
			why = err.Error()
		}
		m.done <- usage{why: why}
		close(m.stopc)
		return m
	}
	go func() {
		start := time.Now()
		u := usage{rssStart: first.rss, rssPeak: first.rss}
		tick := time.NewTicker(meterInterval)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				if s, err := readProc(pid); err == nil {
					u.rssPeak = max(u.rssPeak, s.rss)
				}
			case <-m.stopc:
				last, err := readProc(pid)
				if err != nil {
					m.done <- usage{why: err.Error()}
					return
				}
				u.wall, u.cpu = time.Since(start), last.cpu-first.cpu
				u.rssEnd, u.rssPeak, u.hwm = last.rss, max(u.rssPeak, last.rss), last.hwm
				m.done <- u
				return
			}
		}
	}()
	return m
}

// stop ends the sampling and returns what the process used.
func (m *meter) stop() usage {
	select {
	case <-m.stopc:
	default:
		close(m.stopc)
	}
	return <-m.done
}

// waitIdle waits until process pid has used no CPU for a whole interval,
// so a server still building its demo data after answering /healthz is
// not measured as if it were serving the class. It gives up after wait.
func waitIdle(ctx context.Context, pid int, wait time.Duration) {
	const interval = 200 * time.Millisecond
	prev, err := readProc(pid)
	if pid == 0 || err != nil {
		return
	}
	for end := time.Now().Add(wait); time.Now().Before(end); {
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
		s, err := readProc(pid)
		if err != nil || s.cpu == prev.cpu {
			return
		}
		prev = s
	}
}

// childServer is a server loadtest started: this same binary, serving on
// a free loopback port.
type childServer struct {
	cmd  *exec.Cmd
	done chan error // receives Wait's result once
	url  string
	pid  int
}

// startServer runs this binary with no arguments on a free loopback port
// and waits until it answers /healthz.
func startServer(ctx context.Context, getenv func(string) string, stderr io.Writer) (*childServer, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("loadtest: finding this binary: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("loadtest: finding a free port: %w", err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		return nil, fmt.Errorf("loadtest: finding a free port: %w", err)
	}
	cmd := exec.Command(exe)
	cmd.Env = []string{"ADDR=" + addr, "LOG_LEVEL=" + childLogLevel}
	// The Go runtime's knobs pass through, so a run can try them.
	for _, k := range []string{"GOMAXPROCS", "GOGC", "GOMEMLIMIT", "GODEBUG"} {
		if v := getenv(k); v != "" {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	cmd.Stdout, cmd.Stderr = stderr, stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("loadtest: starting the server: %w", err)
	}
	c := &childServer{cmd: cmd, done: make(chan error, 1), url: "http://" + addr, pid: cmd.Process.Pid}
	go func() { c.done <- cmd.Wait() }()
	if err := c.waitHealthy(ctx, 15*time.Second); err != nil {
		return nil, errors.Join(err, c.stop())
	}
	return c, nil
}

// waitHealthy polls /healthz until it answers 200, the server exits or
// the wait runs out.
func (c *childServer) waitHealthy(ctx context.Context, wait time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url+"/healthz", nil)
		if err != nil {
			return fmt.Errorf("loadtest: waiting for the server: %w", err)
		}
		if res, err := client.Do(req); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-c.done:
			c.done <- err // stop reads it again
			return fmt.Errorf("loadtest: the server exited before it was healthy: %v", err)
		case <-ctx.Done():
			return fmt.Errorf("loadtest: waiting for the server at %s: %w", c.url, ctx.Err())
		case <-tick.C:
		}
	}
}

// stop sends the server SIGTERM and waits for it to shut down, killing it
// if it takes longer than its own grace period allows.
func (c *childServer) stop() error {
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		_ = c.cmd.Process.Kill()
	}
	select {
	case err := <-c.done:
		if err != nil {
			return fmt.Errorf("loadtest: stopping the server: %w", err)
		}
		return nil
	case <-time.After(shutdownGrace + 3*time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
		return errors.New("loadtest: stopping the server: it did not exit after SIGTERM and was killed")
	}
}

package main

import (
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// maxBinarySize is the budget for the stripped release binary.
const maxBinarySize = 32 << 20

// TestStaticBinaryInEmptyRoot builds the binary exactly as the Dockerfile
// does and boots it in a root filesystem that holds nothing else, which is
// what the distroless image amounts to: no libc, no /etc, no /tmp, no
// zoneinfo, no CA bundle, no shell.
func TestStaticBinaryInEmptyRoot(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the release binary; skipped with -short")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command on PATH to build the release binary: %v", err)
	}

	bin := filepath.Join(t.TempDir(), "engineroom")
	// The image is built from a context without .git, so no VCS stamp here
	// either; GOFLAGS is cleared so a -race from the caller cannot turn cgo
	// back on.
	build := exec.Command(goTool, "build", "-tags", "grpcnotrace", "-trimpath", "-buildvcs=false", "-ldflags", "-s -w", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=")
	began := time.Now()
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	info, err := os.Stat(bin)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("release binary: %d bytes (%.1f MiB), built in %v",
		info.Size(), float64(info.Size())/(1<<20), time.Since(began).Round(time.Millisecond))

	t.Run("static and within budget", func(t *testing.T) {
		if info.Size() > maxBinarySize {
			t.Errorf("binary is %.1f MiB, budget %d MiB", float64(info.Size())/(1<<20), maxBinarySize>>20)
		}
		f, err := elf.Open(bin)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		for _, p := range f.Progs {
			switch p.Type {
			case elf.PT_INTERP:
				t.Error("binary has a PT_INTERP program header: it is dynamically linked and needs a loader the image lacks")
			case elf.PT_DYNAMIC:
				t.Error("binary has a PT_DYNAMIC program header: it is dynamically linked")
			}
		}
		libs, err := f.ImportedLibraries()
		if err != nil {
			t.Fatal(err)
		}
		if len(libs) > 0 {
			t.Errorf("binary needs shared libraries %q", libs)
		}
		if syms, err := f.Symbols(); err == nil && len(syms) > 0 {
			t.Errorf("binary keeps %d symbols; want it stripped (-ldflags \"-s -w\")", len(syms))
		}
	})

	t.Run("serves from an empty root filesystem", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("chroot needs root: run the tests as root (as CI does) to boot the binary in an empty root filesystem")
		}
		root := t.TempDir()
		if err := copyFile(bin, filepath.Join(root, "engineroom"), 0o755); err != nil {
			t.Fatal(err)
		}
		entries, err := os.ReadDir(root)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 {
			t.Fatalf("root filesystem holds %d entries, want only the binary", len(entries))
		}

		addr := freeAddr(t)
		inRoot := func(args ...string) *exec.Cmd {
			cmd := exec.Command("/engineroom", args...)
			cmd.Dir = "/"
			cmd.Env = []string{"ADDR=" + addr}
			cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: root}
			return cmd
		}

		logs := &syncBuffer{}
		server := inRoot()
		server.Stdout, server.Stderr = logs, logs
		started := time.Now()
		if err := server.Start(); err != nil {
			t.Fatalf("starting the binary in the empty root: %v", err)
		}
		exited := newExit()
		go func() { exited.set(server.Wait()) }()
		t.Cleanup(func() {
			select {
			case <-exited.done:
			default:
				server.Process.Kill()
				<-exited.done
			}
		})

		waitHealthy(t, "http://"+addr+"/healthz", 15*time.Second, exited, logs.String)
		healthy := time.Since(started)
		t.Logf("start to first healthy response: %v", healthy.Round(100*time.Microsecond))
		if rss, err := residentSet(server.Process.Pid); err == nil {
			t.Logf("resident memory after start: %s", rss)
		}

		hc := inRoot("healthcheck")
		out, err := hc.CombinedOutput()
		if err != nil {
			t.Fatalf("/engineroom healthcheck in the empty root: %v\n%s", err, out)
		}
		if !strings.HasPrefix(string(out), "healthy: ") {
			t.Errorf("healthcheck printed %q, want it to start with %q", out, "healthy: ")
		}

		stopAt := time.Now()
		if err := server.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatalf("SIGTERM: %v", err)
		}
		select {
		case <-exited.done:
			if exited.err != nil {
				t.Fatalf("server exited with %v after SIGTERM, want a clean exit\n%s", exited.err, logs.String())
			}
			t.Logf("clean exit %v after SIGTERM", time.Since(stopAt).Round(time.Millisecond))
		case <-time.After(10 * time.Second):
			t.Fatalf("server still running 10s after SIGTERM\n%s", logs.String())
		}
		if !strings.Contains(logs.String(), "shutting down") {
			t.Errorf("server logs lack the shutdown line:\n%s", logs.String())
		}
	})
}

// copyFile copies src to a new file dst with the given mode.
func copyFile(src, dst string, mode os.FileMode) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, data, mode)
}

// residentSet reads a process's resident memory from /proc.
func residentSet(pid int) (string, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "", err
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strings.TrimSpace(rest), nil
		}
	}
	return "", fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

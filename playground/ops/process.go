package ops

import (
	"bufio"
	"bytes"
	"errors"
	"io/fs"
	"math"
	"os"
	"path"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

// Process is what a container changes about a running process, read
// live: who it runs as, what it may use, what is around it.
type Process struct {
	PID int `json:"pid"`
	// PID1 says whether the process is the first one of its PID
	// namespace, as a container's entry point is: it gets the container's
	// signals directly.
	PID1 bool `json:"pid1"`
	UID  int  `json:"uid"`
	GID  int  `json:"gid"`
	// GoVersion and Platform name the toolchain and target it was built
	// with ("go1.26.8", "linux/amd64").
	GoVersion string `json:"go_version"`
	Platform  string `json:"platform"`
	// GOMAXPROCS is how many threads run Go code at once; CPUs how many
	// the machine has. Since Go 1.25 a CPU limit of the cgroup lowers
	// GOMAXPROCS.
	GOMAXPROCS int `json:"gomaxprocs"`
	CPUs       int `json:"cpus"`
	// CPULimit and MemoryLimit are the cgroup's limits (cgroup v2 files
	// cpu.max and memory.max).
	CPULimit    Limit `json:"cpu_limit"`
	MemoryLimit Limit `json:"memory_limit"`
	// GoMemLimit is the Go runtime's soft memory limit (GOMEMLIMIT), 0
	// when there is none.
	GoMemLimit int64 `json:"go_mem_limit"`
	// Shell says whether /bin/sh exists: a distroless image has none.
	Shell   bool          `json:"shell"`
	Started time.Time     `json:"started"`
	Uptime  time.Duration `json:"uptime_ns"`
}

// Limit is a limit read from a cgroup v2 file.
type Limit struct {
	// File is the file read, "" when none was found (no cgroup v2, or
	// not Linux).
	File string `json:"file"`
	// Unlimited is "max": the file exists and sets no limit.
	Unlimited bool `json:"unlimited"`
	// Value is the limit: bytes for memory, CPUs for CPU.
	Value float64 `json:"value"`
}

// Set says whether the limit exists and is not "max".
func (l Limit) Set() bool { return l.File != "" && !l.Unlimited }

// ReadProcess reads the facts about this process. root is the
// filesystem the /proc, /sys and /bin paths are read from (os.DirFS("/")
// in production); started is when the server started.
func ReadProcess(root fs.FS, started, now time.Time) Process {
	p := Process{
		PID: os.Getpid(), UID: os.Getuid(), GID: os.Getgid(),
		GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH,
		GOMAXPROCS: runtime.GOMAXPROCS(0), CPUs: runtime.NumCPU(),
		Started: started, Uptime: now.Sub(started),
	}
	p.PID1 = p.PID == 1
	if lim := debug.SetMemoryLimit(-1); lim != math.MaxInt64 {
		p.GoMemLimit = lim
	}
	_, err := fs.Stat(root, "bin/sh")
	p.Shell = err == nil
	dirs := cgroupDirs(root)
	p.MemoryLimit = readLimit(root, dirs, "memory.max", parseMemoryMax)
	p.CPULimit = readLimit(root, dirs, "cpu.max", parseCPUMax)
	return p
}

// cgroupDirs are where this process's cgroup v2 files may be: its own
// cgroup's folder (from /proc/self/cgroup), then the mount's root, which
// is its own cgroup inside a container.
func cgroupDirs(root fs.FS) []string {
	const mount = "sys/fs/cgroup"
	dirs := []string{}
	if b, err := fs.ReadFile(root, "proc/self/cgroup"); err == nil {
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "0::"); ok && rest != "/" && rest != "" && fs.ValidPath(strings.TrimPrefix(rest, "/")) {
				dirs = append(dirs, path.Join(mount, strings.TrimPrefix(rest, "/")))
			}
		}
	}
	return append(dirs, mount)
}

func readLimit(root fs.FS, dirs []string, name string, parse func(string) (Limit, error)) Limit {
	for _, d := range dirs {
		file := path.Join(d, name)
		b, err := fs.ReadFile(root, file)
		if err != nil {
			continue
		}
		l, err := parse(strings.TrimSpace(string(b)))
		if err != nil {
			continue
		}
		l.File = "/" + file
		return l
	}
	return Limit{}
}

// parseMemoryMax reads memory.max: "max" or a number of bytes.
func parseMemoryMax(s string) (Limit, error) {
	if s == "max" {
		return Limit{Unlimited: true}, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return Limit{}, errors.New("ops: memory.max is not a number of bytes")
	}
	return Limit{Value: float64(n)}, nil
}

// parseCPUMax reads cpu.max: "<quota> <period>" in microseconds, the
// quota "max" for none. 200000 100000 is 2 CPUs.
func parseCPUMax(s string) (Limit, error) {
	quota, period, _ := strings.Cut(s, " ")
	if quota == "max" {
		return Limit{Unlimited: true}, nil
	}
	q, err1 := strconv.ParseFloat(quota, 64)
	p, err2 := strconv.ParseFloat(period, 64)
	if err1 != nil || err2 != nil || q <= 0 || p <= 0 {
		return Limit{}, errors.New("ops: cpu.max is not <quota> <period>")
	}
	return Limit{Value: q / p}, nil
}

// MachineMemory is the memory this process may use: its cgroup's
// memory.max when one is set, else the machine's (MemTotal in
// /proc/meminfo), whichever is smaller; from names the file it came
// from. It is 0 and "" when neither can be read (not Linux).
func MachineMemory(root fs.FS) (bytes int64, from string) {
	if l := readLimit(root, cgroupDirs(root), "memory.max", parseMemoryMax); l.Set() {
		bytes, from = int64(l.Value), l.File
	}
	if total := memTotal(root); total > 0 && (bytes == 0 || total < bytes) {
		bytes, from = total, "/proc/meminfo"
	}
	return bytes, from
}

// memTotal reads MemTotal from /proc/meminfo, 0 when it cannot.
func memTotal(root fs.FS) int64 {
	b, err := fs.ReadFile(root, "proc/meminfo")
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:")
		if !ok {
			continue
		}
		kb, unit, _ := strings.Cut(strings.TrimSpace(rest), " ")
		n, err := strconv.ParseInt(kb, 10, 64)
		if err != nil || n <= 0 || unit != "kB" {
			return 0
		}
		return n << 10
	}
	return 0
}

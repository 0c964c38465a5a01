package ops

import (
	"math"
	"os"
	"runtime"
	"slices"
	"sync"
	"testing"
	"testing/fstest"
	"time"
)

func TestRequests(t *testing.T) {
	var r Requests
	var wg sync.WaitGroup
	for _, status := range []int{200, 200, 201, 304, 404, 429, 503, 0, 700} {
		wg.Go(func() {
			r.Begin()
			r.End(status)
		})
	}
	wg.Wait()
	r.Begin() // one still in flight
	want := []ClassCount{{"1xx", 0}, {"2xx", 3}, {"3xx", 1}, {"4xx", 2}, {"5xx", 1}, {"other", 2}}
	if got := r.Served(); !slices.Equal(got, want) {
		t.Errorf("Served = %v, want %v", got, want)
	}
	if r.Total() != 9 || r.InFlight() != 1 {
		t.Errorf("Total %d, InFlight %d; want 9, 1", r.Total(), r.InFlight())
	}
	var fresh Requests
	if got := fresh.Served(); len(got) != 5 || got[4] != (ClassCount{"5xx", 0}) {
		t.Errorf("a fresh counter serves %v, want 1xx to 5xx at 0 and no other", got)
	}
}

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"},
		{"redis://engine:hunter2@cache.internal:6390/3", "redis://engine:xxxxx@cache.internal:6390/3"},
		{"rediss://:hunter2@cache.internal:6380/2", "rediss://:xxxxx@cache.internal:6380/2"},
		{"redis://engine@cache.internal:6390", "redis://engine@cache.internal:6390"},
		{"https://collector.example:4318?token=hunter2&x=1", "https://collector.example:4318?token=xxxxx&x=xxxxx"},
		{"https://engineroom.example", "https://engineroom.example"},
		{"127.0.0.1:6379 hunter2", "(hidden: not a valid URL)"},
		{"http://a b:hunter2@host", "(hidden: not a valid URL)"},
	}
	for _, tt := range tests {
		if got := RedactURL(tt.in); got != tt.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestReadProcess(t *testing.T) {
	started := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	now := started.Add(90 * time.Second)
	tests := []struct {
		name      string
		root      fstest.MapFS
		wantShell bool
		wantMem   Limit
		wantCPU   Limit
	}{
		{
			name: "a container with limits and no shell",
			root: fstest.MapFS{
				"proc/self/cgroup":          {Data: []byte("0::/\n")},
				"sys/fs/cgroup/memory.max":  {Data: []byte("536870912\n")},
				"sys/fs/cgroup/cpu.max":     {Data: []byte("150000 100000\n")},
				"sys/fs/cgroup/cgroup.type": {Data: []byte("domain\n")},
			},
			wantMem: Limit{File: "/sys/fs/cgroup/memory.max", Value: 536870912},
			wantCPU: Limit{File: "/sys/fs/cgroup/cpu.max", Value: 1.5},
		},
		{
			name: "a host session: its own cgroup, no limits",
			root: fstest.MapFS{
				"bin/sh":           {Data: []byte{}},
				"proc/self/cgroup": {Data: []byte("0::/user.slice/session-2.scope\n")},
				"sys/fs/cgroup/user.slice/session-2.scope/memory.max": {Data: []byte("max\n")},
				"sys/fs/cgroup/user.slice/session-2.scope/cpu.max":    {Data: []byte("max 100000\n")},
			},
			wantShell: true,
			wantMem:   Limit{File: "/sys/fs/cgroup/user.slice/session-2.scope/memory.max", Unlimited: true},
			wantCPU:   Limit{File: "/sys/fs/cgroup/user.slice/session-2.scope/cpu.max", Unlimited: true},
		},
		{
			name:      "no cgroup v2 files",
			root:      fstest.MapFS{"bin/sh": {Data: []byte{}}},
			wantShell: true,
		},
		{
			name: "unreadable limits are left out",
			root: fstest.MapFS{
				"sys/fs/cgroup/memory.max": {Data: []byte("lots\n")},
				"sys/fs/cgroup/cpu.max":    {Data: []byte("100000\n")},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := ReadProcess(tt.root, started, now)
			if p.Shell != tt.wantShell || p.MemoryLimit != tt.wantMem || p.CPULimit != tt.wantCPU {
				t.Errorf("shell %v, memory %+v, cpu %+v; want %v, %+v, %+v", p.Shell, p.MemoryLimit, p.CPULimit, tt.wantShell, tt.wantMem, tt.wantCPU)
			}
			if p.MemoryLimit.Set() != (tt.wantMem.File != "" && !tt.wantMem.Unlimited) {
				t.Errorf("memory limit Set() = %v", p.MemoryLimit.Set())
			}
			if p.PID != os.Getpid() || p.PID1 != (p.PID == 1) || p.UID != os.Getuid() || p.GID != os.Getgid() {
				t.Errorf("pid %d (1: %v), uid %d, gid %d", p.PID, p.PID1, p.UID, p.GID)
			}
			if p.GoVersion != runtime.Version() || p.Platform != runtime.GOOS+"/"+runtime.GOARCH {
				t.Errorf("go %q on %q", p.GoVersion, p.Platform)
			}
			if p.GOMAXPROCS != runtime.GOMAXPROCS(0) || p.CPUs != runtime.NumCPU() {
				t.Errorf("GOMAXPROCS %d of %d CPUs", p.GOMAXPROCS, p.CPUs)
			}
			if p.Started != started || p.Uptime != 90*time.Second {
				t.Errorf("started %v, up %v", p.Started, p.Uptime)
			}
			if p.GoMemLimit < 0 || p.GoMemLimit == math.MaxInt64 {
				t.Errorf("GoMemLimit = %d, want 0 for none or the limit", p.GoMemLimit)
			}
		})
	}
}

func TestReadRuntime(t *testing.T) {
	rt := ReadRuntime(fstest.MapFS{"proc/self/statm": {Data: []byte("5000 2500 800 100 0 1200 0\n")}})
	if rt.RSS != 2500*int64(os.Getpagesize()) {
		t.Errorf("RSS = %d, want 2500 pages", rt.RSS)
	}
	if rt.Goroutines < 1 || rt.HeapInUse == 0 || rt.GoTotal < rt.HeapInUse || rt.GOMAXPROCS != int64(runtime.GOMAXPROCS(0)) {
		t.Errorf("runtime = %+v", rt)
	}
	before := rt.GCCycles
	runtime.GC()
	if after := ReadRuntime(fstest.MapFS{}).GCCycles; after <= before {
		t.Errorf("GC cycles %d after a GC, %d before", after, before)
	}
	for _, statm := range []string{"", "5000", "5000 many"} {
		if rss := ReadRuntime(fstest.MapFS{"proc/self/statm": {Data: []byte(statm)}}).RSS; rss != -1 {
			t.Errorf("statm %q: RSS = %d, want -1", statm, rss)
		}
	}
	if rss := ReadRuntime(fstest.MapFS{}).RSS; rss != -1 {
		t.Errorf("no statm: RSS = %d, want -1", rss)
	}
}

func TestExposition(t *testing.T) {
	got := Exposition([]Family{
		{Name: "engineroom_http_requests_total", Help: "Requests answered, by status class.", Type: "counter", Samples: []Sample{
			{Labels: []Label{{"code", "2xx"}}, Value: 1234},
			{Labels: []Label{{"code", "5xx"}, {"note", "a \"quoted\"\\ value\nnext"}}, Value: 0},
		}},
		{Name: "go_memstats_heap_inuse_bytes", Help: "Heap in use.\nSecond line \\ here.", Type: "gauge", Samples: []Sample{{Value: 12582912}}},
		{Name: "ratio", Help: "h", Type: "gauge", Samples: []Sample{{Value: 0.25}}},
		{Name: "odd", Help: "h", Type: "gauge", Samples: []Sample{{Value: math.NaN()}, {Value: math.Inf(1)}, {Value: 1e20}}},
	})
	want := `# HELP engineroom_http_requests_total Requests answered, by status class.
# TYPE engineroom_http_requests_total counter
engineroom_http_requests_total{code="2xx"} 1234
engineroom_http_requests_total{code="5xx",note="a \"quoted\"\\ value\nnext"} 0
# HELP go_memstats_heap_inuse_bytes Heap in use.\nSecond line \\ here.
# TYPE go_memstats_heap_inuse_bytes gauge
go_memstats_heap_inuse_bytes 12582912
# HELP ratio h
# TYPE ratio gauge
ratio 0.25
# HELP odd h
# TYPE odd gauge
odd NaN
odd +Inf
odd 1e+20
`
	if got != want {
		t.Errorf("Exposition =\n%s\nwant\n%s", got, want)
	}
	if v := FormatValue(math.Inf(-1)); v != "-Inf" {
		t.Errorf("FormatValue(-Inf) = %q", v)
	}
}

func TestMachineMemory(t *testing.T) {
	const gib = 1 << 30
	meminfo := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	tests := []struct {
		name      string
		root      fstest.MapFS
		wantBytes int64
		wantFrom  string
	}{
		{
			name: "a container's limit below the machine's memory",
			root: fstest.MapFS{
				"proc/meminfo":             meminfo("MemTotal:       24683792 kB\nMemFree:        23165416 kB\n"),
				"proc/self/cgroup":         {Data: []byte("0::/\n")},
				"sys/fs/cgroup/memory.max": {Data: []byte("1073741824\n")},
			},
			wantBytes: gib, wantFrom: "/sys/fs/cgroup/memory.max",
		},
		{
			name: "a limit above the machine's memory",
			root: fstest.MapFS{
				"proc/meminfo":             meminfo("MemTotal:        1000000 kB\n"),
				"sys/fs/cgroup/memory.max": {Data: []byte("4294967296\n")},
			},
			wantBytes: 1000000 << 10, wantFrom: "/proc/meminfo",
		},
		{
			name: "a virtual machine: no limit, its own memory",
			root: fstest.MapFS{
				"proc/meminfo":             meminfo("MemTotal:         985432 kB\n"),
				"sys/fs/cgroup/memory.max": {Data: []byte("max\n")},
			},
			wantBytes: 985432 << 10, wantFrom: "/proc/meminfo",
		},
		{
			name:      "a limit and no meminfo",
			root:      fstest.MapFS{"sys/fs/cgroup/memory.max": {Data: []byte("536870912\n")}},
			wantBytes: gib / 2, wantFrom: "/sys/fs/cgroup/memory.max",
		},
		{name: "nothing to read", root: fstest.MapFS{}},
		{name: "meminfo in another unit", root: fstest.MapFS{"proc/meminfo": meminfo("MemTotal: 1000 MB\n")}},
		{name: "meminfo without MemTotal", root: fstest.MapFS{"proc/meminfo": meminfo("MemFree: 1000 kB\n")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, from := MachineMemory(tt.root)
			if b != tt.wantBytes || from != tt.wantFrom {
				t.Errorf("MachineMemory = %d from %q, want %d from %q", b, from, tt.wantBytes, tt.wantFrom)
			}
		})
	}
}

package web

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/engineroom/engineroom/playground/ops"
	"github.com/engineroom/engineroom/playground/sandbox"
	"github.com/engineroom/engineroom/web/view"
)

// opsConfigLesson is the lesson on containers, configuration and health
// checks.
const opsConfigLesson = "containers-and-configuration"

// runningConfig is what the running-config demo read, for the JSON twin.
type runningConfig struct {
	Settings []Setting  `json:"settings"`
	Process  opsProcess `json:"process"`
}

// opsProcess is ops.Process with its durations in readable units.
type opsProcess struct {
	ops.Process
	UptimeS float64 `json:"uptime_s"`
	Uptime  string  `json:"uptime"`
}

func (s *Server) demoRunningConfig() *demo {
	return &demo{
		ID: "running-config", Title: "How this server was started", Lesson: opsConfigLesson,
		Description: "Every setting this server runs with, where its value came from, and what the process itself looks like from inside.",
		Button:      "Read the settings",
		Wide:        true,
		Run:         s.runRunningConfig,
	}
}

func (s *Server) runRunningConfig(ctx context.Context, _ demoInput) (demoOutput, error) {
	_, span := s.tracer.Start(ctx, "read the settings")
	settings := s.cfg.Settings
	if settings == nil {
		settings = []Setting{}
	}
	counts := map[string]int{}
	for _, st := range settings {
		counts[st.Source]++
	}
	span.SetAttributes(attribute.Int("engineroom.settings", len(settings)),
		attribute.Int("engineroom.settings.from_environment", counts[SourceEnv]),
		attribute.Int("engineroom.settings.from_flags", counts[SourceFlag]))
	span.End()

	_, span = s.tracer.Start(ctx, "read the process facts", trace.WithAttributes(
		attribute.String("engineroom.files", "/proc/self/cgroup, /sys/fs/cgroup/{memory.max,cpu.max}, /bin/sh")))
	now := time.Now()
	p := ops.ReadProcess(s.ops.root, s.ops.started, now)
	span.SetAttributes(attribute.Int("process.pid", p.PID), attribute.Int("process.user.id", p.UID),
		attribute.Bool("engineroom.pid1", p.PID1), attribute.Int("engineroom.gomaxprocs", p.GOMAXPROCS))
	span.End()

	run := runningConfig{Settings: settings, Process: opsProcess{Process: p, UptimeS: p.Uptime.Seconds(), Uptime: uptime(p.Uptime)}}
	o := view.OpsConfigOutput{
		Headline:     fmt.Sprintf("%d settings", len(settings)),
		HeadlineNote: fmt.Sprintf("%d from the environment · %s · %d defaults", counts[SourceEnv], fromFlags(counts[SourceFlag]), counts[SourceDefault]),
		Facts:        processFacts(p, s.sql.Stats(), now),
	}
	if len(settings) == 0 {
		o.Headline, o.HeadlineNote = "No settings", "were handed to this server"
		o.NoSettings = "This server was built without a description of its settings (it runs inside a test or another program, not as the engineroom command), so there are none to show. The process facts below are real."
	}
	for _, st := range settings {
		o.Settings = append(o.Settings, view.OpsSetting{
			Env: st.Env, Flag: st.Flag, Value: st.Value, Empty: st.Empty, Source: st.Source, Via: st.Via, Secret: st.Secret,
		})
	}
	return demoOutput{Data: run, View: view.OpsConfig(o)}, nil
}

// fromFlags counts the settings flags gave.
func fromFlags(n int) string {
	if n == 1 {
		return "1 from a flag"
	}
	return fmt.Sprintf("%d from flags", n)
}

// processFacts says what each fact about the process, and the memory its
// visitors' databases take, means.
func processFacts(p ops.Process, db sandbox.Stats, now time.Time) []view.OpsFact {
	pid := view.OpsFact{Label: "Process id", Value: fmt.Sprint(p.PID),
		Note: "Not PID 1: a shell, a terminal or a supervisor started it, and passes signals on."}
	if p.PID1 {
		pid.Note = "PID 1: the first process of its container. docker stop's SIGTERM comes straight to it, and it must exit on its own."
	}
	user := view.OpsFact{Label: "User", Value: fmt.Sprintf("uid %d, gid %d", p.UID, p.GID), Note: "Not root: a bug in the server cannot write to the system's files."}
	switch p.UID {
	case 0:
		user.Note, user.Warn = "root: anyone who takes over the process may change anything the container can reach.", true
	case 65532:
		user.Note = "Not root: 65532 is the distroless image's nonroot user."
	}
	cpu := view.OpsFact{Label: "CPUs", Value: fmt.Sprintf("GOMAXPROCS %d of %d", p.GOMAXPROCS, p.CPUs), Note: "No CPU limit: Go runs on every CPU the machine has."}
	switch {
	case p.CPULimit.Set():
		cpu.Note = fmt.Sprintf("The cgroup allows %.3g CPUs (%s); Go sizes GOMAXPROCS to it.", p.CPULimit.Value, p.CPULimit.File)
	case p.GOMAXPROCS != p.CPUs:
		cpu.Note = "GOMAXPROCS was set below the number of CPUs."
	}
	mem := view.OpsFact{Label: "Memory limit", Value: "not visible", Note: "No cgroup v2 file to read (not Linux, or an older cgroup layout)."}
	switch {
	case p.MemoryLimit.Set():
		mem.Value = formatBytes(int64(p.MemoryLimit.Value))
		mem.Note = "From " + p.MemoryLimit.File + ". Go past it and the kernel kills the process (OOM)."
	case p.MemoryLimit.File != "":
		mem.Value, mem.Note = "none", p.MemoryLimit.File+" says max."
	}
	goMem := view.OpsFact{Label: "Go memory limit", Value: "none", Note: "GOMEMLIMIT is unset: the garbage collector runs by heap growth only."}
	if p.GoMemLimit > 0 {
		goMem.Value, goMem.Note = formatBytes(p.GoMemLimit), "GOMEMLIMIT: the garbage collector works harder as the heap nears it."
	}
	dbMem := view.OpsFact{Label: "Databases' memory", Value: formatBytes(db.SQLiteMemory) + " of " + formatBytes(db.HeapLimit),
		Note: "SQLite's heap limit: the memory the process may use less what the rest of the process needs, at most " + formatBytes(sandbox.DefaultHeapLimit) + ". Past seven eighths of it the least used visitors' databases are dropped and start afresh."}
	if db.HeapLimit == 0 {
		dbMem.Value, dbMem.Note = formatBytes(db.SQLiteMemory), "No heap limit: SQLite was started before this server could set one."
	}
	shell := view.OpsFact{Label: "Shell", Value: "none", Note: "/bin/sh does not exist: nothing to run commands with if someone gets in."}
	if p.Shell {
		shell.Value, shell.Note = "/bin/sh", "A shell exists, as on a normal machine or a full base image."
	}
	return []view.OpsFact{
		pid, user, cpu, mem, goMem, dbMem, shell,
		{Label: "Go", Value: p.GoVersion + " on " + p.Platform, Note: "Compiled into the binary: the image needs no Go installed."},
		{Label: "Up for", Value: uptime(p.Uptime), Note: "Since " + p.Started.UTC().Format("2006-01-02 15:04:05 UTC") + "; now " + now.UTC().Format("15:04:05 UTC") + "."},
	}
}

// uptime writes a duration to the second, in its two largest units.
func uptime(d time.Duration) string {
	d = d.Truncate(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min %d s", int(d.Minutes()), int(d.Seconds())%60)
	case d < 24*time.Hour:
		return fmt.Sprintf("%d h %d min", int(d.Hours()), int(d.Minutes())%60)
	default:
		return fmt.Sprintf("%d d %d h", int(d.Hours())/24, int(d.Hours())%24)
	}
}

package sandbox

// DefaultHeapLimit is SQLite's heap limit when nothing is known of the
// machine: room for a class of 300 sandboxes and the teacher's, each of
// which has changed up to 2.5 MiB of the demo data (a sandbox that has
// changed nothing costs about 0.16 MiB, see cow.go).
const DefaultHeapLimit = 928 << 20

// The rest of the process: what a machine's memory must keep beside
// SQLite's heap. In a class of 300 acting every second the process's
// peak RSS was 230 to 300 MiB above SQLite's heap (the Go heap, about
// 100 MB of it; goroutine stacks; password hashes of 19 MiB each; the
// allocator's slack); a small machine serves a smaller class, so it keeps
// half its memory for the rest.
const (
	restOfProcess = 320 << 20
	minHeapLimit  = 64 << 20
)

// HeapLimitFor is the HeapLimit for a machine, or container, whose
// process may use memory bytes: what is left after the rest of the
// process, at most DefaultHeapLimit and at least 64 MiB. Past seven
// eighths of it the least used sandboxes are dropped, so a class larger
// than the machine has sandboxes reset instead of the process killed for
// running out of memory. memory 0 (unknown) gives DefaultHeapLimit.
func HeapLimitFor(memory int64) int64 {
	if memory <= 0 {
		return DefaultHeapLimit
	}
	return min(max(memory-min(restOfProcess, memory/2), minHeapLimit), DefaultHeapLimit)
}

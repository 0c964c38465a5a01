package sandbox

import "time"

// Stats is a snapshot of the Manager's state and counters.
type Stats struct {
	Sandboxes     int    // sandboxes alive now
	Spares        int    // sandboxes cloned in advance, ready for new visitors
	Warm          int    // sandboxes cloned for visitors who opened a lesson, not used yet (see Warm)
	Running       int    // operations holding a global slot now
	Waiting       int    // operations waiting for a global slot now
	Created       uint64 // sandboxes created (including resets)
	EvictedIdle   uint64 // dropped after IdleTimeout
	EvictedLRU    uint64 // dropped to stay under MaxSandboxes
	EvictedMemory uint64 // dropped because SQLite's heap neared HeapLimit
	Busy          uint64 // calls refused with ErrBusy
	Saturated     uint64 // calls refused with ErrSaturated
	RateLimited   uint64 // calls refused with ErrRateLimited
	TooFast       uint64 // calls refused with ErrTooFast
	// Heavy counts operations of heavy visitors, run in the long lane only
	// (see gate).
	Heavy uint64
	// Long counts operations moved into the long lane, Crowded those
	// stopped because it was full while others waited (see lane.go).
	Long, Crowded uint64
	TemplateBytes int // size of the image every sandbox is cloned from
	// TemplateBuild is how long building the template took in New.
	TemplateBuild time.Duration
	// SQLiteMemory is what SQLite has allocated process-wide, in bytes
	// (0 when memory statistics are off).
	SQLiteMemory int64
	// HeapLimit is the hard heap limit SQLite enforces, 0 if none.
	HeapLimit int64
}

// Stats returns current figures.
func (m *Manager) Stats() Stats {
	m.mu.Lock()
	n, warm := len(m.boxes), len(m.warm)
	m.mu.Unlock()
	running, waiting := m.slots.counts()
	return Stats{
		Sandboxes:     n,
		Spares:        len(m.spare),
		Warm:          warm,
		Running:       running,
		Waiting:       waiting,
		Created:       m.stats.created.Load(),
		EvictedIdle:   m.stats.evictedIdle.Load(),
		EvictedLRU:    m.stats.evictedLRU.Load(),
		EvictedMemory: m.stats.evictedMemory.Load(),
		Busy:          m.stats.busy.Load(),
		Saturated:     m.stats.saturated.Load(),
		RateLimited:   m.stats.rateLimited.Load(),
		TooFast:       m.stats.tooFast.Load(),
		Heavy:         m.stats.heavy.Load(),
		Long:          m.stats.long.Load(),
		Crowded:       m.stats.crowded.Load(),
		TemplateBytes: m.templateLen(),
		TemplateBuild: m.buildTimeIfReady(),
		SQLiteMemory:  m.memory.used(),
		HeapLimit:     m.heapLimit,
	}
}

func (m *Manager) buildTimeIfReady() time.Duration {
	select {
	case <-m.ready:
		return m.buildTime
	default:
		return 0
	}
}

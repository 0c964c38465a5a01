package cache

import "sync/atomic"

// lookups counts the answers of Space.Get across every visitor: a plain
// pair of counters, so a lookup pays two atomic adds at most and a
// metrics scrape reads them without asking the server.
type lookups struct {
	hits, misses atomic.Uint64
}

// Lookups is how many Space.Get calls found their key (Hits) and how
// many did not (Misses), all visitors together, since New. A Get that
// failed (a bad key, a server error) is neither.
type Lookups struct {
	Hits, Misses uint64
}

// HitRatio is Hits / (Hits + Misses), 0 before any lookup.
func (l Lookups) HitRatio() float64 {
	if l.Hits+l.Misses == 0 {
		return 0
	}
	return float64(l.Hits) / float64(l.Hits+l.Misses)
}

// Lookups returns the hit and miss counts so far.
func (c *Cache) Lookups() Lookups {
	return Lookups{Hits: c.lookups.hits.Load(), Misses: c.lookups.misses.Load()}
}

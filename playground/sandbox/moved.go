package sandbox

// Moved tells the Manager that the visitor's sandbox lived on another
// instance of the server that can no longer be reached. Unless the visitor
// already has a sandbox here, their next result says their sandbox was
// recycled (Result.Recycled), as it would after an eviction: their data is
// gone, and the fresh copy must not pass for it.
func (m *Manager) Moved(visitor string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, here := m.boxes[visitor]; !here {
		m.evicted.add(visitor)
	}
}

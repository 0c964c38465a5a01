package balancer

import (
	"container/list"
	"sync"
)

const (
	// sessionCookie names the session an instance keeps a cart in.
	sessionCookie = "sid"
	// maxSessions caps the sessions each store keeps.
	maxSessions = 5000
)

// sessionStore is a bounded map of session key to cart size, the least
// recently used dropped first: an instance's own memory, or the store
// every instance shares (what Redis would be).
type sessionStore struct {
	max int
	mu  sync.Mutex
	lru *list.List // of *sessionEntry, most recent first
	m   map[string]*list.Element
}

type sessionEntry struct {
	key   string
	items int
}

func newSessionStore(maxEntries int) *sessionStore {
	return &sessionStore{max: maxEntries, lru: list.New(), m: make(map[string]*list.Element)}
}

// add adds an item to a known session and returns its new size; known is
// false, and nothing is added, for a session the store does not hold.
func (s *sessionStore) add(key string) (items int, known bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[key]
	if !ok {
		return 0, false
	}
	s.lru.MoveToFront(e)
	se := e.Value.(*sessionEntry)
	se.items++
	return se.items, true
}

// set stores a session.
func (s *sessionStore) set(key string, items int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.m[key]; ok {
		e.Value.(*sessionEntry).items = items
		s.lru.MoveToFront(e)
		return
	}
	for s.lru.Len() >= s.max {
		oldest := s.lru.Back()
		delete(s.m, s.lru.Remove(oldest).(*sessionEntry).key)
	}
	s.m[key] = s.lru.PushFront(&sessionEntry{key: key, items: items})
}

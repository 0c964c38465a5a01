package web

import (
	"container/list"
	"crypto/rand"
	"encoding/base64"
	"sync"
	"time"
)

// runStore keeps the results of demo runs whose form was posted without
// the partial-update script, so the post can answer with a redirect to a
// page that shows the result (post/redirect/get): reloading that page shows
// the result again instead of running the demo again. It is bounded by
// count, bytes and age; the oldest results go first.
type runStore struct {
	mu       sync.Mutex
	maxBytes int
	maxRuns  int
	maxAge   time.Duration
	now      func() time.Time
	bytes    int
	order    *list.List // of *storedRun, newest first
	byID     map[string]*list.Element
}

// storedRun is one demo run as the visitor who ran it will see it again.
type storedRun struct {
	id      string
	visitor string
	demo    string
	values  map[string]string
	html    string // the rendered result region
	at      time.Time
}

func newRunStore(maxRuns, maxBytes int, maxAge time.Duration, now func() time.Time) *runStore {
	return &runStore{maxRuns: maxRuns, maxBytes: maxBytes, maxAge: maxAge, now: now,
		order: list.New(), byID: make(map[string]*list.Element)}
}

// put keeps a run and returns the id to fetch it with; a run larger than
// the whole store is not kept (ok is false).
func (s *runStore) put(visitor, demo string, values map[string]string, html string) (id string, ok bool) {
	if len(html) > s.maxBytes {
		return "", false
	}
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	r := &storedRun{id: base64.RawURLEncoding.EncodeToString(b[:]), visitor: visitor, demo: demo, values: values, html: html}
	s.mu.Lock()
	defer s.mu.Unlock()
	r.at = s.now()
	s.byID[r.id] = s.order.PushFront(r)
	s.bytes += len(r.html)
	for s.order.Len() > s.maxRuns || s.bytes > s.maxBytes {
		s.drop(s.order.Back())
	}
	return r.id, true
}

// get returns the run with id if it is still kept and visitor ran it.
func (s *runStore) get(id, visitor string) (*storedRun, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.byID[id]
	if !ok {
		return nil, false
	}
	r := e.Value.(*storedRun)
	if s.now().Sub(r.at) > s.maxAge {
		s.drop(e)
		return nil, false
	}
	if r.visitor != visitor {
		return nil, false
	}
	return r, true
}

func (s *runStore) drop(e *list.Element) {
	r := s.order.Remove(e).(*storedRun)
	delete(s.byID, r.id)
	s.bytes -= len(r.html)
}

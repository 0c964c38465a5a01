package web

import (
	"container/list"
	"crypto/sha256"
	"sync"
	"time"
)

// idempotencyLimits bound the store.
type idempotencyLimits struct {
	maxEntries    int           // answers kept in all
	maxPerVisitor int           // answers kept for one visitor
	maxBytes      int           // bytes of bodies kept in all
	maxBody       int           // the largest body kept
	maxAge        time.Duration // how long an answer is kept
}

// defaultIdempotencyLimits keep a day of a class's retries in a few MiB.
var defaultIdempotencyLimits = idempotencyLimits{
	maxEntries: 20000, maxPerVisitor: 200, maxBytes: 16 << 20, maxBody: 256 << 10, maxAge: 24 * time.Hour,
}

// idempotencyStore keeps the answers to POSTs made with an
// Idempotency-Key, in memory and bounded: past its limits the oldest
// answers go first (a visitor's own oldest when they have too many).
type idempotencyStore struct {
	mu         sync.Mutex
	limits     idempotencyLimits
	now        func() time.Time
	order      *list.List // of *keptAnswer, newest first
	byKey      map[answerKey]*list.Element
	perVisitor map[string]int
	bytes      int
}

type answerKey struct{ visitor, key string }

// keptAnswer is what the first request with a key answered, or a marker
// that it is still running (done false).
type keptAnswer struct {
	key         answerKey
	fingerprint [sha256.Size]byte
	at          time.Time
	done        bool
	status      int
	contentType string
	location    string
	body        []byte
	refusal     *problem // an answer that was a refusal, replayed as one
}

func newIdempotencyStore(limits idempotencyLimits, now func() time.Time) *idempotencyStore {
	return &idempotencyStore{limits: limits, now: now, order: list.New(),
		byKey: make(map[answerKey]*list.Element), perVisitor: make(map[string]int)}
}

// What begin found for a key.
const (
	keyNew      = iota // no answer yet: the request runs
	keyReplay          // the same request was answered: replay it
	keyMismatch        // the key was used for another request
	keyRunning         // the first request with the key is still running
)

// begin looks a key up and, when it is new, reserves it for the request
// with this fingerprint.
func (s *idempotencyStore) begin(visitor, key string, fp [sha256.Size]byte) (*keptAnswer, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := answerKey{visitor, key}
	if el, ok := s.byKey[k]; ok {
		a := el.Value.(*keptAnswer)
		switch {
		case a.done && s.now().Sub(a.at) >= s.limits.maxAge:
			s.drop(el)
		case a.fingerprint != fp:
			return nil, keyMismatch
		case !a.done:
			return nil, keyRunning
		default:
			return a, keyReplay
		}
	}
	a := &keptAnswer{key: k, fingerprint: fp, at: s.now()}
	s.byKey[k] = s.order.PushFront(a)
	s.perVisitor[visitor]++
	s.trim(visitor)
	return a, keyNew
}

// finish keeps the answer to a reserved key.
func (s *idempotencyStore) finish(a *keptAnswer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	el, ok := s.byKey[a.key]
	if !ok || el.Value != a {
		return // dropped meanwhile to make room
	}
	a.done, a.at = true, s.now()
	s.bytes += len(a.body)
	s.trim(a.key.visitor)
}

// abandon frees a reserved key whose request left nothing to replay.
func (s *idempotencyStore) abandon(a *keptAnswer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if el, ok := s.byKey[a.key]; ok && el.Value == a {
		s.drop(el)
	}
}

// trim drops the oldest answers while the store is over its limits.
func (s *idempotencyStore) trim(visitor string) {
	if s.perVisitor[visitor] > s.limits.maxPerVisitor {
		for el := s.order.Back(); el != nil; el = el.Prev() {
			if el.Value.(*keptAnswer).key.visitor == visitor {
				s.drop(el)
				break
			}
		}
	}
	for s.order.Len() > s.limits.maxEntries || s.bytes > s.limits.maxBytes {
		s.drop(s.order.Back())
	}
}

func (s *idempotencyStore) drop(el *list.Element) {
	a := s.order.Remove(el).(*keptAnswer)
	delete(s.byKey, a.key)
	if s.perVisitor[a.key.visitor]--; s.perVisitor[a.key.visitor] <= 0 {
		delete(s.perVisitor, a.key.visitor)
	}
	if a.done {
		s.bytes -= len(a.body)
	}
}

// size is how many answers (and reserved keys) the store holds.
func (s *idempotencyStore) size() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.order.Len()
}

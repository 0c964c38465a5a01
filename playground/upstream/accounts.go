package upstream

import (
	"hash/fnv"
	"math/rand/v2"
	"sync"
)

// account is everything a service keeps for one bearer token. Its
// random source is seeded from the service's Seed, its name and the
// token, so one account's ids and fault decisions do not depend on other
// accounts' traffic.
type account[S any] struct {
	mu     sync.Mutex // guards every field below
	rng    *rand.Rand
	faults Faults
	idem   idemStore
	state  S

	lastUse uint64 // guarded by service.mu
}

// validToken reports whether s is 1 to 64 of [A-Za-z0-9_-].
func validToken(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// account returns the account of token, creating it (and dropping the
// least recently used one when full) on first use.
func (s *service[S]) account(token string) *account[S] {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.uses++
	if a, ok := s.accounts[token]; ok {
		a.lastUse = s.uses
		return a
	}
	if len(s.accounts) >= s.cfg.maxAccounts {
		var oldest string
		var at uint64
		for k, a := range s.accounts {
			if oldest == "" || a.lastUse < at {
				oldest, at = k, a.lastUse
			}
		}
		delete(s.accounts, oldest)
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(s.name + "\x00" + token))
	a := &account[S]{
		rng:     rand.New(rand.NewPCG(s.cfg.seed, h.Sum64())),
		idem:    idemStore{entries: make(map[string]*idemEntry)},
		state:   s.newState(),
		lastUse: s.uses,
	}
	s.accounts[token] = a
	return a
}

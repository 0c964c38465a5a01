package upstream

import (
	"hash/fnv"
	"math/rand/v2"
	"sync"
	"time"
)

// account is everything the gateway keeps for one bearer token. Its
// random source is seeded from the gateway's Seed and the token, so one
// account's ids and fault decisions do not depend on other accounts'
// traffic.
type account struct {
	mu       sync.Mutex // guards every field below
	rng      *rand.Rand
	payments map[string]*Payment
	faults   Faults
	idem     idemStore

	lastUsed time.Time // guarded by Gateway.mu
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
func (g *Gateway) account(token string) *account {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.opts.Now()
	if a, ok := g.accounts[token]; ok {
		a.lastUsed = now
		return a
	}
	if len(g.accounts) >= g.opts.MaxAccounts {
		var oldest string
		var at time.Time
		for k, a := range g.accounts {
			if oldest == "" || a.lastUsed.Before(at) {
				oldest, at = k, a.lastUsed
			}
		}
		delete(g.accounts, oldest)
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(token))
	a := &account{
		rng:      rand.New(rand.NewPCG(g.opts.Seed, h.Sum64())),
		payments: make(map[string]*Payment),
		idem:     idemStore{entries: make(map[string]*idemEntry)},
		lastUsed: now,
	}
	g.accounts[token] = a
	return a
}

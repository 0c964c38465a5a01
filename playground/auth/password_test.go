package auth

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/engineroom/engineroom/playground/sandbox"
)

// TestHashOWASP: with the production settings the stored string names
// them, has a 16-byte salt and a 32-byte key, and checks the password.
func TestHashOWASP(t *testing.T) {
	h := NewHasher(OWASPParams, 1, 1)
	ctx := context.Background()
	a, err := h.Hash(ctx, "correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`).MatchString(a) {
		t.Errorf("hash = %q, want an argon2id PHC string with OWASP's settings", a)
	}
	b, _ := h.Hash(ctx, "correct horse battery staple")
	if a == b {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	for pw, want := range map[string]bool{"correct horse battery staple": true, "correct horse battery stapler": false, "": false} {
		if ok, err := h.Verify(ctx, pw, a); err != nil || ok != want {
			t.Errorf("Verify(%q) = %v, %v; want %v", pw, ok, err, want)
		}
	}
}

func TestVerifyLegacy(t *testing.T) {
	h := NewHasher(cheap, 1, 1)
	stored := sandbox.DemoPasswordHash("alice")
	if ok, err := h.Verify(context.Background(), "alice-demo", stored); !ok || err != nil {
		t.Errorf("alice-demo against the seeded hash = %v, %v; want true", ok, err)
	}
	if ok, _ := h.Verify(context.Background(), "alice-dem0", stored); ok {
		t.Error("a wrong password matched the seeded hash")
	}
}

func TestParseHashRefuses(t *testing.T) {
	good := "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$" + strings.Repeat("A", 43)
	if _, err := ParseHash(good); err != nil {
		t.Fatalf("ParseHash(%q): %v", good, err)
	}
	bad := map[string]string{
		"empty":          "",
		"argon2i":        strings.Replace(good, "argon2id", "argon2i", 1),
		"old version":    strings.Replace(good, "v=19", "v=16", 1),
		"huge memory":    strings.Replace(good, "m=65536", "m=4194304", 1),
		"no passes":      strings.Replace(good, "t=3", "t=0", 1),
		"many passes":    strings.Replace(good, "t=3", "t=1000", 1),
		"threads":        strings.Replace(good, "p=4", "p=255", 1),
		"unknown param":  strings.Replace(good, "p=4", "p=4,x=1", 1),
		"not a number":   strings.Replace(good, "m=65536", "m=lots", 1),
		"short salt":     strings.Replace(good, "c29tZXNhbHRzb21lc2FsdA", "c2FsdA", 1),
		"bad base64":     strings.Replace(good, "c29tZXNhbHRzb21lc2FsdA", "!!!!!!!!!!!!", 1),
		"short key":      strings.TrimSuffix(good, strings.Repeat("A", 30)),
		"extra part":     good + "$x",
		"no leading $":   strings.TrimPrefix(good, "$"),
		"bcrypt instead": "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
	}
	for name, s := range bad {
		if _, err := ParseHash(s); !errors.Is(err, ErrBadHash) {
			t.Errorf("%s: ParseHash(%q) = %v, want ErrBadHash", name, s, err)
		}
		if _, err := NewHasher(cheap, 1, 1).Verify(context.Background(), "x", s); err == nil {
			t.Errorf("%s: Verify against %q did not fail", name, s)
		}
	}
}

// TestHashingIsLimited: at most running hashes run at once, at most
// waiting more wait, and the rest are refused at once as busy.
func TestHashingIsLimited(t *testing.T) {
	h := NewHasher(cheap, 2, 3)
	ctx := context.Background()
	var (
		mu               sync.Mutex
		held, waiting, n int
		busy             int
	)
	release := make(chan struct{})
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mu.Lock()
			waiting++
			mu.Unlock()
			done, err := h.turn(ctx)
			mu.Lock()
			waiting--
			if err != nil {
				var le *LimitError
				if !errors.As(err, &le) || !le.Busy || le.RetryAfter <= 0 {
					t.Errorf("refusal = %v, want a busy LimitError with RetryAfter", err)
				}
				busy++
				mu.Unlock()
				return
			}
			held++
			n = max(n, held)
			mu.Unlock()
			<-release
			mu.Lock()
			held--
			mu.Unlock()
			done()
		}()
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		settled := busy == 3 && held == 2 && waiting == 3
		mu.Unlock()
		if settled {
			break
		}
		if time.Now().After(deadline) {
			mu.Lock()
			t.Fatalf("busy %d, running %d, waiting %d; want 3, 2, 3", busy, held, waiting)
		}
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	if n != 2 {
		t.Errorf("at most %d ran at once, want 2", n)
	}
	// All slots are back.
	if _, err := h.Hash(ctx, "correct horse"); err != nil {
		t.Errorf("after the burst: %v", err)
	}
}

func TestHashWaitEndsWithContext(t *testing.T) {
	h := NewHasher(cheap, 1, 1)
	done, err := h.turn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := h.Hash(ctx, "correct horse"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Hash while the only slot is held = %v, want the context's deadline", err)
	}
}

func TestBcryptRefusesLongPasswords(t *testing.T) {
	h := NewHasher(cheap, 1, 1)
	b, err := h.Bcrypt(context.Background(), "correct horse battery staple")
	if err != nil || !strings.HasPrefix(b, "$2a$10$") || len(b) != 60 {
		t.Errorf("Bcrypt = %q, %v; want a cost-10 bcrypt hash", b, err)
	}
	if _, err := h.Bcrypt(context.Background(), strings.Repeat("p", 73)); err == nil {
		t.Error("bcrypt took a 73-byte password")
	}
}

package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// Params are argon2id's cost settings.
type Params struct {
	// MemoryKiB is the memory one hash fills, in KiB: what makes a
	// guessing rig with thousands of cores run out of memory first.
	MemoryKiB uint32
	// Iterations is how many passes over that memory.
	Iterations uint32
	// Parallelism is how many threads one hash uses.
	Parallelism uint8
}

// OWASPParams are OWASP's recommended minimum for argon2id (Password
// Storage Cheat Sheet): 19 MiB, two passes, one thread.
var OWASPParams = Params{MemoryKiB: 19 * 1024, Iterations: 2, Parallelism: 1}

const (
	saltLen = 16
	keyLen  = 32
)

// Hasher hashes and checks passwords with argon2id, a few at a time: each
// hash fills Params.MemoryKiB of memory, so a burst of logins queues
// instead of exhausting the machine.
type Hasher struct {
	params Params
	slots  chan struct{}
	queue  chan struct{}
}

// NewHasher returns a Hasher that runs at most running hashes at once and
// lets at most waiting more wait for a turn.
func NewHasher(p Params, running, waiting int) *Hasher {
	return &Hasher{params: p, slots: make(chan struct{}, running), queue: make(chan struct{}, running+waiting)}
}

// Params returns the hasher's settings.
func (h *Hasher) Params() Params { return h.params }

// busyWait is how long a refused hash is told to wait.
const busyWait = 2 * time.Second

// turn waits for a hashing slot, and returns the function that gives it
// back. A full queue is refused at once rather than waited in.
func (h *Hasher) turn(ctx context.Context) (func(), error) {
	select {
	case h.queue <- struct{}{}:
	default:
		return nil, &LimitError{Reason: "too many logins at once: the server is hashing as fast as it can", RetryAfter: busyWait, Busy: true}
	}
	select {
	case h.slots <- struct{}{}:
		return func() { <-h.slots; <-h.queue }, nil
	case <-ctx.Done():
		<-h.queue
		return nil, ctx.Err()
	}
}

// Hash returns password's argon2id hash as a PHC string:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>, salt and hash in
// unpadded base64.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	done, err := h.turn(ctx)
	if err != nil {
		return "", err
	}
	defer done()
	return h.hashNow(password), nil
}

// hashNow hashes password without waiting for a turn.
func (h *Hasher) hashNow(password string) string {
	salt := make([]byte, saltLen)
	_, _ = rand.Read(salt) // crypto/rand.Read never fails
	p := h.params
	key := argon2.IDKey([]byte(password), salt, p.Iterations, p.MemoryKiB, p.Parallelism, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemoryKiB, p.Iterations, p.Parallelism,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

var b64 = base64.RawStdEncoding

// Verify reports whether password matches stored: an argon2id PHC string,
// or the seeded accounts' legacy unsalted SHA-256. The comparison takes
// the same time wherever the first difference is.
func (h *Hasher) Verify(ctx context.Context, password, stored string) (bool, error) {
	if IsLegacyHash(stored) {
		sum := sha256.Sum256([]byte(password))
		return subtle.ConstantTimeCompare([]byte(hex.EncodeToString(sum[:])), []byte(stored)) == 1, nil
	}
	ph, err := ParseHash(stored)
	if err != nil {
		return false, err
	}
	done, err := h.turn(ctx)
	if err != nil {
		return false, err
	}
	defer done()
	key := argon2.IDKey([]byte(password), ph.salt, ph.Iterations, ph.MemoryKiB, ph.Parallelism, uint32(len(ph.key)))
	return subtle.ConstantTimeCompare(key, ph.key) == 1, nil
}

// IsLegacyHash reports whether stored is the seeded accounts' unsalted
// hex SHA-256.
func IsLegacyHash(stored string) bool {
	if len(stored) != 64 {
		return false
	}
	_, err := hex.DecodeString(stored)
	return err == nil
}

// Hash is a PHC string taken apart, for showing what each part is.
type Hash struct {
	Algorithm string `json:"algorithm"`
	Version   int    `json:"version"`
	Params
	Salt string `json:"salt"`
	Key  string `json:"hash"`
	salt []byte
	key  []byte
}

// ErrBadHash means a stored hash is not one this package wrote.
var ErrBadHash = errors.New("auth: the stored password hash is not an argon2id PHC string")

// ParseHash takes an argon2id PHC string apart.
func ParseHash(s string) (Hash, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return Hash{}, ErrBadHash
	}
	h := Hash{Algorithm: parts[1], Salt: parts[4], Key: parts[5]}
	v, ok := strings.CutPrefix(parts[2], "v=")
	if n, err := strconv.Atoi(v); !ok || err != nil || n != argon2.Version {
		return Hash{}, ErrBadHash
	} else {
		h.Version = n
	}
	var m, t, p uint64
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, _ := strings.Cut(kv, "=")
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return Hash{}, ErrBadHash
		}
		switch k {
		case "m":
			m = n
		case "t":
			t = n
		case "p":
			p = n
		default:
			return Hash{}, ErrBadHash
		}
	}
	// The bounds keep a forged row from making one login hash for minutes.
	if m < 8 || m > 256*1024 || t < 1 || t > 10 || p < 1 || p > 8 {
		return Hash{}, ErrBadHash
	}
	h.Params = Params{MemoryKiB: uint32(m), Iterations: uint32(t), Parallelism: uint8(p)}
	var err error
	if h.salt, err = b64.DecodeString(h.Salt); err != nil || len(h.salt) < 8 {
		return Hash{}, ErrBadHash
	}
	if h.key, err = b64.DecodeString(h.Key); err != nil || len(h.key) < 16 || len(h.key) > 64 {
		return Hash{}, ErrBadHash
	}
	return h, nil
}

// BcryptCost is the bcrypt work factor the comparison uses: the library's
// default.
const BcryptCost = bcrypt.DefaultCost

// Bcrypt hashes password with bcrypt, for comparison with argon2id. bcrypt
// reads at most 72 bytes of a password and refuses longer ones.
func (h *Hasher) Bcrypt(ctx context.Context, password string) (string, error) {
	done, err := h.turn(ctx)
	if err != nil {
		return "", err
	}
	defer done()
	b, err := bcrypt.GenerateFromPassword([]byte(password), BcryptCost)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// Package rooms lets a class follow its teacher: a teacher starts a room
// and gets a short code and a secret token; students follow the room by
// its code and receive the teacher's latest state (the page on screen, the
// demo and the step of its trace) at once and then every change.
//
// A Hub keeps its rooms in memory, bounded in number, followers and state
// size; a room expires after a period without use. It starts no
// goroutines: expiry happens lazily when rooms are created or looked up.
package rooms

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"io"
	"time"
)

// Errors a Hub returns.
var (
	// ErrNotFound: no room has this code, or it expired.
	ErrNotFound = errors.New("rooms: no such room")
	// ErrForbidden: the token is not the room's teacher token.
	ErrForbidden = errors.New("rooms: not this room's teacher")
	// ErrFull: the hub holds its maximum of rooms.
	ErrFull = errors.New("rooms: too many rooms")
	// ErrCrowded: the room has its maximum of followers.
	ErrCrowded = errors.New("rooms: too many followers")
	// ErrBadState: the state is too large or malformed.
	ErrBadState = errors.New("rooms: bad state")
	// ErrClosed: the hub was closed.
	ErrClosed = errors.New("rooms: closed")
)

// Alphabet is the letters a code is made of: no 0/O, 1/I/L, so a code
// read off a projector is typed right.
const Alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

// CodeLen is the length of a room code.
const CodeLen = 5

// Options configures a Hub. Zero values mean the documented default.
type Options struct {
	// MaxRooms caps the open rooms. Default 200.
	MaxRooms int
	// MaxFollowers caps the followers of one room. Default 400.
	MaxFollowers int
	// IdleTTL is how long a room lives without being created, published
	// to or followed. Default 3h.
	IdleTTL time.Duration
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Rand is the source of codes and tokens. Default crypto/rand.
	Rand io.Reader
}

func (o *Options) defaults() {
	if o.MaxRooms <= 0 {
		o.MaxRooms = 200
	}
	if o.MaxFollowers <= 0 {
		o.MaxFollowers = 400
	}
	if o.IdleTTL <= 0 {
		o.IdleTTL = 3 * time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
}

// ValidCode reports whether s has the shape of a room code.
func ValidCode(s string) bool {
	if len(s) != CodeLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !containsByte(Alphabet, s[i]) {
			return false
		}
	}
	return true
}

func containsByte(s string, b byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == b {
			return true
		}
	}
	return false
}

// newCode draws a code from r, each letter uniformly (rejection sampling).
func newCode(r io.Reader) (string, error) {
	out := make([]byte, 0, CodeLen)
	buf := make([]byte, 16)
	limit := 256 - 256%len(Alphabet)
	for len(out) < CodeLen {
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", err
		}
		for _, b := range buf {
			if int(b) < limit && len(out) < CodeLen {
				out = append(out, Alphabet[int(b)%len(Alphabet)])
			}
		}
	}
	return string(out), nil
}

// newToken draws a teacher token: 32 random bytes, URL-safe base64.
func newToken(r io.Reader) (string, error) {
	b := make([]byte, 32)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// tokenHash is what a room keeps of its token.
func tokenHash(token string) [32]byte { return sha256.Sum256([]byte(token)) }

// sameToken compares a token with a kept hash in constant time.
func sameToken(h [32]byte, token string) bool {
	got := tokenHash(token)
	return subtle.ConstantTimeCompare(h[:], got[:]) == 1
}

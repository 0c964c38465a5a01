// Package rooms lets a class follow its teacher: a teacher starts a room
// and gets a short code and a secret token; students follow the room by
// its code and receive the teacher's latest state (the page on screen, the
// demo and the step of its trace) at once and then every change.
//
// A Hub fans each room's states out to the followers it serves, bounded
// in rooms, followers and state size; a room expires after a period
// without use. Where a room's record (its token hash and latest state)
// lives, and how a publish reaches the followers, is the Hub's store: by
// default this process's memory, so one instance works with nothing else;
// with Options.Shared, a Redis that several instances share, so a class
// spread over instances behind a load balancer follows one teacher.
//
// In memory the Hub starts no goroutines: expiry happens lazily when rooms
// are created or looked up. On Redis a room expires with its key, and one
// goroutine reads the instance's single subscription connection.
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
	// ErrUnavailable: the shared store did not answer; trying again later
	// may work. It wraps the store's own error.
	ErrUnavailable = errors.New("rooms: the room store is unavailable")
)

// Alphabet is the letters a code is made of: no 0/O, 1/I/L, so a code
// read off a projector is typed right.
const Alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

// CodeLen is the length of a room code.
const CodeLen = 5

// Options configures a Hub. Zero values mean the documented default.
type Options struct {
	// MaxRooms caps the open rooms this instance holds: the ones it
	// created and the ones it has followers of. Default 200.
	MaxRooms int
	// MaxFollowers caps the followers of one room on this instance: with
	// Shared, each instance takes up to MaxFollowers of its own, because
	// each one's followers cost that instance's memory and connections.
	// Default 400.
	MaxFollowers int
	// IdleTTL is how long a room lives without being created, published
	// to or followed. Default 3h. With Shared it is the TTL of the room's
	// key, at most cache.MaxSharedTTL.
	IdleTTL time.Duration
	// Shared, when set, keeps the rooms in a Redis that instances share
	// (see Shared); nil keeps them in this process's memory.
	Shared Shared
	// Now is the clock of the in-memory store and of this instance's
	// count of rooms; on Redis, keys expire on the server's clock.
	// Default time.Now.
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

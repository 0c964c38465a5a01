// Package vault encrypts single values before they are stored — field
// encryption at rest — with AES-256-GCM under a key derived from the
// server's secret, and keeps the airline members' passport numbers that
// way. Each step is recorded as a span.
package vault

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// The layout of a sealed value: nonce || ciphertext || tag.
const (
	// NonceSize is the length of the random nonce a sealed value starts with.
	NonceSize = 12
	// TagSize is the length of the authentication tag it ends with.
	TagSize = 16
	// Overhead is how much longer a sealed value is than its plaintext.
	Overhead = NonceSize + TagSize
)

var (
	// ErrTooShort means a sealed value cannot even hold a nonce and a tag.
	ErrTooShort = errors.New("vault: the sealed value is too short")
	// ErrAuth means the tag did not match: the value was changed, or it was
	// sealed with other associated data or under another key. AES-GCM
	// cannot tell these apart, by design: it only says "not authentic".
	ErrAuth = errors.New("vault: message authentication failed: the tag does not match")
	// ErrUnknownKey means a value names a key id the Sealer does not hold.
	ErrUnknownKey = errors.New("vault: unknown key id")
)

// Options configures a Sealer.
type Options struct {
	// KeyID names the derived key; it is stored next to every value the
	// key sealed, so keys can be rotated. Default "k1".
	KeyID string
	// Purpose is the HKDF info: what the key is for. Two purposes get two
	// unrelated keys from one secret. Required.
	Purpose string
	// Tracer records Seal and Open as spans; nil records nothing.
	Tracer trace.Tracer
}

// Sealer seals and opens values with one AES-256-GCM key.
type Sealer struct {
	keyID  string
	aead   cipher.AEAD
	tracer trace.Tracer
}

// New derives a 256-bit key from secret with HKDF-SHA256 (the info names
// the purpose and the key id) and returns a Sealer that uses it.
func New(secret []byte, o Options) (*Sealer, error) {
	if len(secret) == 0 {
		return nil, errors.New("vault: the secret is empty")
	}
	if o.Purpose == "" {
		return nil, errors.New("vault: a key needs a purpose")
	}
	if o.KeyID == "" {
		o.KeyID = "k1"
	}
	if o.Tracer == nil {
		o.Tracer = noop.NewTracerProvider().Tracer("")
	}
	key, err := hkdf.Key(sha256.New, secret, nil, o.Purpose+" key "+o.KeyID, 32)
	if err != nil {
		return nil, fmt.Errorf("vault: deriving the key: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("vault: making the cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("vault: making the cipher: %w", err)
	}
	return &Sealer{keyID: o.KeyID, aead: aead, tracer: o.Tracer}, nil
}

// KeyID names the Sealer's key.
func (s *Sealer) KeyID() string { return s.keyID }

// Seal encrypts and authenticates plaintext, binding it to aad (which is
// not stored: whoever opens the value must supply the same bytes). It
// returns nonce || ciphertext || tag with a fresh random nonce, so sealing
// one value twice gives two different results.
func (s *Sealer) Seal(ctx context.Context, plaintext, aad []byte) []byte {
	_, span := s.tracer.Start(ctx, "seal (AES-256-GCM)", trace.WithAttributes(
		attribute.String("engineroom.vault.key_id", s.keyID),
		attribute.String("engineroom.vault.aad", printable(aad)),
		attribute.Int("engineroom.vault.plaintext_bytes", len(plaintext)),
	))
	defer span.End()
	out := make([]byte, NonceSize, NonceSize+len(plaintext)+TagSize)
	_, _ = rand.Read(out) // crypto/rand.Read never fails
	out = s.aead.Seal(out, out[:NonceSize], plaintext, aad)
	span.SetAttributes(
		attribute.String("engineroom.vault.nonce", hex.EncodeToString(out[:NonceSize])),
		attribute.Int("engineroom.vault.sealed_bytes", len(out)),
	)
	return out
}

// Open checks and decrypts a value Seal returned, with the same aad. It
// fails with ErrTooShort, or ErrAuth when the value or aad differ in any
// bit from what was sealed.
func (s *Sealer) Open(ctx context.Context, sealed, aad []byte) ([]byte, error) {
	_, span := s.tracer.Start(ctx, "open (AES-256-GCM)", trace.WithAttributes(
		attribute.String("engineroom.vault.key_id", s.keyID),
		attribute.String("engineroom.vault.aad", printable(aad)),
		attribute.Int("engineroom.vault.sealed_bytes", len(sealed)),
	))
	defer span.End()
	if len(sealed) < Overhead {
		return nil, fail(span, fmt.Errorf("%w: %d bytes, and a nonce and a tag alone take %d", ErrTooShort, len(sealed), Overhead))
	}
	plain, err := s.aead.Open(nil, sealed[:NonceSize], sealed[NonceSize:], aad)
	if err != nil {
		return nil, fail(span, ErrAuth)
	}
	span.SetAttributes(attribute.Int("engineroom.vault.plaintext_bytes", len(plain)))
	return plain, nil
}

// fail marks a span failed and returns err.
func fail(span trace.Span, err error) error {
	span.RecordError(err)
	span.SetStatus(codes.Error, err.Error())
	return err
}

// printable shows associated data as text when it is, and as hex otherwise.
func printable(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return "hex:" + hex.EncodeToString(b)
}

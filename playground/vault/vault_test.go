package vault

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

var testSecret = []byte("0123456789abcdef0123456789abcdef")

func newSealer(t testing.TB, secret []byte, keyID string) *Sealer {
	t.Helper()
	s, err := New(secret, Options{KeyID: keyID, Purpose: PassportPurpose})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSealOpen(t *testing.T) {
	ctx := context.Background()
	s := newSealer(t, testSecret, "")
	if s.KeyID() != "k1" {
		t.Errorf("KeyID = %q, want the default k1", s.KeyID())
	}
	plain, aad := []byte("C01X00T47"), PassportAAD(1)
	a, b := s.Seal(ctx, plain, aad), s.Seal(ctx, plain, aad)
	if len(a) != len(plain)+Overhead {
		t.Errorf("sealed %d bytes, want %d (nonce %d + plaintext %d + tag %d)", len(a), len(plain)+Overhead, NonceSize, len(plain), TagSize)
	}
	if bytes.Equal(a, b) || bytes.Equal(a[:NonceSize], b[:NonceSize]) {
		t.Errorf("sealing twice gave the same nonce or value: %x, %x", a, b)
	}
	if bytes.Contains(a, plain) {
		t.Errorf("the sealed value %x holds the plaintext", a)
	}
	for _, sealed := range [][]byte{a, b} {
		got, err := s.Open(ctx, sealed, aad)
		if err != nil || !bytes.Equal(got, plain) {
			t.Errorf("Open = %q, %v; want %q", got, err, plain)
		}
	}
	// A second Sealer from the same secret, purpose and key id derives the
	// same key: a restarted server still opens what it stored.
	if got, err := newSealer(t, testSecret, "k1").Open(ctx, a, aad); err != nil || !bytes.Equal(got, plain) {
		t.Errorf("another Sealer with the same secret: Open = %q, %v", got, err)
	}
	if got, err := s.Open(ctx, s.Seal(ctx, nil, nil), nil); err != nil || len(got) != 0 {
		t.Errorf("empty plaintext: Open = %q, %v", got, err)
	}
}

func TestOpenRefuses(t *testing.T) {
	ctx := context.Background()
	s := newSealer(t, testSecret, "k1")
	plain, aad := []byte("C01X00T47"), PassportAAD(1)
	sealed := s.Seal(ctx, plain, aad)
	flip := func(i int) []byte {
		b := bytes.Clone(sealed)
		b[i] ^= 0x01
		return b
	}
	other, err := New(testSecret, Options{KeyID: "k1", Purpose: "another purpose"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		sealer *Sealer
		sealed []byte
		aad    []byte
		want   error
	}{
		{name: "another member's associated data", sealer: s, sealed: sealed, aad: PassportAAD(2), want: ErrAuth},
		{name: "no associated data", sealer: s, sealed: sealed, aad: nil, want: ErrAuth},
		{name: "a nonce byte flipped", sealer: s, sealed: flip(0), aad: aad, want: ErrAuth},
		{name: "a ciphertext byte flipped", sealer: s, sealed: flip(NonceSize), aad: aad, want: ErrAuth},
		{name: "a tag byte flipped", sealer: s, sealed: flip(len(sealed) - 1), aad: aad, want: ErrAuth},
		{name: "cut short by one byte", sealer: s, sealed: sealed[:len(sealed)-1], aad: aad, want: ErrAuth},
		{name: "a byte appended", sealer: s, sealed: append(bytes.Clone(sealed), 0), aad: aad, want: ErrAuth},
		{name: "another key id", sealer: newSealer(t, testSecret, "k2"), sealed: sealed, aad: aad, want: ErrAuth},
		{name: "another secret", sealer: newSealer(t, []byte("another secret"), "k1"), sealed: sealed, aad: aad, want: ErrAuth},
		{name: "another purpose", sealer: other, sealed: sealed, aad: aad, want: ErrAuth},
		{name: "empty", sealer: s, sealed: nil, aad: aad, want: ErrTooShort},
		{name: "nonce and tag minus one", sealer: s, sealed: sealed[:Overhead-1], aad: aad, want: ErrTooShort},
		{name: "nonce and tag only", sealer: s, sealed: sealed[:Overhead], aad: aad, want: ErrAuth},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.sealer.Open(ctx, tt.sealed, tt.aad)
			if !errors.Is(err, tt.want) || got != nil {
				t.Errorf("Open = %q, %v; want nil, %v", got, err, tt.want)
			}
		})
	}
}

func TestNewRefuses(t *testing.T) {
	tests := []struct {
		name   string
		secret []byte
		o      Options
	}{
		{name: "no secret", o: Options{Purpose: PassportPurpose}},
		{name: "no purpose", secret: testSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if s, err := New(tt.secret, tt.o); err == nil {
				t.Errorf("New = %v, want an error", s)
			}
		})
	}
}

func TestSpans(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	s, err := New(testSecret, Options{Purpose: PassportPurpose, Tracer: tp.Tracer("test")})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sealed := s.Seal(ctx, []byte("C01X00T47"), PassportAAD(7))
	if _, err := s.Open(ctx, sealed, PassportAAD(7)); err != nil {
		t.Fatal(err)
	}
	_, _ = s.Open(ctx, sealed, PassportAAD(8))
	_, _ = s.Open(ctx, sealed[:3], PassportAAD(7))
	tests := []struct {
		name   string
		status codes.Code
		attrs  map[string]string
	}{
		{name: "seal (AES-256-GCM)", attrs: map[string]string{"engineroom.vault.key_id": "k1", "engineroom.vault.aad": "travel_documents.passport_number member_id=7",
			"engineroom.vault.plaintext_bytes": "9", "engineroom.vault.sealed_bytes": "37"}},
		{name: "open (AES-256-GCM)", attrs: map[string]string{"engineroom.vault.sealed_bytes": "37", "engineroom.vault.plaintext_bytes": "9"}},
		{name: "open (AES-256-GCM)", status: codes.Error, attrs: map[string]string{"engineroom.vault.aad": "travel_documents.passport_number member_id=8"}},
		{name: "open (AES-256-GCM)", status: codes.Error, attrs: map[string]string{"engineroom.vault.sealed_bytes": "3"}},
	}
	spans := rec.Ended()
	if len(spans) != len(tests) {
		t.Fatalf("%d spans, want %d", len(spans), len(tests))
	}
	for i, tt := range tests {
		sp := spans[i]
		got := map[string]string{}
		for _, kv := range sp.Attributes() {
			got[string(kv.Key)] = kv.Value.Emit()
			if kv.Value.Emit() == "C01X00T47" {
				t.Errorf("span %q records the plaintext in %s", sp.Name(), kv.Key)
			}
		}
		if sp.Name() != tt.name || sp.Status().Code != tt.status {
			t.Errorf("span %d = %q (%v), want %q (%v)", i, sp.Name(), sp.Status().Code, tt.name, tt.status)
		}
		for k, v := range tt.attrs {
			if got[k] != v {
				t.Errorf("span %d %s = %q, want %q", i, k, got[k], v)
			}
		}
	}
}

// FuzzOpen checks Open never panics and never accepts a value it did not
// seal: anything arbitrary fails with ErrTooShort or ErrAuth.
func FuzzOpen(f *testing.F) {
	s := newSealer(f, testSecret, "k1")
	ctx := context.Background()
	f.Add(s.Seal(ctx, []byte("C01X00T47"), PassportAAD(1)), []byte("travel_documents.passport_number member_id=1"))
	f.Add([]byte{}, []byte{})
	f.Add(make([]byte, Overhead), []byte("x"))
	f.Fuzz(func(t *testing.T, sealed, aad []byte) {
		got, err := s.Open(ctx, sealed, aad)
		if err == nil {
			// Only a value this key sealed opens: re-sealing what came out
			// must open the same way.
			if again, err := s.Open(ctx, s.Seal(ctx, got, aad), aad); err != nil || !bytes.Equal(again, got) {
				t.Fatalf("round trip of an opened value: %q, %v", again, err)
			}
			return
		}
		if !errors.Is(err, ErrTooShort) && !errors.Is(err, ErrAuth) {
			t.Fatalf("Open(%x, %x) = %v, want ErrTooShort or ErrAuth", sealed, aad, err)
		}
		if len(sealed) < Overhead != errors.Is(err, ErrTooShort) {
			t.Fatalf("Open(%d bytes) = %v", len(sealed), err)
		}
	})
}

func TestParsePassport(t *testing.T) {
	tests := []struct {
		raw, want string
		ok        bool
	}{
		{raw: "C01X00T47", want: "C01X00T47", ok: true},
		{raw: "  c01x00t47 ", want: "C01X00T47", ok: true},
		{raw: "123456", want: "123456", ok: true},
		{raw: "ABCDEFGHIJ12", want: "ABCDEFGHIJ12", ok: true},
		{raw: "12345"},
		{raw: "ABCDEFGHIJ123"},
		{raw: "C01 X00 T47"},
		{raw: "C01-X00-T47"},
		{raw: "'; DROP TABLE--"},
		{raw: "ÄBCDEFG"},
		{raw: ""},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			got, err := ParsePassport(tt.raw)
			if tt.ok && (err != nil || got != tt.want) {
				t.Errorf("ParsePassport = %q, %v; want %q", got, err, tt.want)
			}
			if !tt.ok && !errors.Is(err, ErrPassportFormat) {
				t.Errorf("ParsePassport = %q, %v; want ErrPassportFormat", got, err)
			}
		})
	}
}

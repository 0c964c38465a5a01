package auth

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

var (
	testSecret = []byte("a server secret of thirty-two by")
	testNow    = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	alice      = Account{ID: 1, Username: "alice", Role: "member", MemberID: 1}
)

// tokensAt returns Tokens on testSecret whose clock reads at.
func tokensAt(t testing.TB, at time.Time) *Tokens {
	t.Helper()
	tk, err := NewTokens(testSecret, TokenOptions{Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

func issue(t testing.TB, tk *Tokens, acct Account) (string, Claims) {
	t.Helper()
	s, c, err := tk.Issue(context.Background(), acct)
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

// refusal is the reason Verify gave, failing the test for an error that is
// not a *TokenError.
func refusal(t *testing.T, err error) Refusal {
	t.Helper()
	if err == nil {
		return ""
	}
	var te *TokenError
	if !errors.As(err, &te) {
		t.Fatalf("error %v (%T) is not a *TokenError", err, err)
	}
	if te.Message == "" || !strings.HasSuffix(te.Message, ".") {
		t.Errorf("message %q: want a sentence", te.Message)
	}
	return te.Reason
}

func TestVerifyRefuses(t *testing.T) {
	tk := tokensAt(t, testNow)
	good, claims := issue(t, tk, alice)
	parts := strings.Split(good, ".")
	signed := func(method jwt.SigningMethod, c jwt.Claims, key any) string {
		s, err := jwt.NewWithClaims(method, c).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	with := func(edit func(*Claims)) Claims {
		c := claims
		edit(&c)
		return c
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})
	admin, _ := json.Marshal(with(func(c *Claims) { c.Role = "admin" }))
	other, err := NewTokens([]byte("another server's secret"), TokenOptions{Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	otherToken, _ := issue(t, other, alice)
	expired, _ := issue(t, tokensAt(t, testNow.Add(-TokenLifetime-TokenLeeway-time.Second)), alice)
	future, _ := issue(t, tokensAt(t, testNow.Add(time.Hour)), alice)
	noneHeader := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"None","typ":"JWT"}`))
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	b64 := base64.RawURLEncoding.EncodeToString

	tests := []struct {
		name  string
		token string
		want  Refusal
	}{
		{"alg none, no signature", signed(jwt.SigningMethodNone, claims, jwt.UnsafeAllowNoneSignatureType), RefusedAlgNone},
		{"alg None, capitalised", noneHeader + "." + parts[1] + ".", RefusedAlgNone},
		{"alg none, genuine signature kept", noneHeader + "." + parts[1] + "." + parts[2], RefusedAlgNone},
		{"alg confusion: RS256 by the attacker's key", signed(jwt.SigningMethodRS256, claims, rsaKey), RefusedAlgNotAllowed},
		{"alg confusion: HS256 keyed with an RSA public key", signed(jwt.SigningMethodHS256, claims, pubPEM), RefusedSignature},
		{"alg HS512 with the right key", signed(jwt.SigningMethodHS512, claims, tk.key), RefusedAlgNotAllowed},
		{"alg unknown", b64([]byte(`{"alg":"XY999"}`)) + "." + parts[1] + "." + parts[2], RefusedAlgNotAllowed},
		{"no alg", b64([]byte(`{"typ":"JWT"}`)) + "." + parts[1] + "." + parts[2], RefusedAlgNotAllowed},
		{"expired, past the leeway", expired, RefusedExpired},
		{"not yet valid", future, RefusedNotYetValid},
		{"signed with a wrong key", signed(jwt.SigningMethodHS256, claims, []byte(WrongKey)), RefusedSignature},
		{"signed with the raw secret, not the derived key", signed(jwt.SigningMethodHS256, claims, testSecret), RefusedSignature},
		{"another server's token", otherToken, RefusedSignature},
		{"payload tampered", parts[0] + "." + b64(admin) + "." + parts[2], RefusedSignature},
		{"signature of another token", parts[0] + "." + parts[1] + "." + strings.Split(otherToken, ".")[2], RefusedSignature},
		{"signature cut short", parts[0] + "." + parts[1] + "." + b64(sig[:16]), RefusedSignature},
		{"wrong issuer", signed(jwt.SigningMethodHS256, with(func(c *Claims) { c.Issuer = "evil.example" }), tk.key), RefusedIssuer},
		{"wrong audience", signed(jwt.SigningMethodHS256, with(func(c *Claims) { c.Audience = jwt.ClaimStrings{"billing-api"} }), tk.key), RefusedAudience},
		{"no exp", signed(jwt.SigningMethodHS256, with(func(c *Claims) { c.ExpiresAt = nil }), tk.key), RefusedClaims},
		{"no sub", signed(jwt.SigningMethodHS256, with(func(c *Claims) { c.Subject = "" }), tk.key), RefusedClaims},
		{"exp of the wrong type", parts[0] + "." + b64([]byte(`{"iss":"engineroom-airline","sub":"1","aud":"airline-api","exp":"tomorrow"}`)) + "." + parts[2], RefusedMalformed},
		{"garbage", "hello, server", RefusedMalformed},
		{"two parts", parts[0] + "." + parts[1], RefusedMalformed},
		{"four parts", good + ".x", RefusedMalformed},
		{"not base64url", "a*b.c.d", RefusedMalformed},
		{"header not JSON", b64([]byte("hello")) + "." + parts[1] + "." + parts[2], RefusedMalformed},
		{"claims a JSON array", parts[0] + "." + b64([]byte(`[1,2]`)) + "." + parts[2], RefusedMalformed},
		{"padded base64", good + "=", RefusedMalformed},
		{"empty", "", RefusedEmpty},
		{"100 KB", parts[0] + "." + strings.Repeat("A", 100<<10) + "." + parts[2], RefusedTooLong},
	}
	// A signature with its unused trailing bits set decodes to the same
	// bytes; strict decoding refuses that second spelling.
	if last := parts[2][len(parts[2])-1]; last == 'A' || last == 'Q' || last == 'g' || last == 'w' {
		tests = append(tests, struct {
			name  string
			token string
			want  Refusal
		}{"non-canonical signature", parts[0] + "." + parts[1] + "." + parts[2][:len(parts[2])-1] + string(last+1), RefusedMalformed})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tk.Verify(context.Background(), tt.token)
			if got := refusal(t, err); got != tt.want {
				t.Errorf("refused as %q (%v), want %q", got, err, tt.want)
			}
			if c.Subject != "" || c.Name != "" || c.ExpiresAt != nil {
				t.Errorf("claims %+v with a refusal, want none", c)
			}
		})
	}
}

func TestVerifyAccepts(t *testing.T) {
	tk := tokensAt(t, testNow)
	admin := Account{ID: 6, Username: "admin", Role: "admin"}
	for _, acct := range []Account{alice, admin} {
		token, issued := issue(t, tk, acct)
		if n := strings.Count(token, "."); n != 2 {
			t.Fatalf("%d dots in %q", n, token)
		}
		tests := []struct {
			name  string
			after time.Duration
			want  Refusal
		}{
			{"at once", 0, ""},
			{"a minute later", time.Minute, ""},
			{"14 minutes later", 14 * time.Minute, ""},
			{"at expiry, within the leeway", TokenLifetime + TokenLeeway - time.Second, ""},
			{"past the leeway", TokenLifetime + TokenLeeway + time.Second, RefusedExpired},
			{"a clock behind by less than the leeway", -TokenLeeway + time.Second, ""},
			{"a clock behind by more than the leeway", -TokenLeeway - time.Second, RefusedNotYetValid},
		}
		for _, tt := range tests {
			t.Run(acct.Username+" "+tt.name, func(t *testing.T) {
				c, err := tokensAt(t, testNow.Add(tt.after)).Verify(context.Background(), token)
				if got := refusal(t, err); got != tt.want {
					t.Fatalf("refused as %q (%v), want %q", got, err, tt.want)
				}
				if tt.want != "" {
					return
				}
				if c.Name != acct.Username || c.Role != acct.Role || c.MemberID != acct.MemberID || c.UserID() != acct.ID {
					t.Errorf("claims %+v, want those of %+v", c, acct)
				}
				if c.Issuer != TokenIssuer || len(c.Audience) != 1 || c.Audience[0] != TokenAudience || c.ID == "" || c.ID != issued.ID {
					t.Errorf("registered claims %+v, want iss %s, aud [%s], jti %s", c.RegisteredClaims, TokenIssuer, TokenAudience, issued.ID)
				}
				if !c.IssuedAt.Equal(testNow) || !c.NotBefore.Equal(testNow) || !c.ExpiresAt.Equal(testNow.Add(TokenLifetime)) {
					t.Errorf("iat %v nbf %v exp %v, want %v, %v and 15 min later", c.IssuedAt, c.NotBefore, c.ExpiresAt, testNow, testNow)
				}
			})
		}
	}
	// Each token is its own: a new jti every time.
	a, _ := issue(t, tk, alice)
	b, _ := issue(t, tk, alice)
	if a == b {
		t.Error("two tokens issued at the same second are the same")
	}
}

func TestTokenKey(t *testing.T) {
	a, b := tokensAt(t, testNow), tokensAt(t, testNow)
	if string(a.key) != string(b.key) || len(a.key) != 32 {
		t.Fatalf("keys %x and %x: want the same 32 bytes from the same secret", a.key, b.key)
	}
	if strings.Contains(string(a.key), string(testSecret)) {
		t.Error("the key holds the secret")
	}
	other, err := NewTokens([]byte("a server secret of thirty-two bz"), TokenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if string(other.key) == string(a.key) {
		t.Error("two secrets give the same key")
	}
	if _, err := NewTokens(nil, TokenOptions{}); err == nil {
		t.Error("NewTokens(nil) made tokens")
	}
}

func TestForge(t *testing.T) {
	tk := tokensAt(t, testNow)
	for _, kind := range Forgeries() {
		t.Run(string(kind), func(t *testing.T) {
			f, err := tk.Forge(context.Background(), alice, kind)
			if err != nil {
				t.Fatal(err)
			}
			if f.Kind != kind || f.How == "" || f.Token == "" {
				t.Errorf("forged %+v", f)
			}
			_, err = tk.Verify(context.Background(), f.Token)
			if got := refusal(t, err); got != f.Want || got == "" {
				t.Errorf("refused as %q (%v), want %q", got, err, f.Want)
			}
			d := Decode(f.Token)
			if d.Problem != "" || len(d.Parts) != 3 {
				t.Fatalf("Decode: %+v", d)
			}
			var c map[string]any
			if err := json.Unmarshal([]byte(d.Parts[1].JSON), &c); err != nil {
				t.Fatal(err)
			}
			wantRole := "admin"
			if kind == ForgeExpired {
				wantRole = "member"
			}
			if c["role"] != wantRole || c["name"] != "alice" {
				t.Errorf("forged claims %v, want role %s for alice", c, wantRole)
			}
		})
	}
	if _, err := tk.Forge(context.Background(), alice, "bribe the admin"); err == nil {
		t.Error("an unknown forgery was made")
	}
}

func TestDecode(t *testing.T) {
	tk := tokensAt(t, testNow)
	token, c := issue(t, tk, alice)
	d := Decode(token)
	if d.Problem != "" || d.Alg != "HS256" || len(d.Parts) != 3 {
		t.Fatalf("Decode = %+v", d)
	}
	for i, want := range []string{"header", "claims", "signature"} {
		if p := d.Parts[i]; p.Name != want || p.Raw != strings.Split(token, ".")[i] {
			t.Errorf("part %d = %s %q, want %s", i, p.Name, p.Raw, want)
		}
	}
	if d.Parts[0].JSON != "{\n  \"alg\": \"HS256\",\n  \"typ\": \"JWT\"\n}" {
		t.Errorf("header JSON %q", d.Parts[0].JSON)
	}
	for _, want := range []string{`"sub": "1"`, `"name": "alice"`, `"role": "member"`, `"member_id": 1`, `"iss": "engineroom-airline"`, `"jti": "` + c.ID + `"`} {
		if !strings.Contains(d.Parts[1].JSON, want) {
			t.Errorf("claims JSON %s: want %s", d.Parts[1].JSON, want)
		}
	}
	if d.Parts[2].JSON != "" || d.Parts[2].Bytes != 32 {
		t.Errorf("signature part %+v: want 32 bytes and no JSON", d.Parts[2])
	}
	problems := []struct{ token, want string }{
		{"abc", "this has 1"},
		{"a.b.c.d.e", "this has 5"},
		{"!.e30.", "the header part is not base64url"},
		{"e30.bnVsbA.", "the claims part is not a JSON object"},
		{strings.Repeat("A", MaxTokenBytes+1), "longer than any token of ours"},
	}
	for _, p := range problems {
		if d := Decode(p.token); !strings.Contains(d.Problem, p.want) || len(d.Parts) != 0 {
			t.Errorf("Decode(%.20q) = %+v, want problem %q and no parts", p.token, d, p.want)
		}
	}
}

// FuzzVerify: Verify never panics, and accepts only tokens it issued.
func FuzzVerify(f *testing.F) {
	// Every fuzzing process must issue the same tokens: ids from a counter.
	n := 0
	tk, err := NewTokens(testSecret, TokenOptions{Now: func() time.Time { return testNow }, NewID: func() string { n++; return fmt.Sprint("jti-", n) }})
	if err != nil {
		f.Fatal(err)
	}
	issued := map[string]bool{}
	for _, acct := range []Account{alice, {ID: 6, Username: "admin", Role: "admin"}} {
		s, _ := issue(f, tk, acct)
		issued[s] = true
		f.Add(s)
		for _, kind := range Forgeries() {
			if kind == ForgeRS256 {
				continue // an RSA key per run is slow; the table covers it
			}
			forged, err := tk.Forge(context.Background(), acct, kind)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(forged.Token)
		}
	}
	for _, s := range []string{"", ".", "..", "e30.e30.", "a.b.c", "eyJhbGciOiJIUzI1NiJ9.e30.AAAA"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, token string) {
		_ = Decode(token)
		c, err := tk.Verify(context.Background(), token)
		if err == nil && !issued[token] {
			t.Fatalf("accepted a token it did not issue: %q (claims %+v)", token, c)
		}
		var te *TokenError
		if err != nil && !errors.As(err, &te) {
			t.Fatalf("error %v is not a *TokenError", err)
		}
	})
}

package auth

import (
	"bytes"
	"context"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// The airline API's access tokens: JWTs signed with HS256, the contrast
// to server-side sessions. The server keeps no copy of a token; whoever
// holds one is who its claims say until it expires.
const (
	// TokenIssuer (iss) and TokenAudience (aud) name who made a token and
	// which service it is for; Verify requires both.
	TokenIssuer   = "engineroom-airline"
	TokenAudience = "airline-api"
	// TokenLifetime is how long a token is good for.
	TokenLifetime = 15 * time.Minute
	// TokenLeeway forgives clocks that differ by a few seconds.
	TokenLeeway = 5 * time.Second
	// MaxTokenBytes is the longest token Verify reads: a cookie holds 4 KB.
	MaxTokenBytes = 4096

	tokenAlg = "HS256"
	// tokenKeyInfo names the key's purpose, so the server secret's other
	// uses (signing visitor cookies) never share a key with this one.
	tokenKeyInfo = "engineroom airline access tokens: HS256 signing key v1"
)

// Claims are what an access token says: the registered claims (iss, sub =
// the user id, aud, exp, nbf, iat, jti) and the airline's own.
type Claims struct {
	jwt.RegisteredClaims
	Name     string `json:"name"`
	Role     string `json:"role"`
	MemberID int64  `json:"member_id,omitempty"`
}

// UserID is the account the token names (its sub), or 0.
func (c Claims) UserID() int64 {
	id, _ := strconv.ParseInt(c.Subject, 10, 64)
	return id
}

// Refusal is why Verify refused a token.
type Refusal string

// The reasons a token is refused.
const (
	RefusedEmpty         Refusal = "no token"
	RefusedTooLong       Refusal = "too long"
	RefusedMalformed     Refusal = "malformed"
	RefusedAlgNone       Refusal = "alg: none"
	RefusedAlgNotAllowed Refusal = "algorithm not allowed"
	RefusedSignature     Refusal = "signature does not match"
	RefusedExpired       Refusal = "expired"
	RefusedNotYetValid   Refusal = "not yet valid"
	RefusedIssuer        Refusal = "wrong issuer"
	RefusedAudience      Refusal = "wrong audience"
	RefusedClaims        Refusal = "claims missing"
)

// TokenError is a token Verify refused: the reason, and why in plain words.
type TokenError struct {
	Reason Refusal
	// Message says why, for the visitor.
	Message string
	// Err is the JWT library's own error, if it gave one.
	Err error
}

func (e *TokenError) Error() string { return "auth: token refused: " + e.Message }
func (e *TokenError) Unwrap() error { return e.Err }

// TokenOptions configure Tokens.
type TokenOptions struct {
	// Tracer records each step; nil records nothing.
	Tracer trace.Tracer
	// Now is the clock; default time.Now.
	Now func() time.Time
	// NewID makes each token's id (jti); default crypto/rand.Text.
	NewID func() string
}

// Tokens issues and verifies the airline API's access tokens.
type Tokens struct {
	key       []byte
	tracer    trace.Tracer
	now       func() time.Time
	newID     func() string
	parser    *jwt.Parser
	validator *jwt.Validator
	// attackerKey is an RSA key of nobody's, made on first use, for the
	// algorithm-confusion forgery.
	attackerKey func() (*rsa.PrivateKey, error)
}

// NewTokens returns Tokens whose HS256 key is derived from secret with
// HKDF-SHA256, named for this one purpose.
func NewTokens(secret []byte, opts TokenOptions) (*Tokens, error) {
	if len(secret) == 0 {
		return nil, errors.New("auth: tokens need a secret")
	}
	key, err := hkdf.Key(sha256.New, secret, nil, tokenKeyInfo, 32)
	if err != nil {
		return nil, fmt.Errorf("auth: deriving the token key: %w", err)
	}
	if opts.Tracer == nil {
		opts.Tracer = trace.NewNoopTracerProvider().Tracer("")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.NewID == nil {
		opts.NewID = rand.Text
	}
	return &Tokens{
		key: key, tracer: opts.Tracer, now: opts.Now, newID: opts.NewID,
		// The signature step: HS256 only, and canonical base64url, so a
		// signature has one spelling. Claims are checked in a step of
		// their own.
		parser: jwt.NewParser(jwt.WithValidMethods([]string{tokenAlg}), jwt.WithStrictDecoding(), jwt.WithoutClaimsValidation()),
		validator: jwt.NewValidator(jwt.WithIssuer(TokenIssuer), jwt.WithAudience(TokenAudience), jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(), jwt.WithLeeway(TokenLeeway), jwt.WithTimeFunc(opts.Now)),
		attackerKey: sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) }),
	}, nil
}

func (t *Tokens) step(ctx context.Context, name string, kv ...attribute.KeyValue) (context.Context, trace.Span) {
	return t.tracer.Start(ctx, name, trace.WithAttributes(kv...))
}

// claimsFor are the claims of a token for acct issued at now.
func (t *Tokens) claimsFor(acct Account, now time.Time) Claims {
	return Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: TokenIssuer, Subject: strconv.FormatInt(acct.ID, 10), Audience: jwt.ClaimStrings{TokenAudience},
			ExpiresAt: jwt.NewNumericDate(now.Add(TokenLifetime)), NotBefore: jwt.NewNumericDate(now),
			IssuedAt: jwt.NewNumericDate(now), ID: t.newID(),
		},
		Name: acct.Username, Role: acct.Role, MemberID: acct.MemberID,
	}
}

func (t *Tokens) sign(c Claims) (string, error) {
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(t.key)
}

// Issue signs a token for acct, good for TokenLifetime. Nothing is stored:
// the token is the whole record.
func (t *Tokens) Issue(ctx context.Context, acct Account) (string, Claims, error) {
	_, span := t.step(ctx, "issue a token (HS256)", attribute.String("enduser.id", acct.Username))
	defer span.End()
	c := t.claimsFor(acct, t.now())
	s, err := t.sign(c)
	if err != nil {
		return "", Claims{}, fail(span, err)
	}
	span.SetAttributes(attribute.String("jwt.jti", c.ID), attribute.String("jwt.exp", c.ExpiresAt.UTC().Format(time.RFC3339)),
		attribute.Int("jwt.bytes", len(s)), attribute.String("auth.token.stored", "nowhere: the server keeps no copy"))
	return s, c, nil
}

// Verify checks a token as the API does for every request: its size and
// shape, its algorithm and signature, then its claims. A refusal is a
// *TokenError saying why.
func (t *Tokens) Verify(ctx context.Context, token string) (Claims, error) {
	ctx, span := t.step(ctx, "verify the token", attribute.Int("jwt.bytes", len(token)))
	defer span.End()
	alg, err := t.readHeader(ctx, token)
	if err == nil {
		var c Claims
		if c, err = t.checkSignature(ctx, token, alg); err == nil {
			if err = t.checkClaims(ctx, c); err == nil {
				span.SetAttributes(attribute.String("enduser.id", c.Name), attribute.String("auth.token.verdict", "accepted"))
				return c, nil
			}
		}
	}
	return Claims{}, refuse(span, err)
}

// refuse records a refusal on span; other errors fail it.
func refuse(span trace.Span, err error) error {
	var te *TokenError
	if errors.As(err, &te) {
		span.SetAttributes(attribute.String("auth.token.verdict", "refused: "+string(te.Reason)))
		span.RecordError(err)
		return err
	}
	return fail(span, err)
}

func (t *Tokens) readHeader(ctx context.Context, token string) (string, error) {
	_, span := t.step(ctx, "read the header (not trusted yet)")
	defer span.End()
	switch {
	case token == "":
		return "", refuse(span, &TokenError{Reason: RefusedEmpty, Message: "No token came with the request. An API expects it in the Authorization header: Bearer <token>."})
	case len(token) > MaxTokenBytes:
		return "", refuse(span, &TokenError{Reason: RefusedTooLong, Message: fmt.Sprintf("The token is %d bytes; ours are never longer than %d. It was refused before anything was decoded.", len(token), MaxTokenBytes)})
	}
	d := Decode(token)
	if d.Problem != "" {
		return "", refuse(span, &TokenError{Reason: RefusedMalformed, Message: "This is not a JWT: " + d.Problem + "."})
	}
	span.SetAttributes(attribute.String("jwt.header.alg", d.Alg), attribute.String("jwt.header", compact(d.Parts[0].JSON)))
	return d.Alg, nil
}

func (t *Tokens) checkSignature(ctx context.Context, token, alg string) (Claims, error) {
	_, span := t.step(ctx, "check the algorithm and signature (HS256 only)", attribute.String("jwt.header.alg", alg))
	defer span.End()
	var c Claims
	_, err := t.parser.ParseWithClaims(token, &c, func(tok *jwt.Token) (any, error) {
		if _, ok := tok.Method.(*jwt.SigningMethodHMAC); !ok {
			return nil, fmt.Errorf("auth: %s is not HMAC", tok.Method.Alg())
		}
		return t.key, nil
	})
	if err == nil {
		return c, nil
	}
	te := &TokenError{Err: err}
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		te.Reason, te.Message = RefusedMalformed, "This is not a JWT our server can read: a part does not decode, or a claim has the wrong type."
	case strings.EqualFold(alg, "none"):
		te.Reason, te.Message = RefusedAlgNone, `The header says "alg": "none": an unsigned token, which anyone can write. The server accepts HS256 only.`
	case alg != tokenAlg:
		te.Reason, te.Message = RefusedAlgNotAllowed, fmt.Sprintf("The header asks for %s; the server accepts HS256 only. "+
			"If the token could choose the algorithm, an attacker would choose how it is checked (algorithm confusion).", strconv.Quote(alg))
	default:
		te.Reason, te.Message = RefusedSignature, "The signature does not match: the header or claims were changed after signing, "+
			"or it was signed with another key. Only the holder of the server's key can make one that matches."
	}
	return Claims{}, refuse(span, te)
}

func (t *Tokens) checkClaims(ctx context.Context, c Claims) error {
	_, span := t.step(ctx, "check the claims (exp, nbf, iss, aud)", attribute.String("jwt.sub", c.Subject),
		attribute.String("jwt.iss", c.Issuer), attribute.StringSlice("jwt.aud", c.Audience))
	defer span.End()
	if c.ExpiresAt != nil {
		span.SetAttributes(attribute.String("jwt.exp", c.ExpiresAt.UTC().Format(time.RFC3339)))
	}
	err := t.validator.Validate(c)
	now := t.now()
	te := &TokenError{Err: err}
	switch {
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing) || err == nil && c.Subject == "":
		te.Reason, te.Message = RefusedClaims, "A claim the server requires is missing: every token must carry iss, sub, aud and exp."
	case errors.Is(err, jwt.ErrTokenExpired):
		te.Reason, te.Message = RefusedExpired, fmt.Sprintf("The token expired at %s UTC, %s ago. The signature is genuine, but a token is good for %s only; then the client must log in again.",
			c.ExpiresAt.UTC().Format("15:04:05"), roughly(now.Sub(c.ExpiresAt.Time)), roughly(TokenLifetime))
	case errors.Is(err, jwt.ErrTokenNotValidYet) || errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		from := c.IssuedAt
		if c.NotBefore != nil && (from == nil || c.NotBefore.After(from.Time)) {
			from = c.NotBefore
		}
		te.Reason, te.Message = RefusedNotYetValid, fmt.Sprintf("The token is not valid until %s UTC, %s from now: it claims to come from the future.",
			from.UTC().Format("15:04:05"), roughly(from.Sub(now)))
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		te.Reason, te.Message = RefusedIssuer, fmt.Sprintf("The token was issued by %s; this API accepts only tokens issued by %s.", strconv.Quote(c.Issuer), strconv.Quote(TokenIssuer))
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		te.Reason, te.Message = RefusedAudience, fmt.Sprintf("The token is meant for %s; this API is %s. A token for one service must not open another.",
			strings.Join(c.Audience, ", "), strconv.Quote(TokenAudience))
	case err != nil:
		te.Reason, te.Message = RefusedClaims, "The claims are not acceptable: "+err.Error()+"."
	default:
		return nil
	}
	return refuse(span, te)
}

// roughly writes a duration for people: "45 s", "14 min", "3 h".
func roughly(d time.Duration) string {
	switch d = d.Abs(); {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < 2*time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	default:
		return fmt.Sprintf("%d h", int(d.Hours()))
	}
}

// Part is one of a token's three dot-separated parts.
type Part struct {
	// Name is header, claims or signature.
	Name string `json:"name"`
	// Raw is the part as sent, base64url.
	Raw string `json:"raw"`
	// JSON is the decoded header or claims, indented; "" for the signature.
	JSON string `json:"json,omitempty"`
	// Bytes is the decoded length.
	Bytes int `json:"bytes"`
}

// Decoded is a token taken apart for showing: base64url undone, nothing
// checked, nothing trusted.
type Decoded struct {
	Parts []Part `json:"parts"`
	// Alg is what the header asks for.
	Alg string `json:"alg"`
	// Problem says why the token cannot be taken apart ("" when it can).
	Problem string `json:"problem,omitempty"`
}

// Decode splits a token into header, claims and signature and decodes
// each, WITHOUT checking the signature: anyone can do this with any JWT.
func Decode(token string) Decoded {
	var d Decoded
	if len(token) > MaxTokenBytes {
		d.Problem = fmt.Sprintf("it is %d bytes, longer than any token of ours (%d)", len(token), MaxTokenBytes)
		return d
	}
	raw := strings.Split(token, ".")
	if len(raw) != 3 {
		d.Problem = fmt.Sprintf("a JWT is three base64url parts joined by dots (header.claims.signature); this has %d", len(raw))
		return d
	}
	for i, name := range []string{"header", "claims", "signature"} {
		b, err := base64.RawURLEncoding.DecodeString(raw[i])
		if err != nil {
			d.Problem = fmt.Sprintf("the %s part is not base64url", name)
			return Decoded{Problem: d.Problem}
		}
		p := Part{Name: name, Raw: raw[i], Bytes: len(b)}
		if i < 2 {
			var obj map[string]any
			var pretty bytes.Buffer
			if json.Unmarshal(b, &obj) != nil || obj == nil || json.Indent(&pretty, b, "", "  ") != nil {
				return Decoded{Problem: fmt.Sprintf("the %s part is not a JSON object", name)}
			}
			p.JSON = pretty.String()
			if i == 0 {
				d.Alg, _ = obj["alg"].(string)
			}
		}
		d.Parts = append(d.Parts, p)
	}
	return d
}

// compact writes indented JSON on one line.
func compact(s string) string {
	var b bytes.Buffer
	if json.Compact(&b, []byte(s)) != nil {
		return s
	}
	return b.String()
}

// Forgery is a way an attacker tries to make a token the server accepts.
type Forgery string

// The forgeries Forge builds.
const (
	ForgeAlgNone  Forgery = "alg: none, signature stripped"
	ForgeEdited   Forgery = "claims edited to role admin, not re-signed"
	ForgeWrongKey Forgery = "signed with a wrong key"
	ForgeExpired  Forgery = "expired: issued an hour ago"
	ForgeRS256    Forgery = "RS256 header (algorithm confusion)"
)

// Forgeries lists every forgery, in the order a lesson shows them.
func Forgeries() []Forgery {
	return []Forgery{ForgeAlgNone, ForgeEdited, ForgeWrongKey, ForgeExpired, ForgeRS256}
}

// Forged is a forged token, how it was made, and the refusal it earns.
type Forged struct {
	Token string  `json:"token"`
	Kind  Forgery `json:"kind"`
	// How says what the attacker did, in plain words.
	How string `json:"how"`
	// Want is the reason Verify gives.
	Want Refusal `json:"refused_as"`
}

// WrongKey is the key the wrong-key forgery guesses: the most common one.
const WrongKey = "secret"

// Forge builds a forgery for real, starting from a token acct could get:
// the attacker's side of the lesson, run here so it can be shown.
func (t *Tokens) Forge(ctx context.Context, acct Account, kind Forgery) (Forged, error) {
	_, span := t.step(ctx, "forge a token (the attacker's side)", attribute.String("auth.forgery", string(kind)))
	defer span.End()
	now := t.now()
	c := t.claimsFor(acct, now)
	edited, edits := escalate(c)
	f := Forged{Kind: kind}
	var err error
	switch kind {
	case ForgeAlgNone:
		f.Token, err = jwt.NewWithClaims(jwt.SigningMethodNone, edited).SignedString(jwt.UnsafeAllowNoneSignatureType)
		f.How = `Claims edited (` + edits + `), the header changed to "alg": "none" and the signature left empty: a token anyone can write.`
		f.Want = RefusedAlgNone
	case ForgeEdited:
		var genuine string
		if genuine, err = t.sign(c); err == nil {
			parts := strings.Split(genuine, ".")
			body, _ := json.Marshal(edited)
			parts[1] = base64.RawURLEncoding.EncodeToString(body)
			f.Token = strings.Join(parts, ".")
		}
		f.How = "A genuine token for " + acct.Username + ", its claims edited (" + edits + ") and put back with the original signature."
		f.Want = RefusedSignature
	case ForgeWrongKey:
		f.Token, err = jwt.NewWithClaims(jwt.SigningMethodHS256, edited).SignedString([]byte(WrongKey))
		f.How = `Claims edited (` + edits + `) and signed properly with HS256 — but with the key "` + WrongKey + `", a guess, not the server's.`
		f.Want = RefusedSignature
	case ForgeExpired:
		old := t.claimsFor(acct, now.Add(-time.Hour))
		f.Token, err = t.sign(old)
		f.How = "A genuine token for " + acct.Username + ", signed with the server's key at " + old.IssuedAt.UTC().Format("15:04:05") +
			" UTC, an hour ago — one copied from a log or a stolen laptop."
		f.Want = RefusedExpired
	case ForgeRS256:
		var key *rsa.PrivateKey
		if key, err = t.attackerKey(); err == nil {
			f.Token, err = jwt.NewWithClaims(jwt.SigningMethodRS256, edited).SignedString(key)
		}
		f.How = `Claims edited (` + edits + `) and signed with RS256 by the attacker's own RSA key. A server that let the header pick the algorithm might check it with a key the attacker chose.`
		f.Want = RefusedAlgNotAllowed
	default:
		return Forged{}, fail(span, fmt.Errorf("auth: no forgery called %q", kind))
	}
	if err != nil {
		return Forged{}, fail(span, fmt.Errorf("auth: forging a token: %w", err))
	}
	return f, nil
}

// escalate is what every forger wants: the admin role and another
// member's miles. It returns the edited claims and the edits in words.
func escalate(c Claims) (Claims, string) {
	e := c
	e.Role = "admin"
	e.MemberID = 1
	if c.MemberID == 1 {
		e.MemberID = 2
	}
	return e, fmt.Sprintf("role %s → admin, member_id %d → %d", c.Role, c.MemberID, e.MemberID)
}

package auth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/alexedwards/scs/v2"
	"go.opentelemetry.io/otel/attribute"

	"github.com/engineroom/engineroom/playground/sandbox"
)

// Session lifetimes: a session ends 12 hours after login, or after 30
// minutes without a request, whichever comes first.
const (
	SessionLifetime = 12 * time.Hour
	SessionIdle     = 30 * time.Minute
)

// expiryLayout is how the sessions table writes expiry: UTC text, which
// sorts as time does.
const expiryLayout = "2006-01-02 15:04:05"

// newSessionManager returns the scs session manager of the airline app:
// its store is the sessions table of whichever sandbox the context
// carries, keyed by the SHA-256 of the token, and its data is JSON, so a
// visitor can read the row in the SQL console.
func newSessionManager(now func() time.Time) *scs.SessionManager {
	// Built by hand, not with scs.New: New also starts an in-memory store
	// with a cleanup goroutine that runs for ever (stopping it races with
	// its start), and this manager keeps its sessions in the sandbox. Its
	// context key is the zero one, which is enough: one manager loads any
	// one request's session.
	return &scs.SessionManager{
		Lifetime:         SessionLifetime,
		IdleTimeout:      SessionIdle,
		HashTokenInStore: true,
		Codec:            jsonCodec{},
		Store:            sandboxStore{now: now},
	}
}

// dbKey carries the sandbox the session store reads and writes.
type dbKey struct{}

var errNoSandbox = errors.New("auth: the session store needs the visitor's sandbox in the context")

// sandboxStore is an scs.CtxStore on the sessions table of the sandbox in
// the context.
type sandboxStore struct{ now func() time.Time }

var _ scs.CtxStore = sandboxStore{}

func (sandboxStore) Find(string) ([]byte, bool, error)      { return nil, false, errNoSandbox }
func (sandboxStore) Commit(string, []byte, time.Time) error { return errNoSandbox }
func (sandboxStore) Delete(string) error                    { return errNoSandbox }
func dbFrom(ctx context.Context) (*sandbox.DB, bool) {
	db, ok := ctx.Value(dbKey{}).(*sandbox.DB)
	return db, ok
}
func withDB(ctx context.Context, db *sandbox.DB) context.Context {
	return context.WithValue(ctx, dbKey{}, db)
}

func (s sandboxStore) FindCtx(ctx context.Context, key string) ([]byte, bool, error) {
	db, ok := dbFrom(ctx)
	if !ok {
		return nil, false, errNoSandbox
	}
	res, err := db.Query(ctx, "SELECT data FROM sessions WHERE token = ? AND expiry > ?", key, s.now().UTC().Format(expiryLayout))
	if err != nil || len(res.Values) == 0 {
		return nil, false, err
	}
	return []byte(sandbox.AsString(res.Values[0][0])), true, nil
}

func (s sandboxStore) CommitCtx(ctx context.Context, key string, b []byte, expiry time.Time) error {
	db, ok := dbFrom(ctx)
	if !ok {
		return errNoSandbox
	}
	_, err := db.Exec(ctx, "INSERT INTO sessions (token, data, expiry) VALUES (?, ?, ?) "+
		"ON CONFLICT (token) DO UPDATE SET data = excluded.data, expiry = excluded.expiry",
		key, string(b), expiry.UTC().Format(expiryLayout))
	return err
}

func (s sandboxStore) DeleteCtx(ctx context.Context, key string) error {
	db, ok := dbFrom(ctx)
	if !ok {
		return errNoSandbox
	}
	_, err := db.Exec(ctx, "DELETE FROM sessions WHERE token = ?", key)
	return err
}

// jsonCodec stores a session as readable JSON.
type jsonCodec struct{}

type sessionJSON struct {
	Deadline time.Time      `json:"deadline"`
	Values   map[string]any `json:"values"`
}

func (jsonCodec) Encode(deadline time.Time, values map[string]any) ([]byte, error) {
	return json.Marshal(sessionJSON{Deadline: deadline.UTC(), Values: values})
}

func (jsonCodec) Decode(b []byte) (time.Time, map[string]any, error) {
	var s sessionJSON
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&s); err != nil {
		return time.Time{}, nil, err
	}
	if s.Values == nil {
		s.Values = map[string]any{}
	}
	return s.Deadline, s.Values, nil
}

// TokenKey is the sessions table's key for a cookie's token: its SHA-256,
// base64url, as the session library computes it.
func TokenKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// Session is the airline app's session during one request. Load it,
// read or change it, and Save it, all inside one sandbox callback.
type Session struct {
	a   *App
	ctx context.Context
	db  *sandbox.DB
	// Token is the token the browser sent ("" for none), and after Save
	// the one it holds.
	Token string
	saved *Saved
}

// SessionUser is who a session is logged in as.
type SessionUser struct {
	UserID   int64  `json:"user_id"`
	Username string `json:"username"`
	MemberID int64  `json:"member_id,omitempty"`
	// Since is when they logged in.
	Since time.Time `json:"logged_in_at"`
}

// LoadSession reads the session named by the browser's token from the
// sandbox. An unknown, expired or forged token gives a new, empty
// session: nothing the browser sends is trusted beyond being a lookup key.
func (a *App) LoadSession(ctx context.Context, db *sandbox.DB, token string) (*Session, error) {
	ctx, span := a.step(ctx, "load the session", attribute.Bool("auth.session.token_sent", token != ""))
	defer span.End()
	if len(token) > 100 {
		token = "" // no token of ours is this long; don't look it up
	}
	sctx, err := a.sessions.Load(withDB(ctx, db), token)
	if err != nil {
		// A row that does not decode (the visitor edited it in the SQL
		// console, say) is no session.
		sctx, err = a.sessions.Load(withDB(ctx, db), "")
		if err != nil {
			return nil, fail(span, err)
		}
	}
	s := &Session{a: a, ctx: sctx, db: db, Token: token}
	_, found := s.User()
	span.SetAttributes(attribute.Bool("auth.session.found", found))
	return s, nil
}

// User returns who the session is logged in as.
func (s *Session) User() (SessionUser, bool) {
	sm := s.a.sessions
	id := number(sm.Get(s.ctx, "user_id"))
	if id == 0 {
		return SessionUser{}, false
	}
	return SessionUser{
		UserID: id, Username: sm.GetString(s.ctx, "username"), MemberID: number(sm.Get(s.ctx, "member_id")),
		Since: time.Unix(number(sm.Get(s.ctx, "logged_in_at")), 0).UTC(),
	}, true
}

// number reads a value the JSON codec decoded (json.Number) or a caller
// put (int64).
func number(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case json.Number:
		i, _ := n.Int64()
		return i
	}
	return 0
}

// LogIn makes the session acct's, under a new token: whatever token the
// browser had before (perhaps one an attacker planted) stops working.
func (s *Session) LogIn(acct Account) error {
	_, span := s.a.step(s.ctx, "renew the session id")
	defer span.End()
	sm := s.a.sessions
	if err := sm.RenewToken(s.ctx); err != nil {
		return fail(span, err)
	}
	sm.Put(s.ctx, "user_id", acct.ID)
	sm.Put(s.ctx, "username", acct.Username)
	sm.Put(s.ctx, "member_id", acct.MemberID)
	sm.Put(s.ctx, "logged_in_at", s.a.now().Unix())
	// Old sessions go when someone logs in: the table stays small.
	if _, err := s.db.Exec(s.ctx, "DELETE FROM sessions WHERE expiry <= ?", s.a.now().UTC().Format(expiryLayout)); err != nil {
		return fail(span, err)
	}
	return nil
}

// LogOut deletes the session's row: the token the browser holds now
// opens nothing, even if someone copied it.
func (s *Session) LogOut() error {
	_, span := s.a.step(s.ctx, "destroy the session")
	defer span.End()
	if err := s.a.sessions.Destroy(s.ctx); err != nil {
		return fail(span, err)
	}
	return nil
}

// valuePrefix keeps the app's own values apart from the login's keys.
const valuePrefix = "app."

// Value reads into v the value SetValue kept under key. It reports false
// when the session holds none, or one that no longer decodes into v (the
// visitor edited the row in the SQL console, say).
func (s *Session) Value(key string, v any) bool {
	raw := s.a.sessions.GetString(s.ctx, valuePrefix+key)
	return raw != "" && json.Unmarshal([]byte(raw), v) == nil
}

// SetValue keeps v in the session under key, as JSON; a nil v removes it.
// A session that holds a value is saved even when nobody is logged in,
// as an anonymous shopper's cart is.
func (s *Session) SetValue(key string, v any) error {
	if v == nil {
		s.a.sessions.Remove(s.ctx, valuePrefix+key)
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("auth: keeping %s in the session: %w", key, err)
	}
	s.a.sessions.Put(s.ctx, valuePrefix+key, string(b))
	return nil
}

// Saved is what the browser must be told after Save.
type Saved struct {
	// Token and Expiry are the cookie to set, when Set.
	Token  string
	Expiry time.Time
	Set    bool
	// Clear says the cookie must be deleted (the session was destroyed).
	Clear bool
}

// Save writes a changed session to the sandbox and says what cookie the
// browser needs. It saves once: call it when the request is done with
// the session; calling it again returns what the first call did.
func (s *Session) Save() (Saved, error) {
	if s.saved != nil {
		return *s.saved, nil
	}
	out, err := s.save()
	if err == nil {
		s.saved = &out
	}
	return out, err
}

func (s *Session) save() (Saved, error) {
	sm := s.a.sessions
	switch sm.Status(s.ctx) {
	case scs.Destroyed:
		return Saved{Clear: true}, nil
	case scs.Modified:
		if len(sm.Keys(s.ctx)) == 0 {
			return Saved{}, nil // an idle-timeout refresh of an empty session: nothing to keep
		}
		_, span := s.a.step(s.ctx, "save the session")
		defer span.End()
		token, expiry, err := sm.Commit(s.ctx)
		if err != nil {
			return Saved{}, fail(span, err)
		}
		s.Token = token
		return Saved{Token: token, Expiry: expiry, Set: true}, nil
	}
	return Saved{}, nil
}

// SessionRow is a row of the sessions table, as the server keeps it.
type SessionRow struct {
	// Key is the row's token column: the SHA-256 of the cookie's token.
	Key    string `json:"token"`
	Data   string `json:"data"`
	Expiry string `json:"expiry"`
}

// Row reads the session's row as stored ("" Key when there is none).
func (s *Session) Row() (SessionRow, error) {
	if s.Token == "" {
		return SessionRow{}, nil
	}
	res, err := s.db.Query(s.ctx, "SELECT token, data, expiry FROM sessions WHERE token = ?", TokenKey(s.Token))
	if err != nil || len(res.Values) == 0 {
		return SessionRow{}, err
	}
	v := res.Values[0]
	return SessionRow{Key: sandbox.AsString(v[0]), Data: sandbox.AsString(v[1]), Expiry: sandbox.AsString(v[2])}, nil
}

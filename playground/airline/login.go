package airline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"

	"go.opentelemetry.io/otel/attribute"

	"github.com/engineroom/engineroom/playground/sandbox"
)

// Login is the outcome of a login attempt and the exact SQL it ran.
type Login struct {
	Parameterised bool     `json:"parameterised"`
	SQL           string   `json:"sql"`
	Params        []string `json:"params"`
	LoggedIn      bool     `json:"logged_in"`
	UserID        int64    `json:"user_id,omitempty"`
	Username      string   `json:"username,omitempty"`
	Role          string   `json:"role,omitempty"`
	Rows          int      `json:"rows"`
	Error         string   `json:"error,omitempty"`
}

// passwordHash is the demo's (deliberately weak) scheme: unsalted SHA-256.
func passwordHash(password string) string {
	sum := sha256.Sum256([]byte(password))
	return hex.EncodeToString(sum[:])
}

// LogIn checks a username and password against the users table. With
// parameterised false it builds the SQL by gluing the username into the
// text — the SQL injection lesson's vulnerable version; with true it passes
// both as parameters. It runs only on the visitor's own sandbox.
func (a *App) LogIn(ctx context.Context, db querier, username, password string, parameterised bool) (Login, error) {
	ctx, span := a.step(ctx, "log in", attribute.Bool("engineroom.parameterised", parameterised))
	defer span.End()
	l := Login{Parameterised: parameterised, Params: []string{}}
	_, hs := a.step(ctx, "hash the password (SHA-256)")
	hash := passwordHash(password)
	hs.End()
	var (
		res *sandbox.QueryResult
		err error
	)
	if parameterised {
		l.SQL = "SELECT id, username, role FROM users WHERE username = ? AND password_hash = ?"
		l.Params = []string{username, hash}
		res, err = db.Query(ctx, l.SQL, username, hash)
	} else {
		l.SQL = "SELECT id, username, role FROM users WHERE username = '" + username + "' AND password_hash = '" + hash + "'"
		res, err = db.Query(ctx, l.SQL)
	}
	var se *sandbox.StmtError
	if errors.As(err, &se) {
		// A broken query is the visitor's doing; show SQLite's verdict.
		l.Error = se.Name + ": " + se.Message
		return l, nil
	}
	if err != nil {
		return l, fail(span, err)
	}
	l.Rows = len(res.Values)
	if l.Rows > 0 && len(res.Values[0]) >= 3 {
		v := res.Values[0]
		l.LoggedIn, l.UserID, l.Username, l.Role = true, sandbox.AsInt(v[0]), sandbox.AsString(v[1]), sandbox.AsString(v[2])
	}
	span.SetAttributes(attribute.Bool("engineroom.logged_in", l.LoggedIn))
	return l, nil
}

package auth

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/engineroom/engineroom/playground/sandbox"
)

// step loads the session for token, runs fn and saves it, as one request
// would, and returns what the browser is told.
func step(t *testing.T, a *App, open sandbox.Opener, token string, fn func(s *Session) error) (Saved, *Session) {
	t.Helper()
	var saved Saved
	var sess *Session
	err := open(context.Background(), func(ctx context.Context, db *sandbox.DB) error {
		s, err := a.LoadSession(ctx, db, token)
		if err != nil {
			return err
		}
		sess = s
		if fn != nil {
			if err := fn(s); err != nil {
				return err
			}
		}
		saved, err = s.Save()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return saved, sess
}

func TestSessionLifecycle(t *testing.T) {
	a, open, _ := newTestApp(t, Options{})
	alice := Account{ID: 1, Username: "alice", Role: "member", MemberID: 1}

	// A visit without a cookie stores nothing and sets nothing.
	if saved, s := step(t, a, open, "", nil); saved != (Saved{}) {
		t.Errorf("anonymous visit: %+v", saved)
	} else if _, ok := s.User(); ok {
		t.Error("an anonymous visit is logged in")
	}
	if n := sandbox.AsInt(scalar(t, open, "SELECT count(*) FROM sessions")); n != 0 {
		t.Errorf("sessions after an anonymous visit = %d", n)
	}

	// Log in with an id planted beforehand: the id is replaced.
	saved, _ := step(t, a, open, "planted-by-an-attacker", func(s *Session) error { return s.LogIn(alice) })
	if !saved.Set || len(saved.Token) != 43 || saved.Token == "planted-by-an-attacker" || time.Until(saved.Expiry) > SessionIdle+time.Minute {
		t.Fatalf("login saved %+v, want a new 43-character token expiring within the idle timeout", saved)
	}
	token := saved.Token
	key := sandbox.AsString(scalar(t, open, "SELECT token FROM sessions"))
	if key != TokenKey(token) || strings.Contains(key, token) {
		t.Errorf("row key = %q, want the token's SHA-256 %q, never the token", key, TokenKey(token))
	}
	var data struct {
		Values map[string]any `json:"values"`
	}
	if err := json.Unmarshal([]byte(sandbox.AsString(scalar(t, open, "SELECT data FROM sessions"))), &data); err != nil || data.Values["username"] != "alice" {
		t.Errorf("row data = %+v (%v), want readable JSON naming alice", data, err)
	}

	// The cookie comes back: alice, and her row as stored.
	_, s := step(t, a, open, token, nil)
	if u, ok := s.User(); !ok || u.Username != "alice" || u.UserID != 1 || u.MemberID != 1 {
		t.Errorf("User = %+v, %v", u, ok)
	}
	var row SessionRow
	_ = open(context.Background(), func(ctx context.Context, db *sandbox.DB) error {
		s, _ := a.LoadSession(ctx, db, token)
		row, _ = s.Row()
		return nil
	})
	if row.Key != TokenKey(token) || !strings.Contains(row.Data, `"username":"alice"`) || row.Expiry == "" {
		t.Errorf("Row = %+v", row)
	}

	// Logging in again renews the id and drops the old row.
	saved, _ = step(t, a, open, token, func(s *Session) error { return s.LogIn(alice) })
	if saved.Token == token {
		t.Error("a second login kept the session id")
	}
	if _, s := step(t, a, open, token, nil); func() bool { _, ok := s.User(); return ok }() {
		t.Error("the old token still opens a session")
	}
	token = saved.Token

	// Logout deletes the row and clears the cookie; the token opens nothing.
	saved, _ = step(t, a, open, token, func(s *Session) error { return s.LogOut() })
	if !saved.Clear {
		t.Errorf("logout saved %+v, want the cookie cleared", saved)
	}
	if n := sandbox.AsInt(scalar(t, open, "SELECT count(*) FROM sessions")); n != 0 {
		t.Errorf("sessions after logout = %d", n)
	}
	if _, s := step(t, a, open, token, nil); func() bool { _, ok := s.User(); return ok }() {
		t.Error("a logged-out token still opens a session")
	}
}

// TestSessionValues: an anonymous session that holds a value is saved and
// read back; login keeps it, a value that no longer decodes reads as none,
// and removing the last value leaves nothing to save.
func TestSessionValues(t *testing.T) {
	a, open, _ := newTestApp(t, Options{})
	type cart struct{ Lines []int64 }
	saved, _ := step(t, a, open, "", func(s *Session) error { return s.SetValue("cart", cart{Lines: []int64{3, 1}}) })
	if !saved.Set || saved.Token == "" {
		t.Fatalf("saving an anonymous cart: %+v, want a cookie set", saved)
	}
	token := saved.Token
	var got cart
	_, s := step(t, a, open, token, func(s *Session) error {
		if !s.Value("cart", &got) {
			t.Error("Value found no cart")
		}
		return s.LogIn(Account{ID: 1, Username: "alice", MemberID: 1})
	})
	if len(got.Lines) != 2 || got.Lines[0] != 3 {
		t.Errorf("cart = %+v, want the lines kept", got)
	}
	if _, ok := s.User(); !ok {
		t.Error("login with a cart did not log in")
	}
	token = s.Token
	_, _ = step(t, a, open, token, func(s *Session) error {
		var n int
		if s.Value("cart", &n) {
			t.Error("a cart read as a number")
		}
		if s.Value("missing", &got) {
			t.Error("a missing key was found")
		}
		return s.LogOut()
	})
	saved, _ = step(t, a, open, "", func(s *Session) error {
		if err := s.SetValue("cart", cart{}); err != nil {
			return err
		}
		return s.SetValue("cart", nil)
	})
	if saved.Set {
		t.Errorf("a session whose only value was removed was saved: %+v", saved)
	}
	if err := func() error {
		var err error
		step(t, a, open, "", func(s *Session) error { err = s.SetValue("bad", make(chan int)); return nil })
		return err
	}(); err == nil {
		t.Error("SetValue took a value JSON cannot encode")
	}
}

// TestSessionForgeries: tokens the server did not issue, rows a visitor
// edited and expired rows all give an empty session, without an error.
func TestSessionForgeries(t *testing.T) {
	a, open, _ := newTestApp(t, Options{})
	saved, _ := step(t, a, open, "", func(s *Session) error { return s.LogIn(Account{ID: 2, Username: "bob", MemberID: 2}) })
	good := saved.Token
	anon := func(name, token string) {
		t.Helper()
		_, s := step(t, a, open, token, nil)
		if u, ok := s.User(); ok {
			t.Errorf("%s: logged in as %+v", name, u)
		}
	}
	anon("random token", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	anon("the row's key as a token", TokenKey(good))
	anon("a huge token", strings.Repeat("A", 5000))
	anon("SQL in the token", "' OR 1=1 --")
	scalar(t, open, "UPDATE sessions SET data = '{not json' RETURNING 1")
	anon("a row that does not decode", good)
	saved, _ = step(t, a, open, "", func(s *Session) error { return s.LogIn(Account{ID: 2, Username: "bob", MemberID: 2}) })
	scalar(t, open, "UPDATE sessions SET expiry = '2000-01-01 00:00:00' RETURNING 1")
	anon("an expired row", saved.Token)
}

package auth

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/engineroom/engineroom/playground/sandbox"
)

func TestSignUp(t *testing.T) {
	a, open, _ := newTestApp(t, Options{})
	ctx := context.Background()
	out, err := a.SignUp(ctx, open, "Grace", "correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	acct := out.Account
	if acct.Username != "grace" || acct.Role != "member" || acct.ID == 0 || acct.MemberID == 0 || !strings.HasPrefix(acct.Hash, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("account = %+v", acct)
	}
	if got := sandbox.AsString(scalar(t, open, "SELECT password_hash FROM users WHERE username = 'grace'")); got != acct.Hash {
		t.Errorf("stored hash = %q, want %q", got, acct.Hash)
	}
	if got := sandbox.AsString(scalar(t, open, "SELECT miles || '/' || (SELECT sum(delta) FROM miles_transactions WHERE member_id = m.id) FROM members m WHERE id = ?", acct.MemberID)); got != "5000/5000" {
		t.Errorf("miles/ledger = %s, want 5000/5000", got)
	}
	if n := sandbox.AsInt(scalar(t, open, "SELECT count(*) FROM users WHERE password_hash LIKE '%correct%'")); n != 0 {
		t.Error("the password is stored in the clear")
	}
	for _, name := range []string{"grace", "GRACE", "ｇｒａｃｅ", "alice"} {
		if _, err := a.SignUp(ctx, open, name, "another good passphrase"); !errors.Is(err, ErrTaken) {
			t.Errorf("signing up %q again = %v, want ErrTaken", name, err)
		}
	}
	_, err = a.SignUp(ctx, open, "a", "short")
	var fe *FieldErrors
	if !errors.As(err, &fe) || len(fe.Fields) != 2 || fe.Fields[0].Field != "username" || fe.Fields[1].Field != "password" {
		t.Errorf("a bad username and password = %v, want both fields named", err)
	}
	if n := sandbox.AsInt(scalar(t, open, "SELECT count(*) FROM users")); n != 7 {
		t.Errorf("users = %d, want the 6 seeded and grace", n)
	}
}

func TestLogIn(t *testing.T) {
	a, open, _ := newTestApp(t, Options{})
	ctx := context.Background()
	if _, err := a.SignUp(ctx, open, "grace", "correct horse battery staple"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, user, pw string
		want           string // username logged in, or "" for refused
		err            error
		fields         []string
	}{
		{name: "new account", user: "grace", pw: "correct horse battery staple", want: "grace"},
		{name: "folded username", user: "GRACE", pw: "correct horse battery staple", want: "grace"},
		{name: "seeded account", user: "alice", pw: "alice-demo", want: "alice"},
		{name: "wrong password", user: "alice", pw: "alice-dem0", err: ErrBadCredentials},
		{name: "unknown username", user: "nobody", pw: "correct horse battery staple", err: ErrBadCredentials},
		{name: "invalid username", user: "' OR 1=1 --", pw: "x", err: ErrBadCredentials},
		{name: "empty both", fields: []string{"username", "password"}},
		{name: "huge password", user: "alice", pw: strings.Repeat("p", 300), fields: []string{"password"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := a.LogIn(ctx, open, "v-"+tt.name, tt.user, tt.pw)
			var fe *FieldErrors
			switch {
			case tt.fields != nil:
				if !errors.As(err, &fe) || len(fe.Fields) != len(tt.fields) {
					t.Fatalf("err = %v, want fields %v", err, tt.fields)
				}
				for i, f := range fe.Fields {
					if f.Field != tt.fields[i] {
						t.Errorf("field %d = %s, want %s", i, f.Field, tt.fields[i])
					}
				}
			case tt.err != nil:
				if !errors.Is(err, tt.err) || got.Failures != 1 {
					t.Errorf("LogIn = %+v, %v; want %v after one failure", got, err, tt.err)
				}
			default:
				if err != nil || got.Account.Username != tt.want {
					t.Errorf("LogIn = %+v, %v; want %s", got, err, tt.want)
				}
			}
		})
	}
}

func TestLogInLocks(t *testing.T) {
	clk := newClock()
	a, open, _ := newTestApp(t, Options{Now: clk.Now})
	ctx := context.Background()
	for i := range 5 {
		got, err := a.LogIn(ctx, open, "v", "bob", "guess-guess")
		if !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("guess %d: %v", i+1, err)
		}
		if i == 4 && got.LockedFor != 30e9 {
			t.Errorf("the fifth guess locked bob for %s, want 30s", got.LockedFor)
		}
	}
	var le *LimitError
	if _, err := a.LogIn(ctx, open, "v", "bob", "bob-demo"); !errors.As(err, &le) || le.RetryAfter != 30e9 {
		t.Errorf("the right password while locked = %v, want a 30 s lock", err)
	}
	clk.add(30e9)
	if got, err := a.LogIn(ctx, open, "v", "bob", "bob-demo"); err != nil || got.Account.Username != "bob" {
		t.Errorf("after the lock = %+v, %v", got, err)
	}
}

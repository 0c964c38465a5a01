package auth

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/engineroom/engineroom/playground/sandbox"
)

// WelcomeMiles are the miles a new member starts with, so the booking
// story has something to spend.
const WelcomeMiles = 5000

// SignedUp is a new account and what making it cost.
type SignedUp struct {
	Account Account `json:"account"`
	// Hashing is how long argon2id took, queue included.
	Hashing time.Duration `json:"hashing_ns"`
}

// SignUp checks the username and password, hashes the password with
// argon2id (outside the sandbox, so the hash does not hold a database
// slot) and stores the account and its loyalty member in one
// transaction. Problems with the input come back as *FieldErrors, a
// username in use as ErrTaken.
func (a *App) SignUp(ctx context.Context, open Opener, username, password string) (SignedUp, error) {
	ctx, span := a.step(ctx, "sign up")
	defer span.End()
	var out SignedUp
	name, pw, err := checkSignUp(username, password)
	if err != nil {
		return out, fail(span, err)
	}
	span.SetAttributes(attribute.String("enduser.id", name))
	hash, took, err := a.hash(ctx, pw)
	if err != nil {
		return out, fail(span, err)
	}
	out.Hashing = took
	today := a.now().UTC().Format("2006-01-02")
	err = open(ctx, func(ctx context.Context, db *sandbox.DB) error {
		return sandbox.Immediate(ctx, db, func() error {
			res, err := db.Query(ctx, "SELECT 1 FROM users WHERE username = ?", name)
			if err != nil {
				return err
			}
			if len(res.Values) > 0 {
				return ErrTaken
			}
			if _, err := db.Exec(ctx, "INSERT INTO members (name, email, tier, miles, joined_on) VALUES (?, ?, 'blue', ?, ?)",
				name, name+"@members.example", WelcomeMiles, today); err != nil {
				return err
			}
			member, err := db.Query(ctx, "SELECT last_insert_rowid()")
			if err != nil {
				return err
			}
			memberID := sandbox.AsInt(member.Values[0][0])
			if _, err := db.Exec(ctx, "INSERT INTO miles_transactions (member_id, delta, reason, at) VALUES (?, ?, 'welcome bonus', ?)",
				memberID, WelcomeMiles, today); err != nil {
				return err
			}
			if _, err := db.Exec(ctx, "INSERT INTO users (username, password_hash, role, member_id) VALUES (?, ?, 'member', ?)",
				name, hash, memberID); err != nil {
				return err
			}
			user, err := db.Query(ctx, "SELECT last_insert_rowid()")
			if err != nil {
				return err
			}
			out.Account = Account{ID: sandbox.AsInt(user.Values[0][0]), Username: name, Role: "member", MemberID: memberID, Hash: hash}
			return nil
		})
	})
	if err != nil {
		var se *sandbox.StmtError
		if errors.As(err, &se) && se.Name == "SQLITE_CONSTRAINT_UNIQUE" {
			err = ErrTaken // a unique index the check above did not see
		}
		return out, fail(span, err)
	}
	return out, nil
}

// checkSignUp applies the rules to both fields and reports every problem
// at once.
func checkSignUp(username, password string) (string, string, error) {
	fe := &FieldErrors{}
	name, msg := NormalizeUsername(username)
	if msg != "" {
		fe.add("username", msg)
	}
	pw, msg := NormalizePassword(password, name)
	if msg != "" {
		fe.add("password", msg)
	}
	return name, pw, fe.orNil()
}

// hash runs argon2id as a span of its own, with its parameters.
func (a *App) hash(ctx context.Context, pw string) (string, time.Duration, error) {
	p := a.hasher.Params()
	ctx, span := a.step(ctx, "hash the password (argon2id)",
		attribute.Int("auth.argon2.memory_kib", int(p.MemoryKiB)),
		attribute.Int("auth.argon2.iterations", int(p.Iterations)),
		attribute.Int("auth.argon2.parallelism", int(p.Parallelism)))
	defer span.End()
	start := time.Now()
	h, err := a.hasher.Hash(ctx, pw)
	if err != nil {
		return "", 0, fail(span, err)
	}
	return h, time.Since(start), nil
}

// LoggedIn is the outcome of a login: the account, and the failures that
// count towards a lock.
type LoggedIn struct {
	Account Account `json:"account"`
	// Checking is how long checking the password took.
	Checking time.Duration `json:"checking_ns"`
	// Failures is how many wrong passwords the account has had lately
	// (after this attempt); LockedFor is how long it is locked.
	Failures  int           `json:"failures"`
	LockedFor time.Duration `json:"locked_for_ns,omitempty"`
}

// LogIn checks username and password against the users table of the
// visitor's sandbox. It refuses at once with *LimitError when the account
// is locked or the visitor is trying too many logins, and answers
// ErrBadCredentials — the same for an unknown username as for a wrong
// password, after the same work — when they do not match.
func (a *App) LogIn(ctx context.Context, open Opener, visitor, username, password string) (LoggedIn, error) {
	ctx, span := a.step(ctx, "log in")
	defer span.End()
	var out LoggedIn
	fe := &FieldErrors{}
	if username == "" {
		fe.add("username", "Enter your username.")
	}
	switch {
	case password == "":
		fe.add("password", "Enter your password.")
	case len(password) > passwordMaxBytes:
		// Refused before any hashing: nobody's password is this long.
		fe.add("password", "At most 128 characters.")
	}
	if err := fe.orNil(); err != nil {
		return out, fail(span, err)
	}
	name, msg := NormalizeUsername(username)
	if msg != "" {
		name = username // no such account can exist; the check still runs
	}
	span.SetAttributes(attribute.String("enduser.id", name))
	if err := a.checkLimits(ctx, visitor, name); err != nil {
		return out, fail(span, err)
	}
	var (
		acct  Account
		found bool
	)
	err := open(ctx, func(ctx context.Context, db *sandbox.DB) error {
		res, err := db.Query(ctx, "SELECT id, username, password_hash, role, member_id FROM users WHERE username = ?", name)
		if err != nil || len(res.Values) == 0 {
			return err
		}
		v := res.Values[0]
		acct, found = Account{ID: sandbox.AsInt(v[0]), Username: sandbox.AsString(v[1]), Hash: sandbox.AsString(v[2]), Role: sandbox.AsString(v[3]), MemberID: sandbox.AsInt(v[4])}, true
		return nil
	})
	if err != nil {
		return out, fail(span, err)
	}
	ok, took, err := a.verify(ctx, password, acct.Hash, found)
	out.Checking = took
	if err != nil {
		return out, fail(span, err)
	}
	if !ok {
		lock := a.throttle.Failed(visitor, name)
		out.Failures, _ = a.throttle.Failures(visitor, name)
		out.LockedFor = lock
		span.SetAttributes(attribute.Int("auth.failures", out.Failures))
		return out, fail(span, ErrBadCredentials)
	}
	a.throttle.Succeeded(visitor, name)
	out.Account = acct
	return out, nil
}

// checkLimits is the throttle's verdict as a span of its own.
func (a *App) checkLimits(ctx context.Context, visitor, name string) error {
	_, span := a.step(ctx, "check login limits")
	defer span.End()
	n, _ := a.throttle.Failures(visitor, name)
	span.SetAttributes(attribute.Int("auth.failures", n), attribute.Int("auth.free_failures", a.throttle.Limits().FreeFailures))
	if err := a.throttle.Attempt(visitor, name); err != nil {
		var le *LimitError
		if errors.As(err, &le) {
			span.SetAttributes(attribute.Float64("http.response.header.retry-after", le.RetryAfter.Seconds()))
		}
		return fail(span, err)
	}
	return nil
}

// verify checks the password as a span of its own. With no account it
// checks against a hash of nothing, so an unknown username takes as long
// as a wrong password and the timing gives no account away.
func (a *App) verify(ctx context.Context, password, stored string, found bool) (bool, time.Duration, error) {
	algo := "argon2id"
	if found && IsLegacyHash(stored) {
		algo = "sha-256, unsalted (a seeded account)"
	}
	ctx, span := a.step(ctx, "check the password ("+algo+")", attribute.Bool("auth.account_found", found))
	defer span.End()
	if !found {
		stored = a.decoy()
	}
	start := time.Now()
	ok, err := a.hasher.Verify(ctx, normalizeLogin(password), stored)
	if err != nil {
		return false, 0, fail(span, err)
	}
	return ok && found, time.Since(start), nil
}

// normalizeLogin puts a typed password in the form it was hashed in.
func normalizeLogin(pw string) string {
	if n, msg := NormalizePassword(pw, ""); msg == "" {
		return n
	}
	return pw // short or common: hashed as typed, and it will not match
}

// decoy returns an argon2id hash nobody knows the password of, made once.
func (a *App) decoy() string {
	a.decoyOnce.Do(func() {
		a.decoyHash = a.hasher.hashNow("no account has this password: " + time.Now().String())
	})
	return a.decoyHash
}

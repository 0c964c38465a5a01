// Package auth is the airline app's accounts: signing up and logging in
// with argon2id password hashes, the limits that stop password guessing,
// and server-side sessions stored in the visitor's own sandbox. It knows
// nothing of HTTP: the web layer reads cookies and writes them.
package auth

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/alexedwards/scs/v2"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/engineroom/engineroom/playground/sandbox"
)

// Errors a caller turns into an answer. Field problems come back as
// *FieldErrors, limits as *LimitError.
var (
	// ErrTaken means the username belongs to another account.
	ErrTaken = errors.New("auth: that username is taken")
	// ErrBadCredentials means no account has that username and password.
	// It does not say which of the two was wrong.
	ErrBadCredentials = errors.New("auth: wrong username or password")
)

// Options configure an App. The zero value is ready for production.
type Options struct {
	// Tracer records each step; nil records nothing.
	Tracer trace.Tracer
	// Hashing is how many password hashes may run at once (argon2id takes
	// 19 MiB each). Default: the number of CPUs.
	Hashing int
	// HashQueue is how many hashes may wait for a turn before the next is
	// refused as busy. Default 64.
	HashQueue int
	// Params are the argon2id parameters. Default: OWASP's
	// recommendation (m=19 MiB, t=2, p=1).
	Params Params
	// Limits are the login limits. Default DefaultLimits.
	Limits Limits
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// App signs visitors' accounts up and in.
type App struct {
	tracer   trace.Tracer
	hasher   *Hasher
	throttle *Throttle
	sessions *scs.SessionManager
	now      func() time.Time

	decoyOnce sync.Once
	decoyHash string
}

// New returns an App with opts' settings.
func New(opts Options) *App {
	if opts.Tracer == nil {
		opts.Tracer = noop.NewTracerProvider().Tracer("")
	}
	if opts.Hashing <= 0 {
		opts.Hashing = runtime.NumCPU()
	}
	if opts.HashQueue <= 0 {
		opts.HashQueue = 64
	}
	if opts.Params == (Params{}) {
		opts.Params = OWASPParams
	}
	if opts.Limits == (Limits{}) {
		opts.Limits = DefaultLimits
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &App{
		tracer:   opts.Tracer,
		hasher:   NewHasher(opts.Params, opts.Hashing, opts.HashQueue),
		throttle: NewThrottle(opts.Limits, opts.Now),
		sessions: newSessionManager(opts.Now),
		now:      opts.Now,
	}
}

// Hasher returns the App's password hasher.
func (a *App) Hasher() *Hasher { return a.hasher }

// Throttle returns the App's login limits.
func (a *App) Throttle() *Throttle { return a.throttle }

func (a *App) step(ctx context.Context, name string, kv ...attribute.KeyValue) (context.Context, trace.Span) {
	return a.tracer.Start(ctx, name, trace.WithAttributes(kv...))
}

// fail marks span failed with err, unless err is the visitor's doing
// (a refusal is an answer, not a fault), and returns err.
func fail(span trace.Span, err error) error {
	span.RecordError(err)
	var fe *FieldErrors
	var le *LimitError
	if !errors.As(err, &fe) && !errors.As(err, &le) && !errors.Is(err, ErrTaken) && !errors.Is(err, ErrBadCredentials) {
		span.SetStatus(codes.Error, err.Error())
	}
	return err
}

// FieldError is one input refused, named as the form names it.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// FieldErrors are every problem found in one submission.
type FieldErrors struct{ Fields []FieldError }

func (e *FieldErrors) Error() string {
	if len(e.Fields) == 1 {
		return fmt.Sprintf("auth: %s: %s", e.Fields[0].Field, e.Fields[0].Message)
	}
	return fmt.Sprintf("auth: %d fields are not right (%s: %s, …)", len(e.Fields), e.Fields[0].Field, e.Fields[0].Message)
}

func (e *FieldErrors) add(field, msg string) { e.Fields = append(e.Fields, FieldError{field, msg}) }

func (e *FieldErrors) orNil() error {
	if e == nil || len(e.Fields) == 0 {
		return nil
	}
	return e
}

// LimitError is a request refused by a limit, with when to try again.
type LimitError struct {
	// Reason says which limit, for the visitor.
	Reason string
	// RetryAfter is how long until an attempt can succeed.
	RetryAfter time.Duration
	// Busy is set when the server, not the visitor, is the limit: too
	// many password hashes are waiting already.
	Busy bool
}

func (e *LimitError) Error() string { return "auth: " + e.Reason }

// Account is a user of the airline app.
type Account struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
	Role     string `json:"role"`
	// MemberID is the loyalty member behind the account; 0 for staff.
	MemberID int64 `json:"member_id,omitempty"`
	// Hash is the stored password hash, as in the users table.
	Hash string `json:"password_hash"`
}

// Opener opens the visitor's sandbox for one step; see sandbox.Opener.
type Opener = sandbox.Opener

// querier is the part of a sandbox connection the package needs.
type querier interface {
	Query(ctx context.Context, query string, args ...any) (*sandbox.QueryResult, error)
	Exec(ctx context.Context, query string, args ...any) (int64, error)
}

var _ querier = (*sandbox.DB)(nil)

package sandbox

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// StmtError is why a statement failed: SQLite's extended result code, its
// name (such as "SQLITE_CONSTRAINT_UNIQUE") and a message meant for the
// visitor. Refusals by the sandbox's guards carry an explanation instead
// of SQLite's terse "not authorized".
type StmtError struct {
	Code    int
	Name    string
	Message string
}

// Error returns the name and the message.
func (e *StmtError) Error() string {
	return e.Name + ": " + e.Message
}

// stmtError explains err, returned by a statement run under ctx, whose
// deadline is the time limit of a submission made under parent.
func stmtError(parent, ctx context.Context, err error, deny *denial, timeout time.Duration) *StmtError {
	code := sqlite3.SQLITE_ERROR
	msg := err.Error()
	var se *sqlite.Error
	if errors.As(err, &se) {
		code = se.Code()
		msg = sqliteMessage(se)
	}
	switch {
	case parent.Err() != nil:
		code = sqlite3.SQLITE_INTERRUPT
		msg = "query cancelled"
	case errors.Is(context.Cause(ctx), ErrCrowded):
		code = sqlite3.SQLITE_INTERRUPT
		msg = "query stopped: other visitors' queries were waiting and the lane for long ones was full — run it again in a moment"
	case ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded):
		code = sqlite3.SQLITE_INTERRUPT
		msg = fmt.Sprintf("query stopped after %s (time limit)", timeout)
	case code&0xff == sqlite3.SQLITE_AUTH || strings.Contains(msg, "not authorized"):
		code = sqlite3.SQLITE_AUTH
		msg = "not allowed in the sandbox"
		if reason := deny.last(); reason != "" {
			msg = reason
		}
	case code&0xff == sqlite3.SQLITE_FULL:
		msg = "database is full (16 MiB sandbox limit) — reset it"
	case code&0xff == sqlite3.SQLITE_NOMEM || code == sqlite3.SQLITE_IOERR_NOMEM:
		msg = "query used too much memory"
	case code&0xff == sqlite3.SQLITE_TOOBIG:
		msg = "string or blob too big (the sandbox allows 1,000,000 bytes per value)"
	}
	return &StmtError{Code: code, Name: codeName(code), Message: msg}
}

// refusedError is the error of a statement the sandbox refuses outright.
func refusedError(reason string) *StmtError {
	return &StmtError{Code: sqlite3.SQLITE_AUTH, Name: "SQLITE_AUTH", Message: reason}
}

// refusedKeyword refuses, by their first keyword, the statements that could
// reach outside the sandbox; the authorizer refuses them as well.
func refusedKeyword(kw string) string {
	switch kw {
	case "VACUUM", "ATTACH", "DETACH":
		return kw + " is not allowed in the sandbox"
	}
	return ""
}

// sqliteMessage strips the driver's decoration ("<errstr>: <errmsg> (<code>)")
// down to SQLite's own message.
func sqliteMessage(se *sqlite.Error) string {
	msg := se.Error()
	msg = strings.TrimSuffix(msg, " (SQLITE_BUSY)")
	msg = strings.TrimSuffix(msg, fmt.Sprintf(" (%d)", se.Code()))
	if _, rest, ok := strings.Cut(msg, ": "); ok {
		msg = rest
	}
	return msg
}

// codeName returns the SQLITE_* name of a (possibly extended) result code.
func codeName(code int) string {
	switch code {
	case sqlite3.SQLITE_CONSTRAINT_CHECK:
		return "SQLITE_CONSTRAINT_CHECK"
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return "SQLITE_CONSTRAINT_FOREIGNKEY"
	case sqlite3.SQLITE_CONSTRAINT_NOTNULL:
		return "SQLITE_CONSTRAINT_NOTNULL"
	case sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return "SQLITE_CONSTRAINT_PRIMARYKEY"
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE:
		return "SQLITE_CONSTRAINT_UNIQUE"
	case sqlite3.SQLITE_CONSTRAINT_TRIGGER:
		return "SQLITE_CONSTRAINT_TRIGGER"
	case sqlite3.SQLITE_CONSTRAINT_ROWID:
		return "SQLITE_CONSTRAINT_ROWID"
	case sqlite3.SQLITE_CONSTRAINT_DATATYPE:
		return "SQLITE_CONSTRAINT_DATATYPE"
	case sqlite3.SQLITE_ERROR_MISSING_COLLSEQ:
		return "SQLITE_ERROR_MISSING_COLLSEQ"
	case sqlite3.SQLITE_IOERR_NOMEM:
		return "SQLITE_IOERR_NOMEM"
	case sqlite3.SQLITE_BUSY_SNAPSHOT:
		return "SQLITE_BUSY_SNAPSHOT"
	case sqlite3.SQLITE_READONLY_DBMOVED:
		return "SQLITE_READONLY_DBMOVED"
	}
	names := [...]string{
		"SQLITE_OK", "SQLITE_ERROR", "SQLITE_INTERNAL", "SQLITE_PERM", "SQLITE_ABORT",
		"SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_NOMEM", "SQLITE_READONLY", "SQLITE_INTERRUPT",
		"SQLITE_IOERR", "SQLITE_CORRUPT", "SQLITE_NOTFOUND", "SQLITE_FULL", "SQLITE_CANTOPEN",
		"SQLITE_PROTOCOL", "SQLITE_EMPTY", "SQLITE_SCHEMA", "SQLITE_TOOBIG", "SQLITE_CONSTRAINT",
		"SQLITE_MISMATCH", "SQLITE_MISUSE", "SQLITE_NOLFS", "SQLITE_AUTH", "SQLITE_FORMAT",
		"SQLITE_RANGE", "SQLITE_NOTADB", "SQLITE_NOTICE", "SQLITE_WARNING",
	}
	if p := code & 0xff; p < len(names) {
		return names[p]
	}
	return fmt.Sprintf("SQLITE_%d", code)
}

// LimitError is a refusal that passes if the caller waits: it wraps
// ErrRateLimited, ErrTooFast or ErrSaturated (errors.Is finds them) and
// says how long to wait before trying again.
type LimitError struct {
	Err        error
	RetryAfter time.Duration
}

func (e *LimitError) Error() string { return e.Err.Error() }

// Unwrap returns the sentinel error.
func (e *LimitError) Unwrap() error { return e.Err }

// RetryAfter is how long err asks the caller to wait before trying again,
// or 0 if it is not a LimitError.
func RetryAfter(err error) time.Duration {
	var le *LimitError
	if errors.As(err, &le) {
		return le.RetryAfter
	}
	return 0
}

package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"
)

// Idempotency-Key (draft-ietf-httpapi-idempotency-key-header): a client
// that may send a POST twice (a timeout, a retry) names the attempt with
// a key of its choosing. The first request with a key runs; a later one
// with the same key and the same body gets the first one's answer again,
// marked Idempotent-Replayed: true, and does not run. Keys belong to one
// visitor.

// idempotencyHeader names the request header; replayedHeader marks an
// answer given again.
const (
	idempotencyHeader = "Idempotency-Key"
	replayedHeader    = "Idempotent-Replayed"
	maxKeyLength      = 255
)

// idempotencyKeys is the middleware of the POSTs that create things: a
// request with an Idempotency-Key runs once per key and body. It keeps
// what the operation decided (a 2xx, or a refusal by the business rules),
// not what stopped it from running (bad input, limits, server trouble),
// so the client can fix the body or retry with the same key.
func (s *Server) idempotencyKeys(store *idempotencyStore) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			values := req.Header.Values(idempotencyHeader)
			if len(values) == 0 {
				return next(c)
			}
			if msg := checkIdempotencyKey(values); msg != "" {
				return newProblem(problemInvalidParams, http.StatusBadRequest, "The Idempotency-Key header is not valid.",
					fieldError{Field: idempotencyHeader, Message: msg})
			}
			body, err := io.ReadAll(req.Body)
			if err != nil {
				return readBodyError(err)
			}
			req.Body = io.NopCloser(bytes.NewReader(body))
			a, found := store.begin(visitorID(c), values[0], fingerprint(req.Method, req.URL.Path, body))
			switch found {
			case keyReplay:
				c.Response().Header().Set(replayedHeader, "true")
				return a.replay(c)
			case keyMismatch:
				return newProblem(problemKeyReused, http.StatusUnprocessableEntity,
					"This Idempotency-Key was used for another request (another endpoint or body): use a new key for a new request.",
					fieldError{Field: idempotencyHeader, Message: "was used for another request"})
			case keyRunning:
				c.Response().Header().Set("Retry-After", "1")
				return newProblem(problemKeyInUse, http.StatusConflict,
					"The first request with this Idempotency-Key is still running: try again in a moment to get its answer.")
			}
			return s.runOnce(c, next, store, a)
		}
	}
}

// runOnce runs the first request with a key and keeps its answer when it
// is one to replay; otherwise (or if the handler panics) it frees the key.
func (s *Server) runOnce(c echo.Context, next echo.HandlerFunc, store *idempotencyStore, a *keptAnswer) error {
	res := c.Response()
	rec := &answerRecorder{ResponseWriter: res.Writer, max: store.limits.maxBody}
	res.Writer = rec
	kept := false
	defer func() {
		res.Writer = rec.ResponseWriter
		if !kept {
			store.abandon(a)
		}
	}()
	err := next(c)
	var p *problem
	switch {
	case err == nil && res.Status >= 200 && res.Status < 300 && !rec.over:
		a.status, a.body = res.Status, bytes.Clone(rec.buf.Bytes())
		a.contentType, a.location = res.Header().Get(echo.HeaderContentType), res.Header().Get(echo.HeaderLocation)
	case errors.As(err, &p) && p.replay:
		a.refusal = p
	default:
		return err
	}
	store.finish(a)
	kept = true
	return err
}

// checkIdempotencyKey says what is wrong with the header's values, if
// anything: one value of 1 to 255 visible ASCII characters.
func checkIdempotencyKey(values []string) string {
	if len(values) > 1 {
		return fmt.Sprintf("is given %d times; give it once", len(values))
	}
	v := values[0]
	if v == "" || len(v) > maxKeyLength {
		return fmt.Sprintf("must be 1 to %d characters long, not %d", maxKeyLength, len(v))
	}
	for i := 0; i < len(v); i++ {
		if v[i] < 0x21 || v[i] > 0x7e {
			return "must be visible ASCII characters only, such as a UUID"
		}
	}
	return ""
}

// fingerprint identifies a request: its method, path and body, the body
// without insignificant white space.
func fingerprint(method, path string, body []byte) [sha256.Size]byte {
	var compact bytes.Buffer
	if json.Compact(&compact, body) == nil {
		body = compact.Bytes()
	}
	h := sha256.New()
	h.Write([]byte(method + " " + path + "\n"))
	h.Write(body)
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

// replay answers again what the first request with the key answered.
func (a *keptAnswer) replay(c echo.Context) error {
	if a.refusal != nil {
		return a.refusal
	}
	h := c.Response().Header()
	if a.location != "" {
		h.Set(echo.HeaderLocation, a.location)
	}
	h.Set(echo.HeaderContentLength, fmt.Sprint(len(a.body)))
	return c.Blob(a.status, a.contentType, a.body)
}

// answerRecorder keeps a copy of the body a handler writes, up to max
// bytes.
type answerRecorder struct {
	http.ResponseWriter
	buf  bytes.Buffer
	max  int
	over bool
}

func (r *answerRecorder) Write(b []byte) (int, error) {
	if !r.over {
		if r.buf.Len()+len(b) > r.max {
			r.over = true
			r.buf = bytes.Buffer{}
		} else {
			r.buf.Write(b)
		}
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (r *answerRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

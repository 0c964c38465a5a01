package upstream

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"
)

// maxBody is the largest request body the gateway reads.
const maxBody = 64 << 10

// APIError is the body of every error response: {"error": {...}}.
type APIError struct {
	// Code is a stable machine-readable reason, e.g. "card_declined".
	Code string `json:"code"`
	// Message is for people.
	Message string `json:"message"`
	// Field names the offending request field, when there is one.
	Field string `json:"field,omitempty"`
}

// response is a response recorded before it is written, so it can be
// kept for idempotent replays and garbled by the malformed fault.
type response struct {
	status     int
	body       []byte
	retryAfter string
}

func jsonResponse(status int, v any) response {
	b, err := json.Marshal(v)
	if err != nil {
		return errorResponse(http.StatusInternalServerError, "internal_error", "encoding the response failed", "")
	}
	return response{status: status, body: b}
}

func errorResponse(status int, code, msg, field string) response {
	b, _ := json.Marshal(struct {
		Error APIError `json:"error"`
	}{APIError{Code: code, Message: msg, Field: field}})
	return response{status: status, body: b}
}

func (r response) write(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	if r.retryAfter != "" {
		w.Header().Set("Retry-After", r.retryAfter)
	}
	w.WriteHeader(r.status)
	_, _ = w.Write(r.body)
}

// handler serves one API call for an account, whose lock it holds.
type handler func(r *http.Request, a *account, body []byte) response

// api wraps a payments endpoint: authentication, the account's faults,
// idempotency for POSTs, and the malformed fault on the way out.
func (g *Gateway) api(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, body, fail := g.begin(w, r)
		if fail != nil {
			fail.write(w)
			return
		}
		plan := a.plan()
		if !g.sleep(r.Context(), plan.delay) {
			return
		}
		if plan.hang {
			g.hang(r)
			errorResponse(http.StatusGatewayTimeout, "timeout", "the gateway gave up on this request", "").write(w)
			return
		}
		if plan.fail {
			errorResponse(http.StatusInternalServerError, "internal_error", "injected fault: error_rate", "").write(w)
			return
		}
		resp, replayed := g.serve(r, a, body, h)
		if replayed {
			w.Header().Set("Idempotent-Replayed", "true")
		}
		if plan.malformed {
			resp = response{status: http.StatusOK, body: resp.body[:len(resp.body)/2]}
		}
		resp.write(w)
	}
}

// control wraps the fault switches: authenticated, but never subject to
// the faults themselves (else an account could not switch them off).
func (g *Gateway) control(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, body, fail := g.begin(w, r)
		if fail != nil {
			fail.write(w)
			return
		}
		a.mu.Lock()
		resp := h(r, a, body)
		a.mu.Unlock()
		resp.write(w)
	}
}

// begin authenticates the request and reads its body.
func (g *Gateway) begin(w http.ResponseWriter, r *http.Request) (*account, []byte, *response) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || !validToken(token) {
		e := errorResponse(http.StatusUnauthorized, "unauthorized",
			"send Authorization: Bearer <key>, a key of 1 to 64 letters, digits, _ or -", "Authorization")
		return nil, nil, &e
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		e := errorResponse(http.StatusBadRequest, "invalid_body", "reading the body failed", "")
		if errors.As(err, &tooBig) {
			e = errorResponse(http.StatusRequestEntityTooLarge, "body_too_large", "the body is larger than 64 KiB", "")
		}
		return nil, nil, &e
	}
	return g.account(token), body, nil
}

// serve runs h under the account's lock, answering a POST with a known
// Idempotency-Key from the record instead.
func (g *Gateway) serve(r *http.Request, a *account, body []byte, h handler) (resp response, replayed bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	key := r.Header.Get("Idempotency-Key")
	if r.Method != http.MethodPost || key == "" {
		return h(r, a, body), false
	}
	if len(key) > 255 {
		return errorResponse(http.StatusBadRequest, "invalid_idempotency_key",
			"Idempotency-Key is longer than 255 characters", "Idempotency-Key"), false
	}
	now := g.opts.Now()
	fp := fingerprint(r, body)
	if e := a.idem.get(key, now, g.opts.IdempotencyTTL); e != nil {
		if e.fingerprint != fp {
			return errorResponse(http.StatusUnprocessableEntity, "idempotency_key_reused",
				"this Idempotency-Key was used with a different request", "Idempotency-Key"), false
		}
		return e.resp, true
	}
	resp = h(r, a, body)
	if keep(resp.status) {
		a.idem.put(&idemEntry{key: key, fingerprint: fp, created: now, resp: resp},
			now, g.opts.IdempotencyTTL, g.opts.MaxIdempotencyKeys)
	}
	return resp, false
}

// hang holds a request until the client gives up, the gateway closes or
// MaxHang passes.
func (g *Gateway) hang(r *http.Request) {
	g.sleep(r.Context(), g.opts.MaxHang)
}

// decode decodes a JSON body strictly: unknown fields, trailing data and
// wrong types are refused naming the field. An empty body is allowed
// when allowEmpty (v keeps its zero value).
func decode(body []byte, v any, allowEmpty bool) *response {
	if allowEmpty && len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("trailing data after the JSON object")
	}
	if err == nil {
		return nil
	}
	var typeErr *json.UnmarshalTypeError
	var e response
	switch {
	case errors.As(err, &typeErr):
		e = errorResponse(http.StatusBadRequest, "invalid_type",
			typeErr.Field+" must be a JSON "+typeErr.Type.Kind().String(), typeErr.Field)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		e = errorResponse(http.StatusBadRequest, "unknown_field", "unknown field "+field, field)
	default:
		e = errorResponse(http.StatusBadRequest, "invalid_json", "the body is not a valid JSON object: "+err.Error(), "")
	}
	return &e
}

// randomID is prefix_ and 16 hex digits from r.
func randomID(prefix string, r *rand.Rand) string {
	const hexDigits = "0123456789abcdef"
	b := []byte(prefix + "_0000000000000000")
	n := r.Uint64()
	for i := len(b) - 1; i > len(prefix); i-- {
		b[i] = hexDigits[n&15]
		n >>= 4
	}
	return string(b)
}

// unix is t in whole seconds.
func unix(t time.Time) int64 { return t.Unix() }

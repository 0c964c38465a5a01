package upstream

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"
)

// maxBody is the largest request body a service reads.
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

// notFound answers a request for an id the account does not have.
func notFound(what string) response {
	return errorResponse(http.StatusNotFound, "not_found", "no such "+what, "id")
}

func (r response) write(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	if r.retryAfter != "" {
		w.Header().Set("Retry-After", r.retryAfter)
	}
	w.WriteHeader(r.status)
	_, _ = w.Write(r.body)
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

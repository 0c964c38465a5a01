package web_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// apiProblem is an error answer under /api/: problem details (RFC 9457).
type apiProblem struct {
	Type     string          `json:"type"`
	Title    string          `json:"title"`
	Status   int             `json:"status"`
	Detail   string          `json:"detail"`
	Instance string          `json:"instance"`
	Errors   []apiFieldError `json:"errors"`
}

// apiFieldError is one input an error names.
type apiFieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// fields are the names of the inputs a problem names, in order.
func (p apiProblem) fields() []string {
	out := make([]string, len(p.Errors))
	for i, e := range p.Errors {
		out[i] = e.Field
	}
	return out
}

// decodeProblem checks an error answer is application/problem+json with
// the whole shape, its status field the response's, and decodes it.
func decodeProblem(t *testing.T, r reply) apiProblem {
	t.Helper()
	if mt, _ := mediaType(t, r); mt != "application/problem+json" {
		t.Fatalf("Content-Type = %q, want application/problem+json; body:\n%.1000s", r.Header.Get("Content-Type"), r.text)
	}
	dec := json.NewDecoder(strings.NewReader(r.text))
	dec.DisallowUnknownFields()
	var p apiProblem
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("decoding %s: %v", r.text, err)
	}
	if p.Type == "" || p.Title == "" || p.Status != r.StatusCode || p.Detail == "" {
		t.Errorf("problem = %+v, want a type, a title, a detail and status %d", p, r.StatusCode)
	}
	if p.Instance != "" && !strings.HasPrefix(p.Instance, "/api/v1/traces/") {
		t.Errorf("instance = %q, want the trace's address", p.Instance)
	}
	for _, e := range p.Errors {
		if e.Message == "" {
			t.Errorf("field error %+v has no message", e)
		}
	}
	return p
}

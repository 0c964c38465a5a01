package upstream

import (
	"errors"
	"io"
	"net/http"
	"strings"
)

// handler serves one API call for an account, whose lock it holds.
type handler[S any] func(r *http.Request, a *account[S], body []byte) response

// api wraps an API endpoint: authentication, the account's faults,
// idempotency for POSTs, and the malformed fault on the way out.
func (s *service[S]) api(h handler[S]) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, body, fail := s.begin(w, r)
		if fail != nil {
			fail.write(w)
			return
		}
		plan := a.plan()
		if plan.hang {
			s.sleep(r.Context(), s.cfg.maxHang)
			errorResponse(http.StatusGatewayTimeout, "timeout", "the "+s.name+" gave up on this request", "").write(w)
			return
		}
		if plan.fail {
			errorResponse(http.StatusInternalServerError, "internal_error", "injected fault: error_rate", "").write(w)
			return
		}
		resp, replayed := s.serve(r, a, body, h)
		// Latency delays the answer, not the work: like a real service
		// that is slow to respond, it may have done what was asked by
		// the time a client gives up waiting.
		if !s.sleep(r.Context(), plan.delay) {
			return
		}
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
func (s *service[S]) control(h handler[S]) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, body, fail := s.begin(w, r)
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
func (s *service[S]) begin(w http.ResponseWriter, r *http.Request) (*account[S], []byte, *response) {
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
	return s.account(token), body, nil
}

// serve runs h under the account's lock, answering a POST with a known
// Idempotency-Key from the record instead.
func (s *service[S]) serve(r *http.Request, a *account[S], body []byte, h handler[S]) (resp response, replayed bool) {
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
	now := s.now()
	fp := fingerprint(r, body)
	if e := a.idem.get(key, now, s.cfg.idempotencyTTL); e != nil {
		if e.fingerprint != fp {
			return errorResponse(http.StatusUnprocessableEntity, "idempotency_key_reused",
				"this Idempotency-Key was used with a different request", "Idempotency-Key"), false
		}
		return e.resp, true
	}
	resp = h(r, a, body)
	if keep(resp.status) {
		a.idem.put(&idemEntry{key: key, fingerprint: fp, created: now, resp: resp},
			now, s.cfg.idempotencyTTL, s.cfg.maxIdemKeys)
	}
	return resp, false
}

package integrations

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// lossyLink is a loopback hop in front of the gateway that loses one
// answer, as when a connection drops after the request went out: the
// first request with the given method and path suffix reaches the
// gateway, which does the work, but the answer is held back until the
// caller gives up. The gateway's side of every request is carried on
// without the caller's cancellation, so it always finishes. Every
// exchange is recorded.
type lossyLink struct {
	target         string
	method, suffix string
	transport      *http.Transport

	mu   sync.Mutex
	lost bool
	log  []exchange
}

// exchange is one request through the link and the gateway's answer.
type exchange struct {
	method, path, key string
	status            int
	replayed          bool
	id                string // the "id" in the answer
	lost              bool
}

// newLossyLink starts a link to target, closed when the test ends.
func newLossyLink(t *testing.T, target, method, suffix string) (*lossyLink, string) {
	t.Helper()
	l := &lossyLink{target: target, method: method, suffix: suffix, transport: &http.Transport{}}
	srv := httptest.NewServer(l)
	t.Cleanup(l.transport.CloseIdleConnections)
	t.Cleanup(srv.Close)
	return l, srv.URL
}

func (l *lossyLink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	req, err := http.NewRequestWithContext(context.WithoutCancel(r.Context()), r.Method, l.target+r.URL.RequestURI(),
		bytes.NewReader(body))
	if err != nil {
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	req.Header = r.Header.Clone()
	resp, err := l.transport.RoundTrip(req)
	if err != nil {
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	answer, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	var v struct{ ID string }
	_ = json.Unmarshal(answer, &v)

	l.mu.Lock()
	lose := !l.lost && r.Method == l.method && strings.HasSuffix(r.URL.Path, l.suffix)
	l.lost = l.lost || lose
	l.log = append(l.log, exchange{method: r.Method, path: r.URL.Path, key: r.Header.Get("Idempotency-Key"),
		status: resp.StatusCode, replayed: resp.Header.Get("Idempotent-Replayed") == "true", id: v.ID, lost: lose})
	l.mu.Unlock()
	if lose {
		<-r.Context().Done()
		return
	}
	maps.Copy(w.Header(), resp.Header)
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(answer)
}

// exchanges returns the requests that matched method and path suffix.
func (l *lossyLink) exchanges(method, suffix string) []exchange {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []exchange
	for _, e := range l.log {
		if e.method == method && strings.HasSuffix(e.path, suffix) {
			out = append(out, e)
		}
	}
	return out
}

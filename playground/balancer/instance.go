package balancer

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"time"
)

// instance is one app server: a real HTTP server on a loopback port that
// answers with its name and behaves as the asking visitor made it.
type instance struct {
	lab      *Lab
	name     string
	idx      int
	addr     string
	srv      *http.Server
	sessions *sessionStore // sessions kept in this instance's memory
}

func startInstance(l *Lab, name string, idx int) (*instance, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("balancer: listening for %s: %w", name, err)
	}
	in := &instance{lab: l, name: name, idx: idx, addr: ln.Addr().String(), sessions: newSessionStore(maxSessions)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", in.healthz)
	mux.HandleFunc("GET /work", in.work)
	mux.HandleFunc("GET /echo", in.echo)
	mux.HandleFunc("POST /cart", in.cart)
	in.srv = &http.Server{Handler: in.faulty(mux), ReadHeaderTimeout: 2 * time.Second}
	go func() { _ = in.srv.Serve(ln) }()
	return in, nil
}

func (in *instance) close() error { return in.srv.Close() }

// faulty plays the state the asking visitor put the instance in before
// the real handler runs.
func (in *instance) faulty(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Instance", in.name)
		switch in.lab.visitors.peek(r.Header.Get(headerVisitor)).state(in.idx) {
		case Crashed:
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					conn.Close()
					return
				}
			}
			panic(http.ErrAbortHandler)
		case Down:
			http.Error(w, in.name+" is down", http.StatusServiceUnavailable)
			return
		case Slow:
			if r.URL.Path != "/healthz" && !sleep(r.Context(), in.lab.opts.SlowLatency) {
				return
			}
		}
		if !sleep(r.Context(), in.lab.opts.BaseLatency) {
			return
		}
		next.ServeHTTP(w, r)
	})
}

// sleep waits d or until ctx ends, and reports whether it waited d.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func (in *instance) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, map[string]string{"instance": in.name, "status": "ok"})
}

func (in *instance) work(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, map[string]string{"instance": in.name})
}

// Seen is what an instance saw of a request that reached it through the
// proxy.
type Seen struct {
	Instance        string `json:"instance"`
	RemoteAddr      string `json:"remote_addr"`
	Host            string `json:"host"`
	XForwardedFor   string `json:"x_forwarded_for"`
	XForwardedHost  string `json:"x_forwarded_host"`
	XForwardedProto string `json:"x_forwarded_proto"`
	Forwarded       string `json:"forwarded"`
}

func (in *instance) echo(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, Seen{Instance: in.name, RemoteAddr: r.RemoteAddr, Host: r.Host,
		XForwardedFor: r.Header.Get("X-Forwarded-For"), XForwardedHost: r.Header.Get("X-Forwarded-Host"),
		XForwardedProto: r.Header.Get("X-Forwarded-Proto"), Forwarded: r.Header.Get("Forwarded")})
}

// Cart is an instance's answer to adding an item to the session's cart.
type Cart struct {
	Instance string `json:"instance"`
	Items    int    `json:"items"`
	// NewSession is true when the instance knew no session by the
	// request's cookie and started one.
	NewSession bool `json:"new_session"`
}

// cart adds an item to the cart of the session the sid cookie names, in
// the instance's memory or the shared store, as the visitor chose.
func (in *instance) cart(w http.ResponseWriter, r *http.Request) {
	v := in.lab.visitors.get(r.Header.Get(headerVisitor))
	v.mu.Lock()
	store := in.sessions
	if v.shared {
		store = in.lab.sessions
	}
	v.mu.Unlock()
	sid := ""
	if c, err := r.Cookie(sessionCookie); err == nil {
		sid = c.Value
	}
	key := v.id + "/" + sid
	n, known := store.add(key)
	if sid == "" || !known {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		sid = hex.EncodeToString(b)
		store.set(v.id+"/"+sid, 1)
		http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: sid, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
		n = 1
	}
	writeJSON(w, Cart{Instance: in.name, Items: n, NewSession: !known})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

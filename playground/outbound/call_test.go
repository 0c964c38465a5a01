package outbound

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
)

func TestInvalidCalls(t *testing.T) {
	srv, s := serve(t, step{status: 200})
	c := newTestClient(t, Options{})
	tests := []struct {
		name string
		call Call
		want string
	}{
		{"no service", Call{URL: srv.URL}, "outbound: preparing a call: Service is empty"},
		{"relative URL", Call{Service: "s", URL: "/v1/payments"}, `outbound: preparing a call to s: "/v1/payments" is not an absolute http(s) URL`},
		{"other scheme", Call{Service: "s", URL: "ftp://example.com/x"}, "is not an absolute http(s) URL"},
		{"unparsable URL", Call{Service: "s", URL: "http://[::1"}, "outbound: preparing a call to s: parse"},
		{"bad method", Call{Service: "s", Method: "GE T", URL: srv.URL}, `outbound: preparing a call to s: net/http: invalid method "GE T"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reply, err := c.Do(context.Background(), tt.call)
			var e *Error
			if err == nil || reply != nil || errors.As(err, &e) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Do = %v, %v; want %q", reply, err, tt.want)
			}
		})
	}
	if len(s.requests()) != 0 || len(c.spans()) != 0 {
		t.Errorf("invalid calls sent %d requests, %d spans", len(s.requests()), len(c.spans()))
	}
}

func TestMethodIsNormalised(t *testing.T) {
	srv, s := serve(t, step{status: 503}, step{status: 200})
	c := newTestClient(t, Options{})
	reply, err := c.Do(context.Background(), Call{Service: "s", Method: "delete", URL: srv.URL})
	if err != nil || reply.Attempts != 2 || s.requests()[0].method != "DELETE" {
		t.Errorf("Do = %+v, %v", reply, err)
	}
}

func TestHeaderIdempotencyKeyMakesPOSTSafe(t *testing.T) {
	srv, s := serve(t, step{status: 500}, step{status: 200})
	c := newTestClient(t, Options{})
	reply, err := c.Do(context.Background(), Call{Service: "s", Method: "POST", URL: srv.URL,
		Header: http.Header{"Idempotency-Key": {"from-header"}}})
	if err != nil || reply.Attempts != 2 || s.requests()[1].header.Get("Idempotency-Key") != "from-header" {
		t.Errorf("Do = %+v, %v", reply, err)
	}
}

func TestReplyLimits(t *testing.T) {
	srv, _ := serve(t, step{status: 200, body: strings.Repeat("x", 2000)})
	c := newTestClient(t, Options{MaxReplyBytes: 1000, Policy: once})
	_, err := c.Do(context.Background(), Call{Service: "s", Key: "k", URL: srv.URL})
	e := asError(t, err)
	if e.Kind != KindMalformed || e.Status != 200 || len(e.Reply.Body) != 1000 ||
		!strings.Contains(e.Error(), "the reply is larger than 1000 bytes") {
		t.Errorf("error = %+v", e)
	}
	if st := c.State("s", "k"); st.Failures != 1 {
		t.Errorf("breaker = %+v, want the oversized reply counted", st)
	}
}

func TestReplyCutShort(t *testing.T) {
	// A server that promises 100 bytes and hangs up after 10.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			buf := make([]byte, 4096)
			_, _ = conn.Read(buf)
			_, _ = conn.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789"))
			conn.Close()
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	c := newTestClient(t, Options{})
	_, err = c.Do(context.Background(), Call{Service: "s", URL: "http://" + ln.Addr().String()})
	e := asError(t, err)
	if e.Kind != KindUnavailable || e.Attempts != 3 || e.Status != 200 || e.Reply == nil ||
		!strings.Contains(e.Error(), "reading the reply: unexpected EOF") {
		t.Errorf("error = %+v (%v)", e, err)
	}
}

func TestIntoLeavesNoContentAlone(t *testing.T) {
	srv, _ := serve(t, step{status: 204})
	c := newTestClient(t, Options{})
	v := map[string]any{"kept": true}
	reply, err := c.Do(context.Background(), Call{Service: "s", Method: "DELETE", URL: srv.URL, Into: &v})
	if err != nil || reply.Status != 204 || v["kept"] != true {
		t.Errorf("Do = %+v, %v; v = %v", reply, err, v)
	}
}

package realtime

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	ertrace "github.com/engineroom/engineroom/playground/trace"
)

// Transport is one way of carrying the feed to a client.
type Transport string

// The four transports.
const (
	Polling     Transport = "polling"
	LongPolling Transport = "long-polling"
	SSE         Transport = "sse"
	WebSocket   Transport = "websocket"
)

// Transports lists them in the order the lesson compares them.
func Transports() []Transport { return []Transport{Polling, LongPolling, SSE, WebSocket} }

// AttrTransport is the span attribute naming the transport of a request,
// a stream or a message.
const AttrTransport = attribute.Key("engineroom.realtime.transport")

// AttrSeq is the span attribute of one message on a stream: the version
// it carried.
const AttrSeq = attribute.Key("engineroom.realtime.seq")

// Watch says how a client follows a run.
type Watch struct {
	Transport Transport
	// Every is the time between two polls (polling only). Default 250ms.
	Every time.Duration
	// LastEventID resumes a stream after that version (SSE and WebSocket);
	// "" starts from the version the server has now.
	LastEventID string
}

// Update is one change as a client saw it.
type Update struct {
	Change
	// Request is the request that brought it (1 for a stream).
	Request int `json:"request"`
	// PublishedAt and SeenAt are offsets from the run's start.
	PublishedAt time.Duration `json:"published_at"`
	SeenAt      time.Duration `json:"seen_at"`
	Delay       time.Duration `json:"delay"`
	// Skipped counts the changes published since the previous update
	// that this client never saw (polling only).
	Skipped int `json:"skipped,omitempty"`
}

// Report is what a client did and saw while following a run.
type Report struct {
	Transport Transport `json:"transport"`
	// Requests counts the HTTP requests sent (a WebSocket's upgrade is one).
	Requests int `json:"requests"`
	// Empty counts the responses that carried nothing new.
	Empty int `json:"empty"`
	// Messages counts the changes received.
	Messages int `json:"messages"`
	// Missed counts the changes published that the client never saw.
	Missed int `json:"missed"`
	// Connections counts the TCP connections opened.
	Connections int `json:"connections"`
	// BytesSent and BytesReceived are bytes on the wire, headers included.
	BytesSent     int64         `json:"bytes_sent"`
	BytesReceived int64         `json:"bytes_received"`
	AvgDelay      time.Duration `json:"avg_delay"`
	MaxDelay      time.Duration `json:"max_delay"`
	Elapsed       time.Duration `json:"elapsed"`
	Updates       []Update      `json:"updates"`
	// Closed is how a stream ended ("" for polls).
	Closed string `json:"closed,omitempty"`
	Err    string `json:"error,omitempty"`
}

// wire counts the bytes and connections of one client.
type wire struct {
	sent, recv, conns atomic.Int64
}

type countingConn struct {
	net.Conn
	w *wire
}

func (c countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.w.recv.Add(int64(n))
	return n, err
}

func (c countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.w.sent.Add(int64(n))
	return n, err
}

// client is one watcher: its own connections, counted.
type client struct {
	lab  *Lab
	run  *Run
	w    Watch
	wire wire
	http *http.Client
	rep  Report
	seen int // the version the client has
}

// Follow follows the run with one client over the chosen transport until
// the last change arrives, the feed ends or ctx is done.
func (r *Run) Follow(ctx context.Context, w Watch) Report {
	if w.Every <= 0 {
		w.Every = 250 * time.Millisecond
	}
	c := &client{lab: r.lab, run: r, w: w, rep: Report{Transport: w.Transport}}
	dialer := &net.Dialer{Timeout: time.Second}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := dialer.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			c.wire.conns.Add(1)
			return countingConn{conn, &c.wire}, nil
		},
		MaxIdleConnsPerHost: 1,
		DisableCompression:  true,
	}
	defer tr.CloseIdleConnections()
	c.http = &http.Client{Transport: tr}
	start := time.Now()
	switch w.Transport {
	case Polling:
		c.poll(ctx)
	case LongPolling:
		c.longPoll(ctx)
	case SSE:
		c.events(ctx)
	case WebSocket:
		c.webSocket(ctx)
	default:
		c.rep.Err = fmt.Sprintf("realtime: unknown transport %q", w.Transport)
	}
	c.finish(time.Since(start))
	return c.rep
}

// finish fills in the totals.
func (c *client) finish(elapsed time.Duration) {
	r := &c.rep
	r.Elapsed = elapsed
	r.BytesSent, r.BytesReceived = c.wire.sent.Load(), c.wire.recv.Load()
	r.Connections = int(c.wire.conns.Load())
	published := len(c.run.feed.publishedSoFar())
	r.Missed = max(published-c.seenCount(), 0)
	var sum time.Duration
	for _, u := range r.Updates {
		sum += u.Delay
		r.MaxDelay = max(r.MaxDelay, u.Delay)
	}
	if len(r.Updates) > 0 {
		r.AvgDelay = sum / time.Duration(len(r.Updates))
	}
}

// seenCount is how many changes the client saw.
func (c *client) seenCount() int { return len(c.rep.Updates) }

// saw records a change the client received now.
func (c *client) saw(ch Change, request int) Update {
	now := c.lab.opts.Now()
	u := Update{Change: ch, Request: request, PublishedAt: ch.Published.Sub(c.run.Start),
		SeenAt: now.Sub(c.run.Start), Delay: max(now.Sub(ch.Published), 0), Skipped: max(ch.Seq-c.seen-1, 0)}
	c.seen = ch.Seq
	c.rep.Updates = append(c.rep.Updates, u)
	c.rep.Messages++
	return u
}

// startSpan starts a client span for one request over the transport.
func (c *client) startSpan(ctx context.Context, name, url string) (context.Context, trace.Span) {
	return c.lab.opts.Tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
		attribute.String("http.request.method", http.MethodGet),
		attribute.String("url.full", url),
		AttrTransport.String(string(c.w.Transport))))
}

// message records one message of a stream as a child span that lasts
// from the change's publication to its arrival.
func (c *client) message(ctx context.Context, u Update, what string) {
	_, span := c.lab.opts.Tracer.Start(ctx, fmt.Sprintf("%s %d: %s", what, u.Seq, u.Note),
		trace.WithTimestamp(u.Published), trace.WithAttributes(
			ertrace.KindKey.String(ertrace.KindHTTP),
			AttrTransport.String(string(c.w.Transport)),
			AttrSeq.Int(u.Seq),
			attribute.Int64("engineroom.realtime.delay_us", u.Delay.Microseconds())))
	span.End(trace.WithTimestamp(u.Published.Add(u.Delay)))
}

// fail marks the span and the report with err.
func (c *client) fail(span trace.Span, err error) {
	msg := err.Error()
	span.SetStatus(codes.Error, msg)
	if c.rep.Err == "" {
		c.rep.Err = msg
	}
}

// sleep waits d, or less if ctx ends; it reports whether the client
// should go on.
func (c *client) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

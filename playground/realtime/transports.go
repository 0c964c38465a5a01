package realtime

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/coder/websocket"
	"go.opentelemetry.io/otel/attribute"
)

// get sends one GET as a span named name and returns the response; the
// caller closes its body.
func (c *client) get(ctx context.Context, url string, h http.Header) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	for k, vs := range h {
		req.Header[k] = vs
	}
	c.rep.Requests++
	return c.http.Do(req)
}

func (c *client) url(path string) string {
	return c.lab.url + path + "?run=" + c.run.ID
}

// poll asks GET /status every Every until it sees the last change.
func (c *client) poll(ctx context.Context) {
	url := c.url("/status")
	for n := 1; c.sleep(ctx, c.w.Every); n++ {
		sctx, span := c.startSpan(ctx, fmt.Sprintf("GET /status (poll %d)", n), url)
		var b Board
		err := c.getJSON(sctx, url, &b)
		if err != nil {
			c.fail(span, err)
			span.End()
			return
		}
		news := b.Version > c.seen
		span.SetAttributes(attribute.Int("http.response.status_code", http.StatusOK),
			attribute.Int("engineroom.realtime.version", b.Version), attribute.Bool("engineroom.realtime.news", news))
		span.End()
		if !news {
			c.rep.Empty++
			continue
		}
		c.saw(b.Change, c.rep.Requests)
		if b.Final {
			return
		}
	}
}

// getJSON sends one GET and decodes a 200 answer into v.
func (c *client) getJSON(ctx context.Context, url string, v any) error {
	res, err := c.get(ctx, url, nil)
	if err != nil {
		return fmt.Errorf("realtime: GET %s: %w", url, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("realtime: GET %s: %s", url, res.Status)
	}
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		return fmt.Errorf("realtime: reading %s: %w", url, err)
	}
	return nil
}

// longPoll asks GET /status?after=N again as soon as each answer comes.
func (c *client) longPoll(ctx context.Context) {
	for ctx.Err() == nil {
		url := c.url("/status") + "&after=" + strconv.Itoa(c.seen)
		sctx, span := c.startSpan(ctx, fmt.Sprintf("GET /status?after=%d (long poll)", c.seen), url)
		res, err := c.get(sctx, url, nil)
		if err != nil {
			c.fail(span, fmt.Errorf("realtime: long poll: %w", err))
			span.End()
			return
		}
		span.SetAttributes(attribute.Int("http.response.status_code", res.StatusCode))
		var b Batch
		switch {
		case res.StatusCode == http.StatusNoContent:
			c.rep.Empty++
		case res.StatusCode != http.StatusOK:
			err = fmt.Errorf("realtime: long poll: %s", res.Status)
		default:
			err = json.NewDecoder(res.Body).Decode(&b)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		span.SetAttributes(attribute.Int("engineroom.realtime.changes", len(b.Changes)))
		if err != nil {
			c.fail(span, err)
			span.End()
			return
		}
		span.End()
		for _, ch := range b.Changes {
			c.saw(ch, c.rep.Requests)
			if ch.Final {
				return
			}
		}
	}
}

// events reads GET /events as Server-Sent Events until the server ends
// the stream.
func (c *client) events(ctx context.Context) {
	url := c.url("/events")
	sctx, span := c.startSpan(ctx, "GET /events (event stream)", url)
	defer span.End()
	h := http.Header{"Accept": {"text/event-stream"}}
	if c.w.LastEventID != "" {
		h.Set("Last-Event-ID", c.w.LastEventID)
		if n, err := strconv.Atoi(c.w.LastEventID); err == nil {
			c.seen = n
		}
	}
	res, err := c.get(sctx, url, h)
	if err != nil {
		c.fail(span, fmt.Errorf("realtime: event stream: %w", err))
		return
	}
	defer res.Body.Close()
	span.SetAttributes(attribute.Int("http.response.status_code", res.StatusCode),
		attribute.String("http.response.header.content-type", res.Header.Get("Content-Type")))
	if res.StatusCode != http.StatusOK {
		c.fail(span, fmt.Errorf("realtime: event stream: %s", res.Status))
		return
	}
	sc := bufio.NewScanner(res.Body)
	var id, data string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "id:"):
			id = strings.TrimSpace(strings.TrimPrefix(line, "id:"))
		case strings.HasPrefix(line, "data:"):
			data += strings.TrimSpace(strings.TrimPrefix(line, "data:"))
		case line == "" && data != "":
			var ch Change
			if err := json.Unmarshal([]byte(data), &ch); err != nil {
				c.fail(span, fmt.Errorf("realtime: reading event %s: %w", id, err))
				return
			}
			c.message(sctx, c.saw(ch, 1), "event")
			data = ""
		}
	}
	c.rep.Closed = "the server ended the response"
	if err := sc.Err(); err != nil && ctx.Err() == nil {
		c.fail(span, fmt.Errorf("realtime: reading the event stream: %w", err))
	}
	span.SetAttributes(attribute.String("engineroom.realtime.last_event_id", id))
}

// webSocket opens GET /ws and reads messages until the server closes it.
func (c *client) webSocket(ctx context.Context) {
	url := "ws" + strings.TrimPrefix(c.url("/ws"), "http")
	if c.w.LastEventID != "" {
		url += "&after=" + c.w.LastEventID
		if n, err := strconv.Atoi(c.w.LastEventID); err == nil {
			c.seen = n
		}
	}
	sctx, span := c.startSpan(ctx, "GET /ws (WebSocket)", url)
	defer span.End()
	c.rep.Requests++
	conn, res, err := websocket.Dial(sctx, url, &websocket.DialOptions{HTTPClient: c.http})
	if err != nil {
		c.fail(span, fmt.Errorf("realtime: opening the WebSocket: %w", err))
		return
	}
	defer conn.CloseNow()
	span.SetAttributes(attribute.Int("http.response.status_code", res.StatusCode))
	for {
		_, b, err := conn.Read(sctx)
		if err != nil {
			var ce websocket.CloseError
			if errors.As(err, &ce) {
				c.rep.Closed = fmt.Sprintf("%d %s: %s", int(ce.Code), closeName(ce.Code), ce.Reason)
				span.SetAttributes(attribute.Int("engineroom.realtime.close_code", int(ce.Code)))
				if ce.Code != websocket.StatusNormalClosure {
					c.fail(span, fmt.Errorf("realtime: the WebSocket closed: %w", err))
				}
				return
			}
			c.fail(span, fmt.Errorf("realtime: reading the WebSocket: %w", err))
			return
		}
		var ch Change
		if err := json.Unmarshal(b, &ch); err != nil {
			c.fail(span, fmt.Errorf("realtime: reading a message: %w", err))
			return
		}
		c.message(sctx, c.saw(ch, 1), "message")
	}
}

// closeName is the name RFC 6455 gives a close code.
func closeName(code websocket.StatusCode) string {
	switch code {
	case websocket.StatusNormalClosure:
		return "normal closure"
	case websocket.StatusGoingAway:
		return "going away"
	default:
		return "closed"
	}
}

package realtime

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/coder/websocket"
)

// Board is the answer to GET /status: the board as it stands.
type Board struct {
	Run     string `json:"run"`
	Flight  string `json:"flight"`
	Version int    `json:"version"`
	Change
}

// Batch is the answer to a long poll: every change after the version the
// client named.
type Batch struct {
	Version int      `json:"version"`
	Changes []Change `json:"changes"`
}

// streamWait bounds one wait of a stream for the next change; the feed
// ends long before.
const streamWait = time.Minute

func (l *Lab) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /status", l.serveStatus)
	mux.HandleFunc("GET /events", l.serveEvents)
	mux.HandleFunc("GET /ws", l.serveWebSocket)
	return mux
}

// runFeed finds the feed the request names, or answers 404.
func (l *Lab) runFeed(w http.ResponseWriter, r *http.Request) (*feed, bool) {
	f, ok := l.feedOf(r.URL.Query().Get("run"))
	if !ok {
		http.Error(w, "realtime: no such run (it may have ended)", http.StatusNotFound)
	}
	return f, ok
}

// serveStatus answers a poll at once, or, with ?after=N, holds it until
// a version newer than N or the long-poll timeout.
func (l *Lab) serveStatus(w http.ResponseWriter, r *http.Request) {
	f, ok := l.runFeed(w, r)
	if !ok {
		return
	}
	after := r.URL.Query().Get("after")
	if after == "" {
		c := f.current()
		writeJSON(w, Board{Run: f.id, Flight: Flight, Version: c.Seq, Change: c})
		return
	}
	n, err := strconv.Atoi(after)
	if err != nil || n < 0 {
		http.Error(w, "realtime: after must be a version number", http.StatusBadRequest)
		return
	}
	cs := f.wait(r.Context(), n, l.opts.LongPollTimeout)
	if len(cs) == 0 {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	writeJSON(w, Batch{Version: cs[len(cs)-1].Seq, Changes: cs})
}

func writeJSON(w http.ResponseWriter, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(b)
}

// from is where a stream starts: after the version the client says it
// has (Last-Event-ID, or ?after=), or after the current one.
func from(r *http.Request, f *feed) int {
	for _, v := range []string{r.Header.Get("Last-Event-ID"), r.URL.Query().Get("after")} {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 {
			return n
		}
	}
	return f.current().Seq
}

// serveEvents streams changes as Server-Sent Events until the last one.
func (l *Lab) serveEvents(w http.ResponseWriter, r *http.Request) {
	f, ok := l.runFeed(w, r)
	if !ok {
		return
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "realtime: streaming unsupported", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // tell a proxy such as nginx not to buffer
	w.WriteHeader(http.StatusOK)
	_, _ = fmt.Fprint(w, "retry: 1000\n\n")
	flusher.Flush()
	after := from(r, f)
	for {
		cs := f.wait(r.Context(), after, streamWait)
		if len(cs) == 0 {
			return // the feed ended or the client left
		}
		for _, c := range cs {
			b, _ := json.Marshal(c)
			if _, err := fmt.Fprintf(w, "id: %d\nevent: status\ndata: %s\n\n", c.Seq, b); err != nil {
				return
			}
			after = c.Seq
			if c.Final {
				flusher.Flush()
				return
			}
		}
		flusher.Flush()
	}
}

// serveWebSocket upgrades the connection and writes each change as a
// text message, then closes it normally after the last one.
func (l *Lab) serveWebSocket(w http.ResponseWriter, r *http.Request) {
	f, ok := l.runFeed(w, r)
	if !ok {
		return
	}
	after := from(r, f)
	conn, err := websocket.Accept(w, r, nil)
	if err != nil {
		return // Accept has answered the client
	}
	defer conn.CloseNow()
	ctx := conn.CloseRead(r.Context())
	for {
		cs := f.wait(ctx, after, streamWait)
		if len(cs) == 0 {
			if ctx.Err() == nil {
				_ = conn.Close(websocket.StatusGoingAway, "the feed ended")
			}
			return
		}
		for _, c := range cs {
			b, _ := json.Marshal(c)
			if err := conn.Write(ctx, websocket.MessageText, b); err != nil {
				return
			}
			after = c.Seq
			if c.Final {
				_ = conn.Close(websocket.StatusNormalClosure, "flight departed")
				return
			}
		}
	}
}

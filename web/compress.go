package web

import (
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"
)

// compress gzips answers of at least minLength bytes for clients that
// accept gzip. Shorter answers go out as they are, and so do answers with
// no body (a 304, a redirect).
//
// A compressor carries about a megabyte of state, so it is taken from the
// pool only when an answer's body reaches minLength, and given back as
// soon as the handler returns. A request that waits its turn for a query
// slot holds none: with a class of 300 acting every second, hundreds of
// requests wait at once, and a compressor taken when each one arrived
// (as Echo's Gzip middleware does) made the Go heap several hundred
// megabytes larger.
func compress(level, minLength int, skip func(echo.Context) bool) echo.MiddlewareFunc {
	pool := &sync.Pool{New: func() any {
		w, _ := gzip.NewWriterLevel(io.Discard, level) // the level is a constant the caller chose
		return w
	}}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if skip(c) {
				return next(c)
			}
			res := c.Response()
			res.Header().Add(echo.HeaderVary, echo.HeaderAcceptEncoding)
			if !strings.Contains(c.Request().Header.Get(echo.HeaderAcceptEncoding), "gzip") {
				return next(c)
			}
			w := &gzipWriter{ResponseWriter: res.Writer, pool: pool, minLength: minLength}
			res.Writer = w
			err := next(c)
			w.finish()
			// An error is answered by Echo's error handler after this returns,
			// straight to the client.
			res.Writer = w.ResponseWriter
			return err
		}
	}
}

// gzipWriter holds an answer's first bytes until they reach minLength,
// then compresses the rest of it.
type gzipWriter struct {
	http.ResponseWriter
	pool      *sync.Pool
	minLength int

	code int          // from WriteHeader, sent once compressing is decided
	held []byte       // the body so far, while shorter than minLength
	gz   *gzip.Writer // set once the body reached minLength
	done bool         // the header went out
}

func (w *gzipWriter) WriteHeader(code int) {
	w.code = code
}

func (w *gzipWriter) Write(b []byte) (int, error) {
	if w.gz != nil {
		return w.gz.Write(b)
	}
	if w.done { // finish sent the answer as it was
		return w.ResponseWriter.Write(b)
	}
	h := w.Header()
	if h.Get(echo.HeaderContentType) == "" { // only before the first write
		h.Set(echo.HeaderContentType, http.DetectContentType(b))
	}
	if len(w.held)+len(b) < w.minLength {
		w.held = append(w.held, b...)
		return len(b), nil
	}
	h.Del(echo.HeaderContentLength)
	h.Set(echo.HeaderContentEncoding, "gzip")
	w.sendHeader()
	w.gz = w.pool.Get().(*gzip.Writer)
	w.gz.Reset(w.ResponseWriter)
	if _, err := w.gz.Write(w.held); err != nil {
		return 0, err
	}
	w.held = nil
	return w.gz.Write(b)
}

// Flush sends what is held or compressed so far.
func (w *gzipWriter) Flush() {
	if w.gz != nil {
		_ = w.gz.Flush()
	} else {
		w.finish()
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *gzipWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *gzipWriter) sendHeader() {
	if w.code != 0 {
		w.ResponseWriter.WriteHeader(w.code)
	}
	w.done = true
}

// finish ends the answer: the compressed stream is closed and its
// compressor goes back to the pool, or what was held is sent uncompressed.
func (w *gzipWriter) finish() {
	if w.gz != nil {
		_ = w.gz.Close()
		w.gz.Reset(io.Discard)
		w.pool.Put(w.gz)
		w.gz = nil
		return
	}
	if w.done {
		return
	}
	if w.code != 0 || len(w.held) > 0 {
		w.sendHeader()
	}
	if len(w.held) > 0 {
		_, _ = w.ResponseWriter.Write(w.held)
		w.held = nil
	}
}

// Package ops is what the operations lessons read about the running
// server itself: its recent log records, its request counters, the Go
// runtime's numbers, the facts a container changes about a process, and
// settings made safe to show. Nothing here serves HTTP.
package ops

import (
	"bytes"
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
)

// Ring keeps the last records a logger handled, in memory, so a page can
// show a server's own logs. Records at or above its level are kept even
// when the wrapped handler's level drops them; lower ones only when the
// wrapped handler writes them. It is safe for concurrent use.
type Ring struct {
	min slog.Level

	mu      sync.Mutex
	entries []Entry // in arrival order until full, then circular
	next    int     // where the next entry goes once full
	seq     uint64
}

// NewRing returns a ring of the last size records (at least 1) at or
// above min.
func NewRing(size int, min slog.Level) *Ring {
	return &Ring{min: min, entries: make([]Entry, 0, max(size, 1))}
}

// Entry is one record as the ring kept it.
type Entry struct {
	// Seq numbers the records the ring has kept since it was made, from 1.
	Seq    uint64
	Record slog.Record
	// Written says whether the wrapped handler wrote the record too; a
	// record below its level is kept here only.
	Written bool
	// steps are the WithGroup and WithAttrs calls of the logger that
	// wrote it, in order.
	steps []step
}

// step is one WithGroup (group set) or WithAttrs call.
type step struct {
	group string
	attrs []slog.Attr
}

// Handler returns a handler that passes records on to next and keeps
// them in the ring.
func (r *Ring) Handler(next slog.Handler) slog.Handler {
	return &ringHandler{ring: r, next: next}
}

// Cap is how many records the ring keeps.
func (r *Ring) Cap() int { return cap(r.entries) }

// Level is the least level kept whatever the wrapped handler's level.
func (r *Ring) Level() slog.Level { return r.min }

// Len is how many records the ring holds now.
func (r *Ring) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.entries)
}

// Last returns up to n of the newest records at or above level, oldest
// first.
func (r *Ring) Last(n int, level slog.Level) []Entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Entry
	for i := range len(r.entries) {
		if len(out) == n {
			break
		}
		// Newest first: the one before next, walking back.
		e := r.entries[(r.next-1-i+2*len(r.entries))%len(r.entries)]
		if e.Record.Level >= level {
			out = append(out, e)
		}
	}
	slices.Reverse(out)
	return out
}

func (r *Ring) add(rec slog.Record, steps []step, written bool) {
	e := Entry{Record: rec.Clone(), Written: written, steps: steps}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seq++
	e.Seq = r.seq
	if len(r.entries) < cap(r.entries) {
		r.entries = append(r.entries, e)
		r.next = len(r.entries) % cap(r.entries)
		return
	}
	r.entries[r.next] = e
	r.next = (r.next + 1) % len(r.entries)
}

// ringHandler is the handler Ring.Handler returns.
type ringHandler struct {
	ring  *Ring
	next  slog.Handler
	steps []step
}

func (h *ringHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.ring.min || h.next.Enabled(ctx, l)
}

func (h *ringHandler) Handle(ctx context.Context, rec slog.Record) error {
	written := h.next.Enabled(ctx, rec.Level)
	if written || rec.Level >= h.ring.min {
		h.ring.add(rec, h.steps, written)
	}
	if !written {
		return nil
	}
	return h.next.Handle(ctx, rec)
}

func (h *ringHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	return &ringHandler{ring: h.ring, next: h.next.WithAttrs(attrs), steps: append(slices.Clip(h.steps), step{attrs: slices.Clone(attrs)})}
}

func (h *ringHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return &ringHandler{ring: h.ring, next: h.next.WithGroup(name), steps: append(slices.Clip(h.steps), step{group: name})}
}

// Text is the record as slog's TextHandler writes it, without the
// newline: the form LOG_FORMAT=text gives.
func (e Entry) Text() string {
	var b bytes.Buffer
	e.format(slog.NewTextHandler(&b, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return strings.TrimSuffix(b.String(), "\n")
}

// JSON is the record as slog's JSONHandler writes it, without the
// newline: the form LOG_FORMAT=json gives.
func (e Entry) JSON() string {
	var b bytes.Buffer
	e.format(slog.NewJSONHandler(&b, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return strings.TrimSuffix(b.String(), "\n")
}

func (e Entry) format(h slog.Handler) {
	for _, s := range e.steps {
		if s.group != "" {
			h = h.WithGroup(s.group)
		} else {
			h = h.WithAttrs(s.attrs)
		}
	}
	// Writing to a buffer does not fail.
	_ = h.Handle(context.Background(), e.Record)
}

// Field is one attribute of a record, its key qualified by its groups
// ("db.rows").
type Field struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Fields lists the record's attributes, the logger's own first, groups
// flattened into dotted keys.
func (e Entry) Fields() []Field {
	var out []Field
	prefix := ""
	for _, s := range e.steps {
		if s.group != "" {
			prefix += s.group + "."
			continue
		}
		for _, a := range s.attrs {
			out = appendField(out, prefix, a)
		}
	}
	e.Record.Attrs(func(a slog.Attr) bool {
		out = appendField(out, prefix, a)
		return true
	})
	return out
}

// Field returns the value of the attribute key (dotted for groups), or
// "" when the record has none.
func (e Entry) Field(key string) string {
	for _, f := range e.Fields() {
		if f.Key == key {
			return f.Value
		}
	}
	return ""
}

func appendField(out []Field, prefix string, a slog.Attr) []Field {
	v := a.Value.Resolve()
	if v.Kind() == slog.KindGroup {
		p := prefix
		if a.Key != "" {
			p += a.Key + "."
		}
		for _, g := range v.Group() {
			out = appendField(out, p, g)
		}
		return out
	}
	if a.Key == "" {
		return out
	}
	return append(out, Field{Key: prefix + a.Key, Value: v.String()})
}

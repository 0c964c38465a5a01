package trace

import (
	"container/list"
	"context"
	"sync"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Span is one finished (or still open) span as the back end pane shows it.
type Span struct {
	SpanID    string
	ParentID  string
	Name      string
	Kind      string
	Start     time.Time
	End       time.Time // zero while the span is still open
	Attrs     []Attr
	Error     bool
	StatusMsg string
}

// Attr is a span attribute rendered as text.
type Attr struct {
	Key   string
	Value string
}

// Duration is the span's length; an open span is measured up to now.
func (s Span) Duration(now time.Time) time.Duration {
	if s.End.IsZero() {
		return now.Sub(s.Start)
	}
	return s.End.Sub(s.Start)
}

// Trace is a snapshot of every span recorded for one trace id.
type Trace struct {
	ID    string
	Spans []Span
	// Dropped counts spans that did not fit the per-trace cap.
	Dropped int
}

// StoreOptions bounds a Store.
type StoreOptions struct {
	MaxTraces        int // most traces kept (default 2,000)
	MaxBytes         int // approximate bytes kept across all traces (default 16 MiB)
	MaxSpansPerTrace int // spans kept per trace (default 256)
}

// Store is a span processor that keeps recent traces in memory, bounded by
// count and size with least-recently-used eviction. It is safe for
// concurrent use.
type Store struct {
	opts StoreOptions

	mu      sync.Mutex
	bytes   int
	lru     *list.List // of *entry, most recent at the front
	entries map[trace.TraceID]*entry
}

type entry struct {
	id      trace.TraceID
	ended   []ended
	open    map[trace.SpanID]sdktrace.ReadWriteSpan
	bytes   int
	dropped int
	elem    *list.Element
}

// NewStore returns an empty Store; zero options take their defaults.
func NewStore(opts StoreOptions) *Store {
	if opts.MaxTraces <= 0 {
		opts.MaxTraces = 2000
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = 16 << 20
	}
	if opts.MaxSpansPerTrace <= 0 {
		opts.MaxSpansPerTrace = 256
	}
	return &Store{opts: opts, lru: list.New(), entries: make(map[trace.TraceID]*entry)}
}

var _ sdktrace.SpanProcessor = (*Store)(nil)

// OnStart remembers an open span so a snapshot taken before it ends can
// still show it.
func (s *Store) OnStart(_ context.Context, span sdktrace.ReadWriteSpan) {
	sc := span.SpanContext()
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.entry(sc.TraceID())
	if len(e.open)+len(e.ended) >= s.opts.MaxSpansPerTrace {
		return
	}
	if e.open == nil {
		e.open = make(map[trace.SpanID]sdktrace.ReadWriteSpan)
	}
	e.open[sc.SpanID()] = span
}

// ended is a finished span as the SDK recorded it; it is converted only
// when someone reads the trace.
type ended struct {
	span sdktrace.ReadOnlySpan
	kind string
}

// OnEnd records a finished span.
func (s *Store) OnEnd(span sdktrace.ReadOnlySpan) {
	sp := ended{span: span, kind: kindOf(span.SpanKind(), span.Attributes())}
	size := sizeOf(span)
	sc := span.SpanContext()
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.entry(sc.TraceID())
	if _, ok := e.open[sc.SpanID()]; !ok && len(e.open)+len(e.ended) >= s.opts.MaxSpansPerTrace {
		e.dropped++
		return
	}
	delete(e.open, sc.SpanID())
	e.ended = append(e.ended, sp)
	e.bytes += size
	s.bytes += size
	s.evict()
}

// Shutdown implements sdktrace.SpanProcessor.
func (s *Store) Shutdown(context.Context) error { return nil }

// ForceFlush implements sdktrace.SpanProcessor.
func (s *Store) ForceFlush(context.Context) error { return nil }

// entry finds or creates the entry for id and marks it most recently used.
// The caller holds s.mu.
func (s *Store) entry(id trace.TraceID) *entry {
	if e, ok := s.entries[id]; ok {
		s.lru.MoveToFront(e.elem)
		return e
	}
	e := &entry{id: id}
	e.elem = s.lru.PushFront(e)
	s.entries[id] = e
	s.evict()
	return e
}

// evict drops least recently used traces until the store is within bounds,
// never dropping the most recent one. The caller holds s.mu.
func (s *Store) evict() {
	for s.lru.Len() > 1 && (s.lru.Len() > s.opts.MaxTraces || s.bytes > s.opts.MaxBytes) {
		e := s.lru.Remove(s.lru.Back()).(*entry)
		delete(s.entries, e.id)
		s.bytes -= e.bytes
	}
}

// Get returns a snapshot of the trace with the given hex id: its finished
// spans in start order, and any spans still open with a zero End.
func (s *Store) Get(id string) (Trace, bool) {
	tid, err := trace.TraceIDFromHex(id)
	if err != nil {
		return Trace{}, false
	}
	s.mu.Lock()
	e, ok := s.entries[tid]
	if !ok {
		s.mu.Unlock()
		return Trace{}, false
	}
	t := Trace{ID: id, Spans: make([]Span, 0, len(e.ended)+len(e.open)), Dropped: e.dropped}
	spans := make([]sdktrace.ReadOnlySpan, 0, len(e.ended)+len(e.open))
	for _, sp := range e.ended {
		spans = append(spans, sp.span)
	}
	for _, sp := range e.open {
		spans = append(spans, sp)
	}
	s.mu.Unlock()
	for _, sp := range spans {
		t.Spans = append(t.Spans, convert(sp))
	}
	sortSpans(t.Spans)
	return t, true
}

// Len reports how many traces are stored and their approximate size.
func (s *Store) Len() (traces, bytes int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lru.Len(), s.bytes
}

// KindTotal is the time a trace's finished spans of one kind took.
type KindTotal struct {
	Kind  string
	Total time.Duration
}

// Totals sums a trace's finished spans by kind, in order of first
// appearance, leaving out server spans (they cover everything). It is
// cheap enough to call for every response.
func (s *Store) Totals(id trace.TraceID) []KindTotal {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[id]
	if !ok {
		return nil
	}
	var out []KindTotal
next:
	for _, sp := range e.ended {
		if sp.kind == KindServer {
			continue
		}
		d := sp.span.EndTime().Sub(sp.span.StartTime())
		for i := range out {
			if out[i].Kind == sp.kind {
				out[i].Total += d
				continue next
			}
		}
		out = append(out, KindTotal{Kind: sp.kind, Total: d})
	}
	return out
}

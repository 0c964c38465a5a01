package trace

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	oteltrace "go.opentelemetry.io/otel/trace"
)

// newTracer is a real SDK tracer whose spans land in store.
func newTracer(t *testing.T, store *Store) oteltrace.Tracer {
	t.Helper()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(store), sdktrace.WithSampler(sdktrace.AlwaysSample()))
	t.Cleanup(func() {
		if err := tp.Shutdown(context.Background()); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return tp.Tracer("test")
}

// recorder starts traces by label: the first use of a label starts a new
// trace with one finished span, later uses add a finished span to it.
type recorder struct {
	tr     oteltrace.Tracer
	traces map[string]oteltrace.SpanContext
}

func (r *recorder) span(label string) {
	ctx := context.Background()
	if sc, ok := r.traces[label]; ok {
		ctx = oteltrace.ContextWithSpanContext(ctx, sc)
	}
	_, sp := r.tr.Start(ctx, "span")
	sp.End()
	if _, ok := r.traces[label]; !ok {
		r.traces[label] = sp.SpanContext()
	}
}

func (r *recorder) id(label string) string { return r.traces[label].TraceID().String() }

func TestStoreEvictsByCount(t *testing.T) {
	tests := []struct {
		name      string
		maxTraces int
		seq       []string
		wantKept  []string
		wantGone  []string
	}{
		{name: "under the cap", maxTraces: 3, seq: []string{"a", "b", "c"}, wantKept: []string{"a", "b", "c"}},
		{name: "oldest go first", maxTraces: 3, seq: []string{"a", "b", "c", "d", "e"}, wantKept: []string{"c", "d", "e"}, wantGone: []string{"a", "b"}},
		{name: "recently written trace is kept", maxTraces: 3, seq: []string{"a", "b", "c", "a", "d"}, wantKept: []string{"a", "c", "d"}, wantGone: []string{"b"}},
		{name: "cap of one", maxTraces: 1, seq: []string{"a", "b", "c"}, wantKept: []string{"c"}, wantGone: []string{"a", "b"}},
		{name: "many spans in one trace count once", maxTraces: 2, seq: []string{"a", "a", "a", "b", "b"}, wantKept: []string{"a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := NewStore(StoreOptions{MaxTraces: tt.maxTraces})
			r := &recorder{tr: newTracer(t, store), traces: map[string]oteltrace.SpanContext{}}
			for _, l := range tt.seq {
				r.span(l)
			}
			if n, _ := store.Len(); n != len(tt.wantKept) {
				t.Errorf("Len = %d traces, want %d", n, len(tt.wantKept))
			}
			for _, l := range tt.wantKept {
				if tr, ok := store.Get(r.id(l)); !ok || tr.ID != r.id(l) {
					t.Errorf("trace %s was evicted", l)
				} else if want := count(tt.seq, l); len(tr.Spans) != want {
					t.Errorf("trace %s has %d spans, want %d", l, len(tr.Spans), want)
				}
			}
			for _, l := range tt.wantGone {
				if _, ok := store.Get(r.id(l)); ok {
					t.Errorf("trace %s is still stored", l)
				}
			}
		})
	}
}

func count(seq []string, l string) int {
	n := 0
	for _, s := range seq {
		if s == l {
			n++
		}
	}
	return n
}

func TestStoreEvictsByBytes(t *testing.T) {
	// The size of one root span named "span" with no attributes.
	probe := NewStore(StoreOptions{})
	(&recorder{tr: newTracer(t, probe), traces: map[string]oteltrace.SpanContext{}}).span("x")
	_, size := probe.Len()
	if size <= 0 {
		t.Fatalf("a stored span has size %d", size)
	}
	tests := []struct {
		name     string
		maxBytes int
		seq      []string
		wantKept []string
		wantGone []string
	}{
		{name: "fits", maxBytes: 3 * size, seq: []string{"a", "b", "c"}, wantKept: []string{"a", "b", "c"}},
		{name: "oldest go first", maxBytes: 2*size + size/2, seq: []string{"a", "b", "c", "d"}, wantKept: []string{"c", "d"}, wantGone: []string{"a", "b"}},
		{name: "a growing trace pushes others out", maxBytes: 3*size + size/2, seq: []string{"a", "b", "c", "c", "c"}, wantKept: []string{"c"}, wantGone: []string{"a", "b"}},
		{name: "the newest trace stays even when too big", maxBytes: size / 2, seq: []string{"a", "b", "b"}, wantKept: []string{"b"}, wantGone: []string{"a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := NewStore(StoreOptions{MaxBytes: tt.maxBytes})
			r := &recorder{tr: newTracer(t, store), traces: map[string]oteltrace.SpanContext{}}
			for _, l := range tt.seq {
				r.span(l)
			}
			n, bytes := store.Len()
			if n != len(tt.wantKept) {
				t.Errorf("Len = %d traces, want %d", n, len(tt.wantKept))
			}
			spans := 0
			for _, l := range tt.wantKept {
				tr, ok := store.Get(r.id(l))
				if !ok {
					t.Errorf("trace %s was evicted", l)
					continue
				}
				spans += len(tr.Spans)
			}
			for _, l := range tt.wantGone {
				if _, ok := store.Get(r.id(l)); ok {
					t.Errorf("trace %s is still stored", l)
				}
			}
			// Child spans carry a parent id, so they are a little bigger.
			if bytes < spans*size || bytes > spans*(size+16) {
				t.Errorf("Len = %d bytes for %d spans of ~%d bytes", bytes, spans, size)
			}
			if n > 1 && bytes > tt.maxBytes {
				t.Errorf("%d bytes kept in %d traces, over MaxBytes %d", bytes, n, tt.maxBytes)
			}
		})
	}
}

func TestStoreBoundsSpansPerTrace(t *testing.T) {
	tests := []struct {
		name        string
		maxSpans    int
		children    int
		rootOpen    bool
		wantSpans   int
		wantDropped int
	}{
		{name: "under the cap", maxSpans: 4, children: 2, wantSpans: 3, wantDropped: 0},
		{name: "at the cap", maxSpans: 4, children: 3, wantSpans: 4, wantDropped: 0},
		{name: "over the cap", maxSpans: 4, children: 9, wantSpans: 4, wantDropped: 6},
		{name: "over the cap, root still open", maxSpans: 4, children: 9, rootOpen: true, wantSpans: 4, wantDropped: 6},
		{name: "default cap", maxSpans: 0, children: 300, wantSpans: 256, wantDropped: 45},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := NewStore(StoreOptions{MaxSpansPerTrace: tt.maxSpans})
			tr := newTracer(t, store)
			ctx, root := tr.Start(context.Background(), "root")
			for i := range tt.children {
				_, sp := tr.Start(ctx, fmt.Sprintf("child %d", i))
				sp.End()
			}
			if !tt.rootOpen {
				root.End()
			}
			got, ok := store.Get(root.SpanContext().TraceID().String())
			if !ok {
				t.Fatal("trace not stored")
			}
			if len(got.Spans) != tt.wantSpans {
				t.Errorf("%d spans, want %d", len(got.Spans), tt.wantSpans)
			}
			if got.Dropped != tt.wantDropped {
				t.Errorf("Dropped = %d, want %d", got.Dropped, tt.wantDropped)
			}
			i := slices.IndexFunc(got.Spans, func(s Span) bool { return s.Name == "root" })
			if i < 0 {
				t.Fatal("the root span was not kept")
			}
			if got.Spans[i].End.IsZero() != tt.rootOpen {
				t.Errorf("root End zero = %v, want %v", got.Spans[i].End.IsZero(), tt.rootOpen)
			}
			if tt.rootOpen {
				root.End()
			}
		})
	}
}

func TestStoreGetOpenSpans(t *testing.T) {
	store := NewStore(StoreOptions{})
	tr := newTracer(t, store)
	ctx, root := tr.Start(context.Background(), "root")
	cctx, child := tr.Start(ctx, "child")
	_, grandchild := tr.Start(cctx, "grandchild")
	child.End()
	id := root.SpanContext().TraceID().String()

	tests := []struct {
		name     string
		end      []oteltrace.Span
		wantOpen map[string]bool
	}{
		{name: "while running", wantOpen: map[string]bool{"root": true, "child": false, "grandchild": true}},
		{name: "grandchild done", end: []oteltrace.Span{grandchild}, wantOpen: map[string]bool{"root": true, "child": false, "grandchild": false}},
		{name: "all done", end: []oteltrace.Span{root}, wantOpen: map[string]bool{"root": false, "child": false, "grandchild": false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, sp := range tt.end {
				sp.End()
			}
			got, ok := store.Get(id)
			if !ok {
				t.Fatal("trace not stored")
			}
			if got.ID != id || got.Dropped != 0 {
				t.Errorf("ID = %q, Dropped = %d", got.ID, got.Dropped)
			}
			if len(got.Spans) != len(tt.wantOpen) {
				t.Fatalf("%d spans, want %d", len(got.Spans), len(tt.wantOpen))
			}
			if !slices.IsSortedFunc(got.Spans, func(a, b Span) int { return a.Start.Compare(b.Start) }) {
				t.Error("spans are not in start order")
			}
			for _, s := range got.Spans {
				open, known := tt.wantOpen[s.Name]
				if !known {
					t.Errorf("unexpected span %q", s.Name)
				}
				if s.End.IsZero() != open {
					t.Errorf("%s: End zero = %v, want %v", s.Name, s.End.IsZero(), open)
				}
				if s.Start.IsZero() || len(s.SpanID) != 16 {
					t.Errorf("%s: Start %v, SpanID %q", s.Name, s.Start, s.SpanID)
				}
				if s.Name != "root" && len(s.ParentID) != 16 {
					t.Errorf("%s: ParentID %q", s.Name, s.ParentID)
				}
			}
		})
	}
	for _, bad := range []string{"", "nothex", "00000000000000000000000000000000", "0123456789abcdef0123456789abcdef"} {
		if _, ok := store.Get(bad); ok {
			t.Errorf("Get(%q) found a trace", bad)
		}
	}
}

// TestStoreConcurrent runs many writers through a real tracer provider while
// readers take snapshots; run it with -race.
func TestStoreConcurrent(t *testing.T) {
	const (
		writers   = 16
		perWriter = 40
		readers   = 4
		maxTraces = 64
		maxSpans  = 5
	)
	store := NewStore(StoreOptions{MaxTraces: maxTraces, MaxSpansPerTrace: maxSpans})
	tr := newTracer(t, store)

	var (
		mu  sync.Mutex
		ids []string
	)
	done := make(chan struct{})
	var rwg sync.WaitGroup
	errs := make(chan error, readers)
	for range readers {
		rwg.Add(1)
		go func() {
			defer rwg.Done()
			for i := 0; ; i++ {
				select {
				case <-done:
					return
				default:
				}
				mu.Lock()
				var id string
				if len(ids) > 0 {
					id = ids[i%len(ids)]
				}
				mu.Unlock()
				if n, _ := store.Len(); n > maxTraces {
					errs <- fmt.Errorf("Len = %d traces, over %d", n, maxTraces)
					return
				}
				got, ok := store.Get(id)
				if !ok {
					continue
				}
				if got.ID != id || len(got.Spans) > maxSpans {
					errs <- fmt.Errorf("Get(%s) = %s with %d spans", id, got.ID, len(got.Spans))
					return
				}
				if len(got.Spans) > 0 {
					_ = BuildWaterfall(got, got.Spans[0].Start)
				}
			}
		}()
	}

	var wwg sync.WaitGroup
	for w := range writers {
		wwg.Add(1)
		go func() {
			defer wwg.Done()
			for i := range perWriter {
				ctx, root := tr.Start(context.Background(), fmt.Sprintf("root %d/%d", w, i))
				mu.Lock()
				ids = append(ids, root.SpanContext().TraceID().String())
				mu.Unlock()
				for j := range 6 {
					cctx, child := tr.Start(ctx, fmt.Sprintf("child %d", j))
					_, leaf := tr.Start(cctx, "leaf")
					leaf.End()
					child.End()
				}
				root.End()
			}
		}()
	}
	wwg.Wait()
	close(done)
	rwg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	n, _ := store.Len()
	if n != maxTraces {
		t.Errorf("Len = %d traces after %d, want %d", n, writers*perWriter, maxTraces)
	}
	kept := 0
	for _, id := range ids {
		got, ok := store.Get(id)
		if !ok {
			continue
		}
		kept++
		// A trace evicted while it was written starts again when its next
		// span ends, so only the bounds are exact here.
		if len(got.Spans) == 0 || len(got.Spans) > maxSpans || len(got.Spans)+got.Dropped > 6*2+1 {
			t.Errorf("trace %s: %d spans, %d dropped; want 1..%d spans and at most %d in all", id, len(got.Spans), got.Dropped, maxSpans, 6*2+1)
		}
		for _, s := range got.Spans {
			if s.End.IsZero() {
				t.Errorf("trace %s: span %q still open after every span ended", id, s.Name)
			}
		}
	}
	if kept != maxTraces {
		t.Errorf("%d traces readable, want %d", kept, maxTraces)
	}
}

package cache

import (
	"context"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// BenchmarkGet is a Get round trip (GET and the LRU touch in one
// pipeline) on the embedded server, or on REDIS_URL.
func BenchmarkGet(b *testing.B) {
	for _, bc := range []struct {
		name string
		key  string
	}{{"hit", "flight:LHR-JFK"}, {"miss", "nope"}} {
		b.Run(bc.name, func(b *testing.B) {
			c := newCache(b, Options{})
			s := newVisitor(b, c)
			ctx := context.Background()
			mustSet(b, s, "flight:LHR-JFK", string(make([]byte, 312)), time.Hour)
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := s.Get(ctx, bc.key); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSet is a Set below the cap: one pipeline of six commands.
func BenchmarkSet(b *testing.B) {
	c := newCache(b, Options{})
	s := newVisitor(b, c)
	ctx := context.Background()
	v := make([]byte, 312)
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Set(ctx, "flight:LHR-JFK", v, time.Minute); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSpanOverhead compares a Get hit with the no-op tracer to one
// whose spans are recorded (sampled, attributes built, then dropped).
func BenchmarkSpanOverhead(b *testing.B) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()))
	b.Cleanup(func() { tp.Shutdown(context.Background()) })
	for _, bc := range []struct {
		name string
		opts Options
	}{{"noop", Options{}}, {"recording", Options{Tracer: tp.Tracer("bench")}}} {
		b.Run(bc.name, func(b *testing.B) {
			c := newCache(b, bc.opts)
			s := newVisitor(b, c)
			ctx := context.Background()
			mustSet(b, s, "flight:LHR-JFK", string(make([]byte, 312)), time.Hour)
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := s.Get(ctx, "flight:LHR-JFK"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

package sandbox

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkTemplateBuild measures building the demo image, which New does
// once at startup.
func BenchmarkTemplateBuild(b *testing.B) {
	if _, err := sharedTemplate(); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		image, err := buildTemplate(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(image))/(1<<20), "MiB-image")
	}
}

// BenchmarkCreate measures cloning the template into a new guarded
// sandbox on the spot, which a new visitor waits for only when no spare is
// ready (see BenchmarkNewVisitor).
func BenchmarkCreate(b *testing.B) {
	image, err := sharedTemplate()
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var boxes []*box
	for b.Loop() {
		bx := &box{}
		if err := bx.open(ctx, image); err != nil {
			b.Fatal(err)
		}
		boxes = append(boxes, bx)
		if len(boxes) == 100 {
			b.StopTimer()
			closeAll(boxes)
			boxes = boxes[:0]
			b.StartTimer()
		}
	}
	b.StopTimer()
	closeAll(boxes)
}

func closeAll(boxes []*box) {
	for _, bx := range boxes {
		bx.close()
	}
}

// BenchmarkNewVisitor measures what a new visitor waits for when a spare
// sandbox is ready, including the LRU eviction it causes once the Manager
// is full (budget: 1 ms).
func BenchmarkNewVisitor(b *testing.B) {
	m := newTestManager(b, Options{MaxSandboxes: 20})
	ctx := context.Background()
	// The first visitor starts the refill.
	first, err := m.acquire(ctx, "first")
	if err != nil {
		b.Fatal(err)
	}
	first.release()
	i := 0
	for b.Loop() {
		b.StopTimer()
		for len(m.spare) < cap(m.spare) {
			time.Sleep(100 * time.Microsecond)
		}
		i++
		b.StartTimer()
		l, err := m.acquire(ctx, fmt.Sprint(i))
		if err != nil {
			b.Fatal(err)
		}
		l.release()
	}
}

// BenchmarkMemoryPerSandbox measures what a visitor's sandbox costs once it
// has answered a query, and after a small write (budget: 2.5 MiB).
func BenchmarkMemoryPerSandbox(b *testing.B) {
	const n = 50
	for b.Loop() {
		m := newTestManager(b, Options{MaxSandboxes: 2 * n, Spares: -1})
		ctx := context.Background()
		var before runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		base := m.Stats().SQLiteMemory
		for i := range n {
			if _, err := m.Run(ctx, fmt.Sprint(i), "SELECT count(*) FROM members", RunOptions{}); err != nil {
				b.Fatal(err)
			}
		}
		afterRead := m.Stats().SQLiteMemory
		var after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&after)
		for i := range n {
			if _, err := m.Run(ctx, fmt.Sprint(i), "INSERT INTO bookings (member_id, flight_id, status, booked_at) SELECT member_id, flight_id, status, booked_at FROM bookings LIMIT 200", RunOptions{}); err != nil {
				b.Fatal(err)
			}
		}
		afterWrite := m.Stats().SQLiteMemory
		b.ReportMetric(float64(afterRead-base)/n/(1<<20), "MiB/sandbox")
		b.ReportMetric(float64(afterWrite-base)/n/(1<<20), "MiB/sandbox-after-write")
		b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/n/(1<<10), "goheap-KiB/sandbox")
		m.Close()
	}
}

// BenchmarkRunSelect measures a simple query through Run: lock, slot,
// statement span, row conversion, rollback check.
func BenchmarkRunSelect(b *testing.B) {
	m := newTestManager(b, Options{})
	ctx := context.Background()
	const q = "SELECT name, miles FROM members WHERE id = 1"
	mustRun(b, m, "v", q)
	for b.Loop() {
		if _, err := m.Run(ctx, "v", q, RunOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRunSelectParallel is BenchmarkRunSelect with many visitors at
// once, as in a classroom.
func BenchmarkRunSelectParallel(b *testing.B) {
	m := newTestManager(b, Options{QueueWait: time.Second})
	ctx := context.Background()
	const q = "SELECT name, miles FROM members WHERE id = 1"
	var next atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		visitor := fmt.Sprint(next.Add(1))
		mustRun(b, m, visitor, q)
		for pb.Next() {
			if _, err := m.Run(ctx, visitor, q, RunOptions{}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

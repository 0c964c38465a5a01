package auth

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkHashOWASP is one argon2id hash with the production settings.
func BenchmarkHashOWASP(b *testing.B) {
	h := NewHasher(OWASPParams, 1, 1)
	for b.Loop() {
		if _, err := h.Hash(context.Background(), "correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBcrypt10 is one bcrypt hash at the default cost, for
// comparison.
func BenchmarkBcrypt10(b *testing.B) {
	h := NewHasher(OWASPParams, 1, 1)
	for b.Loop() {
		if _, err := h.Bcrypt(context.Background(), "correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHashBurst is a burst of 64 logins at once, with hashing
// limited to the CPUs (as served) and unlimited: the peak of the heap
// shows what the limit saves.
func BenchmarkHashBurst(b *testing.B) {
	for _, tc := range []struct {
		name    string
		running int
	}{{"limited", runtime.NumCPU()}, {"unlimited", 64}} {
		b.Run(tc.name, func(b *testing.B) {
			var peak atomic.Uint64
			for b.Loop() {
				runtime.GC()
				h := NewHasher(OWASPParams, tc.running, 64)
				stop := make(chan struct{})
				sampled := make(chan struct{})
				go func() {
					defer close(sampled)
					var ms runtime.MemStats
					for {
						runtime.ReadMemStats(&ms)
						if ms.HeapInuse > peak.Load() {
							peak.Store(ms.HeapInuse)
						}
						select {
						case <-stop:
							return
						case <-time.After(2 * time.Millisecond):
						}
					}
				}()
				var wg sync.WaitGroup
				for range 64 {
					wg.Go(func() {
						if _, err := h.Hash(context.Background(), "correct horse battery staple"); err != nil {
							b.Error(err)
						}
					})
				}
				wg.Wait()
				close(stop)
				<-sampled
			}
			b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
		})
	}
}

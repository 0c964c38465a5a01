package shop

import (
	"context"
	"testing"
	"time"
)

// TestFillCache: pouring more pages than a small cache holds evicts the
// least recently used ones, the first page among them.
func TestFillCache(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tests := []struct {
		name         string
		n, maxKeys   int
		maxBytes     int
		wantEvicted  int
		wantFirstHit bool
	}{
		{"fits", 5, 10, 0, 0, true},
		{"by keys", 12, 8, 0, 4, false},
		{"by bytes", 6, 50, 400, -1, false}, // -1: some, depending on page sizes
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.app.FillCache(ctx, f.kv.For("v"), f.open("v"), tt.n, tt.maxKeys, tt.maxBytes, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if got.Stored != tt.n || got.FirstHit != tt.wantFirstHit {
				t.Errorf("stored %d, first hit %v; want %d, %v", got.Stored, got.FirstHit, tt.n, tt.wantFirstHit)
			}
			switch {
			case tt.wantEvicted >= 0 && len(got.Evicted) != tt.wantEvicted:
				t.Errorf("evicted %q, want %d", got.Evicted, tt.wantEvicted)
			case tt.wantEvicted < 0 && len(got.Evicted) == 0:
				t.Error("nothing was evicted")
			}
			if len(got.Kept)+len(got.Evicted) != tt.n {
				t.Errorf("kept %d + evicted %d, want %d", len(got.Kept), len(got.Evicted), tt.n)
			}
			if tt.maxBytes > 0 && got.KeptBytes > tt.maxBytes {
				t.Errorf("kept %d bytes, over the cap of %d", got.KeptBytes, tt.maxBytes)
			}
			if len(got.Evicted) > 0 && got.Evicted[0] != "product:1" {
				t.Errorf("the first evicted is %q, want the least recently used, product:1", got.Evicted[0])
			}
		})
	}
}

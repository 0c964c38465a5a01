package airline

import (
	"context"
	"testing"
	"time"

	"github.com/engineroom/engineroom/playground/cache"
	"github.com/engineroom/engineroom/playground/sandbox"
)

// TestSearchStampede: ten searches of a cold key all miss; without
// coalescing each queries the database, with it one query serves them all.
func TestSearchStampede(t *testing.T) {
	app, m := newApp(t)
	kv, err := cache.New(context.Background(), cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kv.Close() })
	tests := []struct {
		name        string
		coalesce    bool
		wantQueries int
		wantShared  int
	}{
		{"without coalescing", false, 10, 0},
		{"with coalescing", true, 1, 9},
		{"without, again: the key is emptied first", false, 10, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var st Stampede
			err := m.With(context.Background(), "v", func(ctx context.Context, db *sandbox.DB) error {
				var err error
				st, err = app.SearchStampede(ctx, kv.For("v"), db, "SIN-SYD", 10, time.Minute, tt.coalesce)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			shared := 0
			for _, r := range st.Requests {
				if r.Source == SourceShared {
					shared++
				}
			}
			if st.Misses != 10 || st.Queries != tt.wantQueries || shared != tt.wantShared || len(st.Requests) != 10 {
				t.Errorf("misses %d, queries %d, shared %d of %d; want 10, %d, %d", st.Misses, st.Queries, shared, len(st.Requests), tt.wantQueries, tt.wantShared)
			}
		})
	}
}

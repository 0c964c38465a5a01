package web

import (
	"context"
	"fmt"
	"time"

	"github.com/engineroom/engineroom/web/view"
)

// smallCacheBytes is the byte cap of the small cache the fill demo pours
// the catalog into.
const smallCacheBytes = 2 << 10

// demoCacheFill pours product pages into a small cache of the visitor's
// own until it evicts.
func (s *Server) demoCacheFill() *demo {
	return &demo{
		ID: "cache-fill", Title: "Fill a small cache", Lesson: "what-to-cache-and-where",
		Description: "Cache more product pages than the cache holds, and watch it make room.",
		Button:      "Cache the pages",
		Params: []param{
			{Name: "pages", Label: "Product pages to cache", Kind: "number", Default: "24", Min: 1, Max: 30, Hint: "1 to 30."},
			{Name: "holds", Label: "The cache holds (keys)", Kind: "number", Default: "12", Min: 1, Max: 30, Hint: "1 to 30; and at most 2 KiB of pages."},
		},
		Run: func(ctx context.Context, in demoInput) (demoOutput, error) {
			// A namespace of its own, beside the visitor's: the demo
			// empties it on every run.
			space := s.cache.For(in.Visitor + "-small")
			open := s.openSandbox(in)
			f, err := s.shop.FillCache(ctx, space, open, in.Int("pages"), in.Int("holds"), smallCacheBytes, 10*time.Minute)
			if err != nil {
				return demoOutput{}, err
			}
			o := view.FillOutput{Stored: f.Stored, Evicted: f.Evicted, MaxKeys: f.MaxKeys,
				Bytes: fmt.Sprintf("%d of %d bytes", f.KeptBytes, f.MaxBytes), FirstKey: f.FirstKey, FirstHit: f.FirstHit}
			for _, k := range f.Kept {
				o.Kept = append(o.Kept, []string{k.Key, fmt.Sprint(k.Bytes)})
			}
			return demoOutput{Data: f, View: view.FillResult(o)}, nil
		},
	}
}

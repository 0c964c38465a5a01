package cache

import (
	"context"
	"testing"
	"time"
)

func TestLookups(t *testing.T) {
	c := newCache(t, Options{})
	s := newVisitor(t, c)
	ctx := context.Background()
	if got := c.Lookups(); got != (Lookups{}) || got.HitRatio() != 0 {
		t.Fatalf("before any Get: %+v, ratio %v", got, got.HitRatio())
	}
	steps := []struct {
		name  string
		do    func() error
		want  Lookups
		ratio float64
	}{
		{"a miss", func() error { _, _, err := s.Get(ctx, "k"); return err }, Lookups{Misses: 1}, 0},
		{"a Set counts nothing", func() error { return s.Set(ctx, "k", []byte("v"), time.Minute) }, Lookups{Misses: 1}, 0},
		{"a hit", func() error { _, _, err := s.Get(ctx, "k"); return err }, Lookups{Hits: 1, Misses: 1}, 0.5},
		{"another hit", func() error { _, _, err := s.Get(ctx, "k"); return err }, Lookups{Hits: 2, Misses: 1}, 2.0 / 3},
		{"a refused key counts nothing", func() error {
			if _, _, err := s.Get(ctx, ""); err == nil {
				t.Error("Get of an empty key: no error")
			}
			return nil
		}, Lookups{Hits: 2, Misses: 1}, 2.0 / 3},
		{"another visitor's miss counts too", func() error { _, _, err := newVisitor(t, c).Get(ctx, "k"); return err }, Lookups{Hits: 2, Misses: 2}, 0.5},
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got := c.Lookups(); got != st.want || got.HitRatio() != st.ratio {
			t.Errorf("after %s: %+v (ratio %v), want %+v (ratio %v)", st.name, got, got.HitRatio(), st.want, st.ratio)
		}
	}
}

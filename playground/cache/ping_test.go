package cache

import (
	"context"
	"errors"
	"testing"
)

func TestPing(t *testing.T) {
	c, rec := tracedCache(t, Options{})
	if err := c.Ping(context.Background()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	span := findSpan(t, rec, "PING", "", "")
	if a := spanAttrs(span); a["db.system.name"] != "redis" || a["db.query.text"] != "PING" {
		t.Errorf("PING span attributes = %v", a)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Ping(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("Ping after Close = %v, want ErrClosed", err)
	}
}

// Package shop is the back end of the online shop demo app: product pages
// read through a cache, and price changes that keep that cache honest (or
// not), on a visitor's own database and cache namespace.
package shop

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/engineroom/engineroom/playground/sandbox"
)

// ErrMissingData means the visitor's database no longer holds the rows a
// step needs (they deleted the product, say). SQL errors from the
// visitor's changes come back as *sandbox.StmtError.
var ErrMissingData = errors.New("shop: the demo data this needs is missing")

// App runs the shop's back-end logic, recording each step as a span.
type App struct {
	tracer trace.Tracer
}

// New returns an App whose steps are recorded by tracer.
func New(tracer trace.Tracer) *App { return &App{tracer: tracer} }

// Cache is the part of a cache the shop needs: a visitor's namespace.
type Cache interface {
	Get(ctx context.Context, key string) (value []byte, hit bool, err error)
	Set(ctx context.Context, key string, value []byte, ttl time.Duration) error
	Del(ctx context.Context, keys ...string) (int64, error)
	TTL(ctx context.Context, key string) (time.Duration, error)
}

// Database opens the visitor's database for the steps that need it.
type Database = sandbox.Opener

// step starts a span for one step of the shop's own logic.
func (a *App) step(ctx context.Context, name string, kv ...attribute.KeyValue) (context.Context, trace.Span) {
	return a.tracer.Start(ctx, name, trace.WithAttributes(kv...))
}

// fail marks a span failed and returns err.
func fail(span trace.Span, err error) error {
	span.RecordError(err)
	span.SetStatus(codes.Error, err.Error())
	return err
}

// Price formats cents as the shop shows a price: "$49.99".
func Price(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s$%d.%02d", sign, cents/100, cents%100)
}

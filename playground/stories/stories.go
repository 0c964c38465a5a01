// Package stories runs the two end-to-end stories over the engines the
// lessons teach one at a time: a traveller who logs in to the airline's
// loyalty app, checks her miles, searches flights and books one with
// miles; and a shopper who browses the shop's catalog, fills a cart and
// checks out. Each step is one method, and each does its work in spans:
// the cache, the visitor's database, the simulated third-party services
// and the job queue.
package stories

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/engineroom/engineroom/playground/airline"
	"github.com/engineroom/engineroom/playground/integrations"
	"github.com/engineroom/engineroom/playground/shop"
)

// Cache is the part of a cache the stories need: one visitor's namespace.
type Cache = airline.Cache

// Where an answer came from.
const (
	SourceCache    = "cache"
	SourceDatabase = "database"
)

// App runs the stories' steps.
type App struct {
	tracer trace.Tracer
	air    *airline.App
	shop   *shop.App
	third  *integrations.App
}

// New returns the stories' app. third is the app's side of the simulated
// services (reservations, payments, email).
func New(tracer trace.Tracer, third *integrations.App) *App {
	return &App{tracer: tracer, air: airline.New(tracer), shop: shop.New(tracer), third: third}
}

// step starts a span named for a step of a story.
func (a *App) step(ctx context.Context, name string, kv ...attribute.KeyValue) (context.Context, trace.Span) {
	return a.tracer.Start(ctx, name, trace.WithAttributes(kv...))
}

// fail marks a span failed and returns err.
func fail(span trace.Span, err error) error {
	span.RecordError(err)
	span.SetStatus(codes.Error, err.Error())
	return err
}

// aside reads key cache-aside: from the cache when it holds the key, else
// from load, whose answer it then keeps for ttl. source says which.
func aside[T any](ctx context.Context, cache Cache, key string, ttl time.Duration, load func(context.Context) (T, error)) (v T, source string, err error) {
	cached, hit, err := cache.Get(ctx, key)
	if err != nil {
		return v, "", err
	}
	if hit {
		if err := json.Unmarshal(cached, &v); err == nil {
			return v, SourceCache, nil
		}
		// A value that no longer decodes (the visitor set it by hand, say)
		// is a miss: the database has the truth.
	}
	if v, err = load(ctx); err != nil {
		return v, "", err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return v, "", fmt.Errorf("stories: encoding %s for the cache: %w", key, err)
	}
	if err := cache.Set(ctx, key, b, ttl); err != nil {
		return v, "", err
	}
	return v, SourceDatabase, nil
}

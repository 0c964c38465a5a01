// Package airline is the back end of the airline loyalty demo app: listing
// bookings, booking flights with miles, logging in, and the database
// experiments the lessons run on a visitor's own sandbox.
package airline

import (
	"context"
	"errors"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/sync/singleflight"

	"github.com/engineroom/engineroom/playground/sandbox"
)

// ErrMissingData means the visitor's database no longer holds the rows a
// step needs (they deleted them, say). SQL errors from the visitor's
// changes come back as *sandbox.StmtError.
var ErrMissingData = errors.New("airline: the demo data this needs is missing")

// App runs the airline's back-end logic, recording each step as a span.
type App struct {
	tracer trace.Tracer
	// flights coalesces concurrent database loads of one cache key.
	flights singleflight.Group
}

// New returns an App whose steps are recorded by tracer.
func New(tracer trace.Tracer) *App { return &App{tracer: tracer} }

// step starts a span for one step of the app's own logic.
func (a *App) step(ctx context.Context, name string, kv ...attribute.KeyValue) (context.Context, trace.Span) {
	return a.tracer.Start(ctx, name, trace.WithAttributes(kv...))
}

// fail marks a span failed and returns err.
func fail(span trace.Span, err error) error {
	span.RecordError(err)
	span.SetStatus(codes.Error, err.Error())
	return err
}

// querier is the part of a sandbox connection the app needs.
type querier interface {
	Query(ctx context.Context, query string, args ...any) (*sandbox.QueryResult, error)
	Exec(ctx context.Context, query string, args ...any) (int64, error)
}

var _ querier = (*sandbox.DB)(nil)

// one runs a query expected to return one row and scans its first column
// as an integer.
func oneInt(ctx context.Context, db querier, query string, args ...any) (int64, error) {
	res, err := db.Query(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	if len(res.Values) == 0 || len(res.Values[0]) == 0 {
		return 0, fmt.Errorf("%w: %q returned no row", ErrMissingData, query)
	}
	return sandbox.AsInt(res.Values[0][0]), nil
}

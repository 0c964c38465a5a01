package shop

import (
	"context"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/trace/noop"

	"github.com/engineroom/engineroom/playground/sandbox"
)

// apiImage is the demo data the API tests clone their sandboxes from,
// built once: seeding is the slowest part of starting a manager.
var apiImage = sync.OnceValues(func() ([]byte, error) {
	m, err := sandbox.New(sandbox.Options{})
	if err != nil {
		return nil, err
	}
	defer m.Close()
	return m.Image(context.Background())
})

// apiFixture is an App with a sandbox manager cloning the shared demo
// data; the API's steps need no cache.
type apiFixture struct {
	app *App
	sql *sandbox.Manager
}

func newAPIFixture(t *testing.T) apiFixture {
	t.Helper()
	image, err := apiImage()
	if err != nil {
		t.Fatal(err)
	}
	m, err := sandbox.New(sandbox.Options{Template: image})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return apiFixture{app: New(noop.NewTracerProvider().Tracer("")), sql: m}
}

package airline

import (
	"context"
	"sync"
	"testing"
	"time"

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

// newAPIApp is an App and a sandbox manager cloning the shared demo data.
func newAPIApp(t *testing.T) (*App, *sandbox.Manager) {
	t.Helper()
	image, err := apiImage()
	if err != nil {
		t.Fatal(err)
	}
	// A long query budget, as in newApp.
	m, err := sandbox.New(sandbox.Options{Template: image, QueryTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return New(noop.NewTracerProvider().Tracer("")), m
}

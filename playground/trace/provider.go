// Package trace records what the back end did for each request: an
// OpenTelemetry tracer provider whose spans land in a bounded in-memory
// store (and, when configured, an OTLP collector), plus the view models the
// back end pane draws from them.
package trace

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"
)

// Options configures a Provider.
type Options struct {
	ServiceName string
	// OTLPEndpoint is the base URL of an OTLP/HTTP collector, as in
	// OTEL_EXPORTER_OTLP_ENDPOINT; spans are sent to its /v1/traces. Empty
	// means spans stay in memory only.
	OTLPEndpoint string
	Store        StoreOptions
	// Sampler decides which traces are recorded; nil records them all.
	Sampler sdktrace.Sampler
}

// Provider owns the tracer provider and the store the back end pane reads.
type Provider struct {
	tp    *sdktrace.TracerProvider
	store *Store
}

// NewProvider starts a tracer provider that samples every span into a new
// Store and, when opts.OTLPEndpoint is set, exports them in batches.
func NewProvider(ctx context.Context, opts Options) (*Provider, error) {
	store := NewStore(opts.Store)
	res := resource.NewSchemaless(semconv.ServiceName(opts.ServiceName))
	if opts.Sampler == nil {
		opts.Sampler = sdktrace.AlwaysSample()
	}
	tpOpts := []sdktrace.TracerProviderOption{
		sdktrace.WithSampler(opts.Sampler),
		sdktrace.WithSpanProcessor(store),
		sdktrace.WithResource(res),
	}
	if opts.OTLPEndpoint != "" {
		endpoint, err := tracesURL(opts.OTLPEndpoint)
		if err != nil {
			return nil, err
		}
		exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(endpoint))
		if err != nil {
			return nil, fmt.Errorf("trace: starting OTLP exporter: %w", err)
		}
		tpOpts = append(tpOpts, sdktrace.WithBatcher(exp))
	}
	return &Provider{tp: sdktrace.NewTracerProvider(tpOpts...), store: store}, nil
}

// tracesURL turns an OTLP base endpoint into the traces URL, as the
// OpenTelemetry specification says for OTEL_EXPORTER_OTLP_ENDPOINT.
func tracesURL(base string) (string, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", errors.New("trace: OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL such as http://localhost:4318")
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/v1/traces"
	return u.String(), nil
}

// Tracer returns a named tracer.
func (p *Provider) Tracer(name string) trace.Tracer { return p.tp.Tracer(name) }

// Store is where finished traces can be read back.
func (p *Provider) Store() *Store { return p.store }

// Shutdown flushes any exporter and stops the provider.
func (p *Provider) Shutdown(ctx context.Context) error {
	if err := p.tp.Shutdown(ctx); err != nil {
		return fmt.Errorf("trace: shutting down: %w", err)
	}
	return nil
}

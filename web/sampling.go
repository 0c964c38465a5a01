package web

import (
	"net/http"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// requestSampler records the traces a visitor can look at: every request
// that runs something (a demo, a query, a reset: anything but GET and
// HEAD) and every API call. Page views and assets are not recorded; their
// responses still name a trace id, flagged as not sampled, and carry the
// total time in Server-Timing. Recording them would cost a page view a
// third of its throughput and push the traces people asked for out of the
// bounded store. Spans inside a request follow its decision.
func requestSampler() sdktrace.Sampler {
	return sdktrace.ParentBased(routeSampler{})
}

type routeSampler struct{}

func (routeSampler) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	var method, route string
	for _, kv := range p.Attributes {
		switch kv.Key {
		case attribute.Key("http.request.method"):
			method = kv.Value.AsString()
		case attribute.Key("http.route"):
			route = kv.Value.AsString()
		}
	}
	decision := sdktrace.RecordAndSample
	// The mailbox reads the email service: its trace is part of a demo.
	if (method == http.MethodGet || method == http.MethodHead) && !strings.HasPrefix(route, "/api/") && route != "/mailbox" {
		decision = sdktrace.Drop
	}
	return sdktrace.SamplingResult{Decision: decision}
}

func (routeSampler) Description() string {
	return "RouteSampler{record everything but page views and assets}"
}

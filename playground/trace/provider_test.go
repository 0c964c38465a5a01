package trace

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

func TestTracesURL(t *testing.T) {
	tests := []struct {
		base    string
		want    string
		wantErr bool
	}{
		{base: "http://localhost:4318", want: "http://localhost:4318/v1/traces"},
		{base: "http://localhost:4318/", want: "http://localhost:4318/v1/traces"},
		{base: "https://collector.example/otlp", want: "https://collector.example/otlp/v1/traces"},
		{base: "https://collector.example/otlp/", want: "https://collector.example/otlp/v1/traces"},
		{base: "", wantErr: true},
		{base: "localhost:4318", wantErr: true},
		{base: "collector.example", wantErr: true},
		{base: "ftp://collector.example", wantErr: true},
		{base: "http://", wantErr: true},
		{base: "http//localhost:4318", wantErr: true},
		{base: "://localhost", wantErr: true},
		{base: "http://bad host:4318", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.base, func(t *testing.T) {
			got, err := tracesURL(tt.base)
			if (err != nil) != tt.wantErr {
				t.Fatalf("tracesURL(%q) = %q, %v; want error %v", tt.base, got, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("tracesURL(%q) = %q, want %q", tt.base, got, tt.want)
			}
			if err != nil && !strings.Contains(err.Error(), "OTEL_EXPORTER_OTLP_ENDPOINT") {
				t.Errorf("error %q does not name the setting", err)
			}
		})
	}
}

// TestProviderExports points the provider at a fake OTLP/HTTP collector:
// spans reach it on Shutdown and stay readable in the store.
func TestProviderExports(t *testing.T) {
	tests := []struct {
		name     string
		basePath string
		wantPath string
	}{
		{name: "root", basePath: "", wantPath: "/v1/traces"},
		{name: "under a prefix", basePath: "/otlp/", wantPath: "/otlp/v1/traces"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var (
				mu    sync.Mutex
				paths []string
				types []string
			)
			collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				paths = append(paths, r.URL.Path)
				types = append(types, r.Header.Get("Content-Type"))
				mu.Unlock()
				w.Header().Set("Content-Type", "application/x-protobuf")
				w.WriteHeader(http.StatusOK)
			}))
			defer collector.Close()

			p, err := NewProvider(context.Background(), Options{ServiceName: "test", OTLPEndpoint: collector.URL + tt.basePath})
			if err != nil {
				t.Fatal(err)
			}
			_, s := p.Tracer("test").Start(context.Background(), "exported")
			s.End()
			id := s.SpanContext().TraceID().String()
			if got, ok := p.Store().Get(id); !ok || len(got.Spans) != 1 || got.Spans[0].Name != "exported" {
				t.Errorf("store has %+v, %v", got, ok)
			}
			if err := p.Shutdown(context.Background()); err != nil {
				t.Fatalf("Shutdown: %v", err)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(paths) == 0 {
				t.Fatal("the collector got nothing")
			}
			for i := range paths {
				if paths[i] != tt.wantPath || types[i] != "application/x-protobuf" {
					t.Errorf("export %d: %s with %q, want %s with application/x-protobuf", i, paths[i], types[i], tt.wantPath)
				}
			}
		})
	}
}

func TestNewProviderRejectsBadEndpoint(t *testing.T) {
	for _, bad := range []string{"localhost:4318", "ftp://x", "http://"} {
		if p, err := NewProvider(context.Background(), Options{OTLPEndpoint: bad}); err == nil {
			_ = p.Shutdown(context.Background())
			t.Errorf("NewProvider(%q) succeeded", bad)
		}
	}
}

func TestProviderWithoutEndpointKeepsSpansInMemory(t *testing.T) {
	p, err := NewProvider(context.Background(), Options{ServiceName: "test", Store: StoreOptions{MaxTraces: 2}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Shutdown(context.Background())
	var ids []string
	for range 3 {
		_, s := p.Tracer("t").Start(context.Background(), "x")
		s.End()
		ids = append(ids, s.SpanContext().TraceID().String())
	}
	if n, _ := p.Store().Len(); n != 2 {
		t.Errorf("store holds %d traces, want the options' 2", n)
	}
	if _, ok := p.Store().Get(ids[0]); ok {
		t.Error("the oldest trace was kept past MaxTraces")
	}
}

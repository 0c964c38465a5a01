package web_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/engineroom/engineroom/web"
)

// TestFlightAPI sends each case through the real router, as a client
// would, and checks the status, the Content-Type and a piece of the body.
// The testing lesson shows this function, and its handler-test demo sends
// the same cases to the running server.
func TestFlightAPI(t *testing.T) {
	srv := newServer(t, web.Config{})
	tests := []struct {
		name       string
		path       string
		wantStatus int
		wantType   string
		wantBody   string
	}{
		{name: "a flight", path: "/api/v1/flights/42",
			wantStatus: 200, wantType: "application/json",
			wantBody: `"id":42`},
		{name: "no such flight", path: "/api/v1/flights/999999",
			wantStatus: 404, wantType: "application/problem+json",
			wantBody: "no flight 999999"},
		{name: "not a number", path: "/api/v1/flights/abc",
			wantStatus: 400, wantType: "application/problem+json",
			wantBody: "a whole number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, tt.path, nil)
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			got := rec.Header().Get("Content-Type")
			if got != tt.wantType {
				t.Errorf("Content-Type = %q, want %q", got, tt.wantType)
			}
			body := rec.Body.String()
			if !strings.Contains(body, tt.wantBody) {
				t.Errorf("body = %q, want %q in it", body, tt.wantBody)
			}
		})
	}
}

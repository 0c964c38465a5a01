package outbound

import (
	"context"
	"slices"
	"sync"
	"testing"
)

// TestOnFailure checks that the hook hears of each failed call once,
// with its service and kind, and of nothing else.
func TestOnFailure(t *testing.T) {
	type heard struct {
		service string
		kind    Kind
	}
	var mu sync.Mutex
	var got []heard
	c := newTestClient(t, Options{
		Breaker: BreakerSettings{Failures: 2},
		OnFailure: func(e *Error) {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, heard{e.Service, e.Kind})
		},
	})
	ok, _ := serve(t, step{status: 200, body: `{}`})
	down, _ := serve(t, step{status: 503})
	refuses, _ := serve(t, step{status: 400})
	calls := []struct {
		name string
		call Call
		want []heard // everything heard so far
	}{
		{"a success is not a failure", Call{Service: "mail", Key: "v", Method: "GET", URL: ok.URL}, nil},
		{"an invalid call is not a failure", Call{Service: "mail", Key: "v", Method: "GET", URL: "::"}, nil},
		{"503 after its retries is one failure", Call{Service: "pay", Key: "v", Method: "GET", URL: down.URL},
			[]heard{{"pay", KindUnavailable}}},
		{"a rejection", Call{Service: "mail", Key: "v", Method: "GET", URL: refuses.URL},
			[]heard{{"pay", KindUnavailable}, {"mail", KindRejected}}},
		{"an open breaker fails fast", Call{Service: "pay", Key: "v", Method: "GET", URL: down.URL},
			[]heard{{"pay", KindUnavailable}, {"mail", KindRejected}, {"pay", KindBreakerOpen}}},
	}
	for _, tc := range calls {
		_, _ = c.Do(context.Background(), tc.call)
		mu.Lock()
		if !slices.Equal(got, tc.want) {
			t.Errorf("after %s: heard %v, want %v", tc.name, got, tc.want)
		}
		mu.Unlock()
	}
}

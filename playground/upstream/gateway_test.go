package upstream

import (
	"context"
	"runtime"
	"testing"
	"time"
)

func TestCloseLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	g, err := StartGateway(GatewayOptions{Seed: 9, Webhook: func(ctx context.Context, _ []byte, _ string) error {
		<-ctx.Done() // a slow receiver: Close must end it
		return ctx.Err()
	}})
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, g, "acct_close")
	p := c.authorize("100")
	c.do("POST", "/v1/payments/"+p.ID+"/capture", "", "")
	hung := newClient(t, g, "acct_hung")
	hung.do("PUT", "/v1/faults", "", `{"hang":true}`)
	done := make(chan error, 1)
	go func() {
		_, err := hung.try("GET", "/v1/payments/"+p.ID, "", "")
		done <- err
	}()
	time.Sleep(50 * time.Millisecond) // let the request reach the hang

	if err := g.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := g.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the hung request outlived Close")
	}
	c.hc.Transport.(interface{ CloseIdleConnections() }).CloseIdleConnections()
	hung.hc.Transport.(interface{ CloseIdleConnections() }).CloseIdleConnections()

	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines after Close, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
	if _, err := c.try("GET", "/v1/faults", "", ""); err == nil {
		t.Error("the gateway still answers after Close")
	}
}

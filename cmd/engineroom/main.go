// Command engineroom serves Engine Room, the back-end concepts playground.
//
//	engineroom              serve (ADDR or PORT, default :8080)
//	engineroom healthcheck  exit 0 when the local server answers /healthz
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // time zones for an image with no /usr/share/zoneinfo
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "engineroom:", err)
		os.Exit(1)
	}
}

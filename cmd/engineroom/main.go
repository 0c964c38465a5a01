// Command engineroom serves Engine Room, the back-end concepts playground.
//
//	engineroom              serve (ADDR or PORT, default :8080)
//	engineroom healthcheck  exit 0 when the local server answers /healthz
//	engineroom loadtest     simulate a class on one address and report latency,
//	                        statuses and the server's memory and CPU
//	                        (-students 50 -every 2s -duration 60s; -url and
//	                        -pid aim it at a running server instead of starting one)
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

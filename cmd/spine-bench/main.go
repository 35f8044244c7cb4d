// Command spine-bench is Spine's load and correctness harness: it drives a
// node (or one it starts) with realistic webhooks and WebSocket sessions,
// measures throughput and latency, and checks that nothing acknowledged was
// lost or duplicated. See `spine-bench help` and bench/README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/casespine/spine/bench/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

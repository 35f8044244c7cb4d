// Command spine runs a Spine node and its operator tools.
//
//	spine serve  --addr HOST:PORT --data DIR [--demo]   run a node
//	spine token  --data DIR --client CID --sub USER --role admin [--ttl 24h]
//	spine tenant create CID [--name NAME] [--url URL] [--data DIR]
//
// Every flag can also be set as an environment variable: SPINE_ and the
// flag's name in upper case with - as _ (SPINE_ADDR, SPINE_DATA, SPINE_ENV).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, os.Interrupt)
		defer stop()
		err = serve(ctx, args[1:], stdout, stderr)
	case "token":
		err = token(args[1:], stdout, stderr)
	case "tenant":
		err = tenant(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		usage(stdout)
		return 0
	default:
		fmt.Fprintf(stderr, "spine: unknown command %q\n", args[0])
		usage(stderr)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if errors.Is(err, errUsage) {
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "spine %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

var errUsage = errors.New("usage")

func usage(w io.Writer) {
	fmt.Fprint(w, `spine: a realtime engine for AI voice-and-email customer operations

Usage:
  spine serve  [--addr 127.0.0.1:8080] [--data ./data] [--env dev] [--demo]
  spine token  --data DIR (--client CID --role admin|agent | --role operator) --sub USER [--ttl 24h]
  spine tenant create CID [--name NAME] [--url http://127.0.0.1:8080] [--data DIR | --token JWT]

Every flag is also an environment variable: SPINE_<FLAG> (SPINE_ADDR, SPINE_DATA, ...).
Run "spine serve --help" for every node setting.
`)
}

package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/casespine/spine/bench/baseline"
	"github.com/casespine/spine/bench/report"
)

// Exit statuses.
const (
	ExitPass        = 0
	ExitCheckFailed = 1
	ExitError       = 2
	ExitInterrupted = 130
)

const usage = `spine-bench: load and correctness harness for Spine

Usage:
  spine-bench <scenario> [flags]     run a scenario against a node
  spine-bench suite [flags]          the standard short suite (make bench)
  spine-bench baseline [--addr A]    serve the bare fasthttp baseline
  spine-bench compare A.json B.json  per-figure ratios of two runs (B/A)

Scenarios:
  intake       Postmark webhooks: acked/s, ack latency; verifies every
               acknowledged message is stored once, in one case per thread
  fanout       event sockets while webhooks produce events: deliveries/s,
               produce->receive latency; every session sees every event of
               its tenant exactly once, in per-case seq order
  connections  idle authenticated sockets: server memory per socket,
               connect rate, failures, the per-user cap
  mixed        intake + fan-out + admin reads at once, for a duration

Target (every scenario):
  --url URL --token JWT   a running node and an operator token
                          (or SPINE_BENCH_URL / SPINE_BENCH_TOKEN)
  --embedded              start 'spine serve' on a temporary data dir
                          (the spine binary beside spine-bench, or --spine)

Run 'spine-bench <command> --help' for its flags.
Exit status: 0 all checks passed, 1 a check failed, 2 the run could not be
carried out, 130 interrupted.
`

// Run executes spine-bench with args (without the program name) and returns
// the exit status.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return ExitError
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "intake", "fanout", "connections", "mixed", "suite":
		return runScenario(ctx, cmd, rest, stdout, stderr)
	case "baseline":
		return runBaseline(ctx, rest, stdout, stderr)
	case "compare":
		return runCompare(rest, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return ExitPass
	}
	fmt.Fprintf(stderr, "spine-bench: unknown command %q\n\n%s", cmd, usage)
	return ExitError
}

func runBaseline(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("baseline", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8099", "listen address")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: spine-bench baseline [--addr HOST:PORT]\n\nServes a bare fasthttp handler answering 200 (with a webhook-shaped JSON body)\nto every request, as the reference for the intake ratio. Stops on SIGINT/SIGTERM.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return flagExit(err)
	}
	s, err := baseline.Start(*addr)
	if err != nil {
		fmt.Fprintf(stderr, "spine-bench baseline: %v\n", err)
		return ExitError
	}
	fmt.Fprintf(stdout, "baseline listening on http://%s\n", s.Addr())
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Shutdown(sctx); err != nil {
		fmt.Fprintf(stderr, "spine-bench baseline: %v\n", err)
		return ExitError
	}
	return ExitPass
}

func runCompare(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: spine-bench compare A.json B.json\n\nPrints every figure present in both runs with the ratio B/A and whether B is\nbetter or worse (by the figure's direction; changes under 2%% are \"same\").\n")
	}
	if err := fs.Parse(args); err != nil {
		return flagExit(err)
	}
	if fs.NArg() != 2 {
		fs.Usage()
		return ExitError
	}
	a, err := report.ReadFile(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "spine-bench compare: %v\n", err)
		return ExitError
	}
	b, err := report.ReadFile(fs.Arg(1))
	if err != nil {
		fmt.Fprintf(stderr, "spine-bench compare: %v\n", err)
		return ExitError
	}
	report.PrintComparison(stdout, fs.Arg(0), fs.Arg(1), a, b)
	return ExitPass
}

func flagExit(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return ExitPass
	}
	return ExitError
}

// envDefault returns the environment variable's value or def.
func envDefault(name, def string) string {
	if v := strings.TrimSpace(os.Getenv(name)); v != "" {
		return v
	}
	return def
}

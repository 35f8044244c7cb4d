package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/casespine/spine/bench/report"
	"github.com/casespine/spine/bench/scenario"
	"github.com/casespine/spine/bench/target"
)

// config is the full configuration written to run.json.
type config struct {
	Command     string `json:"command"`
	args        []string
	Common      *common                     `json:"target"`
	Tag         string                      `json:"tenant_tag"`
	Intake      *scenario.IntakeConfig      `json:"intake,omitempty"`
	Fanout      *scenario.FanoutConfig      `json:"fanout,omitempty"`
	Connections *scenario.ConnectionsConfig `json:"connections,omitempty"`
	Mixed       *scenario.FanoutConfig      `json:"mixed,omitempty"`
}

var scenarioHelp = map[string]string{
	"intake": `Postmark webhooks over T tenants × C threads × M messages (about 3 KB of text
each by default), with a ratio D of resends (some racing their original),
closed loop with K senders or open loop at rate R, for a duration or a count.
Reports acknowledged/s and ack latency, then checks through the admin API
that every acknowledged message is stored exactly once, in the case its
answer named, with no thread over two cases, and that the event log holds
one event per message in per-case seq order.
--vs-baseline runs the same requests against the bare fasthttp baseline
first and prints Spine's ratio to it (the headline figure);
--open-fraction 0.5 then runs open loop at half of Spine's measured maximum.`,
	"fanout": `S event sockets spread over tenants and users (at most --per-user each)
while webhooks produce events. Reports deliveries/s and produce->receive
latency for every delivery; checks that every session got every event of
its tenant exactly once, in per-case seq order, and nothing of another
tenant, and (with --verify) the stored messages as intake does.`,
	"connections": `S idle authenticated sockets. Reports the server's memory per socket (RSS
after a GC minus RSS before connecting, from POST /admin/runtime/gc, and
VmRSS from /proc with --embedded), connect rate and latency, failures, and
checks that sockets stay open and that one over a user's cap gets 429.
Raises the open-file soft limit and says so when it cannot.`,
	"mixed": `Intake (open loop, with resends), fan-out sockets and admin reads at once
for a duration, with every check of intake and fanout.`,
	"suite": `The standard short suite (under two minutes with the defaults), what
'make bench' runs: intake against the baseline and Spine (closed loop) and
then open loop at half Spine's maximum; fanout; connections. With
--embedded each scenario gets a fresh node (--fresh-node).`,
}

func runScenario(ctx context.Context, cmd string, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cm := &common{}
	cm.register(fs)
	cfg := &config{Command: cmd, Common: cm, Tag: target.NewRunTag(), args: args}
	switch cmd {
	case "intake":
		in := defaultIntake()
		cfg.Intake = &in
		intakeFlags(fs, cfg.Intake, "", false)
		fs.BoolVar(&cm.VsBaseline, "vs-baseline", false, "also run the same intake against the bare fasthttp baseline and print the ratio")
		fs.StringVar(&cm.BaselineURL, "baseline", "", "URL of a running 'spine-bench baseline' (default: start one as a child process)")
		fs.BoolVar(&cm.OnlyBase, "baseline-only", false, "run against the baseline alone (no Spine target): shows what the generator reaches on this machine")
	case "fanout":
		f := defaultFanout()
		cfg.Fanout = &f
		fanoutFlags(fs, cfg.Fanout, "")
	case "mixed":
		m := defaultMixed()
		cfg.Mixed = &m
		fanoutFlags(fs, cfg.Mixed, "")
		fs.Float64Var(&cfg.Mixed.AdminReadRate, "reads", cfg.Mixed.AdminReadRate, "admin API reads per second (case lists and case details, as agents)")
	case "connections":
		c := defaultConnections()
		cfg.Connections = &c
		connectionsFlags(fs, cfg.Connections, "")
	case "suite":
		in := defaultIntake()
		in.OpenFraction = 0.5
		cfg.Intake = &in
		f := defaultFanout()
		f.Intake.Duration = 10 * time.Second
		cfg.Fanout = &f
		c := defaultConnections()
		c.Hold = 3 * time.Second
		cfg.Connections = &c
		cm.VsBaseline = true
		intakeFlags(fs, cfg.Intake, "intake-", false)
		fanoutFlags(fs, cfg.Fanout, "fanout-")
		connectionsFlags(fs, cfg.Connections, "connections-")
		fs.StringVar(&cm.BaselineURL, "baseline", "", "URL of a running 'spine-bench baseline' (default: start one as a child process)")
		fs.BoolVar(&cm.VsBaseline, "vs-baseline", true, "run intake against the baseline too")
		fs.BoolVar(&cm.FreshNode, "fresh-node", true, "with --embedded, a fresh node for each scenario")
		var only string
		fs.StringVar(&only, "only", "", "comma-separated subset of intake,fanout,connections")
		fs.Usage = func() { scenarioUsage(fs, cmd, stderr) }
		if err := fs.Parse(args); err != nil {
			return flagExit(err)
		}
		if only != "" {
			keep := map[string]bool{}
			for _, s := range strings.Split(only, ",") {
				keep[strings.TrimSpace(s)] = true
			}
			if !keep["intake"] {
				cfg.Intake = nil
			}
			if !keep["fanout"] {
				cfg.Fanout = nil
			}
			if !keep["connections"] {
				cfg.Connections = nil
			}
		}
		return execute(ctx, cfg, stdout, stderr)
	}
	fs.Usage = func() { scenarioUsage(fs, cmd, stderr) }
	if err := fs.Parse(args); err != nil {
		return flagExit(err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "spine-bench %s: unexpected arguments %q\n", cmd, fs.Args())
		return ExitError
	}
	return execute(ctx, cfg, stdout, stderr)
}

func scenarioUsage(fs *flag.FlagSet, cmd string, w io.Writer) {
	fmt.Fprintf(w, "Usage: spine-bench %s (--url URL --token JWT | --embedded) [flags]\n\n%s\n\nFlags:\n", cmd, scenarioHelp[cmd])
	fs.PrintDefaults()
}

// execute sets up the targets, runs the configured scenarios and reports.
func execute(ctx context.Context, cfg *config, stdout, stderr io.Writer) int {
	cm := cfg.Common
	if cm.OnlyBase {
		cm.VsBaseline = true
	}
	if !cm.OnlyBase && cm.Embedded == (cm.URL != "") {
		fmt.Fprintln(stderr, "spine-bench: give either --url (with --token) or --embedded")
		return ExitError
	}
	if cm.URL != "" && cm.token == "" {
		fmt.Fprintln(stderr, "spine-bench: --url needs --token (an operator JWT; `spine token --data DIR --role operator --sub bench` mints one)")
		return ExitError
	}
	for _, kv := range cm.spineEnv {
		cm.SpineEnv = append(cm.SpineEnv, strings.SplitN(kv, "=", 2)[0])
	}
	if cm.CPUProfile != "" {
		f, err := os.Create(cm.CPUProfile)
		if err != nil {
			fmt.Fprintf(stderr, "spine-bench: %v\n", err)
			return ExitError
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(stderr, "spine-bench: %v\n", err)
			return ExitError
		}
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
		}()
	}
	run := report.NewRun(append([]string{"spine-bench", cfg.Command}, redactArgs(cfg.args)...), cfg)
	prog := report.NewProgress(stdout, cm.Progress)
	env := &scenario.Env{Progress: prog, Tag: cfg.Tag, Seed: cm.Seed, ProfileDir: cm.ServerProf}
	if cm.ServerProf != "" {
		if !cm.Embedded {
			fmt.Fprintln(stderr, "spine-bench: --server-profile needs --embedded (profile a remote node with its own --debug-addr)")
			return ExitError
		}
		if err := os.MkdirAll(cm.ServerProf, 0o755); err != nil {
			fmt.Fprintf(stderr, "spine-bench: %v\n", err)
			return ExitError
		}
	}

	failed := func(err error) {
		run.Errors = append(run.Errors, err.Error())
		fmt.Fprintf(stderr, "spine-bench: %v\n", err)
	}
	var targets []target.Info
	var node *target.Target
	closeNode := func() {
		if node != nil {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
			if err := node.Close(sctx); err != nil {
				failed(fmt.Errorf("stopping the node: %w", err))
			}
			cancel()
			node = nil
		}
	}
	getNode := func(fresh bool) (*target.Target, error) {
		if node != nil && !(fresh && cm.Embedded) {
			return node, nil
		}
		closeNode()
		t, err := openSpine(ctx, cm, prog)
		if err != nil {
			return nil, err
		}
		node = t
		targets = append(targets, t.Info())
		return t, nil
	}
	defer closeNode()

	type step struct {
		name string
		run  func(*target.Target) error
	}
	var steps []step
	if cfg.Intake != nil {
		steps = append(steps, step{"intake", func(t *target.Target) error {
			env.Spine = t
			if cm.VsBaseline {
				b, err := openBaseline(ctx, cm)
				if err != nil {
					return err
				}
				defer b.Close(context.WithoutCancel(ctx))
				targets = append(targets, b.Info())
				env.Baseline = b
				defer func() { env.Baseline = nil }()
			}
			res, err := scenario.Intake(ctx, env, *cfg.Intake)
			if res != nil {
				for _, p := range res.Phases {
					run.AddPhase(p)
				}
				run.Headline = append(run.Headline, res.Headline...)
			}
			return err
		}})
	}
	if cfg.Fanout != nil {
		steps = append(steps, step{"fanout", func(t *target.Target) error {
			env.Spine = t
			ph, err := scenario.Fanout(ctx, env, "fanout", *cfg.Fanout)
			if ph != nil {
				run.AddPhase(ph)
				if f, ok := ph.Figure("deliveries_per_s"); ok {
					run.Headline = append(run.Headline, report.Figure{Name: "fanout_deliveries_per_s", Value: f.Value, Unit: f.Unit, Better: f.Better})
				}
				if s, ok := ph.Latencies["produce_to_receive"]; ok {
					run.Headline = append(run.Headline, report.Figure{Name: "fanout_p99_ms", Value: s.P99Ms, Unit: "ms", Better: report.LowerIsBetter})
				}
			}
			return err
		}})
	}
	if cfg.Mixed != nil {
		steps = append(steps, step{"mixed", func(t *target.Target) error {
			env.Spine = t
			ph, err := scenario.Fanout(ctx, env, "mixed", *cfg.Mixed)
			if ph != nil {
				run.AddPhase(ph)
			}
			return err
		}})
	}
	if cfg.Connections != nil {
		steps = append(steps, step{"connections", func(t *target.Target) error {
			env.Spine = t
			ph, err := scenario.Connections(ctx, env, "connections", *cfg.Connections)
			if ph != nil {
				run.AddPhase(ph)
				if f, ok := ph.Figure("server_rss_per_socket"); ok {
					run.Headline = append(run.Headline, report.Figure{Name: "connections_server_kib_per_socket", Value: f.Value, Unit: f.Unit, Better: f.Better})
				}
			}
			return err
		}})
	}

	for i, st := range steps {
		if ctx.Err() != nil {
			break
		}
		var t *target.Target
		if !cm.OnlyBase {
			var err error
			if t, err = getNode(cm.FreshNode && i > 0); err != nil {
				failed(err)
				break
			}
		}
		if err := st.run(t); err != nil {
			failed(fmt.Errorf("%s: %w", st.name, err))
		}
		if t != nil && t.Proc != nil {
			if err := t.Proc.Exited(); err != nil {
				failed(fmt.Errorf("the embedded node exited during %s: %v\n%s", st.name, err, t.Proc.LogTail(20)))
				node = nil
				break
			}
		}
	}
	closeNode()
	if ctx.Err() != nil {
		run.Errors = append(run.Errors, "interrupted: figures cover the run so far and verification did not (fully) run")
	}
	run.Target = targets
	run.Seal()
	fmt.Fprintln(stdout)
	run.PrintTable(stdout)
	if cm.Out != "" {
		if err := run.WriteFile(cm.Out); err != nil {
			fmt.Fprintf(stderr, "spine-bench: %v\n", err)
			return ExitError
		}
		fmt.Fprintf(stdout, "wrote %s\n", cm.Out)
	}
	switch {
	case ctx.Err() != nil:
		return ExitInterrupted
	case anyCheckFailed(run):
		return ExitCheckFailed
	case len(run.Errors) > 0:
		return ExitError
	}
	return ExitPass
}

func anyCheckFailed(r *report.Run) bool {
	for _, p := range r.Phases {
		if p.Failed() {
			return true
		}
	}
	return false
}

func openSpine(ctx context.Context, cm *common, prog *report.Progress) (*target.Target, error) {
	if !cm.Embedded {
		t, err := target.Remote(cm.URL, cm.token)
		if err != nil {
			return nil, err
		}
		if err := t.WaitReady(ctx, 15*time.Second); err != nil {
			return nil, err
		}
		return t, nil
	}
	bin, err := target.FindSpine(cm.Spine)
	if err != nil {
		return nil, err
	}
	prog.Printf("starting %s serve on a temporary data directory ...", bin)
	t, err := target.StartEmbedded(ctx, target.EmbeddedOptions{
		Binary: bin, KeepData: cm.KeepData, Env: cm.spineEnv, ExtraArgs: strings.Fields(cm.SpineArgs),
		Debug: cm.ServerProf != "",
	})
	if err != nil {
		return nil, fmt.Errorf("embedded node: %w", err)
	}
	prog.Printf("node pid %d at %s (data %s, log %s)", t.Proc.PID(), t.BaseURL, t.Proc.DataDir, t.Proc.LogPath)
	return t, nil
}

func openBaseline(ctx context.Context, cm *common) (*target.Target, error) {
	if cm.BaselineURL != "" {
		t, err := target.RemoteBaseline(cm.BaselineURL)
		if err != nil {
			return nil, err
		}
		return t, t.WaitReady(ctx, 10*time.Second)
	}
	t, err := target.StartBaseline(ctx, target.BaselineOptions{})
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	return t, nil
}

// redactArgs returns args with the value of --token replaced.
func redactArgs(args []string) []string {
	out := make([]string, len(args))
	copy(out, args)
	for i, a := range out {
		switch {
		case a == "--token" || a == "-token":
			if i+1 < len(out) {
				out[i+1] = "REDACTED"
			}
		case strings.HasPrefix(a, "--token=") || strings.HasPrefix(a, "-token="):
			out[i] = a[:strings.IndexByte(a, '=')+1] + "REDACTED"
		}
	}
	return out
}

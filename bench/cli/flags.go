package cli

import (
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/casespine/spine/bench/scenario"
)

// common holds the target and output flags every scenario takes.
type common struct {
	URL         string   `json:"url,omitempty"`
	token       string   // never written to run.json
	Embedded    bool     `json:"embedded"`
	Spine       string   `json:"spine,omitempty"`
	KeepData    bool     `json:"keep_data,omitempty"`
	SpineEnv    []string `json:"spine_env_keys,omitempty"` // keys only: values may be secrets
	spineEnv    envList
	SpineArgs   string        `json:"spine_args,omitempty"`
	Out         string        `json:"out,omitempty"`
	Seed        uint64        `json:"seed"`
	Progress    time.Duration `json:"-"`
	VsBaseline  bool          `json:"vs_baseline,omitempty"`
	OnlyBase    bool          `json:"baseline_only,omitempty"`
	BaselineURL string        `json:"baseline_url,omitempty"`
	FreshNode   bool          `json:"fresh_node,omitempty"`
	CPUProfile  string        `json:"cpuprofile,omitempty"`
	ServerProf  string        `json:"server_profile_dir,omitempty"`
}

type envList []string

func (e *envList) String() string { return strings.Join(*e, ",") }
func (e *envList) Set(v string) error {
	if !strings.Contains(v, "=") {
		return fmt.Errorf("want KEY=VALUE, got %q", v)
	}
	*e = append(*e, v)
	return nil
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.URL, "url", envDefault("SPINE_BENCH_URL", ""), "base URL of a running Spine node, e.g. http://10.0.0.5:8080 (env SPINE_BENCH_URL)")
	fs.StringVar(&c.token, "token", envDefault("SPINE_BENCH_TOKEN", ""), "operator JWT for --url; spine-bench provisions its own tenants and users with it (env SPINE_BENCH_TOKEN)")
	fs.BoolVar(&c.Embedded, "embedded", false, "start 'spine serve' as a separate process on a temporary data directory instead of --url")
	fs.StringVar(&c.Spine, "spine", "", "path of the spine binary for --embedded (default: beside spine-bench, then PATH)")
	fs.BoolVar(&c.KeepData, "keep-data", false, "keep the embedded node's temporary data directory and log")
	fs.Var(&c.spineEnv, "spine-env", "KEY=VALUE added to the embedded node's environment (repeatable); the node runs with SPINE_ENV=bench unless this sets another")
	fs.StringVar(&c.SpineArgs, "spine-args", "", "extra arguments appended to 'spine serve' (space-separated)")
	fs.StringVar(&c.Out, "out", "", "write every figure, check and the full configuration as JSON to this file")
	fs.Uint64Var(&c.Seed, "seed", 1, "seed for the choice of resends")
	fs.StringVar(&c.CPUProfile, "cpuprofile", "", "write spine-bench's own CPU profile to this file (to see what the generator costs)")
	fs.StringVar(&c.ServerProf, "server-profile", "", "with --embedded: start the node with --debug-addr and save a CPU profile of it for each measured phase in this directory")
	fs.DurationVar(&c.Progress, "progress", 0, "progress interval (default 1s on a terminal, 5s otherwise; negative disables)")
}

func intakeFlags(fs *flag.FlagSet, c *scenario.IntakeConfig, prefix string, source bool) {
	fs.IntVar(&c.Tenants, prefix+"tenants", c.Tenants, "tenants (T)")
	fs.IntVar(&c.Cases, prefix+"cases", c.Cases, "threads per tenant (C); a longer run continues with fresh threads")
	fs.IntVar(&c.Messages, prefix+"messages", c.Messages, "messages per thread (M)")
	fs.IntVar(&c.TextBytes, prefix+"text-bytes", c.TextBytes, "TextBody size in bytes")
	fs.IntVar(&c.HTMLBytes, prefix+"html-bytes", c.HTMLBytes, "HtmlBody size in bytes (0: empty)")
	fs.IntVar(&c.AttachmentBytes, prefix+"attachment-bytes", c.AttachmentBytes, "size of one attachment in bytes (0: none)")
	fs.Float64Var(&c.DupRatio, prefix+"dup", c.DupRatio, "fraction of sends that resend an already-sent message (D)")
	fs.Float64Var(&c.DupConcurrent, prefix+"dup-concurrent", c.DupConcurrent, "fraction of resends aimed at the message sent just before (racing it)")
	rateHelp := "open-loop rate in webhooks/s (0: closed loop with --senders)"
	fs.Float64Var(&c.Rate, prefix+"rate", c.Rate, rateHelp)
	fs.IntVar(&c.Senders, prefix+"senders", c.Senders, "closed-loop concurrent senders (K)")
	fs.IntVar(&c.MaxInFlight, prefix+"max-in-flight", c.MaxInFlight, "open-loop bound on requests in flight (a backlog beyond it shows as latency)")
	fs.DurationVar(&c.Duration, prefix+"duration", c.Duration, "how long to send (0: send --count originals)")
	fs.Uint64Var(&c.Count, prefix+"count", c.Count, "original messages to send (0: T×C×M, or unbounded up to --max-messages with --duration)")
	fs.Uint64Var(&c.MaxMessages, prefix+"max-messages", c.MaxMessages, "cap on original messages in a --duration run")
	fs.DurationVar(&c.Timeout, prefix+"timeout", c.Timeout, "timeout of one webhook request")
	fs.BoolVar(&c.Verify, prefix+"verify", c.Verify, "afterwards check every acknowledged message through the cases API")
	fs.BoolVar(&c.VerifyEvents, prefix+"verify-events", c.VerifyEvents, "afterwards also check the tenant event log")
	fs.IntVar(&c.VerifyParallel, prefix+"verify-parallel", c.VerifyParallel, "concurrent case reads while verifying")
	if !source {
		fs.Float64Var(&c.OpenFraction, prefix+"open-fraction", c.OpenFraction, "after a closed-loop run, also run open loop at this fraction of Spine's measured maximum (0: off); its p99 is a headline figure")
	}
}

func fanoutFlags(fs *flag.FlagSet, c *scenario.FanoutConfig, prefix string) {
	intakeFlags(fs, &c.Intake, prefix, true)
	fs.IntVar(&c.Sockets, prefix+"sockets", c.Sockets, "event sockets (S), spread over the tenants")
	fs.IntVar(&c.PerUser, prefix+"per-user", c.PerUser, "sockets per user; also set as each tenant's max_connections_per_user")
	fs.BoolVar(&c.TokenInQuery, prefix+"token-in-query", c.TokenInQuery, "send socket tokens as ?access_token= instead of an Authorization header")
	fs.IntVar(&c.ConnectParallel, prefix+"connect-parallel", c.ConnectParallel, "concurrent socket dials")
	fs.IntVar(&c.ReadBuffer, prefix+"read-buffer", c.ReadBuffer, "read buffer per socket in bytes")
	fs.DurationVar(&c.Drain, prefix+"drain", c.Drain, "how long to wait for the last deliveries after production stops")
}

func connectionsFlags(fs *flag.FlagSet, c *scenario.ConnectionsConfig, prefix string) {
	fs.IntVar(&c.Sockets, prefix+"sockets", c.Sockets, "idle sockets to open (S)")
	fs.IntVar(&c.Tenants, prefix+"tenants", c.Tenants, "tenants to spread them over")
	fs.IntVar(&c.PerUser, prefix+"per-user", c.PerUser, "sockets per user; also set as each tenant's max_connections_per_user")
	fs.IntVar(&c.Parallel, prefix+"parallel", c.Parallel, "concurrent dials")
	fs.DurationVar(&c.Hold, prefix+"hold", c.Hold, "how long to hold the sockets open once all are open")
	fs.BoolVar(&c.TokenInQuery, prefix+"token-in-query", c.TokenInQuery, "send tokens as ?access_token= instead of an Authorization header")
	fs.BoolVar(&c.CheckCap, prefix+"check-cap", c.CheckCap, "also check that one socket over a user's cap is refused with 429")
}

// Defaults of each scenario.

func defaultIntake() scenario.IntakeConfig {
	return scenario.IntakeConfig{
		Tenants: 4, Cases: 250, Messages: 4, TextBytes: 3072,
		DupRatio: 0.1, DupConcurrent: 0.5, Senders: 32, MaxInFlight: 512,
		Duration: 10 * time.Second, MaxMessages: 1_000_000, Timeout: 10 * time.Second,
		Verify: true, VerifyEvents: true, VerifyParallel: 8,
	}
}

func defaultFanout() scenario.FanoutConfig {
	in := defaultIntake()
	in.Tenants, in.Cases, in.Messages = 1, 200, 20
	in.DupRatio = 0.05
	// 560 webhooks/s less 5% resends is ~530 new events/s: over 1,000 sockets
	// enough offered load to show 500,000 deliveries/s.
	in.Rate = 560
	in.Senders = 8
	return scenario.FanoutConfig{
		Intake: in, Sockets: 1000, PerUser: 5, ConnectParallel: 32,
		ReadBuffer: 64 << 10, Drain: 15 * time.Second, Settle: 250 * time.Millisecond,
	}
}

func defaultMixed() scenario.FanoutConfig {
	f := defaultFanout()
	f.Intake.Tenants, f.Intake.Cases, f.Intake.Messages = 4, 250, 8
	f.Intake.DupRatio = 0.1
	f.Intake.Rate = 300
	f.Intake.Duration = 60 * time.Second
	f.Sockets = 200
	f.AdminReadRate = 50
	return f
}

func defaultConnections() scenario.ConnectionsConfig {
	return scenario.ConnectionsConfig{Tenants: 1, Sockets: 10000, PerUser: 5, Parallel: 64, Hold: 5 * time.Second, CheckCap: true}
}

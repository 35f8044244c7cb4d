package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/casespine/spine/bench/baseline"
	"github.com/casespine/spine/bench/internal/fakespine"
	"github.com/casespine/spine/bench/report"
)

// TestMain lets the test binary stand in for the spine binary (serve and
// token), so that --embedded is tested with a real separate process.
func TestMain(m *testing.M) {
	if os.Getenv("FAKE_SPINE") == "1" {
		os.Exit(fakeSpineMain(os.Args[1:]))
	}
	os.Exit(m.Run())
}

func operatorTokenFor(dataDir string) string {
	h := sha256.Sum256([]byte(dataDir))
	return "fake." + hex.EncodeToString(h[:8]) + ".sig"
}

// fakeSpineMain implements `spine serve --addr A --data D` and
// `spine token --data D ...` over fakespine.
func fakeSpineMain(args []string) int {
	flagVal := func(name string) string {
		for i, a := range args {
			if a == name && i+1 < len(args) {
				return args[i+1]
			}
		}
		return ""
	}
	data := flagVal("--data")
	switch {
	case len(args) > 0 && args[0] == "serve":
		s, err := fakespine.Start(fakespine.Options{Addr: flagVal("--addr"), OperatorToken: operatorTokenFor(data)})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGTERM, os.Interrupt)
		<-ch
		s.Close()
		return 0
	case len(args) > 0 && args[0] == "token":
		fmt.Println(operatorTokenFor(data))
		return 0
	}
	fmt.Fprintln(os.Stderr, "fake spine: unknown command", args)
	return 2
}

type outcome struct {
	code int
	run  *report.Run
	out  string
}

func (o outcome) check(name string) (report.Check, bool) {
	for _, p := range o.run.Phases {
		for _, c := range p.Checks {
			if c.Name == name {
				return c, true
			}
		}
	}
	return report.Check{}, false
}

func (o outcome) failedChecks() []string {
	var out []string
	for _, p := range o.run.Phases {
		for _, c := range p.Checks {
			if !c.Passed && !c.Skipped {
				out = append(out, p.Name+": "+c.Name+": "+c.Detail)
			}
		}
	}
	return out
}

func run(t *testing.T, args ...string) outcome {
	t.Helper()
	out := filepath.Join(t.TempDir(), "run.json")
	full := append(append([]string{}, args...), "--out", out, "--progress", "-1s")
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), full, &stdout, &stderr)
	r, err := report.ReadFile(out)
	if err != nil {
		t.Fatalf("no run document (exit %d): %v\nstdout:\n%s\nstderr:\n%s", code, err, stdout.String(), stderr.String())
	}
	return outcome{code: code, run: r, out: stdout.String() + stderr.String()}
}

func startFake(t *testing.T, o fakespine.Options) *fakespine.Server {
	t.Helper()
	s, err := fakespine.Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func targetArgs(s *fakespine.Server) []string {
	return []string{"--url", s.URL(), "--token", s.OperatorToken()}
}

// Small, deterministic shapes: count mode (no duration), closed loop.
var (
	intakeArgs = []string{"--tenants", "2", "--cases", "8", "--messages", "4", "--duration", "0", "--senders", "4"}
	fanoutArgs = []string{"--tenants", "1", "--cases", "4", "--messages", "4", "--duration", "0", "--rate", "0",
		"--senders", "2", "--sockets", "12", "--per-user", "5", "--dup", "0", "--drain", "2s"}
)

// TestCorrectTargetPasses: against a server that keeps every invariant,
// every scenario passes every check and exits 0.
func TestCorrectTargetPasses(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"intake", append([]string{"intake"}, intakeArgs...)},
		{"intake-open-loop", []string{"intake", "--tenants", "2", "--cases", "8", "--messages", "4", "--duration", "0", "--rate", "400"}},
		{"fanout", append([]string{"fanout"}, fanoutArgs...)},
		{"fanout-query-token-with-resends", append(append([]string{"fanout"}, fanoutArgs...), "--token-in-query", "--dup", "0.2", "--tenants", "2")},
		{"connections", []string{"connections", "--sockets", "40", "--per-user", "5", "--hold", "50ms"}},
		{"mixed", []string{"mixed", "--tenants", "2", "--cases", "6", "--messages", "3", "--duration", "0", "--rate", "300", "--sockets", "10", "--reads", "200", "--drain", "2s"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startFake(t, fakespine.Options{})
			o := run(t, append(tc.args, targetArgs(s)...)...)
			if o.code != ExitPass {
				t.Fatalf("exit %d, failed checks %q\n%s", o.code, o.failedChecks(), o.out)
			}
			if len(o.run.Phases) == 0 || !o.run.Passed {
				t.Fatalf("run document: %d phases, passed %v", len(o.run.Phases), o.run.Passed)
			}
		})
	}
}

// TestBrokenTargetFails: each deliberately broken server makes the check
// that guards its invariant fail, and the run exit 1.
func TestBrokenTargetFails(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault fakespine.Fault
		at    int
		args  []string
		check string
	}{
		{"duplicated delivery", fakespine.DuplicateDelivery, 5, append([]string{"fanout"}, fanoutArgs...),
			"no event delivered twice to a session"},
		{"dropped delivery", fakespine.DropDelivery, 5, append([]string{"fanout"}, fanoutArgs...),
			"every session got every event of its tenant (none lost)"},
		{"reordered delivery", fakespine.ReorderDelivery, 5, append([]string{"fanout"}, fanoutArgs...),
			"per-case seq in order from 1 without gaps; offsets increase"},
		{"event leaked to another tenant", fakespine.CrossTenant, 3, append(append([]string{"fanout"}, fanoutArgs...), "--tenants", "2"),
			"no event of another tenant or of unknown origin"},
		{"thread split over two cases", fakespine.SplitThread, 3, append(append([]string{"intake"}, intakeArgs...), "--dup", "0"),
			"one case per thread"},
		{"thread split seen by sockets", fakespine.SplitThread, 3, append([]string{"fanout"}, fanoutArgs...),
			"one case per thread (events)"},
		{"resend stored twice", fakespine.DoubleStore, 1, append(append([]string{"intake"}, intakeArgs...), "--dup", "0.3"),
			"every message stored at most once (no duplicates)"},
		{"over-cap socket accepted", fakespine.IgnoreCap, 1, []string{"connections", "--sockets", "10", "--hold", "1ms"},
			"one socket over the per-user cap is refused (HTTP 429 or close 4029)"},
		{"idle socket dropped", fakespine.DropIdle, 4, []string{"connections", "--sockets", "10", "--hold", "1s"},
			"no idle socket dropped while held"},
		{"socket dropped during fan-out", fakespine.DropIdle, 4, append([]string{"fanout"}, fanoutArgs...),
			"no socket closed by the server during the run"},
		{"acknowledged message lost", fakespine.LoseAcked, 7, append(append([]string{"intake"}, intakeArgs...), "--dup", "0"),
			"every acknowledged message stored (none lost)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startFake(t, fakespine.Options{Fault: tc.fault, FaultAt: tc.at})
			o := run(t, append(tc.args, targetArgs(s)...)...)
			if o.code != ExitCheckFailed {
				t.Fatalf("exit %d, want %d; failed checks %q\n%s", o.code, ExitCheckFailed, o.failedChecks(), o.out)
			}
			c, ok := o.check(tc.check)
			if !ok {
				t.Fatalf("no check %q; failed: %q", tc.check, o.failedChecks())
			}
			if c.Passed {
				t.Fatalf("check %q passed; failed instead: %q", tc.check, o.failedChecks())
			}
			if len(c.Examples) == 0 {
				t.Errorf("check %q failed without an example to investigate", tc.check)
			}
			if !strings.Contains(o.out, "FAIL") {
				t.Errorf("table does not say FAIL:\n%s", o.out)
			}
		})
	}
}

// TestEmbeddedStartsAndStopsNode runs intake with --embedded against the
// test binary acting as spine: a separate process that must be ready,
// mint the operator token, and be gone once the run ends.
func TestEmbeddedStartsAndStopsNode(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	o := run(t, append([]string{"intake", "--embedded", "--spine", self, "--spine-env", "FAKE_SPINE=1"}, intakeArgs...)...)
	if o.code != ExitPass {
		t.Fatalf("exit %d, failed %q\n%s", o.code, o.failedChecks(), o.out)
	}
	infos, ok := o.run.Target.([]any)
	if !ok || len(infos) != 1 {
		t.Fatalf("target info %#v", o.run.Target)
	}
	info := infos[0].(map[string]any)
	pid := int(info["pid"].(float64))
	if info["embedded"] != true || pid == 0 {
		t.Fatalf("target info %#v", info)
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Fatalf("embedded node %d still exists after the run: %v", pid, err)
	}
	if _, err := os.Stat(info["data_dir"].(string)); !os.IsNotExist(err) {
		t.Fatalf("temporary data dir left behind: %v", err)
	}
	if _, ok := o.check("every acknowledged message stored (none lost)"); !ok {
		t.Fatal("no verification ran")
	}
}

// TestVsBaselineHeadline runs intake against the baseline and the fake
// and reports the ratio as the headline.
func TestVsBaselineHeadline(t *testing.T) {
	b, err := baseline.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Shutdown(context.Background())
	s := startFake(t, fakespine.Options{})
	o := run(t, append(append([]string{"intake", "--vs-baseline", "--baseline", "http://" + b.Addr(), "--open-fraction", "0.5"}, intakeArgs...), targetArgs(s)...)...)
	if o.code != ExitPass {
		t.Fatalf("exit %d, failed %q\n%s", o.code, o.failedChecks(), o.out)
	}
	names := map[string]bool{}
	for _, f := range o.run.Headline {
		names[f.Name] = true
		if f.Value <= 0 {
			t.Errorf("headline %s = %v", f.Name, f.Value)
		}
	}
	for _, want := range []string{"intake_spine_over_baseline", "intake_p99_ack_ms_at_50%_of_max"} {
		if !names[want] {
			t.Errorf("headline lacks %s: %v", want, o.run.Headline)
		}
	}
	if len(o.run.Phases) != 3 {
		t.Errorf("%d phases, want baseline, spine and open loop", len(o.run.Phases))
	}
}

func TestCompare(t *testing.T) {
	s := startFake(t, fakespine.Options{})
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	for _, p := range []string{a, b} {
		var out bytes.Buffer
		args := append(append([]string{"intake"}, intakeArgs...), append(targetArgs(s), "--out", p, "--progress", "-1s")...)
		if code := Run(context.Background(), args, &out, &out); code != 0 {
			t.Fatalf("exit %d\n%s", code, out.String())
		}
	}
	var out bytes.Buffer
	if code := Run(context.Background(), []string{"compare", a, b}, &out, &out); code != 0 {
		t.Fatalf("compare exit %d\n%s", code, out.String())
	}
	if !strings.Contains(out.String(), "intake/spine/acked_per_s") || !strings.Contains(out.String(), "x") {
		t.Fatalf("compare output:\n%s", out.String())
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"nope"},
		{"intake"},                        // no target
		{"intake", "--url", "http://x:1"}, // no token
		{"intake", "--embedded", "--url", "http://x:1", "--token", "t"},
		{"compare", "only-one.json"},
	} {
		var out bytes.Buffer
		if code := Run(context.Background(), args, &out, &out); code != ExitError {
			t.Errorf("%q: exit %d, want %d", args, code, ExitError)
		}
	}
}

func TestRedactArgs(t *testing.T) {
	got := redactArgs([]string{"--token", "secret", "--token=s2", "--url", "u"})
	if strings.Contains(strings.Join(got, " "), "secret") || strings.Contains(strings.Join(got, " "), "s2") {
		t.Fatalf("token not redacted: %q", got)
	}
}

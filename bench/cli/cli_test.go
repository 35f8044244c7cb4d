package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/casespine/spine/bench/internal/fakespine"
	"github.com/casespine/spine/bench/report"
)

func runAgainst(t *testing.T, srv *fakespine.Server, args ...string) (int, *report.Run, string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "run.json")
	full := append(args, "--url", srv.URL(), "--token", srv.OperatorToken(), "--out", out, "--progress", "-1s")
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), full, &stdout, &stderr)
	r, err := report.ReadFile(out)
	if err != nil {
		t.Fatalf("no run document (exit %d): %v\nstdout:\n%s\nstderr:\n%s", code, err, stdout.String(), stderr.String())
	}
	return code, r, stdout.String() + stderr.String()
}

func TestSmokeIntake(t *testing.T) {
	srv, err := fakespine.Start(fakespine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	code, _, out := runAgainst(t, srv, "intake", "--tenants", "2", "--cases", "10", "--messages", "3", "--duration", "0", "--senders", "4")
	t.Log(out)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
}

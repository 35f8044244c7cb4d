package target

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/casespine/spine/bench/spineapi"
)

// Process is a server process spine-bench started.
type Process struct {
	Binary  string
	Args    []string
	DataDir string // empty for the baseline
	LogPath string
	// Dir is the temporary directory holding DataDir and LogPath.
	Dir  string
	keep bool

	cmd     *exec.Cmd
	logFile *os.File
	done    chan struct{}
	waitErr error
	stopMu  sync.Mutex
	stopped bool
}

// PID returns the process id.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Exited returns the process's exit error once it has exited (a non-nil
// error even for a clean exit), and nil while it runs.
func (p *Process) Exited() error {
	select {
	case <-p.done:
		if p.waitErr != nil {
			return p.waitErr
		}
		return errors.New("exited with status 0")
	default:
		return nil
	}
}

// Stop sends SIGTERM, waits for a graceful exit until ctx ends (or 15s),
// then kills the process. It removes the temporary directory unless the
// process was started with KeepData. Stop is idempotent.
func (p *Process) Stop(ctx context.Context) error {
	p.stopMu.Lock()
	defer p.stopMu.Unlock()
	if p.stopped {
		return nil
	}
	p.stopped = true
	var err error
	select {
	case <-p.done:
	default:
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		grace := time.NewTimer(15 * time.Second)
		defer grace.Stop()
		select {
		case <-p.done:
		case <-grace.C:
			_ = p.cmd.Process.Kill()
			<-p.done
			err = fmt.Errorf("%s did not stop within 15s of SIGTERM; killed", filepath.Base(p.Binary))
		case <-ctx.Done():
			_ = p.cmd.Process.Kill()
			<-p.done
			err = fmt.Errorf("%s killed: %w", filepath.Base(p.Binary), ctx.Err())
		}
	}
	p.logFile.Close()
	if !p.keep && p.Dir != "" {
		_ = os.RemoveAll(p.Dir)
	}
	return err
}

// LogTail returns the last n lines of the process's output.
func (p *Process) LogTail(n int) string {
	b, err := os.ReadFile(p.LogPath)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func startProcess(bin string, args []string, dir string, keep bool, env []string) (*Process, error) {
	logPath := filepath.Join(dir, filepath.Base(bin)+".log")
	lf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout = lf
	cmd.Stderr = lf
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		lf.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	p := &Process{Binary: bin, Args: args, LogPath: logPath, Dir: dir, keep: keep, cmd: cmd, logFile: lf, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// FreeAddr returns a loopback address with a port that was free a moment
// ago.
func FreeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// FindSpine locates the spine binary: explicit when given, else "spine"
// beside the running executable, else "spine" on PATH.
func FindSpine(explicit string) (string, error) {
	if explicit != "" {
		if _, err := os.Stat(explicit); err != nil {
			return "", fmt.Errorf("--spine %s: %w", explicit, err)
		}
		return filepath.Abs(explicit)
	}
	if self, err := os.Executable(); err == nil {
		cand := filepath.Join(filepath.Dir(self), "spine")
		if st, err := os.Stat(cand); err == nil && !st.IsDir() {
			return cand, nil
		}
	}
	if p, err := exec.LookPath("spine"); err == nil {
		return p, nil
	}
	return "", errors.New("no spine binary beside spine-bench or on PATH; build both with `go build -o bin/ ./cmd/spine ./cmd/spine-bench` or pass --spine PATH")
}

// EmbeddedOptions configures StartEmbedded. Zero fields take defaults.
type EmbeddedOptions struct {
	// Binary is the spine executable. Required (see FindSpine).
	Binary string
	// Addr is the listen address. Default: a free loopback port.
	Addr string
	// KeepData keeps the temporary directory (data and log) after Close.
	KeepData bool
	// Env is added to the child's environment (SPINE_* knobs), after
	// SPINE_ENV=bench (Spine's environment for load tests: no access log,
	// warnings only), which it may override.
	Env []string
	// ExtraArgs are appended to `spine serve`.
	ExtraArgs []string
	// ReadyTimeout bounds the wait for /readyz. Default 60s.
	ReadyTimeout time.Duration
	// Sub is the operator token's subject. Default "spine-bench".
	Sub string
	// Debug starts the node with --debug-addr on a free loopback port, so
	// that its pprof profiles can be taken (Target.DebugURL).
	Debug bool
}

// StartEmbedded starts `spine serve` on a temporary data directory, waits
// until it is ready and mints an operator token with `spine token`.
func StartEmbedded(ctx context.Context, o EmbeddedOptions) (*Target, error) {
	if o.ReadyTimeout == 0 {
		o.ReadyTimeout = 60 * time.Second
	}
	if o.Sub == "" {
		o.Sub = "spine-bench"
	}
	o.Env = append([]string{"SPINE_ENV=bench"}, o.Env...)
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ { // a port picked free can be taken meanwhile
		t, err := startEmbeddedOnce(ctx, o)
		if err == nil {
			return t, nil
		}
		lastErr = err
		if o.Addr != "" || !strings.Contains(err.Error(), "address already in use") {
			break
		}
	}
	return nil, lastErr
}

func startEmbeddedOnce(ctx context.Context, o EmbeddedOptions) (*Target, error) {
	addr := o.Addr
	if addr == "" {
		var err error
		if addr, err = FreeAddr(); err != nil {
			return nil, err
		}
	}
	dir, err := os.MkdirTemp("", "spine-bench-")
	if err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o700); err != nil {
		return nil, err
	}
	args := []string{"serve", "--addr", addr, "--data", data}
	debugURL := ""
	if o.Debug {
		da, err := FreeAddr()
		if err != nil {
			return nil, err
		}
		args = append(args, "--debug-addr", da)
		debugURL = "http://" + da
	}
	args = append(args, o.ExtraArgs...)
	p, err := startProcess(o.Binary, args, dir, o.KeepData, o.Env)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	p.DataDir = data
	api, err := spineapi.New(spineapi.Options{BaseURL: "http://" + addr})
	if err != nil {
		_ = p.Stop(ctx)
		return nil, err
	}
	t := &Target{Kind: KindSpine, BaseURL: api.BaseURL(), API: api, Proc: p, DebugURL: debugURL}
	if err := t.WaitReady(ctx, o.ReadyTimeout); err != nil {
		_ = t.Close(ctx)
		return nil, err
	}
	tok, err := mintOperator(ctx, o.Binary, data, o.Sub, o.Env)
	if err != nil {
		_ = t.Close(ctx)
		return nil, err
	}
	t.OperatorToken = tok
	return t, nil
}

func mintOperator(ctx context.Context, bin, data, sub string, env []string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "token", "--data", data, "--role", "operator", "--sub", sub)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("spine token: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	// The token is the last non-empty line; anything before it is chatter.
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	tok := strings.TrimSpace(lines[len(lines)-1])
	if strings.Count(tok, ".") != 2 {
		return "", fmt.Errorf("spine token: contract mismatch: stdout is not a JWT: %q", stdout.String())
	}
	return tok, nil
}

// BaselineOptions configures StartBaseline.
type BaselineOptions struct {
	// Binary is the spine-bench executable to run `baseline` with.
	// Default: the running executable.
	Binary string
	// Addr is the listen address. Default: a free loopback port.
	Addr string
	// ReadyTimeout bounds the wait for /readyz. Default 15s.
	ReadyTimeout time.Duration
}

// StartBaseline starts `spine-bench baseline` as a separate process, so it
// is measured like an embedded node.
func StartBaseline(ctx context.Context, o BaselineOptions) (*Target, error) {
	if o.Binary == "" {
		self, err := os.Executable()
		if err != nil {
			return nil, err
		}
		o.Binary = self
	}
	if o.ReadyTimeout == 0 {
		o.ReadyTimeout = 15 * time.Second
	}
	addr := o.Addr
	if addr == "" {
		var err error
		if addr, err = FreeAddr(); err != nil {
			return nil, err
		}
	}
	dir, err := os.MkdirTemp("", "spine-bench-baseline-")
	if err != nil {
		return nil, err
	}
	p, err := startProcess(o.Binary, []string{"baseline", "--addr", addr}, dir, false, nil)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	api, err := spineapi.New(spineapi.Options{BaseURL: "http://" + addr})
	if err != nil {
		_ = p.Stop(ctx)
		return nil, err
	}
	t := &Target{Kind: KindBaseline, BaseURL: api.BaseURL(), API: api, Proc: p}
	if err := t.WaitReady(ctx, o.ReadyTimeout); err != nil {
		_ = t.Close(ctx)
		return nil, err
	}
	return t, nil
}

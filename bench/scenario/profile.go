package scenario

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/casespine/spine/bench/report"
	"github.com/casespine/spine/bench/target"
)

// profileServer takes a CPU profile of the node for d while a phase runs,
// when the run asked for server profiles and the node serves pprof. The
// returned function waits for the profile and notes where it was written.
func profileServer(ctx context.Context, env *Env, tgt *target.Target, ph *report.Phase, d time.Duration) func() {
	if env.ProfileDir == "" || tgt == nil || tgt.DebugURL == "" {
		return func() {}
	}
	if d <= 0 {
		d = 10 * time.Second
	}
	secs := max(1, int(d.Round(time.Second)/time.Second))
	name := strings.NewReplacer("/", "-", "%", "pct").Replace(ph.Name) + ".server.cpu.pprof"
	path := filepath.Join(env.ProfileDir, name)
	done := make(chan error, 1)
	go func() {
		done <- fetchProfile(ctx, tgt.DebugURL+"/debug/pprof/profile?seconds="+strconv.Itoa(secs), path, d+30*time.Second)
	}()
	return func() {
		if err := <-done; err != nil {
			ph.Notef("server CPU profile failed: %v", err)
			return
		}
		ph.Notef("server CPU profile (%ds): %s (go tool pprof -top %s)", secs, path, path)
	}
}

func fetchProfile(ctx context.Context, url, path string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("%s: %d %s", url, resp.StatusCode, b)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

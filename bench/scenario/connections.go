package scenario

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/casespine/spine/bench/report"
	"github.com/casespine/spine/bench/spineapi"
	"github.com/casespine/spine/bench/target"
	"github.com/casespine/spine/bench/wsprobe"
)

// ConnectionsConfig shapes the connections scenario.
type ConnectionsConfig struct {
	// Tenants and Sockets: S idle sockets spread over T tenants.
	Tenants int `json:"tenants"`
	Sockets int `json:"sockets"`
	// PerUser is the number of sockets per user (and the tenant's
	// max_connections_per_user). Default 5.
	PerUser int `json:"per_user"`
	// Parallel bounds concurrent dials. Default 64.
	Parallel int `json:"parallel"`
	// Hold keeps the sockets open this long after the last one opened,
	// checking none is dropped. Default 5s.
	Hold time.Duration `json:"hold_ns"`
	// TokenInQuery sends tokens as ?access_token=.
	TokenInQuery bool `json:"token_in_query"`
	// CheckCap dials one socket over a full user's cap and expects HTTP
	// 429 (or close 4029). Default true in the CLI.
	CheckCap bool `json:"check_cap"`
}

func (c *ConnectionsConfig) defaults() {
	if c.Tenants <= 0 {
		c.Tenants = 1
	}
	if c.Sockets <= 0 {
		c.Sockets = 1000
	}
	if c.PerUser <= 0 {
		c.PerUser = 5
	}
	if c.Parallel <= 0 {
		c.Parallel = 64
	}
	if c.Hold <= 0 {
		c.Hold = 5 * time.Second
	}
}

type memSample struct {
	api    *spineapi.RuntimeStats
	apiErr error
	vmRSS  int64
}

func sampleMemory(ctx context.Context, tgt *target.Target) memSample {
	var m memSample
	// Two collections: the first frees, the second lets the runtime hand
	// freed spans back before RSS is read.
	for range 2 {
		m.api, m.apiErr = tgt.API.RuntimeGC(ctx, tgt.OperatorToken)
	}
	if tgt.Proc != nil {
		if rss, err := tgt.Proc.RSS(); err == nil {
			m.vmRSS = rss
		}
	}
	return m
}

// Connections runs the connections scenario.
func Connections(ctx context.Context, env *Env, name string, cfg ConnectionsConfig) (*report.Phase, error) {
	cfg.defaults()
	tgt := env.Spine
	ph := report.NewPhase(name, "connections", string(tgt.Kind))

	// File descriptors: ours, and the server's when we started it.
	need := uint64(cfg.Sockets) + 256
	soft, hard, err := target.RaiseNoFile(need)
	switch {
	case err != nil:
		ph.Notef("could not raise this process's open-file limit to %d: %v (soft %d, hard %d)", need, err, soft, hard)
	case soft < need:
		ph.Notef("this process may open only %d files (hard limit %d) but needs about %d: raise the hard limit (ulimit -Hn) or lower --sockets; sockets beyond it fail", soft, hard, need)
	}
	if soft < need {
		env.printf("WARNING: open-file limit %d is below the %d this run needs; see the notes", soft, need)
	}
	if tgt.Proc != nil {
		if lim, err := tgt.Proc.NoFileLimit(); err == nil && uint64(lim) < need {
			ph.Notef("the server process may open only %d files but needs about %d", lim, need)
			env.printf("WARNING: the server's open-file limit %d is below %d", lim, need)
		}
	}

	tenants, err := tgt.CreateTenants(ctx, env.Tag, "c", cfg.Tenants, map[string]any{"max_connections_per_user": cfg.PerUser})
	if err != nil {
		return nil, err
	}
	slots, err := planSlots(ctx, tgt, tenants, cfg.Sockets, cfg.PerUser)
	if err != nil {
		return nil, err
	}
	d, err := wsprobe.NewDialer(wsprobe.Options{
		BaseURL: tgt.BaseURL, TokenInQuery: cfg.TokenInQuery,
		ReadBufferSize: 1024, WriteBufferSize: 256, // idle sockets: keep the generator small
	})
	if err != nil {
		return nil, err
	}

	before := sampleMemory(ctx, tgt)
	if before.apiErr != nil {
		ph.Notef("POST /admin/runtime/gc failed: %v", before.apiErr)
	}
	env.printf("%s: opening %d sockets over %d tenants, %d per user ...", name, cfg.Sockets, len(tenants), cfg.PerUser)
	var opened atomic.Int64
	env.Progress.Start(func(el time.Duration) string {
		return fmt.Sprintf("[%s] %5.1fs  open %d of %d", name, el.Seconds(), opened.Load(), cfg.Sockets)
	})
	start := time.Now()
	dr := dialAll(ctx, d, slots, cfg.Parallel, &opened)
	env.Progress.Stop()
	sessions := make([]*session, 0, len(slots))
	for i, c := range dr.conns {
		if c == nil {
			continue
		}
		s := newSession(i, slots[i].tenant.Index, slots[i].tenant.ID, slots[i].user.Sub, c, nil)
		sessions = append(sessions, s)
		go s.idle()
	}
	defer closeAll(context.WithoutCancel(ctx), sessions, 256)
	n := float64(len(sessions))
	ph.AddFigure("sockets_open", n, "sockets", report.HigherIsBetter)
	ph.AddFigure("connect_failures", float64(dr.failed), "sockets", report.LowerIsBetter)
	ph.AddFigure("connect_rate", n/dr.elapsed.Seconds(), "sockets/s", report.HigherIsBetter)
	ph.AddLatency("connect", dr.lat.Summarize())
	dr.kinds.into(ph, "connect_error_")
	ph.AddCheck(report.Check{
		Name: "every socket opened (within the per-user cap)", Passed: dr.failed == 0,
		Detail: fmt.Sprintf("%d of %d opened in %.1fs", len(sessions), len(slots), dr.elapsed.Seconds()),
	})

	// Memory per socket once everything is open and settled.
	after := sampleMemory(ctx, tgt)
	if n > 0 {
		if before.api != nil && after.api != nil {
			ph.AddFigure("server_rss_per_socket", float64(after.api.RSSBytes-before.api.RSSBytes)/n/1024, "KiB", report.LowerIsBetter)
			ph.AddFigure("server_heap_per_socket", float64(after.api.HeapInuseBytes-before.api.HeapInuseBytes)/n/1024, "KiB", report.LowerIsBetter)
			ph.AddFigure("server_goroutines_per_socket", float64(after.api.Goroutines-before.api.Goroutines)/n, "goroutines", report.LowerIsBetter)
			ph.AddFigure("server_rss_before", float64(before.api.RSSBytes)/(1<<20), "MiB", report.Neutral)
			ph.AddFigure("server_rss_after", float64(after.api.RSSBytes)/(1<<20), "MiB", report.Neutral)
		} else if after.apiErr != nil {
			ph.Notef("POST /admin/runtime/gc failed: %v", after.apiErr)
		}
		if before.vmRSS > 0 && after.vmRSS > 0 {
			ph.AddFigure("server_vmrss_per_socket", float64(after.vmRSS-before.vmRSS)/n/1024, "KiB", report.LowerIsBetter)
		}
	}
	var ms runtime.MemStats
	runtime.GC() // count what the sockets hold, not earlier phases' garbage
	runtime.ReadMemStats(&ms)
	ph.AddFigure("generator_heap", float64(ms.HeapInuse)/(1<<20), "MiB", report.Neutral)

	// Hold: idle sockets must stay open (pings answered by the reader).
	env.Progress.Start(func(el time.Duration) string {
		open := 0
		for _, s := range sessions {
			select {
			case <-s.done:
			default:
				open++
			}
		}
		return fmt.Sprintf("[%s] holding %d sockets, %d still open", name, len(sessions), open)
	})
	holdEnd := time.NewTimer(cfg.Hold)
	select {
	case <-holdEnd.C:
	case <-ctx.Done():
	}
	holdEnd.Stop()
	env.Progress.Stop()

	// The cap: one more socket for a user already at the cap is refused.
	if cfg.CheckCap && len(slots) >= cfg.PerUser && dr.failed == 0 {
		capCheck(ctx, ph, d, slots[0].tenant, slots[0].tenant.Users[0])
	}

	early := 0
	var exEarly []string
	codes := map[string]int64{}
	for _, s := range sessions {
		select {
		case <-s.done:
			early++
			codes[wsprobe.CodeName(wsprobe.CloseCode(s.closeErr))]++
			exEarly = appendEx(exEarly, fmt.Sprintf("session %d (%s/%s): %v", s.idx, s.tenantID, s.sub, s.closeErr))
		default:
		}
	}
	for c, k := range codes {
		ph.AddCounter("early_close_"+c, k)
	}
	ph.AddCheck(report.Check{Name: "no idle socket dropped while held", Passed: early == 0,
		Detail: fmt.Sprintf("%d of %d closed during the %s hold", early, len(sessions), cfg.Hold), Examples: exEarly})

	closeStart := time.Now()
	closeAll(ctx, sessions, 256)
	ph.AddFigure("close_seconds", time.Since(closeStart).Seconds(), "s", report.LowerIsBetter)
	ph.Finish(time.Since(start))
	return ph, nil
}

// capCheck dials once more as a user who holds a full cap of sockets.
func capCheck(ctx context.Context, ph *report.Phase, d *wsprobe.Dialer, tn *target.Tenant, u target.User) {
	name := "one socket over the per-user cap is refused (HTTP 429 or close 4029)"
	c, err := d.Dial(ctx, tn.ID, u.Token)
	if err != nil {
		var de *wsprobe.DialError
		ok := errors.As(err, &de) && de.Status == 429
		ph.AddCheck(report.Check{Name: name, Passed: ok, Detail: err.Error()})
		return
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second)) // a 4029 close, if any, comes at once
	_, err = c.Next()
	code := wsprobe.CloseCode(err)
	detail := fmt.Sprintf("the upgrade succeeded; then: %v", err)
	ph.AddCheck(report.Check{Name: name, Passed: code == wsprobe.CodeOverCap, Detail: detail,
		Examples: []string{tn.ID + "/" + u.Sub + ": " + detail}})
}

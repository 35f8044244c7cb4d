package scenario

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/casespine/spine/bench/report"
	"github.com/casespine/spine/bench/target"
	"github.com/casespine/spine/bench/wsprobe"
)

// slot is one socket to open: which tenant and which user.
type slot struct {
	idx    int
	tenant *target.Tenant
	user   target.User
}

// planSlots spreads n sockets over tenants round robin and, within a
// tenant, fills users perUser sockets at a time, so that no user goes over
// the cap. It mints the users' tokens.
func planSlots(ctx context.Context, tgt *target.Target, tenants []*target.Tenant, n, perUser int) ([]slot, error) {
	perTenant := make([]int, len(tenants))
	for i := range n {
		perTenant[i%len(tenants)]++
	}
	for ti, tn := range tenants {
		users := (perTenant[ti] + perUser - 1) / perUser
		if err := tgt.MintUsers(ctx, tn, users, "agent", "2h", 16); err != nil {
			return nil, err
		}
	}
	slots := make([]slot, n)
	next := make([]int, len(tenants))
	for i := range n {
		ti := i % len(tenants)
		j := next[ti]
		next[ti]++
		slots[i] = slot{idx: i, tenant: tenants[ti], user: tenants[ti].Users[j/perUser]}
	}
	return slots, nil
}

// dialResult is the outcome of opening many sockets.
type dialResult struct {
	conns   []*wsprobe.Conn // nil where the dial failed
	failed  int64
	kinds   kinds
	lat     *report.Latency
	elapsed time.Duration
}

// dialAll opens a socket per slot, parallel at a time.
func dialAll(ctx context.Context, d *wsprobe.Dialer, slots []slot, parallel int, opened *atomic.Int64) *dialResult {
	res := &dialResult{conns: make([]*wsprobe.Conn, len(slots)), lat: report.NewLatency()}
	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range max(parallel, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(slots) {
					return
				}
				s := slots[i]
				t0 := time.Now()
				c, err := d.Dial(ctx, s.tenant.ID, s.user.Token)
				if err != nil {
					atomic.AddInt64(&res.failed, 1)
					kind, ex := "dial", err.Error()
					var de *wsprobe.DialError
					if errors.As(err, &de) {
						kind = de.Kind
					}
					res.kinds.add(kind, fmt.Sprintf("%s/%s: %s", s.tenant.ID, s.user.Sub, ex))
					continue
				}
				res.lat.Record(w, time.Since(t0))
				res.conns[i] = c
				if opened != nil {
					opened.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	return res
}

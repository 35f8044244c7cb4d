package scenario

import (
	"context"
	"fmt"
	"time"

	"github.com/casespine/spine/bench/loadgen"
	"github.com/casespine/spine/bench/report"
	"github.com/casespine/spine/bench/target"
	"github.com/casespine/spine/bench/workload"
)

// warmRender sends the warm-up workload to each tenant's webhook route.
type warmRender struct {
	w     *workload.Workload
	paths [][]byte
}

func (r warmRender) Path(g uint64) []byte                   { return r.paths[r.w.Ref(g).Tenant] }
func (r warmRender) AppendBody(dst []byte, g uint64) []byte { return r.w.AppendBody(dst, g) }

// warmUp makes sure every open socket is subscribed before anything is
// measured: it sends one small message per tenant, in rounds, until every
// session has received a warm-up event. A socket that opens (the client has
// its 101) is not necessarily subscribed yet on the server; warming up keeps
// that window out of the lost-event check, and the note says how long it
// took. Warm-up events are counted apart and never measured.
func warmUp(ctx context.Context, env *Env, tgt *target.Target, tenants []*target.Tenant, sessions []*session, sink *deliverySink, p *producer, ph *report.Phase) {
	ww, err := workload.New(workload.Options{Tenants: len(tenants), Cases: 1, Messages: 64, TextBytes: 200})
	if err != nil {
		ph.Notef("warm-up skipped: %v", err)
		return
	}
	sink.warm = ww
	p.also = append(p.also, ww)
	r := warmRender{w: ww}
	for _, tn := range tenants {
		r.paths = append(r.paths, []byte(tn.WebhookPath()))
	}
	cold := func() int {
		n := 0
		for _, s := range sessions {
			select {
			case <-s.done:
				continue // closed by the server: reported by the session checks
			default:
			}
			if s.warm.Load() == 0 {
				n++
			}
		}
		return n
	}
	start := time.Now()
	T := uint64(len(tenants))
	for round := uint64(0); round < 64 && ctx.Err() == nil; round++ {
		runner, err := loadgen.NewRunner(loadgen.Options{BaseURL: tgt.BaseURL, Workers: min(len(tenants), 8), Timeout: 10 * time.Second},
			loadgen.NewSchedule(loadgen.ScheduleOptions{First: round * T, Originals: T}), r)
		if err != nil {
			ph.Notef("warm-up skipped: %v", err)
			return
		}
		runner.Run(ctx)
		if waitFor(ctx, 2*time.Second, func() bool { return cold() == 0 }) {
			ph.Notef("all sockets subscribed after %d warm-up round(s), %.0f ms", round+1, float64(time.Since(start).Microseconds())/1000)
			return
		}
	}
	n := cold()
	ph.Notef("%d of %d sockets never received a warm-up event in %.1fs", n, len(sessions), time.Since(start).Seconds())
	env.printf("WARNING: %d sockets never received a warm-up event", n)
	ph.AddCheck(report.Check{Name: "every socket receives events once open (warm-up)", Passed: false,
		Detail: fmt.Sprintf("%d of %d sockets received none of the warm-up events", n, len(sessions))})
}

package scenario

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/casespine/spine/bench/report"
	"github.com/casespine/spine/bench/spineapi"
	"github.com/casespine/spine/bench/target"
	"github.com/casespine/spine/bench/wsprobe"
)

// FanoutConfig shapes the fanout and mixed scenarios.
type FanoutConfig struct {
	// Intake is the event source: webhooks over its tenants and threads.
	Intake IntakeConfig `json:"intake"`
	// Sockets is the number of event sockets, spread over the tenants.
	Sockets int `json:"sockets"`
	// PerUser is the number of sockets per user (and the tenant's
	// max_connections_per_user). Default 5.
	PerUser int `json:"per_user"`
	// TokenInQuery sends tokens as ?access_token= instead of a header.
	TokenInQuery bool `json:"token_in_query"`
	// ConnectParallel bounds concurrent dials. Default 32.
	ConnectParallel int `json:"connect_parallel"`
	// ReadBuffer sizes each socket's read buffer in bytes. Default 65536:
	// the server batches queued events into large frames.
	ReadBuffer int `json:"read_buffer"`
	// Drain bounds the wait for the last deliveries after production
	// stops. Default 15s.
	Drain time.Duration `json:"drain_ns"`
	// Settle is how long to keep listening once every expected delivery
	// has arrived, to catch late duplicates. Default 250ms.
	Settle time.Duration `json:"settle_ns"`
	// AdminReadRate, when > 0, reads cases through the admin API at that
	// rate meanwhile (mixed).
	AdminReadRate float64 `json:"admin_read_rate"`
}

func (c *FanoutConfig) defaults() {
	c.Intake.defaults()
	if c.Sockets <= 0 {
		c.Sockets = 100
	}
	if c.PerUser <= 0 {
		c.PerUser = 5
	}
	if c.ConnectParallel <= 0 {
		c.ConnectParallel = 32
	}
	if c.ReadBuffer <= 0 {
		c.ReadBuffer = 64 << 10
	}
	if c.Drain <= 0 {
		c.Drain = 15 * time.Second
	}
	if c.Settle <= 0 {
		c.Settle = 250 * time.Millisecond
	}
}

// Fanout runs the fanout scenario (or mixed, when name says so and
// AdminReadRate is set) and returns its phase.
func Fanout(ctx context.Context, env *Env, name string, cfg FanoutConfig) (*report.Phase, error) {
	cfg.defaults()
	tgt := env.Spine
	ic := cfg.Intake
	scenarioName := "fanout"
	tag := "f"
	if cfg.AdminReadRate > 0 {
		scenarioName, tag = "mixed", "m"
	}
	ph := report.NewPhase(name, scenarioName, string(tgt.Kind))

	tenants, err := tgt.CreateTenants(ctx, env.Tag, tag, ic.Tenants, map[string]any{"max_connections_per_user": cfg.PerUser})
	if err != nil {
		return nil, err
	}
	slots, err := planSlots(ctx, tgt, tenants, cfg.Sockets, cfg.PerUser)
	if err != nil {
		return nil, err
	}
	if need := uint64(cfg.Sockets) + 256; need > 0 {
		if soft, hard, err := target.RaiseNoFile(need); err != nil || soft < need {
			ph.Notef("cannot raise the open-file limit to %d (soft %d, hard %d): some sockets may fail to open; raise `ulimit -n`", need, soft, hard)
		}
	}
	p, err := newProducer(env, tgt, tenants, ic, ic.Rate, true)
	if err != nil {
		return nil, err
	}
	sink := &deliverySink{
		w: p.w, sendAt: p.sendAt, commitAt: newChunked[atomic.Int64](p.limit),
		lat: report.NewLatency(), commitLat: report.NewLatency(), events: wsprobe.NewCache(),
	}

	// Open every socket before producing, so each must see every event.
	d, err := wsprobe.NewDialer(wsprobe.Options{BaseURL: tgt.BaseURL, TokenInQuery: cfg.TokenInQuery, ReadBufferSize: cfg.ReadBuffer})
	if err != nil {
		return nil, err
	}
	env.printf("%s: opening %d sockets over %d tenants ...", name, cfg.Sockets, len(tenants))
	var opened atomic.Int64
	dr := dialAll(ctx, d, slots, cfg.ConnectParallel, &opened)
	sessions := make([]*session, 0, len(slots))
	for i, c := range dr.conns {
		if c == nil {
			continue
		}
		s := newSession(i, slots[i].tenant.Index, slots[i].tenant.ID, slots[i].user.Sub, c, sink)
		sessions = append(sessions, s)
		go s.read()
	}
	defer closeAll(context.WithoutCancel(ctx), sessions, 64) // idempotent safety net
	ph.AddFigure("sockets_open", float64(len(sessions)), "sockets", report.Neutral)
	ph.AddCheck(report.Check{
		Name: "every socket opened (within the per-user cap)", Passed: dr.failed == 0,
		Detail: fmt.Sprintf("%d of %d opened in %.1fs", len(sessions), len(slots), dr.elapsed.Seconds()),
	})
	dr.kinds.into(ph, "connect_error_")
	warmUp(ctx, env, tgt, tenants, sessions, sink, p, ph)

	// Produce, with admin reads alongside for mixed.
	mode := "closed loop"
	if ic.Rate > 0 {
		mode = fmt.Sprintf("open loop at %s webhooks/s", report.FormatValue(ic.Rate))
	}
	ph.Notef("%d sockets over %d tenants (%d per user); events from webhooks, %s", len(sessions), len(tenants), cfg.PerUser, mode)
	cpu := startCPU(tgt)
	profiled := profileServer(ctx, env, tgt, ph, ic.Duration)
	var reads *adminReader
	readCtx, stopReads := context.WithCancel(ctx)
	var readWG sync.WaitGroup
	if cfg.AdminReadRate > 0 {
		reads = &adminReader{api: tgt.API, tenants: tenants, p: p, rate: cfg.AdminReadRate, lat: report.NewLatency()}
		readWG.Add(1)
		go func() { defer readWG.Done(); reads.run(readCtx) }()
	}
	total := func() int64 {
		var n int64
		for _, s := range sessions {
			n += s.lines.Load() - s.warm.Load()
		}
		return n
	}
	start := time.Now()
	env.Progress.Start(fanoutProgress(name, p, sink, total))
	p.run(ctx)

	// Drain: every session must reach the count of acknowledged events of
	// its tenant.
	expected := make([]int64, len(tenants))
	for g := range p.sched.Originals() {
		if rec := p.ledger.peek(g); rec != nil && rec.acks.Load() > 0 {
			expected[p.w.Ref(g).Tenant]++
		}
	}
	complete := waitFor(ctx, cfg.Drain, func() bool {
		for _, s := range sessions {
			select {
			case <-s.done:
				continue // ended early; reported below
			default:
			}
			if s.matched.Load() < expected[s.tenant] {
				return false
			}
		}
		return true
	})
	if complete {
		t := time.NewTimer(cfg.Settle)
		select {
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
	}
	env.Progress.Stop()
	stopReads()
	readWG.Wait()
	profiled()
	closeAll(ctx, sessions, 64)
	cpuEnd := time.Now()

	// Figures.
	var lines, frames, lastRecv int64
	for _, s := range sessions {
		lines += s.lines.Load() - s.warm.Load()
		frames += s.frames
		lastRecv = max(lastRecv, s.lastRecvNs)
	}
	span := time.Duration(lastRecv - start.UnixNano())
	if span <= 0 {
		span = cpuEnd.Sub(start)
	}
	ph.Finish(cpuEnd.Sub(start))
	var expectedDeliveries int64
	for _, s := range sessions {
		expectedDeliveries += expected[s.tenant]
	}
	ph.AddFigure("deliveries_per_s", float64(lines)/span.Seconds(), "deliveries/s", report.HigherIsBetter)
	ph.AddFigure("deliveries", float64(lines), "deliveries", report.Neutral)
	ph.AddFigure("expected_deliveries", float64(expectedDeliveries), "deliveries", report.Neutral)
	ph.AddFigure("events_acknowledged", float64(p.runner.OKs()-p.duplicate.Load()), "events", report.Neutral)
	ph.AddFigure("webhooks_acked_per_s", float64(p.runner.OKs())/p.elapsed.Seconds(), "req/s", report.HigherIsBetter)
	if frames > 0 {
		ph.AddFigure("events_per_frame", float64(lines)/float64(frames), "events", report.Neutral)
	}
	ph.AddLatency("produce_to_receive", sink.lat.Summarize())
	ph.AddLatency("commit_to_receive", sink.commitLat.Summarize())
	ph.AddLatency("ack", p.ack.Summarize())
	ph.AddCounter("webhooks_sent", p.runner.Sent())
	ph.AddCounter("webhook_errors", p.runner.Failed())
	ph.AddCounter("resends_sent", int64(p.sched.Dups()))
	p.errs.into(ph, "webhook_error_")
	cpu.report(ph, float64(lines), "delivery")
	if reads != nil {
		reads.figures(ph)
	}

	sessionChecks(ph, sessions, p, expected, complete, cfg.Drain)
	p.answerChecks(ph)
	if ic.Verify && ctx.Err() == nil {
		p.verifyStore(ctx, env, ph)
	}
	if p.runner.OKs() == 0 {
		ph.AddCheck(report.Check{Name: "some webhooks acknowledged", Passed: false, Detail: "no request was answered 200"})
	}
	return ph, nil
}

func fanoutProgress(name string, p *producer, sink *deliverySink, total func() int64) func(time.Duration) string {
	var lastN int64
	var lastT time.Duration
	return func(el time.Duration) string {
		n := total()
		rate := float64(n-lastN) / (el - lastT).Seconds()
		lastN, lastT = n, el
		return fmt.Sprintf("[%s] %5.1fs  webhooks acked %d  errors %d  deliveries %d (%s/s now)  p99 %s",
			name, el.Seconds(), p.runner.OKs(), p.runner.Failed(), n, report.FormatValue(rate), sink.lat.P99().Round(10*time.Microsecond))
	}
}

// sessionChecks turns what the sessions saw into verdicts.
func sessionChecks(ph *report.Phase, sessions []*session, p *producer, expected []int64, complete bool, drain time.Duration) {
	var lost, dups, foreign, unknown, malformed, order, gaps, split, badType, back, early int64
	var unackedDelivered int64
	var exLost, exEarly []string
	ex := map[string][]string{}
	closeCodes := map[string]int64{}
	for _, s := range sessions {
		missing := int64(0)
		for g := range p.sched.Originals() {
			if p.w.Ref(g).Tenant != s.tenant {
				continue
			}
			rec := p.ledger.peek(g)
			acked := rec != nil && rec.acks.Load() > 0
			saw := s.sawG(g)
			switch {
			case acked && !saw:
				missing++
				if missing == 1 {
					exLost = appendEx(exLost, fmt.Sprintf("session %d (%s/%s) never got the event of %s", s.idx, s.tenantID, s.sub, p.w.MessageID(g)))
				}
			case !acked && saw:
				unackedDelivered++
			}
		}
		lost += missing
		dups += s.dups
		foreign += s.foreign
		unknown += s.unknown
		malformed += s.malformed
		order += s.outOfOrder
		gaps += s.gaps
		split += s.split
		badType += s.badType
		back += s.back
		for cat, es := range s.ex {
			for _, e := range es {
				ex[cat] = appendEx(ex[cat], e)
			}
		}
		if s.early {
			early++
			code := wsprobe.CloseCode(s.closeErr)
			closeCodes[wsprobe.CodeName(code)]++
			exEarly = appendEx(exEarly, fmt.Sprintf("session %d (%s/%s) closed by the server: %v", s.idx, s.tenantID, s.sub, s.closeErr))
		}
	}
	for name, n := range closeCodes {
		ph.AddCounter("early_close_"+name, n)
	}
	detail := fmt.Sprintf("%d deliveries missing over %d sessions", lost, len(sessions))
	if !complete {
		detail += fmt.Sprintf(" (still missing %s after production stopped)", drain)
	}
	ph.AddCheck(report.Check{Name: "every session got every event of its tenant (none lost)", Passed: lost == 0, Detail: detail, Examples: exLost})
	ph.AddCheck(report.Check{Name: "no event delivered twice to a session", Passed: dups == 0,
		Detail: fmt.Sprintf("%d duplicate deliveries", dups), Examples: ex[exDup]})
	ph.AddCheck(report.Check{Name: "no event of another tenant or of unknown origin", Passed: foreign == 0 && unknown == 0 && malformed == 0,
		Detail:   fmt.Sprintf("%d of another tenant, %d naming messages this run did not send, %d malformed", foreign, unknown, malformed),
		Examples: ex[exForeign]})
	ph.AddCheck(report.Check{Name: "per-case seq in order from 1 without gaps; offsets increase", Passed: order == 0 && gaps == 0 && badType == 0 && back == 0,
		Detail:   fmt.Sprintf("%d out of order, %d gaps, %d wrong types, %d offsets going back", order, gaps, badType, back),
		Examples: ex[exOrder]})
	ph.AddCheck(report.Check{Name: "one case per thread (events)", Passed: split == 0,
		Detail: fmt.Sprintf("%d events of a thread in a second case", split), Examples: ex[exSplit]})
	ph.AddCheck(report.Check{Name: "no socket closed by the server during the run", Passed: early == 0,
		Detail: fmt.Sprintf("%d closed early", early), Examples: exEarly})
	if unackedDelivered > 0 {
		ph.Notef("%d deliveries of events whose webhooks got no 200 (allowed: the answer was lost, not the event)", unackedDelivered)
	}
}

// adminReader reads cases through the admin API while the load runs.
type adminReader struct {
	api     *spineapi.Client
	tenants []*target.Tenant
	p       *producer
	rate    float64
	lat     *report.Latency
	n, errs atomic.Int64
	kinds   kinds
}

func (a *adminReader) run(ctx context.Context) {
	interval := time.Duration(float64(time.Second) / a.rate)
	t := time.NewTicker(interval)
	defer t.Stop()
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		tn := a.tenants[rng.IntN(len(a.tenants))]
		tok := ""
		if len(tn.Users) > 0 {
			tok = tn.Users[rng.IntN(len(tn.Users))].Token // agents may read
		}
		t0 := time.Now()
		var err error
		if i%2 == 0 {
			_, err = a.api.ListCases(ctx, tok, tn.ID, 20, "")
		} else if id := a.someCase(rng, tn.Index); id != "" {
			_, err = a.api.GetCase(ctx, tok, tn.ID, id)
		} else {
			continue
		}
		if ctx.Err() != nil {
			return
		}
		a.n.Add(1)
		if err != nil {
			a.errs.Add(1)
			a.kinds.add("read", err.Error())
			continue
		}
		a.lat.Record(i, time.Since(t0))
	}
}

// someCase picks a case id some answer named for a tenant.
func (a *adminReader) someCase(rng *rand.Rand, tenant int) string {
	n := a.p.sched.Originals()
	for range 8 {
		if n == 0 {
			return ""
		}
		g := rng.Uint64N(n)
		if a.p.w.Ref(g).Tenant != tenant {
			continue
		}
		if rec := a.p.ledger.peek(g); rec != nil {
			if id := rec.caseID.Load(); id != nil {
				return *id
			}
		}
	}
	return ""
}

func (a *adminReader) figures(ph *report.Phase) {
	ph.AddLatency("admin_read", a.lat.Summarize())
	ph.AddCounter("admin_reads", a.n.Load())
	ph.AddCounter("admin_read_errors", a.errs.Load())
	a.kinds.into(ph, "admin_")
	ph.AddCheck(report.Check{Name: "admin reads answered during the load", Passed: a.errs.Load() == 0,
		Detail: fmt.Sprintf("%d of %d reads failed", a.errs.Load(), a.n.Load())})
}

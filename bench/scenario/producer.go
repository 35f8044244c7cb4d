package scenario

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/casespine/spine/bench/loadgen"
	"github.com/casespine/spine/bench/report"
	"github.com/casespine/spine/bench/target"
	"github.com/casespine/spine/bench/workload"
)

// IntakeConfig shapes webhook production, in the intake scenario and as the
// event source of fanout and mixed.
type IntakeConfig struct {
	// Tenants, Cases and Messages: T tenants × C threads × M messages.
	Tenants  int `json:"tenants"`
	Cases    int `json:"cases"`
	Messages int `json:"messages"`
	// TextBytes, HTMLBytes, AttachmentBytes size each message.
	TextBytes       int `json:"text_bytes"`
	HTMLBytes       int `json:"html_bytes"`
	AttachmentBytes int `json:"attachment_bytes"`
	// DupRatio is the fraction of sends that resend an earlier message;
	// DupConcurrent the fraction of those aimed at the message just sent.
	DupRatio      float64 `json:"dup_ratio"`
	DupConcurrent float64 `json:"dup_concurrent"`
	// Rate > 0 sends open loop at that many requests/s; 0 is closed loop
	// with Senders concurrent senders.
	Rate        float64 `json:"rate"`
	Senders     int     `json:"senders"`
	MaxInFlight int     `json:"max_in_flight"`
	// Duration bounds the sending; 0 sends Count originals.
	Duration time.Duration `json:"duration_ns"`
	// Count is how many original messages to send; 0 means T×C×M when
	// Duration is 0, and MaxMessages otherwise.
	Count uint64 `json:"count"`
	// MaxMessages caps originals in a duration-bound run.
	MaxMessages uint64 `json:"max_messages"`
	// Timeout bounds one webhook request.
	Timeout time.Duration `json:"timeout_ns"`
	// Verify checks every acknowledged message through the cases API;
	// VerifyEvents also checks the tenant event log.
	Verify         bool `json:"verify"`
	VerifyEvents   bool `json:"verify_events"`
	VerifyParallel int  `json:"verify_parallel"`
	// OpenFraction, when > 0 and the Spine phase ran closed loop, adds an
	// open-loop phase at that fraction of the measured Spine maximum.
	OpenFraction float64 `json:"open_fraction"`
}

func (c *IntakeConfig) defaults() {
	if c.Tenants <= 0 {
		c.Tenants = 1
	}
	if c.Cases <= 0 {
		c.Cases = 100
	}
	if c.Messages <= 0 {
		c.Messages = 4
	}
	if c.Senders <= 0 {
		c.Senders = 32
	}
	if c.MaxInFlight <= 0 {
		c.MaxInFlight = 512
	}
	if c.MaxMessages == 0 {
		c.MaxMessages = 1_000_000
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.VerifyParallel <= 0 {
		c.VerifyParallel = 8
	}
}

// originals is how many originals this configuration sends at most.
func (c *IntakeConfig) originals(w *workload.Workload) uint64 {
	switch {
	case c.Duration > 0 && c.Count > 0:
		return min(c.Count, c.MaxMessages)
	case c.Duration > 0:
		return c.MaxMessages
	case c.Count > 0:
		return c.Count
	}
	return w.PerRound()
}

// msgRec is the ledger entry of one original message: what its answers
// said.
type msgRec struct {
	sends    atomic.Int32
	acks     atomic.Int32 // exactly-200 answers
	applied  atomic.Int32 // answers "created" or "updated"
	created  atomic.Int32 // answers "created"
	caseDiff atomic.Int32 // answers naming another case than the first
	msgDiff  atomic.Int32 // answers naming another message id than the first
	caseID   atomic.Pointer[string]
	msgID    atomic.Pointer[string]
}

// producer sends one workload's webhooks to one target and keeps the
// ledger of answers.
type producer struct {
	cfg     IntakeConfig
	tgt     *target.Target
	tenants []*target.Tenant
	w       *workload.Workload
	paths   [][]byte

	// also lists helper workloads (warm-up) whose messages verification
	// expects to find alongside this one's.
	also []*workload.Workload

	limit  uint64
	ledger *chunked[msgRec]
	sendAt *chunked[atomic.Int64] // first send time (unix ns), when tracked
	sched  *loadgen.Schedule
	runner *loadgen.Runner

	ack                                     *report.Latency
	created, updated, duplicate, badOutcome atomic.Int64
	noCaseID                                atomic.Int64
	errs                                    kinds
	elapsed                                 time.Duration
}

func newProducer(env *Env, tgt *target.Target, tenants []*target.Tenant, cfg IntakeConfig, rate float64, trackSends bool) (*producer, error) {
	w, err := workload.New(workload.Options{
		Tenants: len(tenants), Cases: cfg.Cases, Messages: cfg.Messages,
		TextBytes: cfg.TextBytes, HTMLBytes: cfg.HTMLBytes, AttachmentBytes: cfg.AttachmentBytes,
	})
	if err != nil {
		return nil, err
	}
	p := &producer{cfg: cfg, tgt: tgt, tenants: tenants, w: w, ack: report.NewLatency()}
	for _, tn := range tenants {
		p.paths = append(p.paths, []byte(tn.WebhookPath()))
	}
	p.limit = cfg.originals(w)
	p.ledger = newChunked[msgRec](p.limit)
	if trackSends {
		p.sendAt = newChunked[atomic.Int64](p.limit)
	}
	p.sched = loadgen.NewSchedule(loadgen.ScheduleOptions{
		Originals: p.limit, DupRatio: cfg.DupRatio, DupConcurrent: cfg.DupConcurrent, Seed: env.Seed,
	})
	workers := cfg.Senders
	if rate > 0 {
		workers = cfg.MaxInFlight
	}
	p.runner, err = loadgen.NewRunner(loadgen.Options{
		BaseURL: tgt.BaseURL, Rate: rate, Workers: workers, Duration: cfg.Duration, Timeout: cfg.Timeout,
	}, p.sched, p)
	if err != nil {
		return nil, err
	}
	p.runner.OnSend = p.onSend
	p.runner.OnResult = p.onResult
	return p, nil
}

// Path implements loadgen.Renderer.
func (p *producer) Path(g uint64) []byte { return p.paths[p.w.Ref(g).Tenant] }

// AppendBody implements loadgen.Renderer.
func (p *producer) AppendBody(dst []byte, g uint64) []byte { return p.w.AppendBody(dst, g) }

func (p *producer) onSend(_ int, job loadgen.Job, at time.Time) {
	if rec := p.ledger.at(job.G); rec != nil {
		rec.sends.Add(1)
	}
	if p.sendAt != nil {
		if t := p.sendAt.at(job.G); t != nil {
			t.CompareAndSwap(0, at.UnixNano())
		}
	}
}

func (p *producer) onResult(r *loadgen.Result) {
	rec := p.ledger.at(r.Job.G)
	if !r.OK() {
		ex := ""
		if r.Err != nil {
			ex = r.Err.Error()
		} else if len(r.Body) > 0 {
			ex = string(r.Body[:min(len(r.Body), 200)])
		}
		p.errs.add(r.ErrKind, ex)
		return
	}
	p.ack.Record(r.Worker, r.Latency)
	if rec == nil {
		return
	}
	rec.acks.Add(1)
	switch string(r.Outcome) {
	case "created":
		p.created.Add(1)
		rec.applied.Add(1)
		rec.created.Add(1)
	case "updated":
		p.updated.Add(1)
		rec.applied.Add(1)
	case "duplicate":
		p.duplicate.Add(1)
	default:
		p.badOutcome.Add(1)
	}
	if p.tgt.Kind == target.KindBaseline {
		return
	}
	if len(r.CaseID) == 0 {
		p.noCaseID.Add(1)
	} else {
		remember(&rec.caseID, &rec.caseDiff, r.CaseID)
	}
	if len(r.MessageID) > 0 {
		remember(&rec.msgID, &rec.msgDiff, r.MessageID)
	}
}

// remember stores v in slot the first time and counts later values that
// differ from it.
func remember(slot *atomic.Pointer[string], diff *atomic.Int32, v []byte) {
	cur := slot.Load()
	if cur == nil {
		s := string(v)
		if slot.CompareAndSwap(nil, &s) {
			return
		}
		cur = slot.Load()
	}
	if *cur != string(v) {
		diff.Add(1)
	}
}

func (p *producer) run(ctx context.Context) {
	p.elapsed = p.runner.Run(ctx)
}

func (p *producer) progress(label string) func(time.Duration) string {
	var lastN int64
	var lastT time.Duration
	return func(el time.Duration) string {
		n := p.runner.OKs()
		rate := float64(n-lastN) / (el - lastT).Seconds()
		lastN, lastT = n, el
		return fmt.Sprintf("[%s] %5.1fs  sent %d  acked %d (%s/s now)  errors %d  ack p99 %s",
			label, el.Seconds(), p.runner.Sent(), n, report.FormatValue(rate), p.runner.Failed(), p.ack.P99().Round(10*time.Microsecond))
	}
}

// figures reports what was sent and answered.
func (p *producer) figures(ph *report.Phase, rate float64) {
	el := p.elapsed.Seconds()
	acks := p.runner.OKs()
	ph.AddFigure("acked_per_s", float64(acks)/el, "req/s", report.HigherIsBetter)
	ph.AddFigure("new_messages_per_s", float64(p.created.Load()+p.updated.Load())/el, "msg/s", report.HigherIsBetter)
	if rate > 0 {
		ph.AddFigure("offered_rate", rate, "req/s", report.Neutral)
	}
	sent := p.runner.Sent()
	ph.AddFigure("requests_sent", float64(sent), "req", report.Neutral)
	ph.AddFigure("errors", float64(p.runner.Failed()), "req", report.LowerIsBetter)
	if sent > 0 {
		ph.AddFigure("error_ratio", float64(p.runner.Failed())/float64(sent), "", report.LowerIsBetter)
	}
	ph.AddLatency("ack", p.ack.Summarize())
	ph.AddCounter("originals_sent", int64(p.sched.Originals()))
	ph.AddCounter("resends_sent", int64(p.sched.Dups()))
	ph.AddCounter("answered_created", p.created.Load())
	ph.AddCounter("answered_updated", p.updated.Load())
	ph.AddCounter("answered_duplicate", p.duplicate.Load())
	if n := p.badOutcome.Load(); n > 0 {
		ph.AddCounter("answered_unknown_status", n)
	}
	p.errs.into(ph, "error_")
	if p.sched.Originals() >= p.limit && p.cfg.Duration > 0 {
		ph.Notef("the run stopped at the cap of %d original messages before its duration ended (raise --max-messages)", p.limit)
	}
}

// answerChecks are the checks that need only the answers: a message applied
// at most once, and every answer for one message naming the same case and
// message.
func (p *producer) answerChecks(ph *report.Phase) {
	if p.tgt.Kind == target.KindBaseline {
		return
	}
	var twice, caseDiff, msgDiff []string
	var nTwice, nCase, nMsg int64
	n := p.sched.Originals()
	for g := range n {
		rec := p.ledger.peek(g)
		if rec == nil {
			continue
		}
		if rec.applied.Load() > 1 {
			nTwice++
			twice = appendEx(twice, fmt.Sprintf("%s answered created/updated %d times", p.w.MessageID(g), rec.applied.Load()))
		}
		if rec.caseDiff.Load() > 0 {
			nCase++
			caseDiff = appendEx(caseDiff, fmt.Sprintf("%s: answers named %d other case ids than %s", p.w.MessageID(g), rec.caseDiff.Load(), *rec.caseID.Load()))
		}
		if rec.msgDiff.Load() > 0 {
			nMsg++
			msgDiff = appendEx(msgDiff, fmt.Sprintf("%s: answers named different message ids", p.w.MessageID(g)))
		}
	}
	ph.AddCheck(report.Check{
		Name: "each message applied at most once (answers)", Passed: nTwice == 0,
		Detail: fmt.Sprintf("%d messages answered created/updated more than once", nTwice), Examples: twice,
	})
	ph.AddCheck(report.Check{
		Name: "answers for one message name one case and one message id", Passed: nCase == 0 && nMsg == 0,
		Detail:   fmt.Sprintf("%d messages with differing case ids, %d with differing message ids", nCase, nMsg),
		Examples: append(caseDiff, msgDiff...),
	})
	var rejected int64
	var exRejected []string
	p.errs.mu.Lock()
	for kind, n := range p.errs.m {
		if strings.HasPrefix(kind, "http_4") {
			rejected += n
			exRejected = appendEx(exRejected, kind+": "+p.errs.ex[kind])
		}
	}
	p.errs.mu.Unlock()
	ph.AddCheck(report.Check{
		Name: "no webhook rejected with a 4xx (payload or route refused)", Passed: rejected == 0,
		Detail: fmt.Sprintf("%d requests answered 4xx", rejected), Examples: exRejected,
	})
	bad := p.badOutcome.Load() + p.noCaseID.Load()
	ph.AddCheck(report.Check{
		Name: "webhook answers follow the contract", Passed: bad == 0,
		Detail: fmt.Sprintf("%d answers with a status other than created/updated/duplicate, %d without case_id", p.badOutcome.Load(), p.noCaseID.Load()),
	})
}

func appendEx(ex []string, s string) []string {
	if len(ex) < 10 {
		ex = append(ex, s)
	}
	return ex
}

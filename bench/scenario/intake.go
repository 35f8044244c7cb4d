package scenario

import (
	"context"
	"fmt"

	"github.com/casespine/spine/bench/report"
	"github.com/casespine/spine/bench/target"
)

// IntakeResult is what the intake scenario measured.
type IntakeResult struct {
	Phases   []*report.Phase
	Headline []report.Figure
}

// Intake runs the intake scenario: against the baseline first when env has
// one, then against Spine, then (OpenFraction > 0 after a closed-loop Spine
// phase) open loop at that fraction of Spine's measured maximum.
func Intake(ctx context.Context, env *Env, cfg IntakeConfig) (*IntakeResult, error) {
	cfg.defaults()
	res := &IntakeResult{}
	var baseRate float64
	if env.Baseline != nil {
		ph, p, err := intakePhase(ctx, env, env.Baseline, "intake/baseline", "b", cfg, cfg.Rate)
		if err != nil {
			return res, err
		}
		res.Phases = append(res.Phases, ph)
		baseRate = float64(p.runner.OKs()) / p.elapsed.Seconds()
	}
	if env.Spine == nil { // baseline only: calibrating the generator
		return res, nil
	}
	ph, p, err := intakePhase(ctx, env, env.Spine, "intake/spine", "s", cfg, cfg.Rate)
	if err != nil {
		return res, err
	}
	res.Phases = append(res.Phases, ph)
	spineRate := float64(p.runner.OKs()) / p.elapsed.Seconds()
	if baseRate > 0 {
		ratio := spineRate / baseRate
		res.Headline = append(res.Headline,
			report.Figure{Name: "intake_spine_over_baseline", Value: ratio, Unit: "x", Better: report.HigherIsBetter},
			report.Figure{Name: "intake_spine_acked_per_s", Value: spineRate, Unit: "req/s", Better: report.HigherIsBetter},
			report.Figure{Name: "intake_baseline_acked_per_s", Value: baseRate, Unit: "req/s", Better: report.Neutral},
		)
		ph.AddFigure("ratio_to_baseline", ratio, "x", report.HigherIsBetter)
	}
	if cfg.OpenFraction > 0 && cfg.Rate == 0 && spineRate > 0 && ctx.Err() == nil {
		rate := spineRate * cfg.OpenFraction
		name := fmt.Sprintf("intake/spine-open-%d%%", int(cfg.OpenFraction*100+0.5))
		oph, _, err := intakePhase(ctx, env, env.Spine, name, "o", cfg, rate)
		if err != nil {
			return res, err
		}
		res.Phases = append(res.Phases, oph)
		if s, ok := oph.Latencies["ack"]; ok {
			res.Headline = append(res.Headline, report.Figure{
				Name: fmt.Sprintf("intake_p99_ack_ms_at_%d%%_of_max", int(cfg.OpenFraction*100+0.5)), Value: s.P99Ms, Unit: "ms", Better: report.LowerIsBetter,
			})
		}
	}
	return res, nil
}

func intakePhase(ctx context.Context, env *Env, tgt *target.Target, name, tag string, cfg IntakeConfig, rate float64) (*report.Phase, *producer, error) {
	tenants, err := tgt.CreateTenants(ctx, env.Tag, tag, cfg.Tenants, nil)
	if err != nil {
		return nil, nil, err
	}
	p, err := newProducer(env, tgt, tenants, cfg, rate, false)
	if err != nil {
		return nil, nil, err
	}
	ph := report.NewPhase(name, "intake", string(tgt.Kind))
	mode := "closed loop, " + plural(int64(p.runner.Workers()), "sender", "senders")
	if rate > 0 {
		mode = fmt.Sprintf("open loop at %s req/s", report.FormatValue(rate))
	}
	ph.Notef("%s; %d tenants × %d threads × %d messages per round, %.0f%% resends, ~%d B text",
		mode, cfg.Tenants, cfg.Cases, cfg.Messages, cfg.DupRatio*100, p.w.Options().TextBytes)
	env.printf("%s: %s", name, mode)
	cpu := startCPU(tgt)
	profiled := profileServer(ctx, env, tgt, ph, cfg.Duration)
	env.Progress.Start(p.progress(name))
	p.run(ctx)
	env.Progress.Stop()
	profiled()
	ph.Finish(p.elapsed)
	p.figures(ph, rate)
	cpu.report(ph, float64(p.runner.OKs()), "ack")
	if tgt.Kind == target.KindSpine {
		p.answerChecks(ph)
		if cfg.Verify && ctx.Err() == nil {
			p.verifyStore(ctx, env, ph)
		}
	}
	if p.runner.OKs() == 0 {
		ph.AddCheck(report.Check{Name: "some webhooks acknowledged", Passed: false, Detail: "no request was answered 200"})
	}
	return ph, p, nil
}

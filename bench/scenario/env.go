package scenario

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/casespine/spine/bench/report"
	"github.com/casespine/spine/bench/target"
)

// Env is what every scenario runs with.
type Env struct {
	// Spine is the node under test. Required.
	Spine *target.Target
	// Baseline, when set, is measured with the same intake requests.
	Baseline *target.Target
	// Progress shows live status; nil is silent.
	Progress *report.Progress
	// Tag keeps this run's tenant ids apart from other runs'.
	Tag string
	// Seed makes duplicate choices reproducible.
	Seed uint64
	// ProfileDir, when set, receives a CPU profile of the node for each
	// measured phase (the node must serve pprof: Target.DebugURL).
	ProfileDir string
}

func (e *Env) printf(format string, args ...any) {
	if e.Progress != nil {
		e.Progress.Printf(format, args...)
	}
}

// chunkBits sizes the chunks of a chunked array.
const chunkBits = 14

// chunked is a lazily allocated array of T indexed by uint64, up to a fixed
// capacity, safe for concurrent use: chunks are created with a CAS and
// elements are used through pointers (T should be made of atomics).
type chunked[T any] struct {
	chunks []atomic.Pointer[[1 << chunkBits]T]
}

func newChunked[T any](capacity uint64) *chunked[T] {
	n := (capacity + (1 << chunkBits) - 1) >> chunkBits
	return &chunked[T]{chunks: make([]atomic.Pointer[[1 << chunkBits]T], max(n, 1))}
}

// at returns element i, allocating its chunk; nil when i is beyond the
// capacity.
func (c *chunked[T]) at(i uint64) *T {
	ci := i >> chunkBits
	if ci >= uint64(len(c.chunks)) {
		return nil
	}
	p := c.chunks[ci].Load()
	if p == nil {
		nc := new([1 << chunkBits]T)
		if c.chunks[ci].CompareAndSwap(nil, nc) {
			p = nc
		} else {
			p = c.chunks[ci].Load()
		}
	}
	return &p[i&(1<<chunkBits-1)]
}

// peek returns element i when its chunk exists, else nil.
func (c *chunked[T]) peek(i uint64) *T {
	ci := i >> chunkBits
	if ci >= uint64(len(c.chunks)) {
		return nil
	}
	p := c.chunks[ci].Load()
	if p == nil {
		return nil
	}
	return &p[i&(1<<chunkBits-1)]
}

// kinds counts error kinds; rare, so a mutex is enough.
type kinds struct {
	mu sync.Mutex
	m  map[string]int64
	ex map[string]string // one example message per kind
}

func (k *kinds) add(kind, example string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.m == nil {
		k.m = map[string]int64{}
		k.ex = map[string]string{}
	}
	k.m[kind]++
	if _, ok := k.ex[kind]; !ok && example != "" {
		k.ex[kind] = example
	}
}

func (k *kinds) into(p *report.Phase, prefix string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for kind, n := range k.m {
		p.AddCounter(prefix+kind, n)
		if ex := k.ex[kind]; ex != "" {
			p.Notef("%s%s e.g.: %s", prefix, kind, ex)
		}
	}
}

// cpuMeter measures CPU time of the generator and, when it is a local
// process, of the server over a phase.
type cpuMeter struct {
	proc        *target.Process
	start       time.Time
	self0, srv0 time.Duration
	srvOK       bool
}

func startCPU(t *target.Target) *cpuMeter {
	m := &cpuMeter{start: time.Now(), self0: target.SelfCPU()}
	if t != nil && t.Proc != nil {
		m.proc = t.Proc
		if c, err := t.Proc.CPU(); err == nil {
			m.srv0, m.srvOK = c, true
		}
	}
	return m
}

// report adds CPU figures: cores used by the server and the generator, and
// server CPU per unit of work (per ack, per delivery).
func (m *cpuMeter) report(p *report.Phase, work float64, unit string) {
	wall := time.Since(m.start).Seconds()
	if wall <= 0 {
		return
	}
	self := (target.SelfCPU() - m.self0).Seconds()
	if self > 0 {
		p.AddFigure("generator_cpu_cores", self/wall, "cores", report.Neutral)
	}
	if m.srvOK {
		if c, err := m.proc.CPU(); err == nil {
			srv := (c - m.srv0).Seconds()
			p.AddFigure("server_cpu_cores", srv/wall, "cores", report.Neutral)
			if work > 0 {
				p.AddFigure("server_cpu_per_"+unit, srv/work*1e6, "µs", report.LowerIsBetter)
			}
		}
	}
}

// waitFor polls cond every 10ms until it holds or timeout passes.
func waitFor(ctx context.Context, timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		select {
		case <-ctx.Done():
			return cond()
		case <-t.C:
		}
	}
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

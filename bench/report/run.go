package report

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"sort"
	"sync"
	"time"
)

// Direction says which way a figure improves; compare uses it to call a
// change better or worse.
type Direction string

// Directions of figures.
const (
	HigherIsBetter Direction = "higher"
	LowerIsBetter  Direction = "lower"
	Neutral        Direction = ""
)

// Figure is one named measurement.
type Figure struct {
	Name   string    `json:"name"`
	Value  float64   `json:"value"`
	Unit   string    `json:"unit"`
	Better Direction `json:"better,omitempty"`
}

// Check is one correctness verdict. A skipped check neither passes nor
// fails the run; Detail says why it was skipped.
type Check struct {
	Name    string `json:"name"`
	Passed  bool   `json:"passed"`
	Skipped bool   `json:"skipped,omitempty"`
	Detail  string `json:"detail,omitempty"`
	// Examples lists a few offending items (message ids, case ids, sessions)
	// so that a failure can be investigated.
	Examples []string `json:"examples,omitempty"`
}

// Phase is one measured stretch of a run: a scenario against one target.
type Phase struct {
	Name      string             `json:"name"`
	Scenario  string             `json:"scenario"`
	Target    string             `json:"target"`
	Started   time.Time          `json:"started"`
	Seconds   float64            `json:"seconds"`
	Figures   []Figure           `json:"figures"`
	Latencies map[string]Summary `json:"latencies,omitempty"`
	Counters  map[string]int64   `json:"counters,omitempty"`
	Checks    []Check            `json:"checks,omitempty"`
	Notes     []string           `json:"notes,omitempty"`

	mu sync.Mutex
}

// NewPhase starts a phase now.
func NewPhase(name, scenario, target string) *Phase {
	return &Phase{
		Name:      name,
		Scenario:  scenario,
		Target:    target,
		Started:   time.Now(),
		Latencies: map[string]Summary{},
		Counters:  map[string]int64{},
	}
}

// AddFigure appends a figure.
func (p *Phase) AddFigure(name string, value float64, unit string, better Direction) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.Figures = append(p.Figures, Figure{Name: name, Value: value, Unit: unit, Better: better})
}

// Figure returns a figure by name.
func (p *Phase) Figure(name string) (Figure, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, f := range p.Figures {
		if f.Name == name {
			return f, true
		}
	}
	return Figure{}, false
}

// AddLatency stores a latency summary under name.
func (p *Phase) AddLatency(name string, s Summary) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.Latencies[name] = s
}

// AddCounter stores a raw count (requests sent, errors by kind, ...).
func (p *Phase) AddCounter(name string, v int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.Counters[name] += v
}

// AddCheck records a correctness verdict.
func (p *Phase) AddCheck(c Check) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(c.Examples) > 10 {
		c.Examples = c.Examples[:10]
	}
	p.Checks = append(p.Checks, c)
}

// Notef records a note shown under the phase's table.
func (p *Phase) Notef(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.Notes = append(p.Notes, fmt.Sprintf(format, args...))
}

// Finish fixes the phase's duration.
func (p *Phase) Finish(d time.Duration) { p.Seconds = d.Seconds() }

// Failed reports whether any check failed.
func (p *Phase) Failed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.Checks {
		if !c.Passed && !c.Skipped {
			return true
		}
	}
	return false
}

// Host describes the machine the generator ran on.
type Host struct {
	GOOS      string `json:"goos"`
	GOARCH    string `json:"goarch"`
	NumCPU    int    `json:"num_cpu"`
	GoVersion string `json:"go_version"`
	Hostname  string `json:"hostname"`
}

// Run is the document written with --out.
type Run struct {
	Tool     string    `json:"tool"`
	Command  []string  `json:"command"`
	Config   any       `json:"config"`
	Host     Host      `json:"host"`
	Target   any       `json:"target,omitempty"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	Phases   []*Phase  `json:"phases"`
	Headline []Figure  `json:"headline,omitempty"`
	Errors   []string  `json:"errors,omitempty"`
	Passed   bool      `json:"passed"`
}

// NewRun starts a run document.
func NewRun(args []string, config any) *Run {
	host, _ := os.Hostname()
	return &Run{
		Tool:    "spine-bench",
		Command: args,
		Config:  config,
		Host: Host{
			GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, NumCPU: runtime.NumCPU(),
			GoVersion: runtime.Version(), Hostname: host,
		},
		Started: time.Now(),
	}
}

// AddPhase appends a phase.
func (r *Run) AddPhase(p *Phase) { r.Phases = append(r.Phases, p) }

// Seal computes the verdict: passed when no check failed and no error was
// recorded.
func (r *Run) Seal() {
	r.Finished = time.Now()
	r.Passed = len(r.Errors) == 0
	for _, p := range r.Phases {
		if p.Failed() {
			r.Passed = false
		}
	}
}

// WriteFile writes the run as indented JSON.
func (r *Run) WriteFile(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encode run: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write run: %w", err)
	}
	return nil
}

// ReadFile loads a run written by WriteFile.
func ReadFile(path string) (*Run, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Run
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &r, nil
}

// Flatten lists every figure of the run under a qualified name
// (phase/figure, phase/latency.p99_ms, ...), so that two runs can be
// compared figure by figure.
func (r *Run) Flatten() []Figure {
	var out []Figure
	for _, f := range r.Headline {
		f.Name = "headline/" + f.Name
		out = append(out, f)
	}
	for _, p := range r.Phases {
		for _, f := range p.Figures {
			f.Name = p.Name + "/" + f.Name
			out = append(out, f)
		}
		names := make([]string, 0, len(p.Latencies))
		for n := range p.Latencies {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			s := p.Latencies[n]
			if s.Count == 0 {
				continue
			}
			base := p.Name + "/" + n + "."
			out = append(out,
				Figure{Name: base + "p50", Value: s.P50Ms, Unit: "ms", Better: LowerIsBetter},
				Figure{Name: base + "p90", Value: s.P90Ms, Unit: "ms", Better: LowerIsBetter},
				Figure{Name: base + "p99", Value: s.P99Ms, Unit: "ms", Better: LowerIsBetter},
				Figure{Name: base + "p99.9", Value: s.P999Ms, Unit: "ms", Better: LowerIsBetter},
				Figure{Name: base + "max", Value: s.MaxMs, Unit: "ms", Better: LowerIsBetter},
			)
		}
	}
	return out
}

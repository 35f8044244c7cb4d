package report

import (
	"sync"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Latencies are recorded in microseconds between 1 µs and 10 minutes with
// three significant figures; anything above the ceiling is clamped to it and
// counted in Clamped.
const (
	latencyLowest  = 1
	latencyHighest = int64(10 * time.Minute / time.Microsecond)
	latencySigFigs = 3
	latencyShards  = 16
)

// Latency is an HDR latency recorder that many goroutines may record into at
// once. It is striped: callers pass a hint (a worker or session number) that
// picks a shard, so that recorders rarely share a lock.
type Latency struct {
	shards [latencyShards]latencyShard
}

type latencyShard struct {
	mu      sync.Mutex
	h       *hdrhistogram.Histogram
	clamped int64
	_       [40]byte // keep shards on separate cache lines
}

// NewLatency returns an empty recorder.
func NewLatency() *Latency {
	l := &Latency{}
	for i := range l.shards {
		l.shards[i].h = newHistogram()
	}
	return l
}

func newHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(latencyLowest, latencyHighest, latencySigFigs)
}

// Record adds one observation. hint chooses the shard; any value is valid.
func (l *Latency) Record(hint int, d time.Duration) {
	us := int64(d / time.Microsecond)
	if us < latencyLowest {
		us = latencyLowest
	}
	s := &l.shards[uint(hint)%latencyShards]
	s.mu.Lock()
	if us > latencyHighest {
		us = latencyHighest
		s.clamped++
	}
	_ = s.h.RecordValue(us) // in range by construction
	s.mu.Unlock()
}

// Snapshot merges the shards into a new histogram. Recording may continue
// while it runs.
func (l *Latency) Snapshot() (*hdrhistogram.Histogram, int64) {
	out := newHistogram()
	var clamped int64
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		out.Merge(s.h)
		clamped += s.clamped
		s.mu.Unlock()
	}
	return out, clamped
}

// Summary is the distribution of a latency in milliseconds.
type Summary struct {
	Count   int64   `json:"count"`
	MeanMs  float64 `json:"mean_ms"`
	P50Ms   float64 `json:"p50_ms"`
	P90Ms   float64 `json:"p90_ms"`
	P99Ms   float64 `json:"p99_ms"`
	P999Ms  float64 `json:"p999_ms"`
	MaxMs   float64 `json:"max_ms"`
	Clamped int64   `json:"clamped,omitempty"`
}

// Summarize computes the percentiles of everything recorded so far.
func (l *Latency) Summarize() Summary {
	h, clamped := l.Snapshot()
	return summarize(h, clamped)
}

func summarize(h *hdrhistogram.Histogram, clamped int64) Summary {
	s := Summary{Count: h.TotalCount(), Clamped: clamped}
	if s.Count == 0 {
		return s
	}
	ms := func(us int64) float64 { return float64(us) / 1000 }
	s.MeanMs = h.Mean() / 1000
	s.P50Ms = ms(h.ValueAtQuantile(50))
	s.P90Ms = ms(h.ValueAtQuantile(90))
	s.P99Ms = ms(h.ValueAtQuantile(99))
	s.P999Ms = ms(h.ValueAtQuantile(99.9))
	s.MaxMs = ms(h.Max())
	return s
}

// P99 returns the 99th percentile so far, for progress lines.
func (l *Latency) P99() time.Duration {
	h, _ := l.Snapshot()
	if h.TotalCount() == 0 {
		return 0
	}
	return time.Duration(h.ValueAtQuantile(99)) * time.Microsecond
}

package loadgen

import (
	"math/rand/v2"
	"sync"
)

// Job is one send: message G of the workload, an original or a resend.
type Job struct {
	G   uint64
	Dup bool
}

// Source yields jobs; ok is false when there is nothing more to send. It
// must be safe for concurrent use.
type Source interface {
	Next() (job Job, ok bool)
}

// ScheduleOptions shapes a Schedule.
type ScheduleOptions struct {
	// Originals is how many original messages to send (g = First ...
	// First+Originals-1). Required.
	Originals uint64
	// First is the first original's index. Default 0.
	First uint64
	// DupRatio is the fraction of sends that are resends of a message
	// already sent, in [0, 1). Default 0.
	DupRatio float64
	// DupConcurrent is the fraction of resends aimed at the original sent
	// just before, which is usually still in flight, in [0, 1]. Default 0.
	DupConcurrent float64
	// Seed makes the choice of resends reproducible.
	Seed uint64
}

// Schedule is the standard Source: originals in order, with resends mixed
// in at DupRatio. It is safe for concurrent use.
type Schedule struct {
	o       ScheduleOptions
	mu      sync.Mutex
	rng     *rand.Rand
	next    uint64 // next original, relative to First
	sent    uint64
	dups    uint64
	stopped bool
}

// NewSchedule returns a schedule.
func NewSchedule(o ScheduleOptions) *Schedule {
	o.DupRatio = min(max(o.DupRatio, 0), 0.99)
	o.DupConcurrent = min(max(o.DupConcurrent, 0), 1)
	return &Schedule{o: o, rng: rand.New(rand.NewPCG(o.Seed, 0x5eed))}
}

// Next implements Source.
func (s *Schedule) Next() (Job, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped || s.next >= s.o.Originals {
		return Job{}, false
	}
	s.sent++
	if s.next > 0 && s.o.DupRatio > 0 && s.rng.Float64() < s.o.DupRatio {
		s.dups++
		var g uint64
		if s.rng.Float64() < s.o.DupConcurrent {
			g = s.next - 1 // the original just handed out, most likely in flight
		} else {
			g = s.rng.Uint64N(s.next)
		}
		return Job{G: s.o.First + g, Dup: true}, true
	}
	g := s.next
	s.next++
	return Job{G: s.o.First + g}, true
}

// Stop makes Next report the end from now on.
func (s *Schedule) Stop() {
	s.mu.Lock()
	s.stopped = true
	s.mu.Unlock()
}

// Originals returns how many originals were handed out.
func (s *Schedule) Originals() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.next
}

// Dups returns how many resends were handed out.
func (s *Schedule) Dups() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dups
}

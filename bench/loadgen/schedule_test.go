package loadgen

import (
	"sync"
	"testing"
)

func TestScheduleConcurrentUse(t *testing.T) {
	s := NewSchedule(ScheduleOptions{Originals: 5000, DupRatio: 0.1, Seed: 1})
	var mu sync.Mutex
	orig := map[uint64]int{}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				j, ok := s.Next()
				if !ok {
					return
				}
				if !j.Dup {
					mu.Lock()
					orig[j.G]++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if len(orig) != 5000 {
		t.Fatalf("%d distinct originals", len(orig))
	}
	for g, n := range orig {
		if n != 1 {
			t.Fatalf("original %d handed out %d times", g, n)
		}
	}
}

func TestScheduleOriginalsOnceAndResendsEarlier(t *testing.T) {
	s := NewSchedule(ScheduleOptions{Originals: 10000, First: 100, DupRatio: 0.2, DupConcurrent: 0.5, Seed: 3})
	orig := map[uint64]int{}
	dups := 0
	for {
		j, ok := s.Next()
		if !ok {
			break
		}
		if j.Dup {
			dups++
			if orig[j.G] == 0 {
				t.Fatalf("resend of %d before its original", j.G)
			}
		} else {
			orig[j.G]++
		}
	}
	if len(orig) != 10000 {
		t.Fatalf("%d originals", len(orig))
	}
	for g, n := range orig {
		if n != 1 || g < 100 || g >= 10100 {
			t.Fatalf("original %d sent %d times", g, n)
		}
	}
	ratio := float64(dups) / float64(dups+10000)
	if ratio < 0.17 || ratio > 0.23 {
		t.Fatalf("resend ratio %.3f, want about 0.2", ratio)
	}
	if s.Dups() != uint64(dups) || s.Originals() != 10000 {
		t.Fatalf("counters %d %d", s.Dups(), s.Originals())
	}
}

func TestScheduleStop(t *testing.T) {
	s := NewSchedule(ScheduleOptions{Originals: 10})
	s.Next()
	s.Stop()
	if _, ok := s.Next(); ok {
		t.Fatal("Next after Stop")
	}
}

package report

import (
	"bytes"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestLatencyPercentiles(t *testing.T) {
	l := NewLatency()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 1; i <= 250; i++ {
				l.Record(w, time.Duration((w*250)+i)*time.Millisecond)
			}
		}()
	}
	wg.Wait()
	s := l.Summarize()
	if s.Count != 1000 {
		t.Fatalf("count %d", s.Count)
	}
	within := func(got, want float64) bool { return got >= want*0.99 && got <= want*1.01 }
	if !within(s.P50Ms, 500) || !within(s.P99Ms, 990) || !within(s.MaxMs, 1000) || !within(s.P90Ms, 900) {
		t.Fatalf("summary %+v", s)
	}
	l.Record(0, time.Hour) // above the ceiling: clamped and counted
	if s := l.Summarize(); s.Clamped != 1 {
		t.Fatalf("clamped %d", s.Clamped)
	}
}

func TestRunFileCompareAndTable(t *testing.T) {
	mk := func(rate, p99 float64, pass bool) *Run {
		r := NewRun([]string{"spine-bench", "intake"}, map[string]any{"x": 1})
		p := NewPhase("intake/spine", "intake", "spine")
		p.AddFigure("acked_per_s", rate, "req/s", HigherIsBetter)
		p.AddLatency("ack", Summary{Count: 10, P50Ms: 1, P90Ms: 2, P99Ms: p99, P999Ms: p99, MaxMs: p99})
		p.AddCheck(Check{Name: "none lost", Passed: pass, Examples: []string{"m-1"}})
		r.AddPhase(p)
		r.Seal()
		return r
	}
	dir := t.TempDir()
	a, b := mk(1000, 10, true), mk(1500, 5, false)
	if !a.Passed || b.Passed {
		t.Fatalf("verdicts %v %v", a.Passed, b.Passed)
	}
	pa, pb := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	if err := a.WriteFile(pa); err != nil {
		t.Fatal(err)
	}
	if err := b.WriteFile(pb); err != nil {
		t.Fatal(err)
	}
	ra, err := ReadFile(pa)
	if err != nil {
		t.Fatal(err)
	}
	rb, _ := ReadFile(pb)
	pairs, _, _ := Compare(ra, rb)
	got := map[string]Comparison{}
	for _, c := range pairs {
		got[c.Name] = c
	}
	if c := got["intake/spine/acked_per_s"]; c.Ratio != 1.5 || c.Verdict() != "better" {
		t.Fatalf("rate comparison %+v %s", c, c.Verdict())
	}
	if c := got["intake/spine/ack.p99"]; c.Ratio != 0.5 || c.Verdict() != "better" {
		t.Fatalf("p99 comparison %+v %s", c, c.Verdict())
	}
	var out bytes.Buffer
	rb.PrintTable(&out)
	for _, want := range []string{"[FAIL] none lost", "e.g. m-1", "FAIL:", "1,500"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
}

func TestFormatValue(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 12: "12", 1234567: "1,234,567", 3.14159: "3.14", 0.0412: "0.0412", 123.45: "123.5", -2500: "-2,500"} {
		if got := FormatValue(v); got != want {
			t.Errorf("FormatValue(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestProgressPlainLines(t *testing.T) {
	var buf syncBuffer
	p := NewProgress(&buf, time.Millisecond)
	ticks := make(chan struct{}, 100)
	p.Start(func(time.Duration) string { ticks <- struct{}{}; return "line" })
	<-ticks
	<-ticks
	p.Stop()
	if !strings.HasPrefix(buf.String(), "line\nline\n") || strings.Contains(buf.String(), "\r") {
		t.Fatalf("output %q", buf.String())
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

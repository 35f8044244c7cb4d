package boltstore

import (
	"fmt"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/casespine/spine/persistence"
)

// Durable 1 KB commits: every Commit returns only after its transaction's
// fsync. Run with, e.g.:
//
//	go test -run '^$' -bench BenchmarkCommit -benchtime 5s ./persistence/boltstore/
//
// Metrics: commits/s (durable commits per second of wall time) and
// batches/tx (how many commits shared each transaction and fsync).

// workload builds the i-th batch of a benchmark.
type workload func(i uint64) *persistence.Batch

var (
	value1K = make([]byte, 1024)
	event   = make([]byte, 900)
	summary = make([]byte, 100)
)

// put1K writes one 1 KiB value under a new key.
func put1K(i uint64) *persistence.Batch {
	return &persistence.Batch{Puts: []persistence.KV{{Key: fmt.Appendf(nil, "k/%012d", i), Value: value1K}}}
}

// caseEvent is shaped like a case commit: a dedupe key that must be
// absent, a 100-byte summary, and a 900-byte event appended to one of 8
// shared event logs.
func caseEvent(i uint64) *persistence.Batch {
	dedupe := fmt.Appendf(nil, "d/%012d", i)
	return &persistence.Batch{
		Conds:   []persistence.Cond{{Key: dedupe, Absent: true}},
		Puts:    []persistence.KV{{Key: dedupe, Value: summary[:8]}, {Key: fmt.Appendf(nil, "c/%012d", i), Value: summary}},
		Appends: []persistence.Append{{Log: fmt.Appendf(nil, "events/%d", i%8), Value: event}},
	}
}

func BenchmarkCommit(b *testing.B) {
	for _, w := range []struct {
		name string
		fn   workload
	}{{"put1k", put1K}, {"event1k", caseEvent}} {
		b.Run(w.name+"/committers=1", func(b *testing.B) { benchSerial(b, w.fn) })
		for _, committers := range []int{16, 64, 256} {
			b.Run(fmt.Sprintf("%s/committers=%d", w.name, committers), func(b *testing.B) {
				benchParallel(b, committers, w.fn)
			})
		}
	}
}

// benchStore opens a store whose transactions are counted.
func benchStore(b *testing.B) (*Store, *atomic.Int64) {
	var txs atomic.Int64
	s, err := Open(Options{
		Path:    filepath.Join(b.TempDir(), "bench.db"),
		Observe: func(int, int, time.Duration) { txs.Add(1) },
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s, &txs
}

func benchSerial(b *testing.B, w workload) {
	s, txs := benchStore(b)
	ctx := b.Context()
	b.ReportAllocs()
	var i uint64
	for b.Loop() {
		i++
		if _, err := s.Commit(ctx, w(i)); err != nil {
			b.Fatal(err)
		}
	}
	report(b, txs.Load())
}

func benchParallel(b *testing.B, committers int, w workload) {
	s, txs := benchStore(b)
	ctx := b.Context()
	var seq atomic.Uint64
	b.SetParallelism(max(1, committers/runtime.GOMAXPROCS(0)))
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.Commit(ctx, w(seq.Add(1))); err != nil {
				b.Error(err)
				return
			}
		}
	})
	report(b, txs.Load())
}

func report(b *testing.B, txs int64) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commits/s")
	if txs > 0 {
		b.ReportMetric(float64(b.N)/float64(txs), "batches/tx")
	}
}

package storetest

import (
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"

	"github.com/casespine/spine/persistence"
)

func (s *suite) testConcurrent(t *testing.T) {
	t.Run("ManyCommitters", func(t *testing.T) {
		t.Parallel()
		st := s.openStore(t, "s")
		const (
			committers = 64
			each       = 25
			shared     = 4 // logs shared by committers
		)
		// offsets[g][i] = offsets of committer g's batch i in "all" and in
		// its shared log.
		offsets := make([][][2]uint64, committers)
		var wg sync.WaitGroup
		for g := range committers {
			offsets[g] = make([][2]uint64, each)
			wg.Go(func() {
				for i := range each {
					key := fmt.Sprintf("c/%02d/%03d", g, i)
					slog := fmt.Sprint("shared/", g%shared)
					res, err := st.Commit(ctxFor(t), &persistence.Batch{
						Conds:   []persistence.Cond{{Key: []byte(key), Absent: true}},
						Puts:    []persistence.KV{kv(key, key)},
						Appends: []persistence.Append{app("all", key), app(slog, key)},
					})
					if err != nil {
						t.Errorf("Commit %s: %v", key, err)
						return
					}
					if !st.rec.has("all", res.Offsets[0], []byte(key)) || !st.rec.has(slog, res.Offsets[1], []byte(key)) {
						t.Errorf("Commit %s returned before the hook got its entries %v", key, res.Offsets)
					}
					offsets[g][i] = [2]uint64{res.Offsets[0], res.Offsets[1]}
				}
			})
		}
		wg.Wait()
		if t.Failed() {
			return
		}

		// Every offset exactly once, no gaps, each holding its batch's value.
		wantEntries := func(log string, n int, owner func(off uint64) (g, i int, ok bool)) {
			t.Helper()
			got, err := readAll(st, []byte(log), 0)
			if err != nil || len(got) != n {
				t.Fatalf("log %q: %d entries, %v; want %d", log, len(got), err, n)
			}
			if h := mustHead(t, st, log); h != uint64(n) {
				t.Fatalf("LogHead(%q) = %d, want %d", log, h, n)
			}
			for j, e := range got {
				g, i, ok := owner(e.Offset)
				if e.Offset != uint64(j+1) || !ok || string(e.Value) != fmt.Sprintf("c/%02d/%03d", g, i) {
					t.Fatalf("log %q entry %d: offset %d value %q, owner found %t (%d, %d)", log, j, e.Offset, e.Value, ok, g, i)
				}
			}
		}
		byOffset := func(slot int, filter func(g int) bool) func(uint64) (int, int, bool) {
			index := make(map[uint64][2]int)
			for g := range committers {
				if !filter(g) {
					continue
				}
				for i := range each {
					off := offsets[g][i][slot]
					if _, dup := index[off]; dup {
						t.Fatalf("offset %d assigned twice", off)
					}
					index[off] = [2]int{g, i}
				}
			}
			return func(off uint64) (int, int, bool) { gi, ok := index[off]; return gi[0], gi[1], ok }
		}
		wantEntries("all", committers*each, byOffset(0, func(int) bool { return true }))
		for l := range shared {
			wantEntries(fmt.Sprint("shared/", l), committers/shared*each, byOffset(1, func(g int) bool { return g%shared == l }))
		}
		if n := len(st.rec.entries("all")); n != committers*each {
			t.Fatalf("hook got %d entries of all, want %d", n, committers*each)
		}
		kvs, err := st.Scan([]byte("c/"), nil, committers*each+1, false)
		if err != nil || len(kvs) != committers*each {
			t.Fatalf("Scan(c/) = %d keys, %v; want %d", len(kvs), err, committers*each)
		}
	})

	t.Run("AbsentRace", func(t *testing.T) {
		t.Parallel()
		st := s.openStore(t, "s")
		const rounds, racers = 30, 8
		for r := range rounds {
			key := fmt.Sprint("race/", r)
			start := make(chan struct{})
			errs := make([]error, racers)
			var wg sync.WaitGroup
			for g := range racers {
				wg.Go(func() {
					<-start
					_, errs[g] = st.Commit(ctxFor(t), &persistence.Batch{
						Conds:   []persistence.Cond{{Key: []byte(key), Absent: true}},
						Puts:    []persistence.KV{kv(key, strconv.Itoa(g))},
						Appends: []persistence.Append{app("winners", key)},
					})
				})
			}
			close(start)
			wg.Wait()
			winner := -1
			for g, err := range errs {
				if err == nil {
					if winner >= 0 {
						t.Fatalf("round %d: racers %d and %d both won", r, winner, g)
					}
					winner = g
				}
			}
			if winner < 0 {
				t.Fatalf("round %d: nobody won: %v", r, errs)
			}
			for g, err := range errs {
				if g != winner {
					wantConflict(t, err, key, []byte(strconv.Itoa(winner)))
				}
			}
			wantValue(t, st, key, []byte(strconv.Itoa(winner)))
		}
		if h := mustHead(t, st, "winners"); h != rounds {
			t.Fatalf("LogHead(winners) = %d, want %d", h, rounds)
		}
	})

	t.Run("CompareAndSwap", func(t *testing.T) {
		t.Parallel()
		st := s.openStore(t, "s")
		const workers, each = 16, 10
		mustCommit(t, st, &persistence.Batch{Puts: []persistence.KV{kv("counter", "0")}})
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for done := 0; done < each; {
					cur, _, err := st.Get([]byte("counter"))
					if err != nil {
						t.Errorf("Get: %v", err)
						return
					}
					n, _ := strconv.Atoi(string(cur))
					next := strconv.Itoa(n + 1)
					_, err = st.Commit(ctxFor(t), &persistence.Batch{
						Conds:   []persistence.Cond{{Key: []byte("counter"), Value: cur}},
						Puts:    []persistence.KV{kv("counter", next)},
						Appends: []persistence.Append{app("increments", next)},
					})
					switch {
					case err == nil:
						done++
					case !errors.Is(err, persistence.ErrConflict):
						t.Errorf("Commit: %v", err)
						return
					}
				}
			})
		}
		wg.Wait()
		wantValue(t, st, "counter", []byte(strconv.Itoa(workers*each)))
		// Increments were serialised: offset i holds the value i.
		got, err := readAll(st, []byte("increments"), 0)
		if err != nil || len(got) != workers*each {
			t.Fatalf("ReadLog(increments): %d entries, %v", len(got), err)
		}
		for _, e := range got {
			if string(e.Value) != strconv.FormatUint(e.Offset, 10) {
				t.Fatalf("increments@%d = %q", e.Offset, e.Value)
			}
		}
	})
}

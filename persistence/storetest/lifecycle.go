package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/casespine/spine/persistence"
)

func (s *suite) testLifecycle(t *testing.T) {
	t.Run("Reopen", func(t *testing.T) {
		t.Parallel()
		st := s.openStore(t, "s")
		for i := 1; i <= 3; i++ {
			mustCommit(t, st, &persistence.Batch{
				Puts:    []persistence.KV{kv(fmt.Sprint("k", i), fmt.Sprint("v", i))},
				Appends: []persistence.Append{app("a", fmt.Sprint("a", i)), app("b", fmt.Sprint("b", i))},
			})
		}
		mustCommit(t, st, &persistence.Batch{Deletes: [][]byte{[]byte("k2")}, Appends: []persistence.Append{app("a", "a4")}})
		st.close(t)

		st = s.openStore(t, "s")
		wantValue(t, st, "k1", []byte("v1"))
		wantValue(t, st, "k2", nil)
		wantValue(t, st, "k3", []byte("v3"))
		if h := mustHead(t, st, "a"); h != 4 {
			t.Fatalf("LogHead(a) after reopen = %d, want 4", h)
		}
		wantLog(t, st, "b", 0, 0, "b1", "b2", "b3")
		res := mustCommit(t, st, &persistence.Batch{Appends: []persistence.Append{app("a", "a5"), app("b", "b4"), app("c", "c1")}})
		wantOffsets(t, res, 5, 4, 1)
		wantLog(t, st, "a", 0, 0, "a1", "a2", "a3", "a4", "a5")
	})

	t.Run("AfterClose", func(t *testing.T) {
		t.Parallel()
		st := s.openStore(t, "s")
		mustCommit(t, st, &persistence.Batch{Puts: []persistence.KV{kv("k", "v")}})
		st.close(t)
		if err := st.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		if _, err := st.Commit(ctxFor(t), &persistence.Batch{Puts: []persistence.KV{kv("k", "w")}}); !errors.Is(err, persistence.ErrClosed) {
			t.Fatalf("Commit after Close: %v, want ErrClosed", err)
		}
		if _, _, err := st.Get([]byte("k")); !errors.Is(err, persistence.ErrClosed) {
			t.Fatalf("Get after Close: %v, want ErrClosed", err)
		}
		if _, err := st.Scan(nil, nil, 0, false); !errors.Is(err, persistence.ErrClosed) {
			t.Fatalf("Scan after Close: %v, want ErrClosed", err)
		}
		if _, err := st.ReadLog([]byte("l"), 0, 0); !errors.Is(err, persistence.ErrClosed) {
			t.Fatalf("ReadLog after Close: %v, want ErrClosed", err)
		}
		if _, err := st.LogHead([]byte("l")); !errors.Is(err, persistence.ErrClosed) {
			t.Fatalf("LogHead after Close: %v, want ErrClosed", err)
		}
	})

	t.Run("CloseWhileCommitting", func(t *testing.T) {
		t.Parallel()
		st := s.openStore(t, "s")
		const committers = 16
		var (
			mu        sync.Mutex
			committed []string // keys of successful commits
			started   = make(chan struct{})
			once      sync.Once
			wg        sync.WaitGroup
		)
		for g := range committers {
			wg.Go(func() {
				for i := 0; ; i++ {
					key := fmt.Sprintf("c/%02d/%06d", g, i)
					_, err := st.Commit(ctxFor(t), &persistence.Batch{
						Puts:    []persistence.KV{kv(key, "v")},
						Appends: []persistence.Append{app("log", key)},
					})
					if errors.Is(err, persistence.ErrClosed) {
						return
					}
					if err != nil {
						t.Errorf("Commit: %v", err)
						return
					}
					mu.Lock()
					committed = append(committed, key)
					if len(committed) >= 4*committers {
						once.Do(func() { close(started) })
					}
					mu.Unlock()
				}
			})
		}
		select {
		case <-started:
		case <-ctxFor(t).Done():
			t.Fatal("no commits before the deadline")
		}
		st.closeUnchecked(t)
		wg.Wait()

		// Every acknowledged commit survived, nothing else was logged, and
		// the hook got exactly what was logged.
		first := st
		st = s.openStore(t, "s")
		first.rec.check(t, st)
		for _, key := range committed {
			wantValue(t, st, key, []byte("v"))
		}
		if h := mustHead(t, st, "log"); h != uint64(len(committed)) {
			t.Fatalf("LogHead(log) = %d, want %d acknowledged commits", h, len(committed))
		}
	})

	t.Run("CanceledContext", func(t *testing.T) {
		t.Parallel()
		st := s.openStore(t, "s")
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := st.Commit(ctx, &persistence.Batch{Puts: []persistence.KV{kv("k", "v")}, Appends: []persistence.Append{app("l", "v")}})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Commit with a canceled context: %v, want context.Canceled", err)
		}
		wantValue(t, st, "k", nil)
		if h := mustHead(t, st, "l"); h != 0 {
			t.Fatalf("LogHead(l) = %d after a canceled commit", h)
		}
	})
}

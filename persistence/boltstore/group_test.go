package boltstore

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/casespine/spine/persistence"
)

// queueBehindGate blocks the committer, starts one Commit per batch (in
// order, each queued before the next starts) and releases the committer.
// It returns every Commit's result and error.
func queueBehindGate(t *testing.T, s *Store, g *gate, ctxs []context.Context, batches ...*persistence.Batch) ([]persistence.Result, []error) {
	t.Helper()
	held := g.hold(t, s)
	results := make([]persistence.Result, len(batches))
	errs := make([]error, len(batches))
	var wg sync.WaitGroup
	for i, b := range batches {
		ctx := t.Context()
		if ctxs != nil {
			ctx = ctxs[i]
		}
		wg.Go(func() { results[i], errs[i] = s.Commit(ctx, b) })
		waitQueued(t, s, i+1)
	}
	close(g.release)
	wg.Wait()
	if err := <-held; err != nil {
		t.Fatalf("gate commit: %v", err)
	}
	return results, errs
}

func TestGroupCommit(t *testing.T) {
	g := newGate()
	s := openForTest(t, Options{Path: filepath.Join(t.TempDir(), "s.db"), Observe: g.observe})
	var batches []*persistence.Batch
	for i := range 50 {
		key := fmt.Sprint("k", i)
		batches = append(batches, &persistence.Batch{
			Puts:    []persistence.KV{{Key: []byte(key), Value: []byte("v")}},
			Appends: []persistence.Append{{Log: []byte("log"), Value: []byte(key)}},
		})
	}
	results, errs := queueBehindGate(t, s, g, nil, batches...)
	for i := range batches {
		if errs[i] != nil || len(results[i].Offsets) != 1 || results[i].Offsets[0] != uint64(i+1) {
			t.Fatalf("batch %d: %v, %v; want offset %d (queue order)", i, results[i], errs[i], i+1)
		}
	}
	if got := g.transactions(); !slices.Equal(got, []int{1, 50}) {
		t.Fatalf("transactions of %v batches, want [1 50]", got)
	}
}

func TestGroupLimits(t *testing.T) {
	kb := make([]byte, 1000)
	small := func(i int) *persistence.Batch {
		return &persistence.Batch{Puts: []persistence.KV{{Key: fmt.Appendf(nil, "k%d", i), Value: kb}}}
	}
	tests := []struct {
		name    string
		opts    Options
		batches []*persistence.Batch
		want    []int // batches per transaction, after the gate's
	}{
		{"max batches", Options{MaxBatches: 3}, []*persistence.Batch{small(0), small(1), small(2), small(3), small(4), small(5), small(6)}, []int{3, 3, 1}},
		{"max bytes", Options{MaxBytes: 2500}, []*persistence.Batch{small(0), small(1), small(2), small(3), small(4)}, []int{2, 2, 1}},
		{"big batch alone", Options{MaxBytes: 2500}, []*persistence.Batch{
			small(0), {Puts: []persistence.KV{{Key: []byte("big"), Value: make([]byte, 10000)}}}, small(1), small(2),
		}, []int{1, 1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGate()
			tt.opts.Path = filepath.Join(t.TempDir(), "s.db")
			tt.opts.Observe = g.observe
			s := openForTest(t, tt.opts)
			_, errs := queueBehindGate(t, s, g, nil, tt.batches...)
			if err := errors.Join(errs...); err != nil {
				t.Fatal(err)
			}
			if got := g.transactions(); !slices.Equal(got[1:], tt.want) {
				t.Fatalf("transactions of %v batches, want [1] + %v", got, tt.want)
			}
		})
	}
}

// A batch's conds see the batches before it in the same transaction.
func TestCondsWithinGroup(t *testing.T) {
	g := newGate()
	s := openForTest(t, Options{Path: filepath.Join(t.TempDir(), "s.db"), Observe: g.observe})
	absent := func(value string) *persistence.Batch {
		return &persistence.Batch{
			Conds:   []persistence.Cond{{Key: []byte("k"), Absent: true}},
			Puts:    []persistence.KV{{Key: []byte("k"), Value: []byte(value)}},
			Appends: []persistence.Append{{Log: []byte("log"), Value: []byte(value)}},
		}
	}
	results, errs := queueBehindGate(t, s, g, nil, absent("first"), absent("second"), &persistence.Batch{
		Conds:   []persistence.Cond{{Key: []byte("k"), Value: []byte("first")}},
		Puts:    []persistence.KV{{Key: []byte("k"), Value: []byte("third")}},
		Appends: []persistence.Append{{Log: []byte("log"), Value: []byte("third")}},
	})
	var ce *persistence.ConflictError
	if errs[0] != nil || errs[2] != nil || !errors.As(errs[1], &ce) || string(ce.Current) != "first" {
		t.Fatalf("errs = %v, want nil, conflict on \"first\", nil", errs)
	}
	if results[0].Offsets[0] != 1 || results[2].Offsets[0] != 2 {
		t.Fatalf("offsets %v %v, want 1 and 2", results[0].Offsets, results[2].Offsets)
	}
	if got := g.transactions(); !slices.Equal(got, []int{1, 3}) {
		t.Fatalf("transactions of %v batches, want [1 3]", got)
	}
	if v, _ := mustGetValue(t, s, "k"); string(v) != "third" {
		t.Fatalf("k = %q, want third", v)
	}
}

// A batch that fails while applied is left out and the rest of its group
// commits.
func TestApplyFailureRedoesGroup(t *testing.T) {
	g := newGate()
	var hook []persistence.Appended
	s := openForTest(t, Options{
		Path:     filepath.Join(t.TempDir(), "s.db"),
		Observe:  g.observe,
		OnCommit: func(a []persistence.Appended) { hook = append(hook, a...) }, // committer goroutine only
	})
	errPoison := errors.New("poisoned batch")
	s.failApply = func(b *persistence.Batch) error {
		if len(b.Puts) > 0 && string(b.Puts[0].Key) == "poison" {
			return errPoison
		}
		return nil
	}
	batch := func(key string) *persistence.Batch {
		return &persistence.Batch{
			Puts:    []persistence.KV{{Key: []byte(key), Value: []byte("v")}},
			Appends: []persistence.Append{{Log: []byte("log"), Value: []byte(key)}},
		}
	}
	results, errs := queueBehindGate(t, s, g, nil, batch("a"), batch("poison"), batch("b"))
	if errs[0] != nil || errs[2] != nil || !errors.Is(errs[1], errPoison) {
		t.Fatalf("errs = %v, want nil, poison, nil", errs)
	}
	if errors.Is(errs[1], persistence.ErrConflict) || errors.Is(errs[1], ErrCommitFailed) {
		t.Fatalf("poison error %v matches a sentinel it should not", errs[1])
	}
	if results[0].Offsets[0] != 1 || results[2].Offsets[0] != 2 {
		t.Fatalf("offsets %v %v, want 1 and 2", results[0].Offsets, results[2].Offsets)
	}
	if _, ok := mustGetValue(t, s, "poison"); ok {
		t.Fatal("the failed batch was written")
	}
	if got := g.transactions(); !slices.Equal(got, []int{1, 2}) {
		t.Fatalf("transactions of %v batches, want [1 2] (the failed batch left out)", got)
	}
	if len(hook) != 2 || string(hook[0].Value) != "a" || string(hook[1].Value) != "b" {
		t.Fatalf("OnCommit got %v", hook)
	}
}

// A transaction that cannot commit fails its whole group; the store keeps
// working and log offsets stay contiguous.
func TestCommitFailureKeepsStoreUsable(t *testing.T) {
	g := newGate()
	var hook []persistence.Appended
	s := openForTest(t, Options{
		Path:        filepath.Join(t.TempDir(), "s.db"),
		MaxFileSize: 1 << 20, // 1 MiB
		Observe:     g.observe,
		OnCommit:    func(a []persistence.Appended) { hook = append(hook, a...) },
	})
	first, err := s.Commit(t.Context(), &persistence.Batch{Appends: []persistence.Append{{Log: []byte("log"), Value: []byte("1")}}})
	if err != nil {
		t.Fatal(err)
	}
	appendBatch := func(value []byte) *persistence.Batch {
		return &persistence.Batch{
			Puts:    []persistence.KV{{Key: value[:1], Value: value}},
			Appends: []persistence.Append{{Log: []byte("log"), Value: value}},
		}
	}
	big := make([]byte, 2<<20)
	big[0] = 'B'
	_, errs := queueBehindGate(t, s, g, nil, appendBatch([]byte("a")), appendBatch(big), appendBatch([]byte("c")))
	for i, err := range errs {
		if !errors.Is(err, ErrCommitFailed) {
			t.Fatalf("batch %d: err = %v, want ErrCommitFailed", i, err)
		}
	}
	for _, k := range []string{"a", "B", "c"} {
		if _, ok := mustGetValue(t, s, k); ok {
			t.Fatalf("key %q of a failed transaction is visible", k)
		}
	}

	res, err := s.Commit(t.Context(), appendBatch([]byte("d")))
	if err != nil {
		t.Fatalf("Commit after a failed transaction: %v", err)
	}
	if first.Offsets[0] != 1 || res.Offsets[0] != 2 {
		t.Fatalf("offsets %v then %v, want 1 then 2", first.Offsets, res.Offsets)
	}
	if len(hook) != 2 || string(hook[1].Value) != "d" || hook[1].Offset != 2 {
		t.Fatalf("OnCommit got %v, want offsets 1 and 2 only", hook)
	}
}

// A Commit whose context ends while it is queued is not written.
func TestContextEndsWhileQueued(t *testing.T) {
	g := newGate()
	s := openForTest(t, Options{Path: filepath.Join(t.TempDir(), "s.db"), Observe: g.observe})
	ctx, cancel := context.WithCancel(t.Context())
	held := g.hold(t, s)
	done := make(chan error, 1)
	go func() {
		_, err := s.Commit(ctx, put("canceled", "v"))
		done <- err
	}()
	waitQueued(t, s, 1)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Commit = %v, want context.Canceled", err)
	}
	if n := s.queued(); n != 0 {
		t.Fatalf("%d batches still queued", n)
	}
	close(g.release)
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	if _, err := s.Commit(t.Context(), put("after", "v")); err != nil {
		t.Fatal(err)
	}
	if _, ok := mustGetValue(t, s, "canceled"); ok {
		t.Fatal("a canceled Commit was written")
	}
}

// A Commit whose context ends while its transaction is in flight reports
// the context's error, though the batch may be (here: is) durable.
func TestContextEndsInFlight(t *testing.T) {
	g := newGate()
	s := openForTest(t, Options{Path: filepath.Join(t.TempDir(), "s.db"), Observe: g.observe})
	ctx, cancel := context.WithCancel(t.Context())
	held := g.holdCtx(t, s, ctx) // the gate batch is durable, its caller not yet answered
	cancel()
	if err := <-held; !errors.Is(err, context.Canceled) {
		t.Fatalf("Commit = %v, want an error wrapping context.Canceled", err)
	}
	close(g.release)
	if _, err := s.Commit(t.Context(), put("after", "v")); err != nil {
		t.Fatal(err)
	}
	if _, ok := mustGetValue(t, s, "gate"); !ok {
		t.Fatal("the in-flight batch was not committed")
	}
}

func TestOnCommitPanicIsRecovered(t *testing.T) {
	s := openForTest(t, Options{
		Path:     filepath.Join(t.TempDir(), "s.db"),
		OnCommit: func([]persistence.Appended) { panic("subscriber bug") },
	})
	for i := range 3 {
		res, err := s.Commit(t.Context(), &persistence.Batch{Appends: []persistence.Append{{Log: []byte("l"), Value: []byte("v")}}})
		if err != nil || res.Offsets[0] != uint64(i+1) {
			t.Fatalf("Commit %d: %v, %v", i, res, err)
		}
	}
}

// Commits queued when Close is called are committed before the file
// closes; Commits after it fail at once.
func TestCloseFinishesQueued(t *testing.T) {
	g := newGate()
	path := filepath.Join(t.TempDir(), "s.db")
	s := openForTest(t, Options{Path: path, Observe: g.observe})
	held := g.hold(t, s)
	const n = 10
	errs := make(chan error, n)
	for i := range n {
		go func() {
			_, err := s.Commit(t.Context(), put(fmt.Sprint("q", i), "v"))
			errs <- err
		}()
	}
	waitQueued(t, s, n)
	closed := make(chan error, 2)
	for range 2 {
		go func() { closed <- s.Close() }()
	}
	waitUntil(t, "store closing", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.closed
	})
	if _, err := s.Commit(t.Context(), put("late", "v")); !errors.Is(err, persistence.ErrClosed) {
		t.Fatalf("Commit while closing: %v, want ErrClosed", err)
	}
	close(g.release)
	for range 2 {
		if err := <-closed; err != nil {
			t.Fatalf("Close: %v", err)
		}
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatalf("queued Commit: %v", err)
		}
	}
	if err := <-held; err != nil {
		t.Fatal(err)
	}

	s = openForTest(t, Options{Path: path})
	for i := range n {
		if _, ok := mustGetValue(t, s, fmt.Sprint("q", i)); !ok {
			t.Fatalf("queued commit q%d lost", i)
		}
	}
	if _, ok := mustGetValue(t, s, "late"); ok {
		t.Fatal("a Commit refused with ErrClosed was written")
	}
}

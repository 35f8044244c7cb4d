package boltstore

import (
	"context"
	"encoding/binary"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/casespine/spine/persistence"
	"github.com/casespine/spine/persistence/storetest"
)

func TestContract(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"defaults", Options{}},
		// Tiny groups exercise the boundaries between transactions.
		{"small groups", Options{MaxBatches: 3, MaxBytes: 4 << 10}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			storetest.Run(t, func(t *testing.T, cfg storetest.Config) storetest.Store {
				opts := tc.opts
				opts.Path = filepath.Join(root, cfg.Name+".db")
				opts.OnCommit = cfg.OnCommit
				return openForTest(t, opts)
			})
		})
	}
}

// openForTest opens a store and registers, to run after it is closed, a
// consistency check of its file.
func openForTest(t *testing.T, opts Options) *Store {
	t.Helper()
	s, err := Open(opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		checkFile(t, opts.Path)
	})
	return s
}

// checkFile runs bbolt's consistency check on a closed store's file and
// checks the layout's own invariants: every log holds exactly the offsets
// 1..head of its recorded head.
func checkFile(t *testing.T, path string) {
	t.Helper()
	db, err := bolt.Open(path, 0, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Errorf("check %s: open: %v", path, err)
		return
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			return fmt.Errorf("bbolt check: %w", err)
		}
		heads := make(map[string]uint64)
		if err := tx.Bucket(bucketHeads).ForEach(func(k, v []byte) error {
			h, err := decodeHead(v)
			heads[string(k)] = h
			return err
		}); err != nil {
			return err
		}
		seen := make(map[string]uint64)
		if err := tx.Bucket(bucketLogs).ForEach(func(k, _ []byte) error {
			if len(k) < 2+1+8 {
				return fmt.Errorf("log key %x too short", k)
			}
			n := int(binary.BigEndian.Uint16(k))
			if len(k) != 2+n+8 {
				return fmt.Errorf("log key %x: name length %d", k, n)
			}
			log, off := string(k[2:2+n]), binary.BigEndian.Uint64(k[2+n:])
			if off != seen[log]+1 {
				return fmt.Errorf("log %q: offset %d after %d", log, off, seen[log])
			}
			seen[log] = off
			return nil
		}); err != nil {
			return err
		}
		for log, head := range heads {
			if seen[log] != head {
				return fmt.Errorf("log %q: head %d, last entry %d", log, head, seen[log])
			}
		}
		if len(seen) != len(heads) {
			return fmt.Errorf("%d logs with entries, %d heads", len(seen), len(heads))
		}
		return nil
	})
	if err != nil {
		t.Errorf("check %s: %v", path, err)
	}
}

// gate blocks the committer, after a durable transaction, while a test
// queues batches behind it; it also records the size of every transaction.
type gate struct {
	mu      sync.Mutex
	armed   bool
	entered chan struct{}
	release chan struct{}
	groups  []int // batches per durable transaction
	bytes   []int // bytes per durable transaction
}

func newGate() *gate {
	return &gate{entered: make(chan struct{}), release: make(chan struct{})}
}

// observe is installed as Options.Observe.
func (g *gate) observe(batches, size int, _ time.Duration) {
	g.mu.Lock()
	g.groups = append(g.groups, batches)
	g.bytes = append(g.bytes, size)
	armed := g.armed
	g.armed = false
	g.mu.Unlock()
	if armed {
		g.entered <- struct{}{}
		<-g.release
	}
}

// hold commits a batch and returns once the committer is blocked right
// after it; it reports the batch's error on the returned channel.
func (g *gate) hold(t *testing.T, s *Store) <-chan error {
	t.Helper()
	return g.holdCtx(t, s, t.Context())
}

// holdCtx is hold with the gate batch committed under ctx.
func (g *gate) holdCtx(t *testing.T, s *Store, ctx context.Context) <-chan error {
	t.Helper()
	g.mu.Lock()
	g.armed = true
	g.mu.Unlock()
	done := make(chan error, 1)
	go func() {
		_, err := s.Commit(ctx, &persistence.Batch{Puts: []persistence.KV{{Key: []byte("gate"), Value: []byte("x")}}})
		done <- err
	}()
	select {
	case <-g.entered:
	case <-time.After(time.Minute):
		t.Fatal("committer never reached the gate")
	}
	return done
}

// transactions returns the batch counts of the transactions so far.
func (g *gate) transactions() []int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]int(nil), g.groups...)
}

// queued returns the number of batches waiting for the committer.
func (s *Store) queued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue)
}

// waitQueued waits until n batches wait for the committer.
func waitQueued(t *testing.T, s *Store, n int) {
	t.Helper()
	waitUntil(t, fmt.Sprint(n, " batches queued"), func() bool { return s.queued() >= n })
}

// waitUntil polls cond until it holds, failing t after a minute.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting for %s after a minute", what)
		}
		<-tick.C
	}
}

func mustGetValue(t *testing.T, s *Store, key string) ([]byte, bool) {
	t.Helper()
	v, ok, err := s.Get([]byte(key))
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	return v, ok
}

func put(key, value string) *persistence.Batch {
	return &persistence.Batch{Puts: []persistence.KV{{Key: []byte(key), Value: []byte(value)}}}
}

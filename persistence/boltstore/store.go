package boltstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/casespine/spine/persistence"
)

// Store is a persistence store on one bbolt file. See the package
// documentation for its group commit and concurrency contract.
type Store struct {
	opts Options
	db   *bolt.DB

	mu     sync.Mutex
	wake   sync.Cond  // on mu: queue grew, or closed was set
	queue  []*request // FIFO of batches waiting for the committer
	closed bool       // no more Commits accepted

	stopped   chan struct{} // closed when the committer has exited
	closeOnce sync.Once
	closeErr  error

	// committer-owned state, reused between transactions.
	group  []*request
	heads  map[string]uint64 // log name -> head, for logs appended to in the current transaction
	keyBuf []byte

	// failApply, set only by tests, makes applying a batch fail.
	failApply func(*persistence.Batch) error
}

// request is one queued Commit.
type request struct {
	batch *persistence.Batch
	size  int          // batch.Size()
	done  chan outcome // buffered (1): the committer never blocks on it

	// Set by the committer while it owns the request.
	res      persistence.Result
	err      error
	excluded bool // failed while applied; left out of the transaction's redo
}

type outcome struct {
	res persistence.Result
	err error
}

// Open opens (creating if needed) the bbolt file at opts.Path and starts
// the committer. It fails with ErrLocked if another store holds the file,
// and with an error wrapping persistence.ErrInvalid if opts is unusable.
func Open(opts Options) (*Store, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	db, err := bolt.Open(opts.Path, fileMode, &bolt.Options{
		Timeout:         lockTimeout,
		FreelistType:    bolt.FreelistMapType,
		NoFreelistSync:  true,
		InitialMmapSize: initialMmapSize,
		MaxSize:         int(opts.MaxFileSize),
	})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("%w: %s", ErrLocked, opts.Path)
	}
	if err != nil {
		return nil, fmt.Errorf("boltstore: open %s: %w", opts.Path, err)
	}
	if opts.MaxFileSize == 0 {
		// Grow the file in large steps: each growth truncates and fsyncs the
		// whole file, a stall every commit behind it waits out. bbolt's
		// 16 MiB steps came every second under load; sparse space costs no
		// disk until written.
		db.AllocSize = growStep
	}
	if err := initLayout(db); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("boltstore: %s: %w", opts.Path, err)
	}
	s := &Store{
		opts:    opts,
		db:      db,
		stopped: make(chan struct{}),
		heads:   make(map[string]uint64),
	}
	s.wake.L = &s.mu
	go s.run()
	return s, nil
}

// Commit applies b atomically and durably, together with whatever other
// batches are queued at the same time, and blocks until its transaction is
// fsync'd or has failed. See persistence.Batch for the semantics and
// persistence for the ownership of b's slices.
//
// Errors: a *persistence.ConflictError (matching persistence.ErrConflict)
// when a Cond does not hold; persistence.ErrInvalid (wrapped) for a batch
// that can never succeed; persistence.ErrClosed after Close; an error
// wrapping ErrCommitFailed when the transaction could not be made durable.
//
// If ctx ends while b is still queued, Commit returns ctx.Err() and b is
// not written. If it ends while b's transaction is in flight, Commit
// returns an error wrapping ctx.Err() and b may or may not be durable.
func (s *Store) Commit(ctx context.Context, b *persistence.Batch) (persistence.Result, error) {
	if err := b.Validate(); err != nil {
		return persistence.Result{}, err
	}
	if err := ctx.Err(); err != nil {
		return persistence.Result{}, err
	}
	r := &request{batch: b, size: b.Size(), done: make(chan outcome, 1)}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return persistence.Result{}, persistence.ErrClosed
	}
	s.queue = append(s.queue, r)
	s.mu.Unlock()
	s.wake.Signal()

	select {
	case o := <-r.done:
		return o.res, o.err
	case <-ctx.Done():
	}
	if s.dequeue(r) {
		return persistence.Result{}, ctx.Err()
	}
	select {
	case o := <-r.done: // finished in the meantime
		return o.res, o.err
	default:
		return persistence.Result{}, fmt.Errorf("boltstore: context ended with the commit in flight, outcome unknown: %w", ctx.Err())
	}
}

// dequeue removes r from the queue if the committer has not taken it yet,
// and reports whether it did.
func (s *Store) dequeue(r *request) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.Index(s.queue, r)
	if i < 0 {
		return false
	}
	s.queue = slices.Delete(s.queue, i, i+1)
	return true
}

// Close stops accepting commits (they fail with persistence.ErrClosed),
// waits for the queued ones to commit, and closes the file. Reads after
// Close fail with persistence.ErrClosed. Close is idempotent and safe to
// call concurrently; every call returns the result of the first.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.wake.Broadcast()
		<-s.stopped
		if err := s.db.Close(); err != nil {
			s.closeErr = fmt.Errorf("boltstore: close %s: %w", s.opts.Path, err)
		}
	})
	return s.closeErr
}

// Path returns the path of the store's file.
func (s *Store) Path() string { return s.opts.Path }

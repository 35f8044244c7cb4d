package storetest

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/casespine/spine/persistence"
)

// Store is the method set of a persistence store, as its users declare
// it. The suite holds an implementation to this contract:
//
//   - Commit applies a valid batch atomically and durably (see
//     persistence.Batch) and returns the offsets of its appends; a failed
//     Cond gives a *persistence.ConflictError with the key's current value
//     and writes nothing; an invalid batch gives persistence.ErrInvalid
//     and writes nothing; a context that has ended gives its error.
//   - Get returns a copy of a key's value and whether it exists (an empty
//     value exists); an empty or oversized key is persistence.ErrInvalid.
//   - Scan returns copies of the pairs whose key has the prefix, strictly
//     after the key after (strictly before it when reverse; nil: from the
//     start or the end), in key order (descending when reverse), at most
//     limit (persistence.DefaultLimit when limit <= 0).
//   - ReadLog returns copies of the entries of a log with offset > after,
//     ascending, at most limit (persistence.DefaultLimit when limit <= 0).
//     LogHead returns the highest offset assigned in a log, 0 for none.
//     Offsets run 1, 2, 3, ... per log, without gaps, and survive Close.
//   - Close is idempotent, commits what was queued before it, and makes
//     every later call fail with persistence.ErrClosed.
type Store interface {
	Commit(ctx context.Context, b *persistence.Batch) (persistence.Result, error)
	Get(key []byte) (value []byte, ok bool, err error)
	GetMany(keys [][]byte) (vals [][]byte, found []bool, err error)
	Scan(prefix, after []byte, limit int, reverse bool) ([]persistence.KV, error)
	ReadLog(log []byte, after uint64, limit int) ([]persistence.Entry, error)
	LogHead(log []byte) (uint64, error)
	Close() error
}

// Config describes the store the suite asks an Opener for.
type Config struct {
	// Name identifies the store's data. It is unique within one Run and
	// made of [A-Za-z0-9._-] only, so it can be a file name or a key
	// prefix. A Name opened for the first time must be an empty store;
	// opening a Name again (the suite closes the previous store first)
	// must find everything committed to it before.
	Name string

	// OnCommit must be installed as the store's commit hook (for
	// boltstore, Options.OnCommit). It is never nil.
	OnCommit func([]persistence.Appended)
}

// Opener opens the store cfg describes, for test t. It calls t.Fatal if it
// cannot. The suite closes every store it opens; an Opener may also
// register Close (idempotent) or post-test checks with t.Cleanup.
type Opener func(t *testing.T, cfg Config) Store

// opTimeout bounds every store operation of the suite, so that a hung
// store fails its test instead of stalling the run.
const opTimeout = 2 * time.Minute

// Run runs the contract suite against the stores open returns.
func Run(t *testing.T, open Opener) {
	s := &suite{open: open}
	for _, tc := range []struct {
		name string
		fn   func(*testing.T)
	}{
		{"KV", s.testKV},
		{"Scan", s.testScan},
		{"Conds", s.testConds},
		{"Logs", s.testLogs},
		{"Hook", s.testHook},
		{"Invalid", s.testInvalid},
		{"LargeValues", s.testLargeValues},
		{"Lifecycle", s.testLifecycle},
		{"Concurrent", s.testConcurrent},
	} {
		t.Run(tc.name, tc.fn)
	}
}

type suite struct {
	open Opener
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// storeName turns the test's name and a label into a Config.Name.
func storeName(t *testing.T, label string) string {
	name := t.Name()
	if i := strings.IndexByte(name, '/'); i >= 0 {
		name = name[i+1:] // drop the implementation's own test name
	}
	return unsafeName.ReplaceAllString(name+"."+label, "-")
}

// handle is an open store with the record of its commit hook.
type handle struct {
	Store
	rec    *recorder
	closed bool
}

// openStore opens the store labelled label for t, with a fresh hook
// recorder, and registers its checks and Close with t.Cleanup.
func (s *suite) openStore(t *testing.T, label string) *handle {
	t.Helper()
	rec := newRecorder()
	st := s.open(t, Config{Name: storeName(t, label), OnCommit: rec.hook})
	if st == nil {
		t.Fatal("Opener returned a nil store")
	}
	h := &handle{Store: st, rec: rec}
	t.Cleanup(func() { h.close(t) })
	return h
}

// close checks the hook record against the store, then closes it. Only
// the first call does anything.
func (h *handle) close(t *testing.T) {
	t.Helper()
	if h.closed {
		return
	}
	h.rec.check(t, h.Store)
	h.closeUnchecked(t)
}

// closeUnchecked closes the store without checking the hook record, for a
// test that closes it while commits are in flight (the record then lags
// what a read sees) and checks the record later.
func (h *handle) closeUnchecked(t *testing.T) {
	t.Helper()
	if h.closed {
		return
	}
	h.closed = true
	if err := h.Store.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), opTimeout)
	t.Cleanup(cancel)
	return ctx
}

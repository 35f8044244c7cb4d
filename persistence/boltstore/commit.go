package boltstore

import (
	"bytes"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/casespine/spine/persistence"
)

// run is the committer goroutine: it commits groups of queued batches until
// the store is closed and the queue is empty.
func (s *Store) run() {
	defer close(s.stopped)
	for {
		s.group = s.take(s.group[:0])
		if len(s.group) == 0 {
			return
		}
		s.commitGroup(s.group)
		clear(s.group) // let the batches be collected
	}
}

// take waits for queued batches and moves the oldest ones, up to
// MaxBatches and MaxBytes (but at least one), to group. It returns an
// empty group once the store is closed and the queue drained.
func (s *Store) take(group []*request) []*request {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.queue) == 0 {
		if s.closed {
			return group
		}
		s.wake.Wait()
	}
	n, size := 0, 0
	for n < len(s.queue) && n < s.opts.MaxBatches {
		sz := s.queue[n].size
		if n > 0 && size+sz > s.opts.MaxBytes {
			break
		}
		size += sz
		n++
	}
	group = append(group, s.queue[:n]...)
	rest := copy(s.queue, s.queue[n:])
	clear(s.queue[rest:])
	s.queue = s.queue[:rest]
	return group
}

// commitGroup commits group in one transaction and answers every caller.
// A batch that fails while being applied is excluded and the transaction
// redone without it; a failed commit fails the whole group.
func (s *Store) commitGroup(group []*request) {
	start := time.Now()
	for {
		appended, bad, err := s.applyGroup(group)
		if bad != nil {
			bad.excluded = true
			s.opts.Logger.Warn("boltstore: batch failed, redoing its transaction without it", "err", bad.err)
			continue
		}
		if err != nil {
			s.opts.Logger.Error("boltstore: commit failed", "path", s.opts.Path, "batches", len(group), "err", err)
			err = fmt.Errorf("%w: %w", ErrCommitFailed, err)
			for _, r := range group {
				if !r.excluded {
					r.res, r.err = persistence.Result{}, err
				}
			}
			break
		}
		if s.opts.Observe != nil {
			batches, size := 0, 0
			for _, r := range group {
				if !r.excluded {
					batches++
					size += r.size
				}
			}
			s.opts.Observe(batches, size, time.Since(start))
		}
		if len(appended) > 0 && s.opts.OnCommit != nil {
			s.callOnCommit(appended)
		}
		break
	}
	for _, r := range group {
		r.done <- outcome{res: r.res, err: r.err}
	}
}

func (s *Store) callOnCommit(appended []persistence.Appended) {
	defer func() {
		if p := recover(); p != nil {
			s.opts.Logger.Error("boltstore: OnCommit panicked", "panic", p)
		}
	}()
	s.opts.OnCommit(appended)
}

// applyGroup applies every batch of group that is not excluded in one
// write transaction and commits it. It returns the entries appended on
// success; the request whose batch failed to apply (with its err set), the
// transaction being rolled back; or the error that failed the transaction.
// A panic is turned into a transaction error.
func (s *Store) applyGroup(group []*request) (appended []persistence.Appended, bad *request, err error) {
	tx, err := s.db.Begin(true)
	if err != nil {
		return nil, nil, err
	}
	committed := false
	defer func() {
		if p := recover(); p != nil {
			appended, bad, err = nil, nil, fmt.Errorf("panic in transaction: %v", p)
		}
		if !committed {
			_ = tx.Rollback()
		}
	}()

	bk := writeBuckets(tx)
	clear(s.heads)
	for _, r := range group {
		if r.excluded {
			continue
		}
		r.res, r.err = persistence.Result{}, nil
		if ce := checkConds(bk.kv, r.batch.Conds); ce != nil {
			r.err = ce
			continue
		}
		if appended, err = s.applyBatch(bk, r, appended); err != nil {
			r.err = fmt.Errorf("boltstore: apply batch: %w", err)
			return nil, r, nil
		}
	}
	if err := s.flushHeads(bk.heads); err != nil {
		return nil, nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, nil, err
	}
	committed = true
	return appended, nil, nil
}

// checkConds returns a ConflictError for the first cond that does not hold
// in kv, or nil.
func checkConds(kv *bolt.Bucket, conds []persistence.Cond) *persistence.ConflictError {
	for _, c := range conds {
		v, ok := get(kv, c.Key)
		switch {
		case c.Absent && !ok:
			continue
		case !c.Absent && ok && bytes.Equal(v, c.Value):
			continue
		}
		ce := &persistence.ConflictError{Key: c.Key}
		if ok {
			ce.Current = bytes.Clone(v)
			if ce.Current == nil {
				ce.Current = []byte{}
			}
		}
		return ce
	}
	return nil
}

// applyBatch writes r's batch into the transaction, records the offsets it
// is assigned in r.res and returns appended extended with its log entries.
func (s *Store) applyBatch(bk buckets, r *request, appended []persistence.Appended) ([]persistence.Appended, error) {
	b := r.batch
	if s.failApply != nil {
		if err := s.failApply(b); err != nil {
			return appended, err
		}
	}
	for _, kv := range b.Puts {
		if err := bk.kv.Put(kv.Key, kv.Value); err != nil {
			return appended, fmt.Errorf("put %q: %w", kv.Key, err)
		}
	}
	for _, k := range b.Deletes {
		if err := bk.kv.Delete(k); err != nil {
			return appended, fmt.Errorf("delete %q: %w", k, err)
		}
	}
	if len(b.Appends) == 0 {
		return appended, nil
	}
	r.res.Offsets = make([]uint64, len(b.Appends))
	for i, a := range b.Appends {
		head, ok := s.heads[string(a.Log)]
		if !ok {
			var err error
			if head, err = decodeHead(bk.heads.Get(a.Log)); err != nil {
				return appended, fmt.Errorf("log %q: %w", a.Log, err)
			}
		}
		head++
		s.keyBuf = appendLogKey(s.keyBuf[:0], a.Log, head)
		if err := bk.logs.Put(s.keyBuf, a.Value); err != nil {
			return appended, fmt.Errorf("append to log %q: %w", a.Log, err)
		}
		s.heads[string(a.Log)] = head
		r.res.Offsets[i] = head
		appended = append(appended, persistence.Appended{Log: a.Log, Offset: head, Value: a.Value})
	}
	return appended, nil
}

// flushHeads writes the head of every log appended to in this transaction.
func (s *Store) flushHeads(heads *bolt.Bucket) error {
	for log, head := range s.heads {
		if err := heads.Put([]byte(log), encodeUint64(head)); err != nil {
			return fmt.Errorf("write head of log %q: %w", log, err)
		}
	}
	return nil
}

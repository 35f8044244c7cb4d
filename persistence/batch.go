package persistence

import "fmt"

// Limits every store enforces; a batch or read beyond them fails with
// ErrInvalid. They are chosen to fit both bbolt and Redis with room to spare.
const (
	// MaxKeySize is the largest key, Cond key or log name, in bytes (4 KiB).
	MaxKeySize = 4 << 10
	// MaxValueSize is the largest Put, Cond or Append value, in bytes
	// (64 MiB: a 35 MB mail attachment, base64-encoded, still fits).
	MaxValueSize = 64 << 20
	// MaxBatchSize is the largest batch as measured by Batch.Size, in bytes
	// (128 MiB).
	MaxBatchSize = 128 << 20
	// DefaultLimit is the number of items a Scan or ReadLog returns when it
	// is given a limit <= 0.
	DefaultLimit = 1000
)

// opOverhead is what Size counts for each operation on top of its key and
// value bytes, in bytes: a rough cost of bookkeeping in the store.
const opOverhead = 16

// KV is one key and its value.
type KV struct{ Key, Value []byte }

// Cond is a precondition of a batch. With Absent set, Key must not exist
// (and Value must be nil). Otherwise Key must exist and its current value
// must equal Value byte for byte (a nil or empty Value means "exists with an
// empty value").
type Cond struct {
	Key    []byte
	Absent bool
	Value  []byte
}

// Append adds Value to the end of the log named Log; the store assigns the
// next offset (1, 2, 3, ... per log, contiguous, in commit order).
type Append struct {
	Log   []byte
	Value []byte
}

// Batch is applied atomically: all of it or none of it. Conds are checked
// first, against the state that includes every batch committed before it
// (in particular earlier batches of the same group commit); if any fails,
// nothing of this batch is written and Commit returns a *ConflictError for
// the first failing Cond.
//
// Then Puts are applied in order (a later Put of the same key wins), then
// Deletes (deleting an absent key is not an error), then Appends in order:
// Appends to the same log in one batch get consecutive offsets.
//
// A batch with no operations at all is valid: it checks its Conds and, once
// committed, marks a point after which every earlier commit is durable.
type Batch struct {
	Conds   []Cond
	Puts    []KV
	Deletes [][]byte
	Appends []Append
}

// Result is what a successful Commit reports.
type Result struct {
	// Offsets[i] is the offset assigned to Appends[i] of the batch.
	Offsets []uint64
}

// Entry is one value of a log, as returned by ReadLog.
type Entry struct {
	Offset uint64
	Value  []byte
}

// Appended is one log entry written by a committed transaction, as handed
// to a store's commit hook. Log and Value alias the committed batch's
// slices: they must not be modified.
type Appended struct {
	Log    []byte
	Offset uint64
	Value  []byte
}

// Size returns the approximate number of bytes the batch occupies in a
// transaction: every key, log name and value, plus a small fixed overhead
// per operation. Stores use it to bound group commits.
func (b *Batch) Size() int {
	n := 0
	for _, c := range b.Conds {
		n += len(c.Key) + len(c.Value) + opOverhead
	}
	for _, kv := range b.Puts {
		n += len(kv.Key) + len(kv.Value) + opOverhead
	}
	for _, k := range b.Deletes {
		n += len(k) + opOverhead
	}
	for _, a := range b.Appends {
		n += len(a.Log) + len(a.Value) + opOverhead
	}
	return n
}

// Validate reports, wrapped in ErrInvalid, the first reason the batch can
// never be committed, or nil. A nil batch is invalid. Stores call it before
// queuing a batch.
func (b *Batch) Validate() error {
	if b == nil {
		return fmt.Errorf("%w: nil batch", ErrInvalid)
	}
	for i, c := range b.Conds {
		if err := ValidateKey(c.Key); err != nil {
			return fmt.Errorf("cond %d: %w", i, err)
		}
		if c.Absent && c.Value != nil {
			return fmt.Errorf("%w: cond %d: Absent with a Value", ErrInvalid, i)
		}
		if err := validateValue(c.Value); err != nil {
			return fmt.Errorf("cond %d: %w", i, err)
		}
	}
	for i, kv := range b.Puts {
		if err := ValidateKey(kv.Key); err != nil {
			return fmt.Errorf("put %d: %w", i, err)
		}
		if err := validateValue(kv.Value); err != nil {
			return fmt.Errorf("put %d: %w", i, err)
		}
	}
	for i, k := range b.Deletes {
		if err := ValidateKey(k); err != nil {
			return fmt.Errorf("delete %d: %w", i, err)
		}
	}
	for i, a := range b.Appends {
		if err := ValidateKey(a.Log); err != nil {
			return fmt.Errorf("append %d: log name: %w", i, err)
		}
		if err := validateValue(a.Value); err != nil {
			return fmt.Errorf("append %d: %w", i, err)
		}
	}
	if size := b.Size(); size > MaxBatchSize {
		return fmt.Errorf("%w: batch of %d bytes exceeds %d", ErrInvalid, size, MaxBatchSize)
	}
	return nil
}

// ValidateKey reports, wrapped in ErrInvalid, why k cannot be a key or log
// name (empty, or longer than MaxKeySize), or nil.
func ValidateKey(k []byte) error {
	switch {
	case len(k) == 0:
		return fmt.Errorf("%w: empty key", ErrInvalid)
	case len(k) > MaxKeySize:
		return fmt.Errorf("%w: key of %d bytes exceeds %d", ErrInvalid, len(k), MaxKeySize)
	}
	return nil
}

func validateValue(v []byte) error {
	if len(v) > MaxValueSize {
		return fmt.Errorf("%w: value of %d bytes exceeds %d", ErrInvalid, len(v), MaxValueSize)
	}
	return nil
}

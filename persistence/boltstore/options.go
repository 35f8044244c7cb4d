package boltstore

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/casespine/spine/persistence"
)

// Defaults for the zero fields of Options.
const (
	// DefaultMaxBatches is the default Options.MaxBatches.
	DefaultMaxBatches = 1024
	// DefaultMaxBytes is the default Options.MaxBytes (32 MiB).
	DefaultMaxBytes = 32 << 20
)

// Tuning of the bbolt file that is not worth an option.
const (
	// lockTimeout bounds how long Open waits for the file lock before it
	// fails with ErrLocked.
	lockTimeout = time.Second
	// initialMmapSize is mapped up front (address space, not memory or disk)
	// so that the file can grow to it without remapping; a remap waits for
	// every open read transaction and stalls the committer meanwhile.
	initialMmapSize = 1 << 30
	// growStep is how much the file grows at a time when no MaxFileSize
	// caps it.
	growStep = 256 << 20
	// fileMode is the permission of a newly created file.
	fileMode = 0o600
)

// Options configures a Store. Zero fields mean the documented defaults.
type Options struct {
	// Path of the bbolt file; created (mode 0600) if it does not exist.
	// Required. Its directory must exist.
	Path string

	// MaxBatches is the largest number of batches one transaction commits.
	// Default DefaultMaxBatches (1024).
	MaxBatches int

	// MaxBytes is the largest sum of Batch.Size, in bytes, one transaction
	// commits; a single batch bigger than that still commits, alone.
	// Default DefaultMaxBytes (32 MiB).
	MaxBytes int

	// MaxFileSize caps the size of the file, in bytes: a transaction that
	// would grow it further fails (every caller of the group gets an error
	// wrapping ErrCommitFailed) and the store stays usable. Default 0: no
	// cap, the disk is the limit.
	MaxFileSize int64

	// OnCommit, if not nil, is called after each durable transaction that
	// appended to a log, with every entry that transaction appended, in
	// offset order within each log and in the order the batches were applied.
	// It runs on the committer goroutine, in commit order, before the
	// callers of the transaction's batches are answered, and is never called
	// for a transaction that did not commit. It must be fast (hand off and
	// return) and must not call Commit. The slices alias the committed
	// batches and must not be modified. A panic in it is recovered and
	// logged.
	OnCommit func([]persistence.Appended)

	// Observe, if not nil, is called on the committer goroutine after each
	// durable transaction with the number of batches the transaction took
	// (conflicted ones included), their total Batch.Size in bytes, and the
	// time from the start of the transaction to the end of its fsync.
	Observe func(batches, bytes int, took time.Duration)

	// Logger receives commit failures and recovered panics. Default: discard.
	Logger *slog.Logger
}

// withDefaults checks o and returns a copy with defaults applied.
func (o Options) withDefaults() (Options, error) {
	if o.Path == "" {
		return o, fmt.Errorf("%w: boltstore: Options.Path is required", persistence.ErrInvalid)
	}
	if o.MaxBatches < 0 || o.MaxBytes < 0 || o.MaxFileSize < 0 {
		return o, fmt.Errorf("%w: boltstore: negative limit in Options", persistence.ErrInvalid)
	}
	if o.MaxBatches == 0 {
		o.MaxBatches = DefaultMaxBatches
	}
	if o.MaxBytes == 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o, nil
}

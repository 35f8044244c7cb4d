// Package boltstore is the embedded store of a single node: one bbolt file,
// written by one group-committing goroutine.
//
// It owns the file and its layout and nothing else: it knows keys, logs and
// bytes (package persistence), never tenants, cases or events, and it does
// no network I/O. The contract it fulfils is the one of persistence and is
// checked by the shared suite in persistence/storetest.
//
// # Group commit
//
// Every Commit is validated in the caller's goroutine and queued. A single
// committer goroutine takes the oldest queued batch and, without waiting for
// more, everything else queued behind it (up to Options.MaxBatches batches
// and Options.MaxBytes bytes), applies them all in one bbolt read-write
// transaction, and fsyncs once. Only then are the callers answered, so a
// successful Commit is durable, and the fsync cost is shared by every
// batch that was waiting while the previous transaction was on disk.
//
// Each batch stays atomic inside the shared transaction: its Conds are
// checked against the transaction's state (earlier batches of the group
// included); a batch whose Conds fail is skipped and its caller gets a
// *persistence.ConflictError. If a batch fails while being applied, the
// transaction is rolled back and redone without it, and only that caller
// gets the error. If the transaction itself fails to commit (disk full,
// Options.MaxFileSize reached, I/O error), every caller of the group gets
// the wrapped error, nothing of the group is visible, and the store keeps
// serving later commits.
//
// # Layout
//
// The file holds four top-level buckets: "kv" (plain keys), "logs" (log
// entries keyed by a 2-byte big-endian name length, the name, and the
// 8-byte big-endian offset, so that one log's entries are contiguous and
// sorted), "heads" (log name to its highest assigned offset, 8 bytes big
// endian, which keeps offsets contiguous across restarts) and "meta" (the
// layout version).
//
// # Concurrency
//
// A Store is safe for concurrent use. Reads (Get, Scan, ReadLog, LogHead)
// run in bbolt read transactions concurrently with the committer and see
// the state of the last committed transaction. The OnCommit and Observe
// hooks run on the committer goroutine and delay every later commit while
// they run: they must hand work off and return quickly.
//
// Only one process may open a file: a second Open of the same path fails
// within about a second with ErrLocked.
package boltstore

// Package persistence is the byte-level vocabulary shared by every store:
// batches of key/value writes guarded by preconditions, append-only logs
// with store-assigned offsets, and the sentinel errors callers branch on.
//
// Stores know keys and bytes, never tenants, cases or events. The packages
// that use a store declare the interface they need (with the method set of
// storetest.Store: Commit, Get, GetMany, Scan, ReadLog, LogHead, Close);
// implementations live in sub-packages side by side (boltstore for one
// node, sharded to spread tenants over several stores, a Redis store for a
// cluster) and all pass the contract suite in storetest.
//
// # Model
//
// A store holds two kinds of data:
//
//   - Plain keys: a sorted map from non-empty byte keys to byte values
//     (empty values are allowed).
//   - Logs: named, append-only sequences of values. The store assigns each
//     appended value the next offset of its log: 1, 2, 3, ..., contiguous,
//     in commit order, independent between logs, and never reused, even
//     across restarts.
//
// Both are written only through a Batch, applied atomically by Commit: its
// Conds are checked first and, if all hold, its Puts, Deletes and Appends
// are applied together; otherwise nothing of it is written and Commit
// returns a *ConflictError. A batch that cannot be valid (empty key, key or
// value too large, see the Max* constants) is rejected with ErrInvalid
// before it reaches storage.
//
// # Ownership
//
// Commit takes ownership of the byte slices in a Batch: the caller must not
// modify them after calling Commit, because a store may keep referring to
// them (for instance by handing Append values to its commit hook, so that
// one encoding of an event reaches every subscriber). Everything a store
// returns from a read is a copy the caller may keep and modify.
//
// # Concurrency
//
// The types in this package are plain values with no internal locking; a
// Batch must not be modified while a Commit of it is in progress.
package persistence

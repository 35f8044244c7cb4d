package boltstore

import "errors"

var (
	// ErrLocked is returned by Open when another Store (in this process or
	// another) holds the file open.
	ErrLocked = errors.New("boltstore: file is locked by another open store")

	// ErrLayout is returned by Open when the file was written with a layout
	// version this code does not understand.
	ErrLayout = errors.New("boltstore: unknown file layout version")

	// ErrCommitFailed is wrapped by the error every caller of a group gets
	// when its transaction could not be made durable (disk full,
	// Options.MaxFileSize reached, I/O error). Nothing of the group was
	// written; the store remains usable and the batches may be retried.
	ErrCommitFailed = errors.New("boltstore: commit failed")
)

package persistence

import (
	"errors"
	"fmt"
)

var (
	// ErrConflict is matched (with errors.Is) by the *ConflictError that
	// Commit returns when one of a batch's Conds does not hold. Nothing of
	// that batch was written.
	ErrConflict = errors.New("persistence: precondition failed")

	// ErrClosed is returned by every method of a store after Close has been
	// called (Close itself excepted).
	ErrClosed = errors.New("persistence: store closed")

	// ErrInvalid is wrapped by errors about requests that can never succeed:
	// a nil batch, an empty key or log name, a key, value or batch above the
	// Max* limits, a Cond that is both Absent and has a Value. The store was
	// not touched.
	ErrInvalid = errors.New("persistence: invalid request")

	// ErrNotFound is available to callers that turn a missing key into an
	// error; the stores themselves report absence with ok == false.
	ErrNotFound = errors.New("persistence: not found")
)

// ConflictError reports the first Cond of a batch that did not hold.
// errors.Is(err, ErrConflict) is true for it.
type ConflictError struct {
	// Key is the key of the failed Cond.
	Key []byte
	// Current is the key's value when the Cond was checked, nil when the key
	// was absent (an existing empty value is a non-nil empty slice).
	Current []byte
}

// Error implements error.
func (e *ConflictError) Error() string {
	if e.Current == nil {
		return fmt.Sprintf("persistence: precondition failed on key %q (absent)", e.Key)
	}
	return fmt.Sprintf("persistence: precondition failed on key %q (%d-byte value present)", e.Key, len(e.Current))
}

// Is makes errors.Is(err, ErrConflict) true.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

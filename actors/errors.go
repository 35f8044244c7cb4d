package actors

import "errors"

// Sentinel errors of the domain. Actors wrap them with %w and detail that is
// safe to show a client; boundaries branch on them with errors.Is.
var (
	// ErrNotFound: the tenant, case or message does not exist.
	ErrNotFound = errors.New("not found")
	// ErrExists: the thing to create exists already.
	ErrExists = errors.New("already exists")
	// ErrForbidden: the credential presented does not grant this.
	ErrForbidden = errors.New("forbidden")
	// ErrInvalid: the request is malformed or breaks a rule.
	ErrInvalid = errors.New("invalid request")
	// ErrUnavailable: a temporary failure (the store could not commit, a
	// grain did not answer in time); retrying later may succeed.
	ErrUnavailable = errors.New("temporarily unavailable")
	// ErrContention: the change kept losing optimistic-concurrency races.
	ErrContention = errors.New("too much contention")
	// ErrConflict: the request conflicts with the current state (a step a
	// state machine is past).
	ErrConflict = errors.New("conflict")
	// ErrOverCap: a per-user connection cap is reached.
	ErrOverCap = errors.New("over the connection cap")
)

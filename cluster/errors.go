package cluster

import (
	"errors"
	"fmt"

	pcluster "github.com/asynkron/protoactor-go/cluster"
	"github.com/casespine/spine/actors"
)

// reasons maps domain sentinels to grain error reasons and back.
var reasons = []struct {
	err    error
	reason string
}{
	{actors.ErrNotFound, pcluster.ErrorReason_NOT_FOUND},
	{actors.ErrExists, pcluster.ErrorReason_ALREADY_EXISTS},
	{actors.ErrForbidden, pcluster.ErrorReason_PERMISSION_DENIED},
	{actors.ErrInvalid, pcluster.ErrorReason_INVALID_ARGUMENT},
	{actors.ErrUnavailable, pcluster.ErrorReason_UNAVAILABLE},
	{actors.ErrContention, pcluster.ErrorReason_ABORTED},
	{actors.ErrOverCap, pcluster.ErrorReason_RESOURCE_EXHAUSTED},
	{actors.ErrConflict, pcluster.ErrorReason_FAILED_PRECONDITION},
}

// ErrInternal is a grain failure that maps to no domain sentinel (a bug).
var ErrInternal = errors.New("internal error")

// toGrainError turns a handler error into the error the generated code sends.
func toGrainError(err error) error {
	if err == nil {
		return nil
	}
	for _, r := range reasons {
		if errors.Is(err, r.err) {
			return pcluster.NewGrainErrorResponse(r.reason, err.Error())
		}
	}
	return pcluster.NewGrainErrorResponse(pcluster.ErrorReason_INTERNAL, err.Error())
}

// fromCallError turns what a generated client returned into a domain error.
func fromCallError(err error) error {
	if err == nil {
		return nil
	}
	var ge *pcluster.GrainErrorResponse
	if errors.As(err, &ge) {
		for _, r := range reasons {
			if ge.Reason == r.reason {
				return &remoteError{sentinel: r.err, msg: ge.Message}
			}
		}
		return &remoteError{sentinel: ErrInternal, msg: ge.Message}
	}
	// Timeouts, dead letters, exhausted retries: the grain did not answer.
	return fmt.Errorf("%w: %v", actors.ErrUnavailable, err)
}

// remoteError carries the handler's message and matches its sentinel.
type remoteError struct {
	sentinel error
	msg      string
}

func (e *remoteError) Error() string { return e.msg }
func (e *remoteError) Unwrap() error { return e.sentinel }

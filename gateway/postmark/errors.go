package postmark

import "errors"

// Sentinel errors returned (wrapped, with detail) by Parse. Branch on them
// with errors.Is. The wrapped detail names fields, indexes and byte offsets
// only and never echoes the body, so the full error text is safe to show to
// the webhook caller.
var (
	// ErrMalformed means the body is not a single JSON object of the
	// Postmark inbound shape: invalid JSON, trailing data after the object,
	// a top-level value that is not an object, or a known field of the
	// wrong JSON type (for example a number where a string belongs).
	// The HTTP layer answers 400.
	ErrMalformed = errors.New("postmark: malformed body")

	// ErrInvalid means the body is well-formed JSON but the message cannot
	// be accepted: MessageID is missing, too long or has control
	// characters, or an attachment's content is not valid base64 or its
	// ContentLength is negative. The HTTP layer answers 400 (Postmark
	// retries it, which is harmless: the body will not change).
	ErrInvalid = errors.New("postmark: invalid message")
)

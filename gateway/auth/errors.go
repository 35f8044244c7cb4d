package auth

import "errors"

// Sentinel errors. Branch on them with errors.Is; they are returned wrapped
// with detail that is safe to log (never a token, never key material).
var (
	// ErrInvalidToken means a token must be refused: it is malformed, is
	// not signed with HS256 under our key (alg none and every other alg
	// included), lacks exp or iat, or breaks a claim rule (unknown role,
	// empty sub, admin or agent without a valid client_id, operator with
	// one). A token without exp is refused with this error, not ErrExpired:
	// Issue never makes one. Both answer HTTP 401 (WebSocket close 4001).
	ErrInvalidToken = errors.New("auth: invalid token")

	// ErrExpired means a correctly signed, well-formed token is past its
	// exp (after Options.Leeway). HTTP 401 (close 4001); the client needs
	// a new token.
	ErrExpired = errors.New("auth: token expired")

	// ErrInvalid means a caller passed something this package cannot
	// accept: Options to New (short key, negative durations) or Claims and
	// ttl to Issue (unknown role, empty or too long sub, client_id rules,
	// tenant id pattern, ttl above MaxTTL). HTTP 400 when it comes from a
	// request.
	ErrInvalid = errors.New("auth: invalid argument")

	// ErrNoKey means LoadOrCreateKey found no key file and was not allowed
	// to create one.
	ErrNoKey = errors.New("auth: no signing key")

	// ErrBadKey means the key file exists but must not be used: it is
	// readable by group or others, is not a regular file, or does not hold
	// at least MinKeySize bytes of hex or base64 text.
	ErrBadKey = errors.New("auth: unusable signing key file")
)

package auth

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// MinKeySize is the shortest signing key accepted, in bytes (the HS256 output
// size, as RFC 7518 §3.2 requires).
const MinKeySize = 32

// MaxTokenLen is the longest token Verify will parse, in bytes. Spine's
// tokens are about 250 bytes; anything much longer is refused unparsed.
const MaxTokenLen = 4096

// Defaults for zero Options fields.
const (
	DefaultTTL    = 24 * time.Hour
	DefaultMaxTTL = 30 * 24 * time.Hour
)

// Options configure an Auth. Zero fields mean the documented defaults.
type Options struct {
	// Key is the HMAC-SHA256 signing key, at least MinKeySize bytes.
	// Required. New copies it.
	Key []byte
	// DefaultTTL is the lifetime of a token issued with ttl 0.
	// Default 24h (DefaultTTL).
	DefaultTTL time.Duration
	// MaxTTL is the longest lifetime Issue grants. Default 30 days
	// (DefaultMaxTTL). Must be at least DefaultTTL.
	MaxTTL time.Duration
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Leeway is how long after exp a token is still accepted, to absorb
	// clock skew between nodes. Default 0.
	Leeway time.Duration
}

// Auth issues and verifies tokens under one key. It is immutable and safe
// for concurrent use.
type Auth struct {
	key        []byte
	defaultTTL time.Duration
	maxTTL     time.Duration
	now        func() time.Time
	parser     *jwt.Parser
}

// New returns an Auth for opts. It fails with ErrInvalid when the key is
// shorter than MinKeySize or a duration is negative or inconsistent.
func New(opts Options) (*Auth, error) {
	if len(opts.Key) < MinKeySize {
		return nil, fmt.Errorf("%w: key is %d bytes, need at least %d", ErrInvalid, len(opts.Key), MinKeySize)
	}
	if opts.DefaultTTL < 0 || opts.MaxTTL < 0 || opts.Leeway < 0 {
		return nil, fmt.Errorf("%w: negative DefaultTTL, MaxTTL or Leeway", ErrInvalid)
	}
	a := &Auth{
		key:        append([]byte(nil), opts.Key...),
		defaultTTL: opts.DefaultTTL,
		maxTTL:     opts.MaxTTL,
		now:        opts.Now,
	}
	if a.defaultTTL == 0 {
		a.defaultTTL = DefaultTTL
	}
	if a.maxTTL == 0 {
		a.maxTTL = DefaultMaxTTL
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.defaultTTL > a.maxTTL {
		return nil, fmt.Errorf("%w: DefaultTTL %v exceeds MaxTTL %v", ErrInvalid, a.defaultTTL, a.maxTTL)
	}
	// jwt.Parser is read-only after construction, so one is shared by
	// every Verify call.
	a.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(opts.Leeway),
		jwt.WithTimeFunc(a.now),
		jwt.WithStrictDecoding(),
	)
	return a, nil
}

// wireClaims is the JWT payload: exactly sub, role, client_id (omitted for
// operator), iat and exp.
type wireClaims struct {
	Sub      string           `json:"sub"`
	Role     Role             `json:"role"`
	ClientID string           `json:"client_id,omitempty"`
	IssuedAt *jwt.NumericDate `json:"iat"`
	Expires  *jwt.NumericDate `json:"exp"`
}

// wireClaims implements jwt.Claims so that the jwt parser checks exp.
func (w *wireClaims) GetExpirationTime() (*jwt.NumericDate, error) { return w.Expires, nil }
func (w *wireClaims) GetIssuedAt() (*jwt.NumericDate, error)       { return w.IssuedAt, nil }
func (w *wireClaims) GetNotBefore() (*jwt.NumericDate, error)      { return nil, nil }
func (w *wireClaims) GetIssuer() (string, error)                   { return "", nil }
func (w *wireClaims) GetSubject() (string, error)                  { return w.Sub, nil }
func (w *wireClaims) GetAudience() (jwt.ClaimStrings, error)       { return nil, nil }

// Issue signs a token for c. Only c.Sub, c.Role and c.ClientID are used; iat
// is now and exp is now+ttl, both in whole seconds (exp rounds down). A ttl
// of 0 means Options.DefaultTTL; a negative ttl or one above
// Options.MaxTTL, or claims that break the rules (see ErrInvalid), fail
// with ErrInvalid. It returns the token and its expiry.
func (a *Auth) Issue(c Claims, ttl time.Duration) (token string, expiresAt time.Time, err error) {
	if reason := checkClaims(c.Sub, c.Role, c.ClientID); reason != "" {
		return "", time.Time{}, fmt.Errorf("%w: %s", ErrInvalid, reason)
	}
	switch {
	case ttl == 0:
		ttl = a.defaultTTL
	case ttl < 0:
		return "", time.Time{}, fmt.Errorf("%w: negative ttl", ErrInvalid)
	case ttl > a.maxTTL:
		return "", time.Time{}, fmt.Errorf("%w: ttl %v exceeds the maximum %v", ErrInvalid, ttl, a.maxTTL)
	}
	now := a.now()
	iat := now.Truncate(time.Second)
	exp := now.Add(ttl).Truncate(time.Second)
	if !exp.After(iat) {
		return "", time.Time{}, fmt.Errorf("%w: ttl %v is shorter than a second", ErrInvalid, ttl)
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, &wireClaims{
		Sub:      c.Sub,
		Role:     c.Role,
		ClientID: c.ClientID,
		IssuedAt: jwt.NewNumericDate(iat),
		Expires:  jwt.NewNumericDate(exp),
	})
	s, err := tok.SignedString(a.key)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("auth: sign: %w", err)
	}
	return s, exp.UTC(), nil
}

// Verify checks token and returns its claims. It accepts only HS256 under
// this Auth's key. A token past exp (plus Options.Leeway) fails with
// ErrExpired; every other refusal, including a missing exp, fails with
// ErrInvalidToken. The signature is checked before expiry, so a forged
// token never reports ErrExpired.
func (a *Auth) Verify(token string) (*Claims, error) {
	if len(token) > MaxTokenLen {
		return nil, fmt.Errorf("%w: longer than %d bytes", ErrInvalidToken, MaxTokenLen)
	}
	var w wireClaims
	_, err := a.parser.ParseWithClaims(token, &w, a.keyFunc)
	if err != nil {
		if errors.Is(err, jwt.ErrTokenExpired) {
			return nil, ErrExpired
		}
		return nil, fmt.Errorf("%w: %s", ErrInvalidToken, jwtReason(err))
	}
	if reason := checkClaims(w.Sub, w.Role, w.ClientID); reason != "" {
		return nil, fmt.Errorf("%w: %s", ErrInvalidToken, reason)
	}
	if w.IssuedAt == nil {
		return nil, fmt.Errorf("%w: iat is missing", ErrInvalidToken)
	}
	if w.IssuedAt.After(w.Expires.Time) {
		return nil, fmt.Errorf("%w: iat is after exp", ErrInvalidToken)
	}
	return &Claims{
		Sub:       w.Sub,
		Role:      w.Role,
		ClientID:  w.ClientID,
		IssuedAt:  w.IssuedAt.UTC(),
		ExpiresAt: w.Expires.UTC(),
	}, nil
}

func (a *Auth) keyFunc(t *jwt.Token) (any, error) {
	// WithValidMethods already limits alg to HS256; checking the method
	// type too keeps the key from ever reaching another algorithm.
	if t.Method != jwt.SigningMethodHS256 {
		return nil, errors.New("unexpected signing method")
	}
	return a.key, nil
}

// jwtReason names the class of a jwt error without quoting the token.
func jwtReason(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "malformed"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		return "bad signature or algorithm"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return "exp is missing"
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued), errors.Is(err, jwt.ErrTokenNotValidYet):
		return "not valid yet"
	default:
		return "invalid claims"
	}
}

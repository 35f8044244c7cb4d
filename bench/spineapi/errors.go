package spineapi

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Sentinels a *Problem matches with errors.Is, by HTTP status.
var (
	// ErrConflict: 409, e.g. the tenant exists.
	ErrConflict = errors.New("spineapi: conflict")
	// ErrNotFound: 404, e.g. a route this node does not serve.
	ErrNotFound = errors.New("spineapi: not found")
	// ErrUnauthorized: 401, the token is missing, invalid or expired.
	ErrUnauthorized = errors.New("spineapi: unauthorized")
	// ErrForbidden: 403, the token may not reach that tenant or route.
	ErrForbidden = errors.New("spineapi: forbidden")
	// ErrRateLimited: 429 still answered after the retries ran out.
	ErrRateLimited = errors.New("spineapi: rate limited")
	// ErrServer: a 5xx still answered after the retries ran out.
	ErrServer = errors.New("spineapi: server error")
)

// Problem is a non-2xx answer, with its RFC 9457 body when there was one.
type Problem struct {
	Method     string
	Path       string
	Status     int
	Type       string `json:"type"`
	Title      string `json:"title"`
	Detail     string `json:"detail"`
	RetryAfter time.Duration
	// Body holds the raw answer when it was not problem+json.
	Body string
}

func (p *Problem) Error() string {
	msg := p.Detail
	if msg == "" {
		msg = p.Title
	}
	if msg == "" {
		msg = p.Body
	}
	if len(msg) > 300 {
		msg = msg[:300] + "..."
	}
	return fmt.Sprintf("%s %s: %d %s: %s", p.Method, p.Path, p.Status, http.StatusText(p.Status), msg)
}

// Is matches the sentinel of p's status.
func (p *Problem) Is(target error) bool {
	switch target {
	case ErrConflict:
		return p.Status == http.StatusConflict
	case ErrNotFound:
		return p.Status == http.StatusNotFound
	case ErrUnauthorized:
		return p.Status == http.StatusUnauthorized
	case ErrForbidden:
		return p.Status == http.StatusForbidden
	case ErrRateLimited:
		return p.Status == http.StatusTooManyRequests
	case ErrServer:
		return p.Status >= 500
	}
	return false
}

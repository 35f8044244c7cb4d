package gateway

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/casespine/spine/actors"
	"github.com/casespine/spine/gateway/auth"
	"github.com/casespine/spine/gateway/postmark"
	"github.com/valyala/fasthttp"
)

// Errors of the gateway itself.
var (
	errUnauthorized   = errors.New("a valid bearer token is required")
	errForbiddenScope = errors.New("this token may not act on this tenant")
	errReadOnly       = errors.New("this token may only read")
	errBadJSON        = errors.New("request body is not valid JSON for this route")
	errTooLarge       = errors.New("request body is too large for this route")
	errNotFound       = errors.New("no such route")
	errMethod         = errors.New("method not allowed")
	errOverCap        = errors.New("too many open event sockets for this user")
	errRateLimited    = errors.New("too many admin API requests for this tenant; retry after the Retry-After seconds")
)

// Problem is an RFC 9457 problem document.
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
}

// statusOf is the one mapping from errors to HTTP statuses.
func statusOf(err error) int {
	switch {
	case errors.Is(err, auth.ErrInvalidToken), errors.Is(err, auth.ErrExpired), errors.Is(err, errUnauthorized):
		return http.StatusUnauthorized
	case errors.Is(err, actors.ErrForbidden), errors.Is(err, errForbiddenScope), errors.Is(err, errReadOnly):
		return http.StatusForbidden
	case errors.Is(err, actors.ErrNotFound), errors.Is(err, errNotFound):
		return http.StatusNotFound
	case errors.Is(err, errMethod):
		return http.StatusMethodNotAllowed
	case errors.Is(err, actors.ErrExists), errors.Is(err, actors.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, errTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, actors.ErrOverCap), errors.Is(err, errOverCap), errors.Is(err, errRateLimited):
		return http.StatusTooManyRequests
	case errors.Is(err, actors.ErrInvalid), errors.Is(err, auth.ErrInvalid), errors.Is(err, errBadJSON),
		errors.Is(err, postmark.ErrMalformed), errors.Is(err, postmark.ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, actors.ErrUnavailable), errors.Is(err, actors.ErrContention):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// writeProblem answers err as application/problem+json. Server errors show
// a generic detail: their text may name internals.
func writeProblem(ctx *fasthttp.RequestCtx, err error) {
	status := statusOf(err)
	p := Problem{
		Type:   "https://spine.dev/problems/" + slug(status),
		Title:  http.StatusText(status),
		Status: status,
		Detail: err.Error(),
	}
	if status >= 500 {
		if status == http.StatusServiceUnavailable {
			p.Detail = "temporarily unavailable; retry"
		} else {
			p.Detail = "internal error"
		}
	}
	if id, ok := ctx.UserValue(requestIDKey).(string); ok {
		p.Instance = "urn:request:" + id
	}
	switch status {
	case http.StatusUnauthorized:
		ctx.Response.Header.Set("WWW-Authenticate", `Bearer realm="spine"`)
	case http.StatusServiceUnavailable:
		ctx.Response.Header.Set("Retry-After", "1")
	case http.StatusTooManyRequests:
		if ctx.Response.Header.Peek("Retry-After") == nil {
			ctx.Response.Header.Set("Retry-After", "1")
		}
	}
	b, _ := json.Marshal(p)
	ctx.Response.Header.SetContentType("application/problem+json")
	ctx.SetStatusCode(status)
	ctx.SetBody(b)
	ctx.SetUserValue(errorKey, err)
}

func slug(status int) string {
	switch status {
	case 400:
		return "bad-request"
	case 401:
		return "unauthorized"
	case 403:
		return "forbidden"
	case 404:
		return "not-found"
	case 405:
		return "method-not-allowed"
	case 409:
		return "conflict"
	case 413:
		return "too-large"
	case 429:
		return "too-many-requests"
	case 503:
		return "unavailable"
	}
	return "status-" + strconv.Itoa(status)
}

// writeJSON answers v as JSON with status.
func writeJSON(ctx *fasthttp.RequestCtx, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeProblem(ctx, err)
		return
	}
	ctx.Response.Header.SetContentType("application/json")
	ctx.SetStatusCode(status)
	ctx.SetBody(b)
}

// readJSON decodes the request body into v, rejecting unknown fields.
func readJSON(ctx *fasthttp.RequestCtx, v any) error {
	body := ctx.PostBody()
	if len(body) == 0 {
		return errBadJSON
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%w: %v", errBadJSON, err)
	}
	return nil
}

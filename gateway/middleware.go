package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/casespine/spine/actors/spinepb"
	"github.com/casespine/spine/gateway/auth"
	"github.com/fasthttp/router"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"
)

// User-value keys.
const (
	requestIDKey = "spine.request_id"
	claimsKey    = "spine.claims"
	errorKey     = "spine.error"
)

// middleware wraps every request: request id, panic recovery, metrics by
// route template and the access log.
func (s *Server) middleware(next fasthttp.RequestHandler) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		start := time.Now()
		id := string(ctx.Request.Header.Peek("X-Request-Id"))
		if id == "" || len(id) > 128 {
			id = newRequestID()
		}
		ctx.SetUserValue(requestIDKey, id)
		ctx.Response.Header.Set("X-Request-Id", id)
		func() {
			defer func() {
				if r := recover(); r != nil {
					s.log.Error("request handler panicked", "request_id", id, "panic", r, "stack", string(debug.Stack()))
					ctx.Response.Reset()
					writeProblem(ctx, fmt.Errorf("panic: %v", r))
				}
			}()
			next(ctx)
		}()
		route, _ := ctx.UserValue(router.MatchedRoutePathParam).(string)
		if route == "" {
			route = "unmatched"
		}
		status := ctx.Response.StatusCode()
		took := time.Since(start)
		s.opts.Metrics.Requests.WithLabelValues(route, string(ctx.Method()), strconv.Itoa(status)).Observe(took.Seconds())
		if s.opts.AccessLog {
			attrs := []slog.Attr{
				slog.String("request_id", id), slog.String("method", string(ctx.Method())),
				slog.String("path", redactPath(route, string(ctx.Path()))), slog.String("route", route),
				slog.Int("status", status), slog.Duration("took", took), slog.String("remote", ctx.RemoteIP().String()),
			}
			if q := redactQuery(ctx.QueryArgs()); q != "" {
				attrs = append(attrs, slog.String("query", q))
			}
			if err, ok := ctx.UserValue(errorKey).(error); ok && status >= 500 {
				attrs = append(attrs, slog.String("err", err.Error()))
			}
			s.log.LogAttrs(context.Background(), slog.LevelInfo, "http", attrs...)
		}
	}
}

func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// secretPathPrefixes are paths whose segments after the tenant are secrets,
// redacted even when no route matched (a wrong method, a trailing slash).
var secretPathPrefixes = []string{"/webhooks/postmark/"}

// redactPath hides path segments that are secrets: the {token} of a route,
// and everything after the tenant under a secret-bearing prefix.
func redactPath(route, path string) string {
	for _, p := range secretPathPrefixes {
		if rest, ok := strings.CutPrefix(path, p); ok {
			cid, _, hasMore := strings.Cut(rest, "/")
			if hasMore {
				return p + cid + "/REDACTED"
			}
			return path
		}
	}
	if !strings.Contains(route, "{token}") {
		return path
	}
	rs, ps := strings.Split(route, "/"), strings.Split(path, "/")
	if len(rs) != len(ps) {
		return route
	}
	for i, seg := range rs {
		if seg == "{token}" {
			ps[i] = "REDACTED"
		}
	}
	return strings.Join(ps, "/")
}

// redactQuery renders the query string with access_token hidden.
func redactQuery(args *fasthttp.Args) string {
	if args.Len() == 0 {
		return ""
	}
	var b strings.Builder
	for k, v := range args.All() {
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.Write(k)
		b.WriteByte('=')
		if string(k) == "access_token" {
			b.WriteString("REDACTED")
		} else {
			b.Write(v)
		}
	}
	return b.String()
}

// bearer extracts the token from Authorization: Bearer, or from the
// access_token query parameter when allowQuery (browser WebSockets).
func bearer(ctx *fasthttp.RequestCtx, allowQuery bool) string {
	h := string(ctx.Request.Header.Peek("Authorization"))
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	if allowQuery {
		return string(ctx.QueryArgs().Peek("access_token"))
	}
	return ""
}

func (s *Server) verify(ctx *fasthttp.RequestCtx, allowQuery bool) (*auth.Claims, error) {
	tok := bearer(ctx, allowQuery)
	if tok == "" {
		return nil, errUnauthorized
	}
	return s.opts.Auth.Verify(tok)
}

// authed requires a valid token.
func (s *Server) authed(h func(*fasthttp.RequestCtx, *auth.Claims)) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		c, err := s.verify(ctx, false)
		if err != nil {
			writeProblem(ctx, err)
			return
		}
		h(ctx, c)
	}
}

// scope verifies the token and that it may act on {cid}, answering the
// problem itself when not.
func (s *Server) scope(ctx *fasthttp.RequestCtx, allowQuery bool) (*auth.Claims, string, bool) {
	c, err := s.verify(ctx, allowQuery)
	if err != nil {
		writeProblem(ctx, err)
		return nil, "", false
	}
	cid, _ := ctx.UserValue("cid").(string)
	if !c.CanAccess(cid) {
		writeProblem(ctx, errForbiddenScope)
		return nil, "", false
	}
	return c, cid, true
}

// tenantScoped requires a valid token that may act on {cid}; read-only
// roles may only GET.
func (s *Server) tenantScoped(h func(*fasthttp.RequestCtx, *auth.Claims, string)) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		c, cid, ok := s.scope(ctx, false)
		if !ok {
			return
		}
		if !ctx.IsGet() && !c.CanWrite() {
			writeProblem(ctx, errReadOnly)
			return
		}
		if !s.admit(ctx, cid) {
			return
		}
		h(ctx, c, cid)
	}
}

// admit takes the request from the tenant's admin API rate, kept by the
// tenant actor for the whole cluster; over it, 429 with Retry-After.
func (s *Server) admit(ctx *fasthttp.RequestCtx, cid string) bool {
	r, err := s.opts.Member.Tenant(cid).Admit(&spinepb.Admit{DefaultRate: s.opts.AdminRate})
	if err != nil {
		writeProblem(ctx, err)
		return false
	}
	if !r.Allowed {
		ctx.Response.Header.Set("Retry-After", strconv.FormatInt((r.RetryAfterMs+999)/1000, 10))
		writeProblem(ctx, errRateLimited)
		return false
	}
	return true
}

func (s *Server) metricsHandler() fasthttp.RequestHandler {
	return fasthttpadaptor.NewFastHTTPHandler(promhttp.HandlerFor(s.opts.Registry, promhttp.HandlerOpts{}))
}

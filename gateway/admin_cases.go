package gateway

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/casespine/spine/actors"
	"github.com/casespine/spine/actors/cases"
	"github.com/casespine/spine/actors/events"
	"github.com/casespine/spine/actors/keyspace"
	"github.com/casespine/spine/gateway/auth"
	"github.com/valyala/fasthttp"
)

// page is the list envelope of every list route.
type page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

func queryInt(ctx *fasthttp.RequestCtx, name string) (int, error) {
	v := ctx.QueryArgs().Peek(name)
	if len(v) == 0 {
		return 0, nil
	}
	n, err := strconv.Atoi(string(v))
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%w: %s must be a non-negative integer", actors.ErrInvalid, name)
	}
	return n, nil
}

// tenantExists answers 404 for a tenant that does not exist.
func (s *Server) tenantExists(ctx *fasthttp.RequestCtx, cid string) bool {
	_, ok, err := s.opts.Store.Get(keyspace.Tenant(cid))
	if err != nil {
		writeProblem(ctx, fmt.Errorf("%w: %v", actors.ErrUnavailable, err))
		return false
	}
	if !ok {
		writeProblem(ctx, fmt.Errorf("%w: tenant %q", actors.ErrNotFound, cid))
		return false
	}
	return true
}

// listOf returns the handler of a tenant's list route: limit, cursor, a 404
// for an unknown tenant, and the list envelope.
func listOf[T any](s *Server, list func(r cases.Reader, cid string, limit int, cursor string) ([]T, string, error)) func(*fasthttp.RequestCtx, *auth.Claims, string) {
	return func(ctx *fasthttp.RequestCtx, _ *auth.Claims, cid string) {
		limit, err := queryInt(ctx, "limit")
		if err != nil {
			writeProblem(ctx, err)
			return
		}
		if !s.tenantExists(ctx, cid) {
			return
		}
		items, next, err := list(s.opts.Store, cid, limit, string(ctx.QueryArgs().Peek("cursor")))
		if err != nil {
			writeProblem(ctx, err)
			return
		}
		writeJSON(ctx, fasthttp.StatusOK, page[T]{Items: items, NextCursor: next})
	}
}

// GET /admin/clients/{cid}/cases/{case_id}: the case with its messages.
func (s *Server) getCase(ctx *fasthttp.RequestCtx, _ *auth.Claims, cid string) {
	caseID, _ := ctx.UserValue("case_id").(string)
	v, err := cases.Get(s.opts.Store, cid, caseID)
	if err != nil {
		writeProblem(ctx, err)
		return
	}
	writeJSON(ctx, fasthttp.StatusOK, v)
}

// GET /admin/clients/{cid}/cases/{case_id}/messages: messages page by page.
func (s *Server) listMessages(ctx *fasthttp.RequestCtx, _ *auth.Claims, cid string) {
	caseID, _ := ctx.UserValue("case_id").(string)
	limit, err := queryInt(ctx, "limit")
	if err != nil {
		writeProblem(ctx, err)
		return
	}
	if err := cases.Exists(s.opts.Store, cid, caseID); err != nil {
		writeProblem(ctx, err)
		return
	}
	items, next, err := cases.Messages(s.opts.Store, cid, caseID, cases.PageSize(limit), string(ctx.QueryArgs().Peek("cursor")))
	if err != nil {
		writeProblem(ctx, err)
		return
	}
	writeJSON(ctx, fasthttp.StatusOK, page[cases.Message]{Items: items, NextCursor: next})
}

type eventLogPage struct {
	Items      []json.RawMessage `json:"items"`
	NextCursor string            `json:"next_cursor,omitempty"`
	Head       uint64            `json:"head"`
	Published  uint64            `json:"published"`
}

// GET /admin/clients/{cid}/event-log?after=OFFSET&limit=N: the tenant's
// event log (the outbox) in offset order, with how far it was published.
// next_cursor is the offset to pass as `after` (or `cursor`) next. Any
// token that may open the tenant's socket may read it: it holds what the
// socket shows, and a client that reconnects fills its gap from here.
func (s *Server) eventLog(ctx *fasthttp.RequestCtx, _ *auth.Claims, cid string) {
	after := uint64(0)
	for _, name := range []string{"after", "cursor"} {
		if v := ctx.QueryArgs().Peek(name); len(v) > 0 {
			n, err := strconv.ParseUint(string(v), 10, 64)
			if err != nil {
				writeProblem(ctx, fmt.Errorf("%w: %s must be an offset", actors.ErrInvalid, name))
				return
			}
			after = n
		}
	}
	limit, err := queryInt(ctx, "limit")
	if err != nil {
		writeProblem(ctx, err)
		return
	}
	limit = cases.PageSize(limit)
	if !s.tenantExists(ctx, cid) {
		return
	}
	log := keyspace.EventLog(cid)
	// Read the watermark first: published never exceeds head in the answer.
	published := s.opts.Published.Published(cid)
	head, err := s.opts.Store.LogHead(log)
	if err != nil {
		writeProblem(ctx, fmt.Errorf("%w: %v", actors.ErrUnavailable, err))
		return
	}
	entries, err := s.opts.Store.ReadLog(log, after, limit)
	if err != nil {
		writeProblem(ctx, fmt.Errorf("%w: %v", actors.ErrUnavailable, err))
		return
	}
	out := eventLogPage{Items: make([]json.RawMessage, 0, len(entries)), Head: head, Published: published}
	for _, e := range entries {
		out.Items = append(out.Items, events.Wire(e.Offset, e.Value))
	}
	if len(entries) == limit && entries[len(entries)-1].Offset < head {
		out.NextCursor = strconv.FormatUint(entries[len(entries)-1].Offset, 10)
	}
	writeJSON(ctx, fasthttp.StatusOK, out)
}

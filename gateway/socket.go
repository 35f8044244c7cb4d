package gateway

import (
	"fmt"
	"time"

	"github.com/casespine/spine/actors/spinepb"
	"github.com/casespine/spine/cluster"
	"github.com/casespine/spine/gateway/live"
	"github.com/fasthttp/websocket"
	"github.com/oklog/ulid/v2"
	"github.com/valyala/fasthttp"
)

// GET /admin/clients/{cid}/events: the live event socket. Everything that
// can be refused is refused before the upgrade, as HTTP: 401 bad token, 403
// other tenant, 404 unknown tenant, 429 over the per-user cap.
func (s *Server) eventsSocket(ctx *fasthttp.RequestCtx) {
	c, cid, ok := s.scope(ctx, true)
	if !ok {
		return
	}
	if !websocket.FastHTTPIsWebSocketUpgrade(ctx) {
		writeProblem(ctx, fmt.Errorf("%w: this route upgrades to a WebSocket", errBadJSON))
		return
	}
	connID := ulid.Make().String()
	lease := s.opts.Sockets.Live.LeaseTTL
	if lease <= 0 {
		lease = 60 * time.Second
	}
	t := s.opts.Member.Tenant(cid)
	r, err := t.Acquire(&spinepb.AcquireConn{
		Sub: c.Sub, ConnId: connID, Node: s.opts.NodeName, TtlMs: lease.Milliseconds(),
		DefaultLimit: s.opts.Sockets.DefaultMaxPerUser,
	})
	if err != nil {
		// A try that timed out may still have taken the slot.
		_ = t.Release(&spinepb.ReleaseConn{Sub: c.Sub, ConnId: connID})
		writeProblem(ctx, err)
		return
	}
	if !r.Granted {
		writeProblem(ctx, fmt.Errorf("%w: %d of %d in use for sub %q", errOverCap, r.InUse, r.Limit, c.Sub))
		return
	}
	// Subscribe before the upgrade is answered: every event committed after
	// the client sees its socket open reaches it.
	pending := s.hub.Prepare(live.Params{ClientID: cid, Sub: c.Sub, ConnID: connID, Expires: c.ExpiresAt})
	err = s.upgrader.Upgrade(ctx, pending.Serve)
	if err != nil {
		pending.Abort()
		_ = t.Release(&spinepb.ReleaseConn{Sub: c.Sub, ConnId: connID})
	}
}

// leases adapts the tenant actor's lease methods for live sessions.
type leases struct {
	m            *cluster.Member
	defaultLimit uint32
}

func (l leases) Renew(cid, sub, connID string, ttl time.Duration) (bool, error) {
	r, err := l.m.Tenant(cid).Renew(&spinepb.RenewConn{Sub: sub, ConnId: connID, TtlMs: ttl.Milliseconds(), DefaultLimit: l.defaultLimit})
	if err != nil {
		return false, err
	}
	return r.Ok, nil
}

func (l leases) Release(cid, sub, connID string) error {
	return l.m.Tenant(cid).Release(&spinepb.ReleaseConn{Sub: sub, ConnId: connID})
}

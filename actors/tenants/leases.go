package tenants

import (
	"fmt"
	"time"

	"github.com/casespine/spine/actors"
	"github.com/casespine/spine/actors/spinepb"
)

// DefaultLeaseTTL is the lease TTL when a request gives none.
const DefaultLeaseTTL = 60 * time.Second

// Acquire takes a connection slot for (tenant, sub) if the cap allows. The
// cap is the tenant's setting, else the request's default.
func (t *Tenant) Acquire(req *spinepb.AcquireConn) (*spinepb.AcquireReply, error) {
	if err := t.exists(); err != nil {
		return nil, err
	}
	if req.Sub == "" || req.ConnId == "" {
		return nil, fmt.Errorf("%w: sub and conn_id are required", actors.ErrInvalid)
	}
	limit := t.limit(req.DefaultLimit)
	now := t.now()
	held := t.live(req.Sub, now)
	if _, again := held[req.ConnId]; !again && uint32(len(held)) >= limit {
		return &spinepb.AcquireReply{Granted: false, Limit: limit, InUse: uint32(len(held))}, nil
	}
	if held == nil {
		held = map[string]time.Time{}
		t.leases[req.Sub] = held
	}
	held[req.ConnId] = now.Add(ttl(req.TtlMs))
	return &spinepb.AcquireReply{Granted: true, Limit: limit, InUse: uint32(len(held))}, nil
}

// Renew extends a lease. It answers false when the lease is gone (expired or
// lost with a restarted actor) and can't be taken again within the cap.
func (t *Tenant) Renew(req *spinepb.RenewConn) (*spinepb.RenewReply, error) {
	if err := t.exists(); err != nil {
		return nil, err
	}
	now := t.now()
	held := t.live(req.Sub, now)
	if _, ok := held[req.ConnId]; ok {
		held[req.ConnId] = now.Add(ttl(req.TtlMs))
		return &spinepb.RenewReply{Ok: true}, nil
	}
	limit := t.limit(req.DefaultLimit)
	if uint32(len(held)) >= limit {
		return &spinepb.RenewReply{Ok: false}, nil
	}
	if held == nil {
		held = map[string]time.Time{}
		t.leases[req.Sub] = held
	}
	held[req.ConnId] = now.Add(ttl(req.TtlMs))
	return &spinepb.RenewReply{Ok: true}, nil
}

// Release frees a slot. Releasing an unknown lease is not an error.
func (t *Tenant) Release(req *spinepb.ReleaseConn) {
	if held := t.leases[req.Sub]; held != nil {
		delete(held, req.ConnId)
		if len(held) == 0 {
			delete(t.leases, req.Sub)
		}
	}
}

// Holding reports whether any connection lease is live, which keeps the
// actor from passivating with leases in memory.
func (t *Tenant) Holding() bool {
	now := t.now()
	for sub := range t.leases {
		if len(t.live(sub, now)) > 0 {
			return true
		}
	}
	return false
}

// live drops expired leases of sub and returns the rest.
func (t *Tenant) live(sub string, now time.Time) map[string]time.Time {
	held := t.leases[sub]
	for id, exp := range held {
		if !now.Before(exp) {
			delete(held, id)
		}
	}
	if held != nil && len(held) == 0 {
		delete(t.leases, sub)
		return nil
	}
	return held
}

func ttl(ms int64) time.Duration {
	if ms <= 0 {
		return DefaultLeaseTTL
	}
	return time.Duration(ms) * time.Millisecond
}

// limit is the per-user cap: the tenant's setting, else the node's default.
func (t *Tenant) limit(nodeDefault uint32) uint32 {
	if l := t.state.GetSettings().GetMaxConnectionsPerUser(); l != 0 {
		return l
	}
	return nodeDefault
}

package cluster

import (
	"context"
	"fmt"
	"runtime/debug"

	pcluster "github.com/asynkron/protoactor-go/cluster"
	"github.com/casespine/spine/actors"
	"github.com/casespine/spine/actors/calls"
	"github.com/casespine/spine/actors/cases"
	"github.com/casespine/spine/actors/keyspace"
	"github.com/casespine/spine/actors/spinepb"
	"github.com/casespine/spine/actors/tenants"
	"github.com/casespine/spine/cluster/grainpb"
)

// recovered turns a panic in a handler into an error, so the caller gets an
// answer instead of a silent restart and a retried message. The actor state
// is dropped and reloaded from the store by the next message.
func recovered(ctx pcluster.GrainContext, reset func(), err *error) {
	if r := recover(); r != nil {
		depsOf(ctx).log.Error("grain handler panicked", "kind", ctx.Kind(), "identity", ctx.Identity(), "panic", r, "stack", string(debug.Stack()))
		reset()
		*err = toGrainError(fmt.Errorf("%w: handler panicked", ErrInternal))
	}
}

// commitCtx bounds how long a handler waits for a commit.
func commitCtx(ctx pcluster.GrainContext) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), depsOf(ctx).commitTTL)
}

// ---------------------------------------------------------------- tenant

type tenantGrain struct {
	t *tenants.Tenant
}

var _ grainpb.Tenant = (*tenantGrain)(nil)

func (g *tenantGrain) Init(ctx pcluster.GrainContext)           {}
func (g *tenantGrain) Terminate(ctx pcluster.GrainContext)      {}
func (g *tenantGrain) ReceiveDefault(ctx pcluster.GrainContext) {}

func (g *tenantGrain) load(ctx pcluster.GrainContext) (*tenants.Tenant, error) {
	if g.t == nil {
		d := depsOf(ctx)
		t, err := tenants.Load(d.store, ctx.Identity(), d.now)
		if err != nil {
			return nil, err
		}
		g.t = t
	}
	return g.t, nil
}

func (g *tenantGrain) reset() { g.t = nil }

func (g *tenantGrain) Create(req *spinepb.CreateTenant, ctx pcluster.GrainContext) (resp *spinepb.TenantReply, err error) {
	defer recovered(ctx, g.reset, &err)
	t, err := g.load(ctx)
	if err != nil {
		return nil, toGrainError(err)
	}
	cctx, cancel := commitCtx(ctx)
	defer cancel()
	st, err := t.Create(cctx, req)
	if err != nil {
		return nil, toGrainError(err)
	}
	return &spinepb.TenantReply{Tenant: st}, nil
}

func (g *tenantGrain) Get(req *spinepb.GetTenant, ctx pcluster.GrainContext) (resp *spinepb.TenantReply, err error) {
	defer recovered(ctx, g.reset, &err)
	t, err := g.load(ctx)
	if err != nil {
		return nil, toGrainError(err)
	}
	if t.State() == nil {
		return nil, toGrainError(fmt.Errorf("%w: tenant %q", actors.ErrNotFound, ctx.Identity()))
	}
	return &spinepb.TenantReply{Tenant: t.State()}, nil
}

func (g *tenantGrain) Resolve(req *spinepb.ResolveInbound, ctx pcluster.GrainContext) (resp *spinepb.ResolveReply, err error) {
	defer recovered(ctx, g.reset, &err)
	t, err := g.load(ctx)
	if err != nil {
		return nil, toGrainError(err)
	}
	r, err := t.Resolve(context.Background(), req)
	return r, toGrainError(err)
}

func (g *tenantGrain) Acquire(req *spinepb.AcquireConn, ctx pcluster.GrainContext) (resp *spinepb.AcquireReply, err error) {
	defer recovered(ctx, g.reset, &err)
	t, err := g.load(ctx)
	if err != nil {
		return nil, toGrainError(err)
	}
	r, err := t.Acquire(req)
	return r, toGrainError(err)
}

func (g *tenantGrain) Renew(req *spinepb.RenewConn, ctx pcluster.GrainContext) (resp *spinepb.RenewReply, err error) {
	defer recovered(ctx, g.reset, &err)
	t, err := g.load(ctx)
	if err != nil {
		return nil, toGrainError(err)
	}
	r, err := t.Renew(req)
	return r, toGrainError(err)
}

func (g *tenantGrain) Release(req *spinepb.ReleaseConn, ctx pcluster.GrainContext) (resp *spinepb.ReleaseReply, err error) {
	defer recovered(ctx, g.reset, &err)
	t, err := g.load(ctx)
	if err != nil {
		return nil, toGrainError(err)
	}
	t.Release(req)
	return &spinepb.ReleaseReply{}, nil
}

// ---------------------------------------------------------------- case

type caseGrain struct {
	c *cases.Case
}

var _ grainpb.Case = (*caseGrain)(nil)

func (g *caseGrain) Init(ctx pcluster.GrainContext)           {}
func (g *caseGrain) Terminate(ctx pcluster.GrainContext)      {}
func (g *caseGrain) ReceiveDefault(ctx pcluster.GrainContext) {}

func (g *caseGrain) reset() { g.c = nil }

func (g *caseGrain) load(ctx pcluster.GrainContext) (*cases.Case, error) {
	if g.c == nil {
		cid, caseID, ok := keyspace.SplitIdentity(ctx.Identity())
		if !ok {
			return nil, fmt.Errorf("%w: bad case identity %q", actors.ErrInvalid, ctx.Identity())
		}
		d := depsOf(ctx)
		c, err := cases.Load(d.store, cid, caseID, d.now)
		if err != nil {
			return nil, err
		}
		g.c = c
	}
	return g.c, nil
}

func (g *caseGrain) Deliver(req *spinepb.Inbound, ctx pcluster.GrainContext) (resp *spinepb.DeliverAck, err error) {
	defer recovered(ctx, g.reset, &err)
	c, err := g.load(ctx)
	if err != nil {
		return nil, toGrainError(err)
	}
	cctx, cancel := commitCtx(ctx)
	defer cancel()
	ack, err := c.Deliver(cctx, req)
	if err != nil {
		// The commit's outcome may be unknown (a timeout): reload before the
		// next message rather than trust memory.
		g.reset()
		return nil, toGrainError(err)
	}
	return ack, nil
}

// ---------------------------------------------------------------- call

type callGrain struct {
	c *calls.Call
}

var _ grainpb.Call = (*callGrain)(nil)

func (g *callGrain) Init(ctx pcluster.GrainContext)           {}
func (g *callGrain) Terminate(ctx pcluster.GrainContext)      {}
func (g *callGrain) ReceiveDefault(ctx pcluster.GrainContext) {}

func (g *callGrain) reset() { g.c = nil }

func (g *callGrain) load(ctx pcluster.GrainContext) (*calls.Call, error) {
	if g.c == nil {
		cid, callID, ok := keyspace.SplitIdentity(ctx.Identity())
		if !ok {
			return nil, fmt.Errorf("%w: bad call identity %q", actors.ErrInvalid, ctx.Identity())
		}
		d := depsOf(ctx)
		c, err := calls.Load(d.store, cid, callID, d.now)
		if err != nil {
			return nil, err
		}
		g.c = c
	}
	return g.c, nil
}

func (g *callGrain) Start(req *spinepb.StartCall, ctx pcluster.GrainContext) (resp *spinepb.CallReply, err error) {
	defer recovered(ctx, g.reset, &err)
	c, err := g.load(ctx)
	if err != nil {
		return nil, toGrainError(err)
	}
	cctx, cancel := commitCtx(ctx)
	defer cancel()
	r, err := c.Start(cctx, req)
	if err != nil {
		g.reset()
	}
	return r, toGrainError(err)
}

func (g *callGrain) Transition(req *spinepb.CallTransition, ctx pcluster.GrainContext) (resp *spinepb.CallReply, err error) {
	defer recovered(ctx, g.reset, &err)
	c, err := g.load(ctx)
	if err != nil {
		return nil, toGrainError(err)
	}
	cctx, cancel := commitCtx(ctx)
	defer cancel()
	r, err := c.Transition(cctx, req)
	if err != nil {
		g.reset()
	}
	return r, toGrainError(err)
}

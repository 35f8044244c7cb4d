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

// slot holds a grain's domain actor, loaded from the store on first use.
type slot[A any] struct {
	a      A
	loaded bool
}

func (s *slot[A]) reset() {
	var zero A
	s.a, s.loaded = zero, false
}

// handle runs fn on the grain's actor: loading it first, with a deadline on
// its commit, a panic recovered into an error (so the caller gets an answer
// instead of a silent restart and a retried message, and the state is
// reloaded by the next message) and errors mapped to grain errors. With
// mutating set, a failed call drops the state too: its commit may have an
// unknown outcome, so the next message reloads rather than trust memory.
func handle[A, R any](ctx pcluster.GrainContext, s *slot[A], load func(*deps, string) (A, error), mutating bool,
	fn func(context.Context, A) (R, error)) (resp R, err error) {
	defer func() {
		if r := recover(); r != nil {
			depsOf(ctx).log.Error("grain handler panicked", "kind", ctx.Kind(), "identity", ctx.Identity(), "panic", r, "stack", string(debug.Stack()))
			s.reset()
			err = toGrainError(fmt.Errorf("%w: handler panicked", ErrInternal))
		}
	}()
	d := depsOf(ctx)
	if !s.loaded {
		a, err := load(d, ctx.Identity())
		if err != nil {
			return resp, toGrainError(err)
		}
		s.a, s.loaded = a, true
	}
	cctx, cancel := context.WithTimeout(context.Background(), d.commitTTL)
	defer cancel()
	resp, err = fn(cctx, s.a)
	if err != nil {
		if mutating {
			s.reset()
		}
		return resp, toGrainError(err)
	}
	return resp, nil
}

// lifecycle is the part of the generated grain interfaces Spine's grains
// don't use: state loads lazily with the first message.
type lifecycle struct{}

func (lifecycle) Init(pcluster.GrainContext)           {}
func (lifecycle) Terminate(pcluster.GrainContext)      {}
func (lifecycle) ReceiveDefault(pcluster.GrainContext) {}

// ---------------------------------------------------------------- tenant

type tenantGrain struct {
	lifecycle
	s slot[*tenants.Tenant]
}

var _ grainpb.Tenant = (*tenantGrain)(nil)

func loadTenant(d *deps, id string) (*tenants.Tenant, error) { return tenants.Load(d.store, id, d.now) }

// Tenant calls keep their state on errors: it holds the connection leases,
// and a failed Create changes nothing in memory.
func (g *tenantGrain) Create(req *spinepb.CreateTenant, ctx pcluster.GrainContext) (*spinepb.TenantReply, error) {
	return handle(ctx, &g.s, loadTenant, false, func(c context.Context, t *tenants.Tenant) (*spinepb.TenantReply, error) {
		st, err := t.Create(c, req)
		if err != nil {
			return nil, err
		}
		return &spinepb.TenantReply{Tenant: st}, nil
	})
}

func (g *tenantGrain) Get(_ *spinepb.GetTenant, ctx pcluster.GrainContext) (*spinepb.TenantReply, error) {
	return handle(ctx, &g.s, loadTenant, false, func(_ context.Context, t *tenants.Tenant) (*spinepb.TenantReply, error) {
		st, err := t.Get()
		if err != nil {
			return nil, err
		}
		return &spinepb.TenantReply{Tenant: st}, nil
	})
}

func (g *tenantGrain) Resolve(req *spinepb.ResolveInbound, ctx pcluster.GrainContext) (*spinepb.ResolveReply, error) {
	return handle(ctx, &g.s, loadTenant, false, func(c context.Context, t *tenants.Tenant) (*spinepb.ResolveReply, error) {
		return t.Resolve(c, req)
	})
}

func (g *tenantGrain) Acquire(req *spinepb.AcquireConn, ctx pcluster.GrainContext) (*spinepb.AcquireReply, error) {
	return handle(ctx, &g.s, loadTenant, false, func(_ context.Context, t *tenants.Tenant) (*spinepb.AcquireReply, error) {
		return t.Acquire(req)
	})
}

func (g *tenantGrain) Renew(req *spinepb.RenewConn, ctx pcluster.GrainContext) (*spinepb.RenewReply, error) {
	return handle(ctx, &g.s, loadTenant, false, func(_ context.Context, t *tenants.Tenant) (*spinepb.RenewReply, error) {
		return t.Renew(req)
	})
}

func (g *tenantGrain) Release(req *spinepb.ReleaseConn, ctx pcluster.GrainContext) (*spinepb.ReleaseReply, error) {
	return handle(ctx, &g.s, loadTenant, false, func(_ context.Context, t *tenants.Tenant) (*spinepb.ReleaseReply, error) {
		t.Release(req)
		return &spinepb.ReleaseReply{}, nil
	})
}

func (g *tenantGrain) Admit(req *spinepb.Admit, ctx pcluster.GrainContext) (*spinepb.AdmitReply, error) {
	return handle(ctx, &g.s, loadTenant, false, func(_ context.Context, t *tenants.Tenant) (*spinepb.AdmitReply, error) {
		return t.Admit(req), nil
	})
}

// ---------------------------------------------------------------- case

type caseGrain struct {
	lifecycle
	s slot[*cases.Case]
}

var _ grainpb.Case = (*caseGrain)(nil)

func loadCase(d *deps, id string) (*cases.Case, error) {
	cid, caseID, ok := keyspace.SplitIdentity(id)
	if !ok {
		return nil, fmt.Errorf("%w: bad case identity %q", actors.ErrInvalid, id)
	}
	return cases.Load(d.store, cid, caseID, d.now)
}

func (g *caseGrain) Deliver(req *spinepb.Inbound, ctx pcluster.GrainContext) (*spinepb.DeliverAck, error) {
	return handle(ctx, &g.s, loadCase, true, func(c context.Context, cs *cases.Case) (*spinepb.DeliverAck, error) {
		return cs.Deliver(c, req)
	})
}

// ---------------------------------------------------------------- call

type callGrain struct {
	lifecycle
	s slot[*calls.Call]
}

var _ grainpb.Call = (*callGrain)(nil)

func loadCall(d *deps, id string) (*calls.Call, error) {
	cid, callID, ok := keyspace.SplitIdentity(id)
	if !ok {
		return nil, fmt.Errorf("%w: bad call identity %q", actors.ErrInvalid, id)
	}
	return calls.Load(d.store, cid, callID, d.now)
}

func (g *callGrain) Start(req *spinepb.StartCall, ctx pcluster.GrainContext) (*spinepb.CallReply, error) {
	return handle(ctx, &g.s, loadCall, true, func(c context.Context, call *calls.Call) (*spinepb.CallReply, error) {
		return call.Start(c, req)
	})
}

func (g *callGrain) Transition(req *spinepb.CallTransition, ctx pcluster.GrainContext) (*spinepb.CallReply, error) {
	return handle(ctx, &g.s, loadCall, true, func(c context.Context, call *calls.Call) (*spinepb.CallReply, error) {
		return call.Transition(c, req)
	})
}

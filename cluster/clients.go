package cluster

import (
	"github.com/casespine/spine/actors/keyspace"
	"github.com/casespine/spine/actors/spinepb"
	"github.com/casespine/spine/cluster/grainpb"
)

// Tenant returns a client of the tenant actor cid.
func (m *Member) Tenant(cid string) *TenantClient {
	return &TenantClient{g: grainpb.GetTenantGrainClient(m.cluster, cid), m: m}
}

// TenantClient calls one tenant actor. Errors match the actors sentinels.
type TenantClient struct {
	g *grainpb.TenantGrainClient
	m *Member
}

// Create creates the tenant.
func (c *TenantClient) Create(req *spinepb.CreateTenant) (*spinepb.TenantState, error) {
	r, err := c.g.Create(req, c.m.calls...)
	if err != nil {
		return nil, fromCallError(err)
	}
	return r.Tenant, nil
}

// Get reads the tenant.
func (c *TenantClient) Get() (*spinepb.TenantState, error) {
	r, err := c.g.Get(&spinepb.GetTenant{}, c.m.calls...)
	if err != nil {
		return nil, fromCallError(err)
	}
	return r.Tenant, nil
}

// Resolve authenticates an inbound message and picks its case.
func (c *TenantClient) Resolve(req *spinepb.ResolveInbound) (*spinepb.ResolveReply, error) {
	r, err := c.g.Resolve(req, c.m.calls...)
	return r, fromCallError(err)
}

// Acquire takes a connection slot.
func (c *TenantClient) Acquire(req *spinepb.AcquireConn) (*spinepb.AcquireReply, error) {
	r, err := c.g.Acquire(req, c.m.calls...)
	return r, fromCallError(err)
}

// Renew extends a connection lease.
func (c *TenantClient) Renew(req *spinepb.RenewConn) (*spinepb.RenewReply, error) {
	r, err := c.g.Renew(req, c.m.calls...)
	return r, fromCallError(err)
}

// Release frees a connection slot.
func (c *TenantClient) Release(req *spinepb.ReleaseConn) error {
	_, err := c.g.Release(req, c.m.calls...)
	return fromCallError(err)
}

// Admit takes one admin API request from the tenant's rate.
func (c *TenantClient) Admit(req *spinepb.Admit) (*spinepb.AdmitReply, error) {
	r, err := c.g.Admit(req, c.m.calls...)
	return r, fromCallError(err)
}

// Case returns a client of the case actor caseID of tenant cid.
func (m *Member) Case(cid, caseID string) *CaseClient {
	return &CaseClient{g: grainpb.GetCaseGrainClient(m.cluster, keyspace.Identity(cid, caseID)), m: m}
}

// CaseClient calls one case actor.
type CaseClient struct {
	g *grainpb.CaseGrainClient
	m *Member
}

// Deliver hands an inbound message to the case.
func (c *CaseClient) Deliver(in *spinepb.Inbound) (*spinepb.DeliverAck, error) {
	r, err := c.g.Deliver(in, c.m.calls...)
	return r, fromCallError(err)
}

// Call returns a client of the call actor callID of tenant cid.
func (m *Member) Call(cid, callID string) *CallClient {
	return &CallClient{g: grainpb.GetCallGrainClient(m.cluster, keyspace.CallIdentity(cid, callID)), m: m}
}

// CallClient calls one call actor.
type CallClient struct {
	g *grainpb.CallGrainClient
	m *Member
}

// Start starts the call (idempotent).
func (c *CallClient) Start(req *spinepb.StartCall) (*spinepb.CallReply, error) {
	r, err := c.g.Start(req, c.m.calls...)
	return r, fromCallError(err)
}

// Transition moves the call to active or ended (idempotent).
func (c *CallClient) Transition(req *spinepb.CallTransition) (*spinepb.CallReply, error) {
	r, err := c.g.Transition(req, c.m.calls...)
	return r, fromCallError(err)
}

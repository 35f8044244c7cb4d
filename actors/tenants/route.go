package tenants

import (
	"context"
	"fmt"
	"strings"

	"github.com/casespine/spine/actors"
	"github.com/casespine/spine/actors/keyspace"
	"github.com/casespine/spine/actors/spinepb"
)

// maxRefs bounds how many References ids are looked up per message.
const maxRefs = 32

// Resolve authenticates an inbound message and picks its case, in this
// order: a message already stored goes back to its case (a duplicate); a
// MailboxHash equal to a case's reply token → that case; an In-Reply-To or
// References id already stored → that case; a stored message that names this
// one in its own In-Reply-To/References (the reply came first) → that case;
// a stored message that names the same parent (a sibling) → that case; else
// the case derived from the thread root, so concurrent first messages of a
// new thread meet in one case.
func (t *Tenant) Resolve(_ context.Context, req *spinepb.ResolveInbound) (*spinepb.ResolveReply, error) {
	if err := t.Authenticate(req.Source, req.Credential); err != nil {
		return nil, err
	}
	if req.SourceMessageId == "" {
		return nil, fmt.Errorf("%w: missing message id", actors.ErrInvalid)
	}
	cid := t.id
	if v, ok, err := t.store.Get(keyspace.SourceIndex(cid, req.Source, req.SourceMessageId)); err != nil {
		return nil, t.unavailable(err)
	} else if ok {
		c, _ := keyspace.ParseSourceIndexValue(v)
		return &spinepb.ResolveReply{CaseId: c, Reason: "duplicate"}, nil
	}
	if h := strings.TrimSpace(req.MailboxHash); h != "" {
		if c, ok := keyspace.CaseOfReplyToken(t.state.GetSecrets().GetReplyKey(), h); ok {
			_, exists, err := t.store.Get(keyspace.Case(cid, c))
			if err != nil {
				return nil, t.unavailable(err)
			}
			if exists {
				return reply(c, "reply_token", nil)
			}
		}
	}
	parents := make([]string, 0, 1+len(req.References))
	if req.InReplyTo != "" {
		parents = append(parents, req.InReplyTo)
	}
	refs := req.References
	if len(refs) > maxRefs {
		refs = append(refs[:1:1], refs[len(refs)-maxRefs+1:]...)
	}
	for i := len(refs) - 1; i >= 0; i-- { // closest ancestor first
		if refs[i] != req.InReplyTo {
			parents = append(parents, refs[i])
		}
	}
	for _, p := range parents {
		if c, err := t.lookup(keyspace.IndexRFC, p); err != nil || c != "" {
			return reply(c, "in_reply_to", err)
		}
	}
	if req.RfcMessageId != "" {
		if c, err := t.lookup(keyspace.IndexReferenced, req.RfcMessageId); err != nil || c != "" {
			return reply(c, "referenced_by", err)
		}
	}
	for _, p := range parents {
		if c, err := t.lookup(keyspace.IndexReferenced, p); err != nil || c != "" {
			return reply(c, "sibling", err)
		}
	}
	root := req.ThreadRoot
	if root == "" {
		root = req.Source + ":" + req.SourceMessageId
	}
	return &spinepb.ResolveReply{CaseId: keyspace.CaseID(cid, root), Reason: "thread_root"}, nil
}

func reply(caseID, reason string, err error) (*spinepb.ResolveReply, error) {
	if err != nil {
		return nil, err
	}
	return &spinepb.ResolveReply{CaseId: caseID, Reason: reason}, nil
}

func (t *Tenant) lookup(kind, id string) (string, error) {
	v, ok, err := t.store.Get(keyspace.Index(t.id, kind, id))
	if err != nil {
		return "", t.unavailable(err)
	}
	if !ok {
		return "", nil
	}
	return string(v), nil
}

func (t *Tenant) unavailable(err error) error {
	return fmt.Errorf("%w: read index: %v", actors.ErrUnavailable, err)
}

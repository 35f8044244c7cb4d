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
	// Every candidate in one read, then the rules in order.
	type candidate struct {
		key    []byte
		reason string
	}
	cands := []candidate{{keyspace.SourceIndex(cid, req.Source, req.SourceMessageId), "duplicate"}}
	tokenCase := ""
	if h := strings.TrimSpace(req.MailboxHash); h != "" {
		if c, ok := keyspace.CaseOfReplyToken(t.state.GetSecrets().GetReplyKey(), h); ok {
			tokenCase = c
			cands = append(cands, candidate{keyspace.Case(cid, c), "reply_token"})
		}
	}
	for _, p := range parents {
		cands = append(cands, candidate{keyspace.Index(cid, keyspace.IndexRFC, p), "in_reply_to"})
	}
	if req.RfcMessageId != "" {
		cands = append(cands, candidate{keyspace.Index(cid, keyspace.IndexReferenced, req.RfcMessageId), "referenced_by"})
	}
	for _, p := range parents {
		cands = append(cands, candidate{keyspace.Index(cid, keyspace.IndexReferenced, p), "sibling"})
	}
	keys := make([][]byte, len(cands))
	for i, c := range cands {
		keys[i] = c.key
	}
	vals, found, err := t.store.GetMany(keys)
	if err != nil {
		return nil, t.unavailable(err)
	}
	for i, c := range cands {
		if !found[i] {
			continue
		}
		switch c.reason {
		case "duplicate":
			caseID, _ := keyspace.ParseSourceIndexValue(vals[i])
			return &spinepb.ResolveReply{CaseId: caseID, Reason: c.reason}, nil
		case "reply_token":
			return &spinepb.ResolveReply{CaseId: tokenCase, Reason: c.reason}, nil
		default:
			return &spinepb.ResolveReply{CaseId: string(vals[i]), Reason: c.reason}, nil
		}
	}
	root := req.ThreadRoot
	if root == "" {
		root = req.Source + ":" + req.SourceMessageId
	}
	return &spinepb.ResolveReply{CaseId: keyspace.CaseID(cid, root), Reason: "thread_root"}, nil
}

func (t *Tenant) unavailable(err error) error {
	return fmt.Errorf("%w: read index: %v", actors.ErrUnavailable, err)
}

package cases

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/casespine/spine/actors"
	"github.com/casespine/spine/actors/events"
	"github.com/casespine/spine/actors/keyspace"
	"github.com/casespine/spine/actors/spinepb"
	"github.com/casespine/spine/actors/tenants"
	"github.com/casespine/spine/persistence"
	"google.golang.org/protobuf/proto"
)

// Store is what a case needs of the store.
type Store = actors.Store

// Limits of one inbound message.
const (
	// ExcerptRunes is the length of last_message.text in summaries and events.
	ExcerptRunes = 200
	// MaxIndexedRefs bounds the In-Reply-To/References ids indexed per message.
	MaxIndexedRefs = 32
	// MaxSubjectBytes bounds a case's subject (the RFC 5322 line limit).
	MaxSubjectBytes = 998
	// MaxParticipants bounds the people a case lists, so its summary (and
	// every event of it) stays small whatever a message's To and Cc hold.
	MaxParticipants = 100
	// maxAttempts bounds optimistic-concurrency retries of one delivery.
	maxAttempts = 4
)

// StatusOpen is the status of a new case.
const StatusOpen = "open"

// Case is the state of one case actor.
type Case struct {
	clientID, id string
	store        Store
	tenant       *spinepb.TenantState
	now          func() time.Time

	v actors.Versioned[*spinepb.CaseState] // nil State until the first message
}

// Load reads the case (which may not exist yet) and its tenant.
func Load(store Store, clientID, caseID string, now func() time.Time) (*Case, error) {
	if now == nil {
		now = time.Now
	}
	tenant, err := tenants.ReadState(store, clientID)
	if err != nil {
		return nil, err
	}
	c := &Case{clientID: clientID, id: caseID, store: store, tenant: tenant, now: now,
		v: actors.NewVersioned[*spinepb.CaseState](keyspace.Case(clientID, caseID))}
	if err := c.reload(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Case) reload() error {
	return c.v.Reload(c.store, func() *spinepb.CaseState { return &spinepb.CaseState{} }, "case "+c.clientID+"/"+c.id)
}

// State returns the committed state, or nil for a case with no message yet.
func (c *Case) State() *spinepb.CaseState { return c.v.State }

// Deliver adds an inbound message to the case exactly once and answers
// only after the commit. A message already stored here answers DUPLICATE;
// one stored in another case answers REDIRECT with that case.
func (c *Case) Deliver(ctx context.Context, in *spinepb.Inbound) (*spinepb.DeliverAck, error) {
	if err := validate(in); err != nil {
		return nil, err
	}
	if in.ClientId != c.clientID || in.CaseId != c.id {
		return nil, fmt.Errorf("%w: message addressed to %s/%s reached %s/%s", actors.ErrInvalid, in.ClientId, in.CaseId, c.clientID, c.id)
	}
	dedupe := keyspace.SourceIndex(c.clientID, in.Source, in.SourceMessageId)
	refs := threadRefs(in)
	// Every key the delivery depends on, read at once: the dedupe entry and
	// the index entries this message may add.
	keys := [][]byte{dedupe}
	if in.RfcMessageId != "" {
		keys = append(keys, keyspace.Index(c.clientID, keyspace.IndexRFC, in.RfcMessageId))
	}
	for _, id := range refs {
		keys = append(keys, keyspace.Index(c.clientID, keyspace.IndexRFC, id), keyspace.Index(c.clientID, keyspace.IndexReferenced, id))
	}
	for attempt := 0; attempt < maxAttempts; attempt++ {
		vals, found, err := c.store.GetMany(keys)
		if err != nil {
			return nil, fmt.Errorf("%w: read index: %v", actors.ErrUnavailable, err)
		}
		if found[0] {
			return c.known(vals[0]), nil
		}
		exists := make(map[string]bool, len(keys))
		for i, k := range keys {
			if found[i] {
				exists[string(k)] = true
			}
		}
		p, err := c.plan(in, refs, exists)
		if err != nil {
			return nil, err
		}
		res, err := c.store.Commit(ctx, p.batch)
		if errors.Is(err, persistence.ErrConflict) {
			// Another activation, route or case got there first: re-read and retry.
			if err := c.reload(); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%w: commit: %v", actors.ErrUnavailable, err)
		}
		c.v.Committed(p.state, p.raw)
		ack := &spinepb.DeliverAck{Outcome: spinepb.DeliverAck_UPDATED, CaseId: c.id, MessageId: p.messageID, Seq: p.state.EventSeq}
		if p.created {
			ack.Outcome = spinepb.DeliverAck_CREATED
		}
		if len(res.Offsets) > 0 {
			ack.Offset = res.Offsets[0]
		}
		return ack, nil
	}
	return nil, fmt.Errorf("%w: case %s", actors.ErrContention, c.id)
}

func (c *Case) known(v []byte) *spinepb.DeliverAck {
	caseID, msgID := keyspace.ParseSourceIndexValue(v)
	if caseID != c.id {
		return &spinepb.DeliverAck{Outcome: spinepb.DeliverAck_REDIRECT, CaseId: caseID, MessageId: msgID}
	}
	return &spinepb.DeliverAck{Outcome: spinepb.DeliverAck_DUPLICATE, CaseId: caseID, MessageId: msgID}
}

func validate(in *spinepb.Inbound) error {
	switch {
	case in.Source == "" || in.SourceMessageId == "":
		return fmt.Errorf("%w: source and source_message_id are required", actors.ErrInvalid)
	case len(in.SourceMessageId) > 512 || len(in.RfcMessageId) > 998:
		return fmt.Errorf("%w: message id too long", actors.ErrInvalid)
	case strings.ContainsAny(in.Source, ": "):
		return fmt.Errorf("%w: bad source", actors.ErrInvalid)
	}
	return nil
}

type plan struct {
	batch     *persistence.Batch
	state     *spinepb.CaseState
	raw       []byte
	messageID string
	created   bool
}

// plan applies the message to a copy of the state and builds the commit.
func (c *Case) plan(in *spinepb.Inbound, refs []string, exists map[string]bool) (*plan, error) {
	now := c.now()
	nowNs := now.UnixNano()
	cid := c.clientID
	b := &persistence.Batch{Conds: []persistence.Cond{c.v.Cond()}}
	var st *spinepb.CaseState
	created := !c.v.Exists()
	if created {
		st = &spinepb.CaseState{
			ClientId: cid, Id: c.id, Subject: truncate(baseSubject(in.Subject), MaxSubjectBytes), Status: StatusOpen,
			ReplyToken: keyspace.ReplyToken(c.tenant.GetSecrets().GetReplyKey(), c.id),
			CreatedAt:  nowNs, ThreadRoot: in.ThreadRoot,
		}
		b.Puts = append(b.Puts, persistence.KV{Key: keyspace.CaseListEntry(cid, c.id, nowNs), Value: []byte(c.id)})
	} else {
		st = proto.Clone(c.v.State).(*spinepb.CaseState)
	}
	st.MessageCount++
	st.UpdatedAt = nowNs
	st.EventSeq++
	n := st.MessageCount
	msgID := c.id + "-" + strconv.FormatUint(n, 10)
	st.Participants = mergeParticipants(st.Participants, in.From, in.To, in.Cc)
	st.LastMessage = &spinepb.MessageSummary{
		Id: msgID, SourceMessageId: in.SourceMessageId, From: in.From, Subject: truncate(in.Subject, MaxSubjectBytes),
		Text: excerpt(in.Text, ExcerptRunes), ReceivedAt: nowNs,
	}

	msg := &spinepb.StoredMessage{
		Id: msgID, Index: n, Source: in.Source, SourceMessageId: in.SourceMessageId,
		RfcMessageId: in.RfcMessageId, InReplyTo: in.InReplyTo, References: in.References,
		From: in.From, To: in.To, Cc: in.Cc, Subject: in.Subject, Text: in.Text, Html: in.Html,
		ReceivedAt: nowNs, SentAt: in.SentAt, MailboxHash: in.MailboxHash,
	}
	for i, a := range in.Attachments {
		key := keyspace.Attachment(cid, c.id, n, i)
		msg.Attachments = append(msg.Attachments, &spinepb.AttachmentRef{
			Name: a.Name, ContentType: a.ContentType, ContentId: a.ContentId, Size: int64(len(a.Content)), Key: string(key),
		})
		b.Puts = append(b.Puts, persistence.KV{Key: key, Value: a.Content})
	}
	rawMsg, err := encodeMessage(msg)
	if err != nil {
		return nil, err
	}
	raw, err := proto.Marshal(st)
	if err != nil {
		return nil, err
	}
	b.Conds = append(b.Conds, persistence.Cond{Key: keyspace.SourceIndex(cid, in.Source, in.SourceMessageId), Absent: true})
	b.Puts = append(b.Puts,
		c.v.Put(raw),
		persistence.KV{Key: keyspace.Message(cid, c.id, n), Value: rawMsg},
		persistence.KV{Key: keyspace.SourceIndex(cid, in.Source, in.SourceMessageId), Value: keyspace.SourceIndexValue(c.id, msgID)},
	)
	// Index the RFC ids for threading, first writer wins: an id already
	// indexed (maybe by another case) is left alone. Only ids not stored yet
	// need "referenced by": a stored parent routes its replies through the
	// RFC index already.
	c.indexOnce(b, keyspace.IndexRFC, []string{in.RfcMessageId}, "", exists)
	c.indexOnce(b, keyspace.IndexReferenced, refs, keyspace.IndexRFC, exists)

	typ := events.TypeCaseUpdated
	if created {
		typ = events.TypeCaseCreated
	}
	data, err := json.Marshal(SummaryOf(st))
	if err != nil {
		return nil, err
	}
	env := events.NewEnvelope(c.tenant.Epoch, typ, cid, c.id, "", st.EventSeq, now, data)
	ev, err := env.Encode()
	if err != nil {
		return nil, err
	}
	b.Appends = append(b.Appends, persistence.Append{Log: keyspace.EventLog(cid), Value: ev})
	return &plan{batch: b, state: st, raw: raw, messageID: msgID, created: created}, nil
}

// indexOnce adds "id → this case" for each id not indexed yet (under kind,
// nor under unless when set), as exists says, guarded by an
// absent-precondition so that a racing writer makes the commit retry.
func (c *Case) indexOnce(b *persistence.Batch, kind string, ids []string, unless string, exists map[string]bool) {
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if id == "" || seen[id] || len(id) > 998 {
			continue
		}
		seen[id] = true
		if unless != "" && exists[string(keyspace.Index(c.clientID, unless, id))] {
			continue
		}
		key := keyspace.Index(c.clientID, kind, id)
		if exists[string(key)] {
			continue
		}
		b.Conds = append(b.Conds, persistence.Cond{Key: key, Absent: true})
		b.Puts = append(b.Puts, persistence.KV{Key: key, Value: []byte(c.id)})
	}
}

// threadRefs are the ids a message names as its ancestors that get indexed:
// In-Reply-To, then the root and the closest ancestors of a long References
// chain (the ids the tenant looks up when routing).
func threadRefs(in *spinepb.Inbound) []string {
	refs := make([]string, 0, 1+min(len(in.References), MaxIndexedRefs))
	if in.InReplyTo != "" {
		refs = append(refs, in.InReplyTo)
	}
	if r := in.References; len(r) > MaxIndexedRefs {
		refs = append(append(refs, r[0]), r[len(r)-MaxIndexedRefs+1:]...)
	} else {
		refs = append(refs, r...)
	}
	return refs
}

func mergeParticipants(cur []*spinepb.Address, from *spinepb.Address, lists ...[]*spinepb.Address) []*spinepb.Address {
	seen := make(map[string]bool, len(cur))
	for _, p := range cur {
		seen[strings.ToLower(p.Email)] = true
	}
	add := func(a *spinepb.Address) {
		if a == nil || a.Email == "" || len(cur) >= MaxParticipants {
			return
		}
		k := strings.ToLower(a.Email)
		if !seen[k] {
			seen[k] = true
			cur = append(cur, &spinepb.Address{Email: a.Email, Name: a.Name})
		}
	}
	add(from)
	for _, l := range lists {
		for _, a := range l {
			add(a)
		}
	}
	return cur
}

// baseSubject strips reply and forward prefixes so a case opened by a reply
// reads like its thread.
func baseSubject(s string) string {
	s = strings.TrimSpace(s)
	for {
		l := strings.ToLower(s)
		cut := false
		for _, p := range []string{"re:", "fw:", "fwd:", "aw:", "sv:", "wg:"} {
			if strings.HasPrefix(l, p) {
				s = strings.TrimSpace(s[len(p):])
				cut = true
				break
			}
		}
		if !cut {
			return s
		}
	}
}

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func excerpt(s string, runes int) string {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) <= runes {
		return s
	}
	i, n := 0, 0
	for i = range s {
		if n == runes {
			break
		}
		n++
	}
	return s[:i]
}

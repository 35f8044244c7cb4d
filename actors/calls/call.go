package calls

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/casespine/spine/actors"
	"github.com/casespine/spine/actors/events"
	"github.com/casespine/spine/actors/keyspace"
	"github.com/casespine/spine/actors/spinepb"
	"github.com/casespine/spine/actors/tenants"
	"github.com/casespine/spine/persistence"
	"google.golang.org/protobuf/proto"
)

// Store is what a call needs of the store.
type Store = actors.Store

// Statuses and directions.
const (
	StatusStarted = "started"
	StatusActive  = "active"
	StatusEnded   = "ended"

	DirectionInbound  = "inbound"
	DirectionOutbound = "outbound"
)

// ErrState: the step goes against the lifecycle (a call that ended cannot
// become active).
var ErrState = fmt.Errorf("%w: the call is past this step", actors.ErrConflict)

var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$`)

// ValidID reports whether id can name a call (telephony ids such as a
// provider's call SID fit).
func ValidID(id string) bool { return idPattern.MatchString(id) }

// Call is the state of one call actor.
type Call struct {
	clientID, id string
	store        Store
	tenant       *spinepb.TenantState
	now          func() time.Time
	v            actors.Versioned[*spinepb.CallState]
}

// Load reads the call (which may not exist yet) and its tenant.
func Load(store Store, clientID, callID string, now func() time.Time) (*Call, error) {
	if now == nil {
		now = time.Now
	}
	tenant, err := tenants.ReadState(store, clientID)
	if err != nil {
		return nil, err
	}
	c := &Call{clientID: clientID, id: callID, store: store, tenant: tenant, now: now,
		v: actors.NewVersioned[*spinepb.CallState](keyspace.Call(clientID, callID))}
	return c, c.reload()
}

func (c *Call) reload() error {
	return c.v.Reload(c.store, func() *spinepb.CallState { return &spinepb.CallState{} }, "call "+c.clientID+"/"+c.id)
}

// State returns the committed state, or nil before the call started.
func (c *Call) State() *spinepb.CallState { return c.v.State }

// Start starts the call; starting one that exists answers it unchanged.
func (c *Call) Start(ctx context.Context, req *spinepb.StartCall) (*spinepb.CallReply, error) {
	if req.ClientId != c.clientID || req.CallId != c.id || !ValidID(req.CallId) {
		return nil, fmt.Errorf("%w: call_id must match %s", actors.ErrInvalid, idPattern)
	}
	switch req.Direction {
	case DirectionInbound, DirectionOutbound:
	default:
		return nil, fmt.Errorf("%w: direction must be inbound or outbound", actors.ErrInvalid)
	}
	if len(req.From) > 256 || len(req.To) > 256 || len(req.CaseId) > 128 {
		return nil, fmt.Errorf("%w: from, to or case_id too long", actors.ErrInvalid)
	}
	return c.commit(ctx, func() (*spinepb.CallState, string, string, error) {
		if c.v.Exists() {
			return nil, "", "", nil
		}
		now := c.now().UnixNano()
		st := &spinepb.CallState{
			ClientId: c.clientID, Id: c.id, Status: StatusStarted, Direction: req.Direction,
			From: req.From, To: req.To, CaseId: req.CaseId, StartedAt: now, CreatedAt: now, UpdatedAt: now,
		}
		return st, events.TypeCallStarted, audit(req.Actor, "call.start", req.RequestId), nil
	})
}

// Transition moves the call to active or ended. Repeating the step the call
// already took answers it unchanged; going back is ErrState.
func (c *Call) Transition(ctx context.Context, req *spinepb.CallTransition) (*spinepb.CallReply, error) {
	if req.ClientId != c.clientID || req.CallId != c.id {
		return nil, fmt.Errorf("%w: call addressed to %s/%s", actors.ErrInvalid, req.ClientId, req.CallId)
	}
	if req.To != StatusActive && req.To != StatusEnded {
		return nil, fmt.Errorf("%w: a call moves to active or ended", actors.ErrInvalid)
	}
	if len(req.EndReason) > 200 {
		return nil, fmt.Errorf("%w: end_reason too long", actors.ErrInvalid)
	}
	return c.commit(ctx, func() (*spinepb.CallState, string, string, error) {
		if !c.v.Exists() {
			return nil, "", "", fmt.Errorf("%w: call %q", actors.ErrNotFound, c.id)
		}
		cur := c.v.State.Status
		if cur == req.To {
			return nil, "", "", nil
		}
		if cur == StatusEnded {
			return nil, "", "", ErrState
		}
		st := proto.Clone(c.v.State).(*spinepb.CallState)
		now := c.now().UnixNano()
		st.Status, st.UpdatedAt = req.To, now
		typ := events.TypeCallActive
		if req.To == StatusActive {
			st.AnsweredAt = now
		} else {
			typ = events.TypeCallEnded
			st.EndedAt, st.EndReason = now, req.EndReason
		}
		return st, typ, audit(req.Actor, "call."+req.To, req.RequestId), nil
	})
}

func audit(actor, action, rid string) string {
	b, _ := json.Marshal(map[string]string{"actor": actor, "action": action, "request_id": rid})
	return string(b)
}

// commit applies step (which answers nil for a no-op) with optimistic
// concurrency: a lost race reloads and tries again.
func (c *Call) commit(ctx context.Context, step func() (*spinepb.CallState, string, string, error)) (*spinepb.CallReply, error) {
	for attempt := 0; attempt < 4; attempt++ {
		st, typ, auditRow, err := step()
		if err != nil {
			return nil, err
		}
		if st == nil {
			return &spinepb.CallReply{Call: c.v.State}, nil
		}
		st.EventSeq++
		raw, err := proto.Marshal(st)
		if err != nil {
			return nil, err
		}
		data, err := json.Marshal(ViewOf(st))
		if err != nil {
			return nil, err
		}
		at := time.Unix(0, st.UpdatedAt)
		// The linked case is in data only: seq counts per call, so the envelope
		// names the call alone.
		env := events.NewEnvelope(c.tenant.Epoch, typ, c.clientID, "", c.id, st.EventSeq, at, data)
		ev, err := env.Encode()
		if err != nil {
			return nil, err
		}
		var row map[string]string
		_ = json.Unmarshal([]byte(auditRow), &row)
		row["at"] = at.UTC().Format(time.RFC3339Nano)
		row["target"] = "calls/" + c.id
		auditJSON, _ := json.Marshal(row)
		b := &persistence.Batch{
			Conds:   []persistence.Cond{c.v.Cond()},
			Puts:    []persistence.KV{c.v.Put(raw)},
			Appends: []persistence.Append{{Log: keyspace.EventLog(c.clientID), Value: ev}, {Log: keyspace.AuditLog(c.clientID), Value: auditJSON}},
		}
		if !c.v.Exists() {
			b.Puts = append(b.Puts, persistence.KV{Key: keyspace.CallListEntry(c.clientID, c.id, st.CreatedAt), Value: []byte(c.id)})
		}
		res, err := c.store.Commit(ctx, b)
		if errors.Is(err, persistence.ErrConflict) {
			if err := c.reload(); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%w: commit: %v", actors.ErrUnavailable, err)
		}
		c.v.Committed(st, raw)
		return &spinepb.CallReply{Call: st, Changed: true, Offset: res.Offsets[0]}, nil
	}
	return nil, fmt.Errorf("%w: call %s", actors.ErrContention, c.id)
}

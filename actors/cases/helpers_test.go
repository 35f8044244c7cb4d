package cases_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/casespine/spine/actors/cases"
	"github.com/casespine/spine/actors/events"
	"github.com/casespine/spine/actors/internal/actortest"
	"github.com/casespine/spine/actors/keyspace"
	"github.com/casespine/spine/actors/spinepb"
	"github.com/casespine/spine/persistence"
	"github.com/casespine/spine/persistence/boltstore"
)

const cid = "acme"

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// env is one tenant on a real store, with a clock that ticks a millisecond
// on every reading.
type env struct {
	store  *boltstore.Store
	clock  *actortest.Clock
	tenant *spinepb.TenantState
}

func newEnv(t testing.TB) *env {
	t.Helper()
	store := actortest.OpenStore(t, nil)
	clock := actortest.NewClock(t0, time.Millisecond)
	return &env{store: store, clock: clock, tenant: actortest.CreateTenant(t, store, cid, nil, clock.Now)}
}

func (e *env) load(t testing.TB, caseID string) *cases.Case {
	t.Helper()
	return actortest.LoadCase(t, e.store, cid, caseID, e.clock.Now)
}

func (e *env) deliver(t testing.TB, c *cases.Case, in *spinepb.Inbound) *spinepb.DeliverAck {
	t.Helper()
	ack, err := c.Deliver(t.Context(), in)
	if err != nil {
		t.Fatalf("Deliver(%s): %v", in.SourceMessageId, err)
	}
	return ack
}

func (e *env) head(t testing.TB) uint64 {
	t.Helper()
	h, err := e.store.LogHead(keyspace.EventLog(cid))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// storedState reads a case's committed state, nil if absent.
func (e *env) storedState(t testing.TB, caseID string) *spinepb.CaseState {
	t.Helper()
	v, ok, err := e.store.Get(keyspace.Case(cid, caseID))
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		return nil
	}
	st := &spinepb.CaseState{}
	if err := proto.Unmarshal(v, st); err != nil {
		t.Fatal(err)
	}
	return st
}

// storedMessages reads every message key of a case, in key order.
func (e *env) storedMessages(t testing.TB, caseID string) []*spinepb.StoredMessage {
	t.Helper()
	kvs, err := e.store.Scan(keyspace.MessagePrefix(cid, caseID), nil, 100000, false)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]*spinepb.StoredMessage, 0, len(kvs))
	for _, kv := range kvs {
		m, err := cases.DecodeMessage(kv.Value)
		if err != nil {
			t.Fatalf("message %q: %v", kv.Key, err)
		}
		out = append(out, m)
	}
	return out
}

// loggedEvent is one decoded entry of the tenant's event log.
type loggedEvent struct {
	Offset uint64
	Env    events.Envelope
	Data   cases.Summary
}

func (e *env) events(t testing.TB) []loggedEvent {
	t.Helper()
	entries, err := e.store.ReadLog(keyspace.EventLog(cid), 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]loggedEvent, 0, len(entries))
	for _, en := range entries {
		var le loggedEvent
		le.Offset = en.Offset
		if err := json.Unmarshal(en.Value, &le.Env); err != nil {
			t.Fatalf("event at offset %d is not an envelope: %v", en.Offset, err)
		}
		if err := json.Unmarshal(le.Env.Data, &le.Data); err != nil {
			t.Fatalf("event at offset %d: data is not a summary: %v", en.Offset, err)
		}
		out = append(out, le)
	}
	return out
}

// checkInvariants checks the store against invariants 2 and 4 for the
// messages in want (source message id → the case it must be in):
// every one is stored exactly once, in its case; each case's messages are
// numbered 1..n and agree with its state; the event log has contiguous
// offsets from 1, exactly one event per stored message, and each case's
// event seqs run 1..n without gaps.
func (e *env) checkInvariants(t testing.TB, want map[string]string) {
	t.Helper()
	fail := func(format string, args ...any) { t.Helper(); t.Fatalf("invariant: "+format, args...) }

	// The dedupe index names every stored message, and only those.
	idx, err := e.store.Scan(keyspace.Index(cid, keyspace.IndexSource, ""), nil, 100000, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(idx) != len(want) {
		fail("%d source index entries, want %d", len(idx), len(want))
	}

	caseIDs := map[string]bool{}
	for _, c := range want {
		caseIDs[c] = true
	}
	stored := map[string]string{} // smid → case
	for caseID := range caseIDs {
		st := e.storedState(t, caseID)
		if st == nil {
			fail("case %s does not exist", caseID)
		}
		msgs := e.storedMessages(t, caseID)
		if uint64(len(msgs)) != st.MessageCount || st.EventSeq != st.MessageCount {
			fail("case %s: %d message keys, message_count %d, event_seq %d", caseID, len(msgs), st.MessageCount, st.EventSeq)
		}
		for i, m := range msgs {
			if m.Index != uint64(i+1) || m.Id != fmt.Sprintf("%s-%d", caseID, i+1) {
				fail("case %s: message %d has index %d, id %s", caseID, i+1, m.Index, m.Id)
			}
			if prev, dup := stored[m.SourceMessageId]; dup {
				fail("message %s stored twice (cases %s and %s)", m.SourceMessageId, prev, caseID)
			}
			stored[m.SourceMessageId] = caseID
			v, ok, err := e.store.Get(keyspace.SourceIndex(cid, m.Source, m.SourceMessageId))
			if err != nil || !ok {
				fail("message %s has no source index entry (%v)", m.SourceMessageId, err)
			}
			if c, id := keyspace.ParseSourceIndexValue(v); c != caseID || id != m.Id {
				fail("source index of %s → (%s, %s), stored as (%s, %s)", m.SourceMessageId, c, id, caseID, m.Id)
			}
		}
	}
	for smid, caseID := range want {
		if stored[smid] != caseID {
			fail("message %s is in case %q, want %q", smid, stored[smid], caseID)
		}
	}
	if len(stored) != len(want) {
		fail("%d messages stored, want %d", len(stored), len(want))
	}

	evs := e.events(t)
	if len(evs) != len(want) {
		fail("%d events for %d stored messages", len(evs), len(want))
	}
	seqs := map[string]uint64{}
	evented := map[string]bool{}
	for i, ev := range evs {
		if ev.Offset != uint64(i+1) {
			fail("event %d has offset %d", i+1, ev.Offset)
		}
		c := ev.Env.CaseID
		seqs[c]++
		if ev.Env.Seq != seqs[c] {
			fail("case %s: event seq %d follows %d", c, ev.Env.Seq, seqs[c]-1)
		}
		wantType := events.TypeCaseUpdated
		if ev.Env.Seq == 1 {
			wantType = events.TypeCaseCreated
		}
		if ev.Env.Type != wantType || ev.Env.ClientID != cid || ev.Env.ID != fmt.Sprintf("ev_case_%s_%d", c, ev.Env.Seq) {
			fail("event %d: type %s, client %s, id %s", ev.Offset, ev.Env.Type, ev.Env.ClientID, ev.Env.ID)
		}
		if ev.Data.MessageCount != ev.Env.Seq || ev.Data.LastMessage == nil {
			fail("event %d: message_count %d at seq %d", ev.Offset, ev.Data.MessageCount, ev.Env.Seq)
		}
		smid := ev.Data.LastMessage.SourceMessageID
		if evented[smid] || stored[smid] != c {
			fail("event %d is about %s in case %s: doubled, or not where it is stored (%q)", ev.Offset, smid, c, stored[smid])
		}
		evented[smid] = true
	}
}

// conflictCounter is a store that counts the commits refused for a failed
// precondition, to show a test took the optimistic-concurrency path.
type conflictCounter struct {
	cases.Store
	n atomic.Int64
}

func (s *conflictCounter) Commit(ctx context.Context, b *persistence.Batch) (persistence.Result, error) {
	res, err := s.Store.Commit(ctx, b)
	if errors.Is(err, persistence.ErrConflict) {
		s.n.Add(1)
	}
	return res, err
}

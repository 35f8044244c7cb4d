package actortest

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/casespine/spine/actors/cases"
	"github.com/casespine/spine/actors/spinepb"
	"github.com/casespine/spine/actors/tenants"
	"github.com/casespine/spine/persistence"
	"github.com/casespine/spine/persistence/boltstore"
)

// OpenStore opens a bbolt store in a fresh t.TempDir() with onCommit (may
// be nil) as its commit hook, and closes it when the test ends.
func OpenStore(t testing.TB, onCommit func([]persistence.Appended)) *boltstore.Store {
	t.Helper()
	return OpenStoreAt(t, filepath.Join(t.TempDir(), "s.db"), onCommit)
}

// OpenStoreAt opens the store file at path; the test closes it at the end
// (closing it earlier is fine: Close is idempotent).
func OpenStoreAt(t testing.TB, path string, onCommit func([]persistence.Appended)) *boltstore.Store {
	t.Helper()
	s, err := boltstore.Open(boltstore.Options{Path: path, OnCommit: onCommit})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	return s
}

// CreateTenant creates tenant cid through tenants.Create and returns its
// state. The clock may be nil (time.Now).
func CreateTenant(t testing.TB, store tenants.Store, cid string, settings *spinepb.Settings, now func() time.Time) *spinepb.TenantState {
	t.Helper()
	tn, err := tenants.Load(store, cid, now)
	if err != nil {
		t.Fatalf("load tenant %s: %v", cid, err)
	}
	st, err := tn.Create(context.Background(), &spinepb.CreateTenant{ClientId: cid, Name: "Tenant " + cid, Settings: settings, Actor: "test"})
	if err != nil {
		t.Fatalf("create tenant %s: %v", cid, err)
	}
	return st
}

// LoadCase loads the case actor state of (cid, caseID).
func LoadCase(t testing.TB, store cases.Store, cid, caseID string, now func() time.Time) *cases.Case {
	t.Helper()
	c, err := cases.Load(store, cid, caseID, now)
	if err != nil {
		t.Fatalf("load case %s/%s: %v", cid, caseID, err)
	}
	return c
}

// Deliver loads the case named by in and delivers in to it.
func Deliver(t testing.TB, store cases.Store, in *spinepb.Inbound) *spinepb.DeliverAck {
	t.Helper()
	ack, err := LoadCase(t, store, in.ClientId, in.CaseId, nil).Deliver(context.Background(), in)
	if err != nil {
		t.Fatalf("deliver %s to %s/%s: %v", in.SourceMessageId, in.ClientId, in.CaseId, err)
	}
	return ack
}

// Mail returns a plain Postmark message with source message id smid
// addressed to case caseID of tenant cid. Its RFC Message-ID is RFCID(smid)
// and it starts its own thread; tests set the rest.
func Mail(cid, caseID, smid string) *spinepb.Inbound {
	return &spinepb.Inbound{
		ClientId: cid, CaseId: caseID, Source: tenants.SourcePostmark, SourceMessageId: smid,
		RfcMessageId: RFCID(smid), ThreadRoot: RFCID(smid),
		From:    &spinepb.Address{Email: "guest@example.com", Name: "Guest"},
		To:      []*spinepb.Address{{Email: "desk@agency.example", Name: "Desk"}},
		Subject: "Booking " + smid, Text: "Hello about " + smid,
	}
}

// RFCID is the RFC Message-ID Mail gives the message smid.
func RFCID(smid string) string { return "<" + smid + "@mail.example>" }

// Clock is a clock the test moves. Each call of Now returns the current time
// and then moves it on by the step, so successive calls are distinct.
type Clock struct {
	mu   sync.Mutex
	t    time.Time
	step time.Duration
}

// NewClock starts a clock at start that ticks by step on every Now.
func NewClock(start time.Time, step time.Duration) *Clock { return &Clock{t: start, step: step} }

// Now returns the clock's time and ticks it.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.t
	c.t = c.t.Add(c.step)
	return now
}

// Advance moves the clock by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Eventually waits until cond holds, failing the test with msg if it does
// not within timeout. It polls; cond must be cheap and safe to call
// concurrently with the code under test.
func Eventually(t testing.TB, timeout time.Duration, cond func() bool, msg string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: "+msg, append([]any{timeout}, args...)...)
		}
		<-tick.C
	}
}

package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/casespine/spine/actors"
	"github.com/casespine/spine/actors/keyspace"
	"github.com/casespine/spine/actors/spinepb"
	"github.com/casespine/spine/persistence"
	"github.com/casespine/spine/persistence/boltstore"
)

// panicky wraps the store and panics on reads of one key, to stand in for
// a bug in a handler.
type panicky struct {
	*boltstore.Store
	trap atomic.Value // string
}

func (p *panicky) Get(key []byte) ([]byte, bool, error) {
	if t, _ := p.trap.Load().(string); t != "" && strings.Contains(string(key), t) {
		panic("trap: " + t)
	}
	return p.Store.Get(key)
}

func (p *panicky) GetMany(keys [][]byte) ([][]byte, []bool, error) {
	for _, k := range keys {
		if t, _ := p.trap.Load().(string); t != "" && strings.Contains(string(k), t) {
			panic("trap: " + t)
		}
	}
	return p.Store.GetMany(keys)
}

func (p *panicky) Commit(ctx context.Context, b *persistence.Batch) (persistence.Result, error) {
	return p.Store.Commit(ctx, b)
}

var (
	member *Member
	store  *panicky
)

// One member per package: starting and stopping one costs ~3 s.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "spine-cluster-")
	if err != nil {
		panic(err)
	}
	s, err := boltstore.Open(boltstore.Options{Path: filepath.Join(dir, "s.db")})
	if err != nil {
		panic(err)
	}
	store = &panicky{Store: s}
	member, err = Start(Options{Store: store, RequestTimeout: 2 * time.Second, Retries: 2, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		panic(err)
	}
	code := m.Run()
	_ = member.Shutdown(context.Background())
	_ = s.Close()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

var runs atomic.Int64

// fresh returns a tenant id no earlier run in this process used (tests may
// run several times against the one member).
func fresh(prefix string) string { return fmt.Sprintf("%s-%d", prefix, runs.Add(1)) }

func TestTenantKindAndErrorMapping(t *testing.T) {
	kinds := fresh("kinds")
	tc := member.Tenant(kinds)
	if _, err := tc.Get(); !errors.Is(err, actors.ErrNotFound) {
		t.Fatalf("get before create: %v", err)
	}
	st, err := tc.Create(&spinepb.CreateTenant{ClientId: kinds, Name: "Kinds"})
	if err != nil || st.Secrets.PostmarkToken == "" {
		t.Fatalf("create: %v %v", st, err)
	}
	if _, err := tc.Create(&spinepb.CreateTenant{ClientId: kinds}); !errors.Is(err, actors.ErrExists) {
		t.Fatalf("second create: %v", err)
	}
	if _, err := member.Tenant(fresh("other")).Create(&spinepb.CreateTenant{ClientId: kinds}); !errors.Is(err, actors.ErrInvalid) {
		t.Fatalf("create with a mismatched id: %v", err)
	}
	if _, err := tc.Resolve(&spinepb.ResolveInbound{Source: "postmark", Credential: "wrong", SourceMessageId: "m"}); !errors.Is(err, actors.ErrForbidden) {
		t.Fatalf("wrong credential: %v", err)
	}
	r, err := tc.Resolve(&spinepb.ResolveInbound{Source: "postmark", Credential: st.Secrets.PostmarkToken, SourceMessageId: "m1", ThreadRoot: "root@x"})
	if err != nil || r.CaseId != keyspace.CaseID(kinds, "root@x") {
		t.Fatalf("resolve: %v %v", r, err)
	}
	in := &spinepb.Inbound{ClientId: kinds, CaseId: r.CaseId, Source: "postmark", SourceMessageId: "m1", RfcMessageId: "root@x", Subject: "Hi"}
	ack, err := member.Case(kinds, r.CaseId).Deliver(in)
	if err != nil || ack.Outcome != spinepb.DeliverAck_CREATED || ack.Seq != 1 {
		t.Fatalf("deliver: %v %v", ack, err)
	}
	ack, err = member.Case(kinds, r.CaseId).Deliver(in)
	if err != nil || ack.Outcome != spinepb.DeliverAck_DUPLICATE {
		t.Fatalf("redeliver: %v %v", ack, err)
	}
}

// A panicking handler answers an error at once (no silent restart and
// retried message), and the grain works again with state reloaded.
func TestPanicBecomesAnError(t *testing.T) {
	panics := fresh("panics")
	tc := member.Tenant(panics)
	if _, err := tc.Create(&spinepb.CreateTenant{ClientId: panics}); err != nil {
		t.Fatal(err)
	}
	caseID := keyspace.CaseID(panics, "r@x")
	cc := member.Case(panics, caseID)
	store.trap.Store("/s/postmark:boom")
	start := time.Now()
	_, err := cc.Deliver(&spinepb.Inbound{ClientId: panics, CaseId: caseID, Source: "postmark", SourceMessageId: "boom"})
	store.trap.Store("")
	if !errors.Is(err, ErrInternal) {
		t.Fatalf("panic: %v", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Fatalf("the panic took %v to answer: it was retried or timed out", took)
	}
	ack, err := cc.Deliver(&spinepb.Inbound{ClientId: panics, CaseId: caseID, Source: "postmark", SourceMessageId: "ok"})
	if err != nil || ack.Outcome != spinepb.DeliverAck_CREATED {
		t.Fatalf("after the panic: %v %v", ack, err)
	}
}

func TestLeasesThroughTheKind(t *testing.T) {
	leases := fresh("leases")
	tc := member.Tenant(leases)
	if _, err := tc.Create(&spinepb.CreateTenant{ClientId: leases, Settings: &spinepb.Settings{MaxConnectionsPerUser: 1}}); err != nil {
		t.Fatal(err)
	}
	r, err := tc.Acquire(&spinepb.AcquireConn{Sub: "u", ConnId: "c1", DefaultLimit: 5})
	if err != nil || !r.Granted || r.Limit != 1 {
		t.Fatalf("acquire: %v %v", r, err)
	}
	if r, _ := tc.Acquire(&spinepb.AcquireConn{Sub: "u", ConnId: "c2", DefaultLimit: 5}); r.Granted {
		t.Fatal("second connection over a cap of 1")
	}
	if err := tc.Release(&spinepb.ReleaseConn{Sub: "u", ConnId: "c1"}); err != nil {
		t.Fatal(err)
	}
	if r, _ := tc.Acquire(&spinepb.AcquireConn{Sub: "u", ConnId: "c2", DefaultLimit: 5}); !r.Granted {
		t.Fatal("slot not freed by release")
	}
}

package tenants_test

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/casespine/spine/actors"
	"github.com/casespine/spine/actors/internal/actortest"
	"github.com/casespine/spine/actors/keyspace"
	"github.com/casespine/spine/actors/spinepb"
	"github.com/casespine/spine/actors/tenants"
	"github.com/casespine/spine/persistence"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)

// batchLog is a store that records every batch it is asked to commit and
// hands it on to the real store.
type batchLog struct {
	tenants.Store
	mu      sync.Mutex
	batches []*persistence.Batch
}

func (s *batchLog) Commit(ctx context.Context, b *persistence.Batch) (persistence.Result, error) {
	s.mu.Lock()
	s.batches = append(s.batches, b)
	s.mu.Unlock()
	return s.Store.Commit(ctx, b)
}

func TestCreate(t *testing.T) {
	store := actortest.OpenStore(t, nil)
	rec := &batchLog{Store: store}
	clock := actortest.NewClock(t0, 0)
	tn, err := tenants.Load(rec, "acme", clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	if tn.State() != nil {
		t.Fatal("a tenant that was never created loaded with state")
	}
	st, err := tn.Create(t.Context(), &spinepb.CreateTenant{
		ClientId: "acme", Name: "Acme Travel", Settings: &spinepb.Settings{MaxConnectionsPerUser: 7},
		Actor: "op@example.com", RequestId: "req-1",
	})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if st.ClientId != "acme" || st.Name != "Acme Travel" || st.CreatedAt != t0.UnixNano() || st.Settings.GetMaxConnectionsPerUser() != 7 {
		t.Fatalf("created state = %v", st)
	}
	if !regexp.MustCompile(`^[0-9a-z]{26}$`).MatchString(st.Epoch) {
		t.Fatalf("epoch %q is not a lowercase ULID", st.Epoch)
	}
	sec := st.Secrets
	if len(sec.PostmarkToken) < 32 || len(sec.GraphClientState) < 32 || len(sec.ReplyKey) != 32 ||
		!strings.HasPrefix(sec.GmailPushAudience, "spine:acme:") || len(sec.GmailPushAudience) <= len("spine:acme:") {
		t.Fatalf("weak or missing secrets: %v", sec)
	}
	if sec.PostmarkToken == sec.GraphClientState {
		t.Fatal("postmark token and graph client state are the same secret")
	}
	if tn.State() != st {
		t.Fatal("State() does not return the created state")
	}

	// One commit carries the tenant and its audit row.
	if len(rec.batches) != 1 {
		t.Fatalf("Create made %d commits, want 1", len(rec.batches))
	}
	b := rec.batches[0]
	if len(b.Puts) != 1 || string(b.Puts[0].Key) != string(keyspace.Tenant("acme")) ||
		len(b.Appends) != 1 || string(b.Appends[0].Log) != string(keyspace.AuditLog("acme")) {
		t.Fatalf("Create's commit: puts %d, appends %d; want the tenant state and the audit row together", len(b.Puts), len(b.Appends))
	}

	entries, err := store.ReadLog(keyspace.AuditLog("acme"), 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Offset != 1 {
		t.Fatalf("audit log holds %d entries, want exactly 1 at offset 1", len(entries))
	}
	var row tenants.AuditEntry
	if err := json.Unmarshal(entries[0].Value, &row); err != nil {
		t.Fatalf("audit row %s: %v", entries[0].Value, err)
	}
	want := tenants.AuditEntry{At: t0.Format(time.RFC3339Nano), Actor: "op@example.com", Action: "tenant.create", Target: "acme", RequestID: "req-1"}
	if row != want {
		t.Fatalf("audit row = %+v, want %+v", row, want)
	}

	// A second tenant gets secrets of its own.
	other := actortest.CreateTenant(t, store, "globex", nil, nil)
	if other.Secrets.PostmarkToken == sec.PostmarkToken || string(other.Secrets.ReplyKey) == string(sec.ReplyKey) ||
		other.Secrets.GraphClientState == sec.GraphClientState || other.Epoch == st.Epoch {
		t.Fatal("two tenants share a secret or an epoch")
	}
	if other.Settings == nil {
		t.Fatal("a tenant created without settings has nil Settings")
	}
}

func TestCreateExists(t *testing.T) {
	store := actortest.OpenStore(t, nil)
	// Two activations of one tenant, both loaded before either creates it.
	first, err := tenants.Load(store, "acme", nil)
	if err != nil {
		t.Fatal(err)
	}
	stale, err := tenants.Load(store, "acme", nil)
	if err != nil {
		t.Fatal(err)
	}
	created, err := first.Create(t.Context(), &spinepb.CreateTenant{ClientId: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		tn   func() *tenants.Tenant
	}{
		{"same actor", func() *tenants.Tenant { return first }},
		{"stale activation loses the commit race", func() *tenants.Tenant { return stale }},
		{"fresh load", func() *tenants.Tenant {
			tn, err := tenants.Load(store, "acme", nil)
			if err != nil {
				t.Fatal(err)
			}
			return tn
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tn := tt.tn()
			_, err := tn.Create(t.Context(), &spinepb.CreateTenant{ClientId: "acme", Name: "again"})
			if !errors.Is(err, actors.ErrExists) {
				t.Fatalf("second Create: err = %v, want ErrExists", err)
			}
		})
	}
	// The first tenant's secrets were not replaced, and only one audit row exists.
	tn, err := tenants.Load(store, "acme", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(tn.State(), created) {
		t.Fatalf("stored tenant changed after failed creates:\n got %v\nwant %v", tn.State(), created)
	}
	if head, err := store.LogHead(keyspace.AuditLog("acme")); err != nil || head != 1 {
		t.Fatalf("audit log head = %d (%v), want 1", head, err)
	}
}

func TestCreateInvalid(t *testing.T) {
	tests := []struct {
		name   string
		loadID string
		req    *spinepb.CreateTenant
	}{
		{"client id differs from the actor's", "acme", &spinepb.CreateTenant{ClientId: "globex"}},
		{"one character", "a", &spinepb.CreateTenant{ClientId: "a"}},
		{"upper case", "Acme", &spinepb.CreateTenant{ClientId: "Acme"}},
		{"leading dash", "-acme", &spinepb.CreateTenant{ClientId: "-acme"}},
		{"slash", "ac/me", &spinepb.CreateTenant{ClientId: "ac/me"}},
		{"64 characters", strings.Repeat("a", 64), &spinepb.CreateTenant{ClientId: strings.Repeat("a", 64)}},
		{"empty", "", &spinepb.CreateTenant{}},
		{"name too long", "acme", &spinepb.CreateTenant{ClientId: "acme", Name: strings.Repeat("n", 201)}},
		{"cap too high", "acme", &spinepb.CreateTenant{ClientId: "acme", Settings: &spinepb.Settings{MaxConnectionsPerUser: 10001}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := actortest.OpenStore(t, nil)
			tn, err := tenants.Load(store, tt.loadID, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tn.Create(t.Context(), tt.req); !errors.Is(err, actors.ErrInvalid) {
				t.Fatalf("Create(%v): err = %v, want ErrInvalid", tt.req, err)
			}
			if tn.State() != nil {
				t.Fatal("a rejected Create left state behind")
			}
			kvs, err := store.Scan(nil, nil, 10, false)
			if err != nil || len(kvs) != 0 {
				t.Fatalf("a rejected Create wrote %d keys (%v)", len(kvs), err)
			}
		})
	}
	// The limits themselves are accepted.
	edges := []*spinepb.CreateTenant{
		{ClientId: "ab", Name: strings.Repeat("n", 200)},
		{ClientId: strings.Repeat("a", 63), Settings: &spinepb.Settings{MaxConnectionsPerUser: 10000}},
		{ClientId: "0a_b-c"},
	}
	for _, req := range edges {
		t.Run("accepts "+req.ClientId[:2], func(t *testing.T) {
			store := actortest.OpenStore(t, nil)
			tn, err := tenants.Load(store, req.ClientId, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tn.Create(t.Context(), req); err != nil {
				t.Fatalf("Create(%v): %v", req, err)
			}
		})
	}
}

func TestCreateStoreFailure(t *testing.T) {
	store := actortest.OpenStore(t, nil)
	tn, err := tenants.Load(store, "acme", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := tn.Create(t.Context(), &spinepb.CreateTenant{ClientId: "acme"}); !errors.Is(err, actors.ErrUnavailable) {
		t.Fatalf("Create on a closed store: err = %v, want ErrUnavailable", err)
	}
	if tn.State() != nil {
		t.Fatal("a failed Create left state in the actor")
	}
	if _, err := tenants.Load(store, "acme", nil); !errors.Is(err, actors.ErrUnavailable) {
		t.Fatalf("Load on a closed store: err = %v, want ErrUnavailable", err)
	}
}

func TestLoad(t *testing.T) {
	store := actortest.OpenStore(t, nil)
	created := actortest.CreateTenant(t, store, "acme", &spinepb.Settings{MaxConnectionsPerUser: 3}, nil)
	tn, err := tenants.Load(store, "acme", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(tn.State(), created) {
		t.Fatalf("loaded %v, want %v", tn.State(), created)
	}
	// Unknown and malformed ids load empty.
	for _, id := range []string{"nobody", "NOT/VALID"} {
		tn, err := tenants.Load(store, id, nil)
		if err != nil || tn.State() != nil {
			t.Fatalf("Load(%q) = %v, %v; want empty state, no error", id, tn.State(), err)
		}
	}
	// Corrupt state is an error, not an empty tenant.
	if _, err := store.Commit(t.Context(), &persistence.Batch{Puts: []persistence.KV{{Key: keyspace.Tenant("broken"), Value: []byte{0xff, 0xff, 0xff}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := tenants.Load(store, "broken", nil); err == nil {
		t.Fatal("Load of corrupt state succeeded")
	}
}

func TestAuthenticate(t *testing.T) {
	store := actortest.OpenStore(t, nil)
	acme := actortest.CreateTenant(t, store, "acme", nil, nil)
	globex := actortest.CreateTenant(t, store, "globex", nil, nil)
	tn, err := tenants.Load(store, "acme", nil)
	if err != nil {
		t.Fatal(err)
	}
	unknown, err := tenants.Load(store, "nobody", nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		tn         *tenants.Tenant
		source     string
		credential string
		want       error
	}{
		{"postmark, right token", tn, tenants.SourcePostmark, acme.Secrets.PostmarkToken, nil},
		{"postmark, wrong token", tn, tenants.SourcePostmark, acme.Secrets.PostmarkToken + "x", actors.ErrForbidden},
		{"postmark, token prefix", tn, tenants.SourcePostmark, acme.Secrets.PostmarkToken[:10], actors.ErrForbidden},
		{"postmark, empty token", tn, tenants.SourcePostmark, "", actors.ErrForbidden},
		{"postmark, another tenant's token", tn, tenants.SourcePostmark, globex.Secrets.PostmarkToken, actors.ErrForbidden},
		{"postmark, graph secret", tn, tenants.SourcePostmark, acme.Secrets.GraphClientState, actors.ErrForbidden},
		{"graph, right client state", tn, tenants.SourceGraph, acme.Secrets.GraphClientState, nil},
		{"graph, postmark token", tn, tenants.SourceGraph, acme.Secrets.PostmarkToken, actors.ErrForbidden},
		{"unknown source", tn, "fax", acme.Secrets.PostmarkToken, actors.ErrInvalid},
		{"unknown tenant", unknown, tenants.SourcePostmark, acme.Secrets.PostmarkToken, actors.ErrForbidden},
		{"unknown tenant, empty token", unknown, tenants.SourcePostmark, "", actors.ErrForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.tn.Authenticate(tt.source, tt.credential)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("Authenticate = %v, want %v", err, tt.want)
			}
		})
	}
}

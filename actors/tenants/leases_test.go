package tenants_test

import (
	"errors"
	"testing"
	"time"

	"github.com/casespine/spine/actors"
	"github.com/casespine/spine/actors/internal/actortest"
	"github.com/casespine/spine/actors/spinepb"
	"github.com/casespine/spine/actors/tenants"
)

// leaseTenant creates tenant acme with the given per-user cap (0: none)
// and loads it with a clock that moves only when the test says so.
func leaseTenant(t *testing.T, maxPerUser uint32) (*tenants.Tenant, *actortest.Clock) {
	t.Helper()
	store := actortest.OpenStore(t, nil)
	actortest.CreateTenant(t, store, "acme", &spinepb.Settings{MaxConnectionsPerUser: maxPerUser}, nil)
	clock := actortest.NewClock(t0, 0)
	tn, err := tenants.Load(store, "acme", clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	return tn, clock
}

func acquire(t *testing.T, tn *tenants.Tenant, sub, conn string, defaultLimit uint32, ttl time.Duration) *spinepb.AcquireReply {
	t.Helper()
	r, err := tn.Acquire(&spinepb.AcquireConn{Sub: sub, ConnId: conn, DefaultLimit: defaultLimit, TtlMs: ttl.Milliseconds(), Node: "n1"})
	if err != nil {
		t.Fatalf("Acquire(%s, %s): %v", sub, conn, err)
	}
	return r
}

func renew(t *testing.T, tn *tenants.Tenant, sub, conn string, defaultLimit uint32, ttl time.Duration) bool {
	t.Helper()
	r, err := tn.Renew(&spinepb.RenewConn{Sub: sub, ConnId: conn, TtlMs: ttl.Milliseconds(), DefaultLimit: defaultLimit})
	if err != nil {
		t.Fatalf("Renew(%s, %s): %v", sub, conn, err)
	}
	return r.Ok
}

type grant struct {
	granted      bool
	limit, inUse uint32
}

func got(r *spinepb.AcquireReply) grant { return grant{r.Granted, r.Limit, r.InUse} }

func TestAcquireUpToTheCap(t *testing.T) {
	tests := []struct {
		name         string
		setting      uint32
		defaultLimit uint32
		wantLimit    uint32
	}{
		{"default cap", 0, 2, 2},
		{"tenant setting overrides a lower default", 3, 1, 3},
		{"tenant setting overrides a higher default", 1, 5, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tn, _ := leaseTenant(t, tt.setting)
			for i := range tt.wantLimit {
				r := acquire(t, tn, "alice", string(rune('a'+i)), tt.defaultLimit, time.Minute)
				if want := (grant{true, tt.wantLimit, i + 1}); got(r) != want {
					t.Fatalf("Acquire #%d = %+v, want %+v", i+1, got(r), want)
				}
			}
			r := acquire(t, tn, "alice", "over", tt.defaultLimit, time.Minute)
			if want := (grant{false, tt.wantLimit, tt.wantLimit}); got(r) != want {
				t.Fatalf("Acquire over the cap = %+v, want %+v", got(r), want)
			}
			// Another user of the tenant has slots of their own.
			if r := acquire(t, tn, "bob", "b1", tt.defaultLimit, time.Minute); !r.Granted || r.InUse != 1 {
				t.Fatalf("bob's first Acquire = %+v", got(r))
			}
			if !tn.Holding() {
				t.Fatal("Holding() = false with live leases")
			}
		})
	}
}

func TestAcquireIsIdempotentPerConn(t *testing.T) {
	tn, clock := leaseTenant(t, 2)
	acquire(t, tn, "alice", "c1", 0, 10*time.Second)
	if r := acquire(t, tn, "alice", "c1", 0, 10*time.Second); got(r) != (grant{true, 2, 1}) {
		t.Fatalf("re-Acquire of a held conn = %+v, want granted with 1 in use", got(r))
	}
	acquire(t, tn, "alice", "c2", 0, 10*time.Second)
	// At the cap, a conn that already holds a slot is still granted...
	clock.Advance(8 * time.Second)
	if r := acquire(t, tn, "alice", "c1", 0, 10*time.Second); got(r) != (grant{true, 2, 2}) {
		t.Fatalf("re-Acquire at the cap = %+v, want granted", got(r))
	}
	// ...and its lease was extended: c2 expires, c1 does not.
	clock.Advance(3 * time.Second)
	if r := acquire(t, tn, "alice", "c3", 0, 10*time.Second); got(r) != (grant{true, 2, 2}) {
		t.Fatalf("Acquire after c2 expired = %+v, want granted with c1 and c3 in use", got(r))
	}
	if r := acquire(t, tn, "alice", "c4", 0, 10*time.Second); r.Granted {
		t.Fatalf("c1's re-acquired lease was not extended: %+v", got(r))
	}
}

func TestReleaseFreesTheSlot(t *testing.T) {
	tn, _ := leaseTenant(t, 1)
	acquire(t, tn, "alice", "c1", 0, time.Minute)
	if r := acquire(t, tn, "alice", "c2", 0, time.Minute); r.Granted {
		t.Fatal("over the cap before release")
	}
	tn.Release(&spinepb.ReleaseConn{Sub: "alice", ConnId: "c1"})
	if tn.Holding() {
		t.Fatal("Holding() = true after the only lease was released")
	}
	if r := acquire(t, tn, "alice", "c2", 0, time.Minute); got(r) != (grant{true, 1, 1}) {
		t.Fatalf("Acquire after Release = %+v", got(r))
	}
	// Releasing what is not held changes nothing.
	tn.Release(&spinepb.ReleaseConn{Sub: "alice", ConnId: "c1"})
	tn.Release(&spinepb.ReleaseConn{Sub: "nobody", ConnId: "x"})
	if r := acquire(t, tn, "alice", "c3", 0, time.Minute); r.Granted || r.InUse != 1 {
		t.Fatalf("a stray Release freed a slot: %+v", got(r))
	}
}

func TestExpiredLeasesFreeTheirSlot(t *testing.T) {
	tests := []struct {
		name string
		ttl  time.Duration // 0: DefaultLeaseTTL
		want time.Duration
	}{
		{"request ttl", 1500 * time.Millisecond, 1500 * time.Millisecond},
		{"default ttl", 0, tenants.DefaultLeaseTTL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tn, clock := leaseTenant(t, 1)
			acquire(t, tn, "alice", "c1", 0, tt.ttl)
			clock.Advance(tt.want - time.Nanosecond)
			if r := acquire(t, tn, "alice", "c2", 0, tt.ttl); r.Granted {
				t.Fatal("lease expired before its TTL")
			}
			if !tn.Holding() {
				t.Fatal("Holding() = false before the TTL")
			}
			clock.Advance(time.Nanosecond)
			if tn.Holding() {
				t.Fatal("Holding() = true at the TTL")
			}
			if r := acquire(t, tn, "alice", "c2", 0, tt.ttl); got(r) != (grant{true, 1, 1}) {
				t.Fatalf("Acquire once the lease expired = %+v", got(r))
			}
		})
	}
}

func TestRenew(t *testing.T) {
	t.Run("extends a live lease", func(t *testing.T) {
		tn, clock := leaseTenant(t, 1)
		acquire(t, tn, "alice", "c1", 0, 10*time.Second)
		clock.Advance(9 * time.Second)
		if !renew(t, tn, "alice", "c1", 0, 10*time.Second) {
			t.Fatal("Renew of a live lease answered false")
		}
		clock.Advance(9 * time.Second) // 18s after Acquire, 9s after Renew
		if r := acquire(t, tn, "alice", "c2", 0, time.Minute); r.Granted {
			t.Fatal("the renewed lease expired at its original TTL")
		}
	})
	t.Run("re-takes a lost lease under the cap", func(t *testing.T) {
		tn, _ := leaseTenant(t, 2)
		// A restarted actor has no leases: Renew takes the slot again...
		if !renew(t, tn, "alice", "c1", 0, time.Minute) {
			t.Fatal("Renew of a lost lease under the cap answered false")
		}
		// ...and it counts against the cap.
		acquire(t, tn, "alice", "c2", 0, time.Minute)
		if r := acquire(t, tn, "alice", "c3", 0, time.Minute); got(r) != (grant{false, 2, 2}) {
			t.Fatalf("Acquire after a re-taken lease = %+v, want denied with 2 in use", got(r))
		}
	})
	t.Run("refuses a lost lease over the cap", func(t *testing.T) {
		tn, clock := leaseTenant(t, 1)
		acquire(t, tn, "alice", "c1", 0, 10*time.Second)
		clock.Advance(10 * time.Second) // c1 expires
		acquire(t, tn, "alice", "c2", 0, time.Minute)
		if renew(t, tn, "alice", "c1", 0, 10*time.Second) {
			t.Fatal("Renew of an expired lease whose slot was taken answered true")
		}
		if r := acquire(t, tn, "alice", "c3", 0, time.Minute); r.InUse != 1 {
			t.Fatalf("a refused Renew took a slot: %d in use", r.InUse)
		}
	})
}

// Renew must respect the cap a user actually has, which for a tenant with
// no setting of its own is the node's default from AcquireConn.
//
// (RenewConn once carried no default limit, so a tenant without a setting
// was uncapped on renewal and a user could end up over the default cap.)
func TestRenewRespectsTheDefaultCap(t *testing.T) {
	tn, clock := leaseTenant(t, 0)
	acquire(t, tn, "alice", "c1", 1, 10*time.Second)
	clock.Advance(10 * time.Second)
	if r := acquire(t, tn, "alice", "c2", 1, time.Minute); !r.Granted {
		t.Fatal("setup: c2 not granted after c1 expired")
	}
	if renew(t, tn, "alice", "c1", 1, 10*time.Second) {
		t.Fatal("Renew re-took c1 although c2 holds alice's only slot (default cap 1)")
	}
}

func TestLeasesNeedATenantAndIDs(t *testing.T) {
	store := actortest.OpenStore(t, nil)
	unknown, err := tenants.Load(store, "nobody", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := unknown.Acquire(&spinepb.AcquireConn{Sub: "a", ConnId: "c", DefaultLimit: 5}); !errors.Is(err, actors.ErrNotFound) {
		t.Fatalf("Acquire on an unknown tenant: err = %v, want ErrNotFound", err)
	}
	if _, err := unknown.Renew(&spinepb.RenewConn{Sub: "a", ConnId: "c"}); !errors.Is(err, actors.ErrNotFound) {
		t.Fatalf("Renew on an unknown tenant: err = %v, want ErrNotFound", err)
	}
	tn, _ := leaseTenant(t, 0)
	for _, req := range []*spinepb.AcquireConn{{ConnId: "c", DefaultLimit: 5}, {Sub: "a", DefaultLimit: 5}} {
		if _, err := tn.Acquire(req); !errors.Is(err, actors.ErrInvalid) {
			t.Fatalf("Acquire(%v): err = %v, want ErrInvalid", req, err)
		}
	}
	if tn.Holding() {
		t.Fatal("Holding() = true on a tenant that granted nothing")
	}
}

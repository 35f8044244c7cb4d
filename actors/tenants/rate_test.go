package tenants_test

import (
	"testing"
	"time"

	"github.com/casespine/spine/actors/internal/actortest"
	"github.com/casespine/spine/actors/spinepb"
	"github.com/casespine/spine/actors/tenants"
)

func TestAdmitIsATokenBucket(t *testing.T) {
	store := actortest.OpenStore(t, nil)
	actortest.CreateTenant(t, store, "acme", &spinepb.Settings{AdminRequestsPerSecond: 10}, nil)
	clock := actortest.NewClock(t0, 0)
	tn, err := tenants.Load(store, "acme", clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	// A burst of twice the rate, then refusals with a retry time.
	for i := 0; i < 20; i++ {
		if r := tn.Admit(&spinepb.Admit{DefaultRate: 1000}); !r.Allowed {
			t.Fatalf("request %d of the burst refused", i)
		}
	}
	r := tn.Admit(&spinepb.Admit{DefaultRate: 1000})
	if r.Allowed || r.RetryAfterMs != 100 {
		t.Fatalf("over the burst: %+v, want refused with 100 ms", r)
	}
	// One token per 100 ms comes back.
	clock.Advance(100 * time.Millisecond)
	if r := tn.Admit(&spinepb.Admit{}); !r.Allowed {
		t.Fatal("refused after a token came back")
	}
	if r := tn.Admit(&spinepb.Admit{}); r.Allowed {
		t.Fatal("two requests on one token")
	}
	// A long pause refills to the burst, not beyond.
	clock.Advance(time.Hour)
	n := 0
	for tn.Admit(&spinepb.Admit{}).Allowed {
		n++
	}
	if n != 20 {
		t.Fatalf("%d requests after a long pause, want the burst of 20", n)
	}
}

func TestAdmitDefaultRate(t *testing.T) {
	store := actortest.OpenStore(t, nil)
	actortest.CreateTenant(t, store, "acme", nil, nil)
	tn, err := tenants.Load(store, "acme", actortest.NewClock(t0, 0).Now)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 1000; i++ {
		if !tn.Admit(&spinepb.Admit{}).Allowed {
			t.Fatal("refused with no rate anywhere (unlimited)")
		}
	}
	n := 0
	for tn.Admit(&spinepb.Admit{DefaultRate: 3}).Allowed {
		n++
	}
	if n != 6 {
		t.Fatalf("node default 3/s allowed a burst of %d, want 6", n)
	}
}

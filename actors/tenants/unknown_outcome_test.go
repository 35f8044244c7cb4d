package tenants_test

import (
	"context"
	"errors"
	"testing"

	"github.com/casespine/spine/actors"
	"github.com/casespine/spine/actors/internal/actortest"
	"github.com/casespine/spine/actors/spinepb"
	"github.com/casespine/spine/actors/tenants"
	"github.com/casespine/spine/persistence"
)

// lostAnswer commits, then reports a failure: a commit whose outcome the
// caller never learnt (a deadline that passed with the transaction in
// flight).
type lostAnswer struct{ tenants.Store }

func (s lostAnswer) Commit(ctx context.Context, b *persistence.Batch) (persistence.Result, error) {
	if _, err := s.Store.Commit(ctx, b); err != nil {
		return persistence.Result{}, err
	}
	return persistence.Result{}, context.DeadlineExceeded
}

func TestCreateWithAnUnknownOutcomeStillKnowsTheTenant(t *testing.T) {
	store := lostAnswer{actortest.OpenStore(t, nil)}
	tn, err := tenants.Load(store, "lost", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tn.Create(context.Background(), &spinepb.CreateTenant{ClientId: "lost"}); err == nil {
		t.Fatal("the create reported success")
	}
	st, err := tn.Get()
	if err != nil {
		t.Fatalf("the tenant committed but the actor says: %v", err)
	}
	if err := tn.Authenticate(tenants.SourcePostmark, st.Secrets.PostmarkToken); err != nil {
		t.Fatalf("its own Postmark token refused: %v", err)
	}
	if _, err := tn.Create(context.Background(), &spinepb.CreateTenant{ClientId: "lost"}); !errors.Is(err, actors.ErrExists) {
		t.Fatalf("a retried create: %v", err)
	}
}

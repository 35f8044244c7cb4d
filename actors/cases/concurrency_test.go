package cases_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/casespine/spine/actors"
	"github.com/casespine/spine/actors/cases"
	"github.com/casespine/spine/actors/internal/actortest"
	"github.com/casespine/spine/actors/spinepb"
	"github.com/casespine/spine/persistence"
)

// deliverRetrying delivers like a provider that replays on a 5xx: a
// delivery that lost too many races (ErrContention) is tried again.
func deliverRetrying(t testing.TB, c *cases.Case, in *spinepb.Inbound) (*spinepb.DeliverAck, error) {
	for range 100 {
		ack, err := c.Deliver(t.Context(), in)
		if errors.Is(err, actors.ErrContention) {
			continue
		}
		return ack, err
	}
	return nil, fmt.Errorf("message %s: contention 100 times in a row", in.SourceMessageId)
}

// Two activations of one case (a second node took over while the first
// still ran) take turns: neither may overwrite the other's update.
func TestDoubleActivationAlternating(t *testing.T) {
	e := newEnv(t)
	const n = 20
	counter := &conflictCounter{Store: e.store}
	a := actortest.LoadCase(t, counter, cid, "cdouble", e.clock.Now)
	b := actortest.LoadCase(t, counter, cid, "cdouble", e.clock.Now)
	want := map[string]string{}
	for i := range n {
		c := []*cases.Case{a, b}[i%2]
		in := actortest.Mail(cid, "cdouble", fmt.Sprintf("m%02d", i))
		ack := e.deliver(t, c, in)
		if ack.Seq != uint64(i+1) || ack.MessageId != fmt.Sprintf("cdouble-%d", i+1) || ack.Offset != uint64(i+1) {
			t.Fatalf("message %d through activation %d: %v", i, i%2, ack)
		}
		if wantOut := []spinepb.DeliverAck_Outcome{spinepb.DeliverAck_CREATED, spinepb.DeliverAck_UPDATED}[min(i, 1)]; ack.Outcome != wantOut {
			t.Fatalf("message %d: %v, want %v", i, ack.Outcome, wantOut)
		}
		want[in.SourceMessageId] = "cdouble"
	}
	e.checkInvariants(t, want)
	// Every turn but the first found its activation stale and retried once.
	if got := counter.n.Load(); got != n-1 {
		t.Fatalf("%d commits refused for a stale precondition, want %d", got, n-1)
	}
	if st := e.storedState(t, "cdouble"); st.MessageCount != n || st.LastMessage.SourceMessageId != "m19" {
		t.Fatalf("final state %v", st)
	}
	// The stale activation redelivering the other's message sees a duplicate.
	if ack := e.deliver(t, a, actortest.Mail(cid, "cdouble", "m19")); ack.Outcome != spinepb.DeliverAck_DUPLICATE {
		t.Fatalf("redelivery through the other activation: %v", ack.Outcome)
	}
}

// Several activations of one case deliver different messages at once.
func TestDoubleActivationConcurrent(t *testing.T) {
	e := newEnv(t)
	const activations, perActivation = 4, 15
	want := map[string]string{}
	counter := &conflictCounter{Store: e.store}
	var wg sync.WaitGroup
	errs := make(chan error, activations*perActivation)
	for a := range activations {
		c := actortest.LoadCase(t, counter, cid, "cconc", e.clock.Now)
		var mine []*spinepb.Inbound
		for i := range perActivation {
			in := actortest.Mail(cid, "cconc", fmt.Sprintf("a%d-m%02d", a, i))
			mine = append(mine, in)
			want[in.SourceMessageId] = "cconc"
		}
		wg.Go(func() {
			for _, in := range mine {
				ack, err := deliverRetrying(t, c, in)
				if err != nil {
					errs <- err
					return
				}
				if ack.Outcome != spinepb.DeliverAck_CREATED && ack.Outcome != spinepb.DeliverAck_UPDATED {
					errs <- fmt.Errorf("%s: %v", in.SourceMessageId, ack.Outcome)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	e.checkInvariants(t, want)
	t.Logf("%d commits refused for a stale precondition", counter.n.Load())
}

// rendezvous is a store that holds the first two commits until both have
// arrived, so two deliveries are sure to have read the index before either
// writes: the race the preconditions exist for, every time.
type rendezvous struct {
	cases.Store
	mu      sync.Mutex
	arrived int
	both    chan struct{}
}

func newRendezvous(s cases.Store) *rendezvous {
	return &rendezvous{Store: s, both: make(chan struct{})}
}

func (s *rendezvous) Commit(ctx context.Context, b *persistence.Batch) (persistence.Result, error) {
	s.mu.Lock()
	s.arrived++
	if s.arrived == 2 {
		close(s.both)
	}
	held := s.arrived <= 2
	s.mu.Unlock()
	if held {
		select {
		case <-s.both:
		case <-time.After(10 * time.Second):
			return persistence.Result{}, errors.New("rendezvous: the other commit never came")
		}
	}
	return s.Store.Commit(ctx, b)
}

// The same message reaches one case through two activations, or two cases
// through racing routes, at the same moment: it is stored once.
func TestSameMessageConcurrently(t *testing.T) {
	tests := []struct {
		name  string
		cases [2]string
		noRFC bool // no RFC ids, so only the dedupe key can catch the race
	}{
		{"two activations of one case", [2]string{"csame", "csame"}, false},
		{"two cases", [2]string{"cleft", "cright"}, false},
		{"two cases, no RFC message id", [2]string{"cleft", "cright"}, true},
		{"two activations, no RFC message id", [2]string{"csame", "csame"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			store := newRendezvous(e.store)
			acts := [2]*cases.Case{
				actortest.LoadCase(t, store, cid, tt.cases[0], e.clock.Now),
				actortest.LoadCase(t, store, cid, tt.cases[1], e.clock.Now),
			}
			var acks [2]*spinepb.DeliverAck
			var errs [2]error
			var wg sync.WaitGroup
			for i := range 2 {
				in := actortest.Mail(cid, tt.cases[i], "same")
				if tt.noRFC {
					in.RfcMessageId, in.ThreadRoot = "", ""
				}
				wg.Go(func() { acks[i], errs[i] = acts[i].Deliver(t.Context(), in) })
			}
			wg.Wait()
			if errs[0] != nil || errs[1] != nil {
				t.Fatalf("Deliver: %v, %v", errs[0], errs[1])
			}
			won := -1
			for i, ack := range acks {
				if ack.Outcome == spinepb.DeliverAck_CREATED {
					if won >= 0 {
						t.Fatal("both deliveries stored the message")
					}
					won = i
				}
			}
			if won < 0 {
				t.Fatalf("neither delivery stored the message: %v, %v", acks[0], acks[1])
			}
			lost := acks[1-won]
			wantLost := spinepb.DeliverAck_DUPLICATE
			if tt.cases[0] != tt.cases[1] {
				wantLost = spinepb.DeliverAck_REDIRECT
			}
			if lost.Outcome != wantLost || lost.CaseId != tt.cases[won] || lost.MessageId != acks[won].MessageId {
				t.Fatalf("loser answered %v, want %v to %s", lost, wantLost, tt.cases[won])
			}
			e.checkInvariants(t, map[string]string{"same": tt.cases[won]})
			if other := tt.cases[1-won]; other != tt.cases[won] && e.storedState(t, other) != nil {
				t.Fatalf("the losing case %s was opened", other)
			}
		})
	}
}
